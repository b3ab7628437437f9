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
    private let pipelines: Mutex<Pipelines>

    private typealias Machine = PoolStateMachine<PostgresConnection, ContinuousClock.Instant>
    private typealias Lease = Machine.Lease

    /// The machine and the continuations of its waiters, under one lock; continuations are
    /// resumed only after the lock is released.
    private struct Shared {
        var machine: Machine
        var continuations: [Int: CheckedContinuation<Lease, any Error>] = [:]
        var nextWaiterID = 0
    }

    /// Statements waiting to travel in a pipeline (`pipelined`), and how many connections carry them.
    private struct Pipelines {
        struct Waiting {
            var query: SQLQuery
            var repeatable: Bool
            var attempt: Int
            var continuation: CheckedContinuation<QueryResult, any Error>
        }
        var waiting: [Waiting] = []
        var carriers = 0
        /// At most this many connections carry pipelines at once; the others stay for transactions.
        let maxCarriers: Int
        /// Statements in one pipeline: enough to share a round trip, few enough that the first
        /// waits little for the last.
        static let maxStatements = 16
    }

    /// A snapshot of the pool, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        /// Statements waiting for a pipeline to carry them (`pipelined`).
        public var waitingForPipeline = 0
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
        self.pipelines = Mutex(Pipelines(maxCarriers: max(1, maxConnections / 2)))
        threads.start()
        if let acquireTimeout { startExpiringWaiters(after: acquireTimeout) }
    }

    public var statistics: Statistics {
        var statistics = shared.withLock { Statistics(open: $0.machine.open, idle: $0.machine.idle.count, waiting: $0.machine.waiters.count) }
        statistics.waitingForPipeline = pipelines.withLock { $0.waiting.count }
        return statistics
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

    /// Runs one statement that is its own transaction, like `withStatement`, in a pipeline with the
    /// statements other callers are waiting on: one round trip, and one turn of a database
    /// thread, for all of them (`PostgresConnection.runEach`). Each gets its own rows or error.
    ///
    /// Under load, a few connections carrying pipelines (at most half the pool) spend less CPU on
    /// round trips and thread wakeups than every connection carrying one statement; where CPU is
    /// the limit, that is more statements a second (the README's scoring benchmark). More carriers
    /// made the tail longer: backends preempted mid-pipeline. A serialization failure or
    /// deadlock runs the statement again at once (up to `RetryPolicy.default`'s attempts); so does
    /// a lost connection when `repeatable`, and otherwise the error is `.transactionOutcomeUnknown`.
    public func pipelined(_ query: SQLQuery, repeatable: Bool) async throws -> QueryResult {
        try await withCheckedThrowingContinuation { continuation in
            enqueue([.init(query: query, repeatable: repeatable, attempt: 1, continuation: continuation)])
        }
    }

    /// Adds statements to the next pipeline, and starts a connection carrying them when fewer
    /// than the most carry pipelines now.
    private func enqueue(_ statements: [Pipelines.Waiting]) {
        let startCarrier = pipelines.withLock { pipelines -> Bool in
            pipelines.waiting += statements
            guard !pipelines.waiting.isEmpty, pipelines.carriers < pipelines.maxCarriers else { return false }
            pipelines.carriers += 1
            return true
        }
        if startCarrier { Task { await carryPipelines() } }
    }

    /// Sends the waiting statements, a pipeline at a time, until none wait.
    private func carryPipelines() async {
        do {
            try await withConnection { connection in
                while true {
                    let statements = self.pipelines.withLock { pipelines -> [Pipelines.Waiting] in
                        let taken = Array(pipelines.waiting.prefix(Pipelines.maxStatements))
                        pipelines.waiting.removeFirst(taken.count)
                        // Decided under the lock: a statement added after this sees too few carriers and starts one.
                        if taken.isEmpty { pipelines.carriers -= 1 }
                        return taken
                    }
                    if statements.isEmpty { return }
                    let answers = connection.runEach(statements.map(\.query))
                    var again: [Pipelines.Waiting] = []
                    for (statement, answer) in zip(statements, answers) {
                        switch answer {
                        case .success(let rows):
                            statement.continuation.resume(returning: rows)
                        case .failure(let error):
                            if let retried = self.retrying(statement, after: error) {
                                again.append(retried)
                            } else {
                                statement.continuation.resume(throwing: Self.told(error))
                            }
                        }
                    }
                    guard connection.isConnected else {
                        // This carrier is done; what runs again goes to another (started if need be).
                        self.pipelines.withLock { $0.carriers -= 1 }
                        self.enqueue(again)
                        return
                    }
                    if !again.isEmpty { self.enqueue(again) }
                }
            }
        } catch {
            // No connection (the pool closed, or PostgreSQL refused): the waiting statements fail
            // with it unless another carrier is still at work on them.
            let orphans = pipelines.withLock { pipelines -> [Pipelines.Waiting] in
                pipelines.carriers -= 1
                guard pipelines.carriers == 0 else { return [] }
                defer { pipelines.waiting = [] }
                return pipelines.waiting
            }
            for statement in orphans { statement.continuation.resume(throwing: error) }
        }
    }

    /// The statement with its next attempt when `error` allows one.
    private func retrying(_ statement: Pipelines.Waiting, after error: PostgresError) -> Pipelines.Waiting? {
        guard statement.attempt < RetryPolicy.default.maxAttempts else { return nil }
        guard error.isTransient || (error.kind == .connectionLost && statement.repeatable) else { return nil }
        var next = statement
        next.attempt += 1
        logger.info("running a pipelined statement again", metadata: ["attempt": "\(next.attempt)", "reason": "\(error.message)"])
        return next
    }

    /// What the caller of a statement that will not run again is told of `error`: a lost
    /// connection leaves it unknown whether the statement was applied.
    private static func told(_ error: PostgresError) -> PostgresError {
        guard error.kind == .connectionLost else { return error }
        var unknown = error
        unknown.kind = .transactionOutcomeUnknown
        unknown.message = "the connection broke during the statement, so it is not known whether it was applied: \(error.message)"
        return unknown
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
                guard repeatable, attempt < retry.maxAttempts else { throw Self.told(error) }
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
