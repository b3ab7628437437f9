import Foundation

/// SQL transaction isolation levels.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"

    var begin: SQLQuery {
        switch self {
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}

/// How often a transaction is tried when PostgreSQL reports a serialization failure (40001)
/// or a deadlock (40P01), both of which mean "run it again".
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    /// The first back-off; each later one doubles, with jitter so that retries spread out.
    public var initialDelay: Duration

    public init(maxAttempts: Int, initialDelay: Duration = .milliseconds(5)) {
        precondition(maxAttempts >= 1, "a transaction is tried at least once")
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
    }

    public static let `default` = RetryPolicy(maxAttempts: 5)
    public static let never = RetryPolicy(maxAttempts: 1)

    func delay(beforeAttempt attempt: Int) -> Duration {
        let base = initialDelay * (1 << min(attempt - 2, 10))
        return base * Double.random(in: 0.5...1.5)
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// On a serialization failure or deadlock the whole transaction runs again, up to the policy's
    /// attempts, so `body` must do nothing outside the database that cannot be repeated.
    /// A connection lost during COMMIT is reported as `.transactionOutcomeUnknown`.
    public func withTransaction<R>(
        isolation: IsolationLevel = .readCommitted,
        retry: RetryPolicy = .default,
        _ body: (PostgresConnection) throws -> R
    ) throws -> R {
        try retryingTransientFailures(retry) { try $0.runTransactionOnce(isolation: isolation, body) }
    }

    /// Runs `body` again, after a jittered pause, while PostgreSQL reports a serialization
    /// failure or deadlock, up to the policy's attempts.
    func retryingTransientFailures<R>(_ retry: RetryPolicy, _ body: (PostgresConnection) throws -> R) throws -> R {
        var attempt = 1
        while true {
            do {
                return try body(self)
            } catch let error as PostgresError where error.isTransient && attempt < retry.maxAttempts {
                attempt += 1
                Thread.sleep(forTimeInterval: retry.delay(beforeAttempt: attempt).seconds)
            }
        }
    }

    private func runTransactionOnce<R>(isolation: IsolationLevel, _ body: (PostgresConnection) throws -> R) throws -> R {
        // BEGIN travels with the first statement; the queued statements at the end (audit rows) with COMMIT.
        queueBegin(isolation.begin)
        let value: R
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        guard isConnected else {
            // COMMIT was never sent, so the server rolled the transaction back: safe to run again.
            throw PostgresError(.connectionLost, message: "the connection broke before COMMIT; nothing was applied")
        }
        do {
            try query("COMMIT")
        } catch  where error.kind == .connectionLost {
            var unknown = error
            unknown.kind = .transactionOutcomeUnknown
            unknown.message = "the connection broke during COMMIT, so it is not known whether the transaction was applied: \(error.message)"
            throw unknown
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    private func rollbackQuietly() {
        discardQueued()
        if isInTransaction { try? runScript("ROLLBACK") }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
