import Foundation
import Synchronization
import Testing
import WyscPostgres
import WyscTestSupport

@Suite struct PoolTests {
    /// 60 tasks, 3 connections and 3 threads: everyone waits their turn and all finish.
    @Test func moreTasksThanConnectionsAllComplete() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.create(), maxConnections: 3, logger: TestDatabase.logger)
        let peak = PeakTracker()
        let pids = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<60 {
                group.addTask {
                    try await pool.withConnection { connection in
                        peak.enter()
                        defer { peak.leave() }
                        let row = try connection.query("SELECT pg_backend_pid() AS pid, \(task)::integer AS task, pg_sleep(0.005)").rows[0]
                        #expect(try row.decode("task", as: Int.self) == task)
                        return try row.decode("pid", as: Int.self)
                    }
                }
            }
            var pids: [Int] = []
            for try await pid in group { pids.append(pid) }
            return pids
        }
        #expect(pids.count == 60)
        #expect(Set(pids).count <= 3)
        #expect(peak.maximum <= 3)
        let statistics = pool.statistics
        #expect(statistics.open <= 3)
        #expect(statistics.waiting == 0)
        #expect(statistics.inUse == 0)
        await pool.close()
    }

    @Test func aConnectionKilledByTheServerIsReplaced() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.create(), maxConnections: 1, logger: TestDatabase.logger)
        let first = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").rows[0].decode("pid", as: Int.self) }
        let admin = try TestDatabase.admin()
        try admin.query("SELECT pg_terminate_backend(\(first))")
        // Wait until the server has really ended that backend.
        for _ in 0..<100 {
            let alive = try admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(first)").rows[0].decode("n", as: Int.self)
            if alive == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        // The backend has left pg_stat_activity; let its socket close reach us.
        try await Task.sleep(for: .milliseconds(50))
        let second = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").rows[0].decode("pid", as: Int.self) }
        #expect(second != first)
        #expect(pool.statistics.open == 1)
        await pool.close()
    }

    /// A transaction whose connection drops before COMMIT changed nothing, so the pool runs it again.
    @Test func aTransactionIsRetriedAfterADroppedConnection() async throws {
        // (A drop noticed by a statement, and one that a swallowed error hid until COMMIT.)
        let configuration = try TestDatabase.create()
        let setup = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        try setup.query("CREATE TABLE score (judge integer, total integer)")
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        let attempts = AttemptCounter()
        try await pool.withTransaction { connection in
            let judge = 7
            let total = 42
            try connection.query("INSERT INTO score VALUES (\(judge), \(total))")
            if attempts.next() == 1 {
                // The connection drops mid-transaction.
                try connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
        }
        #expect(attempts.value == 2)
        #expect(try setup.query("SELECT count(*) AS n FROM score").rows[0].decode("n", as: Int.self) == 1)

        let hiddenDrops = AttemptCounter()
        try await pool.withTransaction { connection in
            let judge = 8
            let total = 40
            try connection.query("INSERT INTO score VALUES (\(judge), \(total))")
            if hiddenDrops.next() == 1 { _ = try? connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        }
        #expect(hiddenDrops.value == 2)
        #expect(try setup.query("SELECT count(*) AS n FROM score").rows[0].decode("n", as: Int.self) == 2)
        await pool.close()
    }

    /// A statement that is its own transaction may have been applied when its connection drops:
    /// it runs again only when running it twice leaves what running it once does.
    @Test func aLostStatementRunsAgainOnlyWhenRepeatable() async throws {
        let configuration = try TestDatabase.create()
        let setup = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        try setup.query("CREATE TABLE score (judge integer PRIMARY KEY, total integer)")
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        let attempts = AttemptCounter()
        try await pool.withStatement(repeatable: true) { connection in
            if attempts.next() == 1 { _ = try? connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
            let judge = 7
            let total = 42
            try connection.query("INSERT INTO score VALUES (\(judge), \(total)) ON CONFLICT (judge) DO UPDATE SET total = EXCLUDED.total")
        }
        #expect(attempts.value == 2)
        #expect(try setup.query("SELECT count(*) AS n FROM score").rows[0].decode("n", as: Int.self) == 1)

        let once = AttemptCounter()
        let lost = await #expect(throws: PostgresError.self) {
            try await pool.withStatement(repeatable: false) { connection in
                if once.next() == 1 { _ = try? connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
                try connection.query("UPDATE score SET total = total + 1")
            }
        }
        #expect(lost?.kind == .transactionOutcomeUnknown)
        #expect(once.value == 1, "not run again: it may have been applied")
        #expect(try setup.query("SELECT total FROM score").rows[0].decode("total", as: Int.self) == 42)
        await pool.close()
    }

    /// A connection handed straight to a waiting caller must never be closed under them: many
    /// transactions through a pool of two, every one completes.
    @Test func aConnectionHandedToAWaiterIsNeverClosedUnderIt() async throws {
        let configuration = try TestDatabase.create(label: "pool")
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        let completed = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<64 {
                group.addTask {
                    try await pool.withTransaction(retry: .never) { connection in
                        try connection.query("SELECT pg_sleep(0.002)")
                        return (try connection.query("SELECT \(index)::int AS n").rows[0].decode("n", as: Int.self), connection.backendPID)
                    }
                }
            }
            var completed: [(Int, Int)] = []
            for try await value in group { completed.append(value) }
            return completed
        }
        #expect(completed.map(\.0).sorted() == Array(0..<64))
        #expect(Set(completed.map(\.1)).count <= 2, "no connection was closed and replaced: \(Set(completed.map(\.1)))")
        await pool.close()
    }

    /// With every connection busy, a caller waits until its deadline on the pool's clock, then gets
    /// .poolTimeout, while the connection is still held; the pool then works on. The clock is the
    /// test's: how loaded the machine is changes nothing.
    @Test func aWaiterGivesUpAtItsDeadline() async throws {
        let clock = Mutex(ContinuousClock.now)
        let pool = PostgresPool(
            configuration: try TestDatabase.create(), maxConnections: 1, acquireTimeout: .milliseconds(300), logger: TestDatabase.logger,
            now: { clock.withLock { $0 } })
        let holding = DispatchSemaphore(value: 0)
        let letGo = DispatchSemaphore(value: 0)
        let holder = Task {
            try await pool.withConnection { connection in
                holding.signal()
                letGo.wait()
                return try connection.query("SELECT 1 AS one").rows[0].decode("one", as: Int.self)
            }
        }
        await Task.detached { holding.wait() }.value
        let waiter = Task { try await pool.withConnection { _ in 2 } }
        while pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        clock.withLock { $0 += .seconds(1) }
        let error = await #expect(throws: PostgresError.self) { try await waiter.value }
        #expect(error?.kind == .poolTimeout)
        #expect(pool.statistics.waiting == 0)
        letGo.signal()
        #expect(try await holder.value == 1, "the holder kept its connection throughout")
        #expect(try await pool.withConnection { _ in 7 } == 7)
        await pool.close()
    }

    @Test func aClosedPoolRefusesWork() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.create(), maxConnections: 1, logger: TestDatabase.logger)
        await pool.close()
        await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 1 } }
    }
}

final class PeakTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0
    func enter() {
        lock.lock()
        current += 1
        maximum = max(maximum, current)
        lock.unlock()
    }
    func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }
}
