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
    private let state: Mutex<State>
    /// Times out waiters (one task for the pool rather than a timer per wait, which cost more than the wait).
    private let waiterExpiry = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections open or being opened, idle or in use.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
    }

    private struct Waiter {
        var id: Int
        var deadline: ContinuousClock.Instant?
        var continuation: CheckedContinuation<Lease, any Error>
    }

    /// What a caller gets from the pool: a connection, or the right to open one.
    private enum Lease: Sendable {
        case connection(PostgresConnection)
        case openNew
    }

    /// A snapshot of the pool, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        public var inUse: Int { open - idle }
    }

    public init(configuration: PostgresConfiguration, maxConnections: Int, acquireTimeout: Duration? = nil, logger: Logger) {
        precondition(maxConnections >= 1, "a pool needs at least one connection")
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: maxConnections)
        self.state = Mutex(State())
        threads.start()
        if let acquireTimeout { startExpiringWaiters(after: acquireTimeout) }
    }

    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count) }
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

    /// Closes every connection and stops the threads. Waiting callers get `.poolClosed`.
    public func close() async {
        waiterExpiry.withLock { $0?.cancel() }
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, message: "the connection pool was closed"))
        }
        for connection in idle { connection.close() }
        try? await threads.shutdownGracefully()
    }

    // MARK: Lending

    private func acquire() async throws -> Lease {
        let immediate: Lease?? = try state.withLock { (state) throws(PostgresError) -> Lease?? in
            if state.closed { throw PostgresError(.poolClosed, message: "the connection pool was closed") }
            if let connection = state.idle.popLast() { return .some(.connection(connection)) }
            if state.open < maxConnections {
                state.open += 1
                return .some(.openNew)
            }
            return .some(nil)
        }
        if let lease = immediate ?? nil { return lease }

        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let deadline = acquireTimeout.map { ContinuousClock.now + $0 }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let handOver: Lease?? = state.withLock { state in
                    if state.closed { return .some(nil) }
                    if Task.isCancelled { return .none }
                    // A connection may have come back between the first look and now.
                    if let connection = state.idle.popLast() { return .some(.connection(connection)) }
                    if state.open < maxConnections {
                        state.open += 1
                        return .some(.openNew)
                    }
                    state.waiters.append(Waiter(id: id, deadline: deadline, continuation: continuation))
                    return .some(nil)
                }
                switch handOver {
                case .none: continuation.resume(throwing: CancellationError())
                case .some(.some(let lease)): continuation.resume(returning: lease)
                case .some(.none):
                    if state.withLock({ $0.closed && !$0.waiters.contains { $0.id == id } }) {
                        continuation.resume(throwing: PostgresError(.poolClosed, message: "the connection pool was closed"))
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
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
                let now = ContinuousClock.now
                let expired = self.state.withLock { state -> [CheckedContinuation<Lease, any Error>] in
                    let isDue = { (waiter: Waiter) in waiter.deadline.map { $0 <= now } ?? false }
                    defer { state.waiters.removeAll(where: isDue) }
                    return state.waiters.filter(isDue).map(\.continuation)
                }
                for continuation in expired {
                    continuation.resume(throwing: PostgresError(.poolTimeout, message: "no database connection became free within \(limit); the server is busy"))
                }
            }
        }
        waiterExpiry.withLock { $0 = task }
    }

    /// Returns a connection (or, with nil, the slot of one that was dropped) to the next waiter or the idle list.
    private func release(_ connection: PostgresConnection?) {
        let (waiter, lease): (CheckedContinuation<Lease, any Error>?, Lease?) = state.withLock { state in
            if state.closed {
                state.open -= 1
                return (nil, nil)
            }
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst().continuation
                return (waiter, connection.map(Lease.connection) ?? .openNew)
            }
            if let connection {
                state.idle.append(connection)
            } else {
                state.open -= 1
            }
            return (nil, nil)
        }
        if let waiter, let lease {
            waiter.resume(returning: lease)
        } else if state.withLock({ $0.closed }) {
            connection?.close()
        }
    }
}
