import Foundation
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
            let judge = 7, total = 42
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
            let judge = 8, total = 40
            try connection.query("INSERT INTO score VALUES (\(judge), \(total))")
            if hiddenDrops.next() == 1 { _ = try? connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        }
        #expect(hiddenDrops.value == 2)
        #expect(try setup.query("SELECT count(*) AS n FROM score").rows[0].decode("n", as: Int.self) == 2)
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

    /// With every connection busy, a caller waits at most the acquire timeout, then gets
    /// .poolTimeout; a caller whose connection comes in time is not failed; the pool then works on.
    @Test func aWaiterGivesUpAfterTheAcquireTimeout() async throws {
        let pool = PostgresPool(
            configuration: try TestDatabase.create(), maxConnections: 1, acquireTimeout: .milliseconds(300), logger: TestDatabase.logger)
        let holder = Task {
            try await pool.withConnection { connection in
                try connection.query("SELECT pg_sleep(2)")
                return ContinuousClock.now
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 1 } }
        let gaveUp = ContinuousClock.now
        #expect(error?.kind == .poolTimeout)
        #expect(gaveUp - started >= .milliseconds(300))
        #expect(pool.statistics.waiting == 0)
        // It gave up while the connection was still busy, not when it came back (however loaded the machine).
        #expect(gaveUp < (try await holder.value))

        let shortHolder = Task { try await pool.withConnection { try $0.query("SELECT pg_sleep(0.02)") } }
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await pool.withConnection { _ in 7 } == 7)
        try await shortHolder.value
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
