/// The connection pool's decisions, with no threads, locks, continuations or clock: each event
/// (a caller wants a connection, a connection comes back, a caller gives up, time passes, the pool
/// closes) changes the state and says what the caller of the machine must do. `PostgresPool` is
/// the thin shell that runs it under a lock and does what it says; tests drive it with their own
/// instants.
struct PoolStateMachine<Connection, Instant: Comparable> {
    /// What a caller gets: a connection, or the right to open one (a free slot).
    enum Lease {
        case connection(Connection)
        case openNew
    }

    struct Waiter {
        var id: Int
        var deadline: Instant?
    }

    let maxConnections: Int
    private(set) var idle: [Connection] = []
    /// Connections open or being opened, idle or in use.
    private(set) var open = 0
    /// First come, first served.
    private(set) var waiters: [Waiter] = []
    private(set) var isClosed = false

    init(maxConnections: Int) {
        precondition(maxConnections >= 1, "a pool needs at least one connection")
        self.maxConnections = maxConnections
    }

    enum AcquireAction {
        case lease(Lease)
        /// No connection and no free slot: the caller waits as `id` until a release or its deadline.
        case wait
        case failClosed
    }

    /// Caller `id` asks for a connection; it waits at most until `deadline`.
    mutating func acquire(_ id: Int, deadline: Instant?) -> AcquireAction {
        if isClosed { return .failClosed }
        if let connection = idle.popLast() { return .lease(.connection(connection)) }
        if open < maxConnections {
            open += 1
            return .lease(.openNew)
        }
        waiters.append(Waiter(id: id, deadline: deadline))
        return .wait
    }

    enum ReleaseAction {
        /// Hand this to the waiter `id`.
        case resume(waiter: Int, Lease)
        /// The pool is closed: close the connection, if any.
        case close(Connection?)
        /// Kept as idle, or its slot freed: nothing to do.
        case none
    }

    /// A connection comes back; nil when it broke and was closed, which frees its slot.
    mutating func release(_ connection: Connection?) -> ReleaseAction {
        if isClosed {
            open -= 1
            return .close(connection)
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            return .resume(waiter: waiter.id, connection.map(Lease.connection) ?? .openNew)
        }
        if let connection {
            idle.append(connection)
        } else {
            open -= 1
        }
        return .none
    }

    /// Waiter `id` gives up (its task was cancelled); true when it was still waiting.
    mutating func cancel(_ id: Int) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// The waiters whose deadline is `now` or earlier, removed: they fail with a timeout.
    mutating func expire(now: Instant) -> [Int] {
        let due = waiters.filter { $0.deadline.map { $0 <= now } ?? false }.map(\.id)
        if !due.isEmpty { waiters.removeAll { due.contains($0.id) } }
        return due
    }

    /// Closes the pool: the waiters to fail and the idle connections to close.
    mutating func close() -> (waiters: [Int], idle: [Connection]) {
        isClosed = true
        defer {
            waiters = []
            open -= idle.count
            idle = []
        }
        return (waiters.map(\.id), idle)
    }
}

extension PoolStateMachine.Lease: Sendable where Connection: Sendable {}
extension PoolStateMachine: Sendable where Connection: Sendable, Instant: Sendable {}
extension PoolStateMachine.Waiter: Sendable where Instant: Sendable {}
