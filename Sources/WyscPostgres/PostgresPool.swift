import Dispatch
import Logging
import NIOPosix
import Synchronization

/// A bounded pool of connections for concurrent callers (the server, parallel imports).
///
/// libpq blocks, so each checked-out connection is used on a thread of the pool's own
/// `NIOThreadPool` (one thread per connection), never on Swift's cooperative threads. Callers
/// beyond the limit wait their turn. A connection that broke is dropped and replaced on next use.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    public let maxConnections: Int
    /// How long a caller waits for a free connection before `.poolTimeout`; nil waits as long as it takes.
    public let acquireTimeout: Duration?
    private let logger: Logger
    private let threads: NIOThreadPool
    private let now: @Sendable () -> ContinuousClock.Instant
    private let shared: Mutex<Shared>
    /// Times out waiters (one task for the pool rather than a timer per wait, which cost more than the wait).
    private let waiterExpiry = Mutex<Task<Void, Never>?>(nil)

    private typealias Machine = PoolStateMachine<PostgresConnection, ContinuousClock.Instant>
    private typealias Lease = Machine.Lease

    /// The machine and the continuations of its waiters, under one lock; continuations are
    /// resumed only after the lock is released.
    private struct Shared {
        var machine: Machine
        var continuations: [Int: CheckedContinuation<Lease, any Error>] = [:]
        var nextWaiterID = 0
    }

    /// A snapshot of the pool, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        public var inUse: Int { open - idle }
    }

    /// `now` is the clock deadlines are read from (the machine itself reads none).
    public init(
        configuration: PostgresConfiguration, maxConnections: Int, acquireTimeout: Duration? = nil, logger: Logger,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.now = now
        self.threads = NIOThreadPool(numberOfThreads: maxConnections)
        self.shared = Mutex(Shared(machine: Machine(maxConnections: maxConnections)))
        threads.start()
        if let acquireTimeout { startExpiringWaiters(after: acquireTimeout) }
    }

    public var statistics: Statistics {
        shared.withLock { Statistics(open: $0.machine.open, idle: $0.machine.idle.count, waiting: $0.machine.waiters.count) }
    }

    /// Runs `body` with a connection of its own, on the pool's threads.
    public func withConnection<R: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> R) async throws -> R {
        let lease = try await acquire()
        let configuration = self.configuration
        let logger = self.logger
        let outcome: (result: Result<R, any Error>, reusable: PostgresConnection?) = try await threads.runIfActive {
            let connection: PostgresConnection
            do {
                switch lease {
                case .connection(let existing) where existing.isUsable:
                    connection = existing
                case .connection(let broken):
                    logger.debug("replacing a broken PostgreSQL connection", metadata: ["backend_pid": "\(broken.backendPID)"])
                    broken.close()
                    connection = try PostgresConnection.connect(configuration, logger: logger)
                case .openNew:
                    connection = try PostgresConnection.connect(configuration, logger: logger)
                }
            } catch {
                return (.failure(error), nil)
            }
            let result = Result { try body(connection) }
            // Decided here, once, before handing over: once released, the connection may already
            // be in a waiter's transaction, and asking again would close it under them.
            guard connection.isIdle else {
                connection.close()
                return (result, nil)
            }
            return (result, connection)
        }
        let (result, reusable) = outcome
        release(reusable)
        return try result.get()
    }

    /// Runs `body` in a transaction on a pooled connection.
    ///
    /// Besides the retries of `PostgresConnection.withTransaction`, a transaction whose connection
    /// dropped before COMMIT (so nothing was applied) runs again on a new connection.
    public func withTransaction<R: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        retry: RetryPolicy = .default,
        _ body: @escaping @Sendable (PostgresConnection) throws -> R
    ) async throws -> R {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    try connection.withTransaction(isolation: isolation, retry: retry, body)
                }
            } catch let error as PostgresError where error.kind == .connectionLost && attempt < retry.maxAttempts {
                attempt += 1
                logger.info("retrying a transaction after a lost connection", metadata: ["attempt": "\(attempt)"])
            }
        }
    }

    /// Runs `body`, one statement that is its own transaction (no BEGIN, no COMMIT: one round
    /// trip), again after a serialization failure or deadlock.
    ///
    /// A connection lost during the statement leaves it unknown whether it was applied. It runs
    /// again on a new connection only when `repeatable` (applying it twice leaves what applying
    /// it once does); otherwise the error is `.transactionOutcomeUnknown`.
    public func withStatement<R: Sendable>(
        repeatable: Bool, retry: RetryPolicy = .default, _ body: @escaping @Sendable (PostgresConnection) throws -> R
    ) async throws -> R {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in try connection.retryingTransientFailures(retry) { try body($0) } }
            } catch let error as PostgresError where error.kind == .connectionLost {
                guard repeatable, attempt < retry.maxAttempts else {
                    var unknown = error
                    unknown.kind = .transactionOutcomeUnknown
                    unknown.message = "the connection broke during the statement, so it is not known whether it was applied: \(error.message)"
                    throw unknown
                }
                attempt += 1
                logger.info("running a statement again after a lost connection", metadata: ["attempt": "\(attempt)"])
            }
        }
    }

    /// Closes every connection and tells the threads to stop. Waiting callers get `.poolClosed`.
    /// The threads stop on their own, unawaited: they hold nothing once the connections are
    /// closed, and joining them cost a one-shot command a millisecond before it could exit.
    public func close() async {
        waiterExpiry.withLock { $0?.cancel() }
        let (waiters, idle) = shared.withLock { shared in
            let (ids, idle) = shared.machine.close()
            let waiters = ids.compactMap { shared.continuations.removeValue(forKey: $0) }
            return (waiters, idle)
        }
        for waiter in waiters { waiter.resume(throwing: Self.closedError) }
        for connection in idle { connection.close() }
        threads.shutdownGracefully(queue: .global()) { _ in }
    }

    private static var closedError: PostgresError { PostgresError(.poolClosed, message: "the connection pool was closed") }

    // MARK: Lending

    private func acquire() async throws -> Lease {
        let deadline = acquireTimeout.map { now() + $0 }
        let id = shared.withLock { shared in
            defer { shared.nextWaiterID += 1 }
            return shared.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let action = shared.withLock { shared -> Machine.AcquireAction? in
                    // Checked under the lock: a cancellation either came before (seen here) or finds the waiter.
                    if Task.isCancelled { return nil }
                    let action = shared.machine.acquire(id, deadline: deadline)
                    if case .wait = action { shared.continuations[id] = continuation }
                    return action
                }
                switch action {
                case nil: continuation.resume(throwing: CancellationError())
                case .lease(let lease)?: continuation.resume(returning: lease)
                case .failClosed?: continuation.resume(throwing: Self.closedError)
                case .wait?: break
                }
            }
        } onCancel: {
            let waiter = shared.withLock { shared in
                shared.machine.cancel(id) ? shared.continuations.removeValue(forKey: id) : nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Fails the waiters whose deadline passed with `.poolTimeout`, looking ten times per timeout
    /// (at most every 0.1 s): a waiter gives up at most a tenth of the timeout late.
    private func startExpiringWaiters(after limit: Duration) {
        let tick = min(limit / 10, .milliseconds(100))
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                guard let self else { return }
                let now = self.now()
                let expired = self.shared.withLock { shared in
                    shared.machine.expire(now: now).compactMap { shared.continuations.removeValue(forKey: $0) }
                }
                for continuation in expired {
                    continuation.resume(
                        throwing: PostgresError(.poolTimeout, message: "no database connection became free within \(limit); the server is busy"))
                }
            }
        }
        waiterExpiry.withLock { $0 = task }
    }

    /// Returns a connection (or, with nil, the slot of one that was dropped) to the next waiter or the idle list.
    private func release(_ connection: PostgresConnection?) {
        let (action, waiter) = shared.withLock { shared -> (Machine.ReleaseAction, CheckedContinuation<Lease, any Error>?) in
            let action = shared.machine.release(connection)
            guard case .resume(let id, _) = action else { return (action, nil) }
            return (action, shared.continuations.removeValue(forKey: id))
        }
        switch action {
        case .resume(_, let lease): waiter?.resume(returning: lease)
        case .close(let connection): connection?.close()
        case .none: break
        }
    }
}
