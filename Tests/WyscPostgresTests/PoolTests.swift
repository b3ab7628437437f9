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

    /// Statements sent at once travel together on one connection, each its own transaction:
    /// each caller gets its own rows, and one statement's error leaves the others applied.
    @Test func pipelinedStatementsKeepTheirOwnAnswersAndErrors() async throws {
        let configuration = try TestDatabase.create()
        let setup = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        try setup.query("CREATE TABLE entry (id integer PRIMARY KEY)")
        try setup.query("INSERT INTO entry SELECT generate_series(0, 9)")
        // Two connections: one carries pipelines, one stays for transactions.
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        let answers = await withTaskGroup(of: (Int, Result<(id: Int, pid: Int), PostgresError>).self) { group in
            for id in 0...40 {
                group.addTask {
                    do {
                        // The last one cannot be sent at all (a NUL in a parameter): refused alone.
                        let statement: SQLQuery =
                            id == 40
                            ? "INSERT INTO entry SELECT length(\("x\u{0}")) RETURNING id, pg_backend_pid() AS pid"
                            : "INSERT INTO entry VALUES (\(id)) RETURNING id, pg_backend_pid() AS pid"
                        let row = try await pool.pipelined(statement, repeatable: false).rows[0]
                        return (id, .success((try row.decode("id"), try row.decode("pid"))))
                    } catch let error as PostgresError {
                        return (id, .failure(error))
                    } catch {
                        return (id, .failure(PostgresError(.server, message: "\(error)")))
                    }
                }
            }
            var answers: [Int: Result<(id: Int, pid: Int), PostgresError>] = [:]
            for await (id, answer) in group { answers[id] = answer }
            return answers
        }
        var carriers: Set<Int> = []
        for id in 0..<40 {
            switch answers[id]! {
            case .success(let row):
                #expect(id >= 10 && row.id == id)
                carriers.insert(row.pid)
            case .failure(let error):
                #expect(id < 10 && error.sqlState == .uniqueViolation, "\(id): \(error)")
            }
        }
        if case .failure(let error) = answers[40]! { #expect(error.kind == .encoding) } else { Issue.record("a NUL was sent") }
        #expect(carriers.count == 1, "one connection carried them all")
        #expect(try setup.query("SELECT count(*) AS n FROM entry").rows[0].decode("n", as: Int.self) == 40)
        await pool.close()
        await #expect(throws: PostgresError.self) { try await pool.pipelined("SELECT 1", repeatable: true) }
    }

    /// A connection lost in the middle of a pipeline: the statements it did not answer run again
    /// when repeatable; the others may have been applied, and the caller is told so.
    @Test func aLostPipelineRunsAgainOnlyTheRepeatableStatements() async throws {
        let configuration = try TestDatabase.create()
        let setup = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        try setup.query("CREATE TABLE score (judge integer PRIMARY KEY, total integer)")
        try setup.query("INSERT INTO score VALUES (1, 10)")
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        // The carrier waits on a lock the test holds while the next three line up; then it takes them together.
        try setup.query("BEGIN")
        try setup.query("SELECT pg_advisory_xact_lock(17)")
        let busy = Task { try await pool.pipelined("SELECT pg_advisory_xact_lock(17)", repeatable: true) }
        func lineUp(_ count: Int) async throws {
            while pool.statistics.waitingForPipeline < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        while try setup.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").rows[0].decode("n", as: Int.self) == 0
        {
            try await Task.sleep(for: .milliseconds(5))
        }
        let killer = Task { try await pool.pipelined("SELECT pg_terminate_backend(pg_backend_pid())", repeatable: false) }
        try await lineUp(1)
        let repeatable = Task {
            try await pool.pipelined("INSERT INTO score VALUES (7, 42) ON CONFLICT (judge) DO UPDATE SET total = EXCLUDED.total", repeatable: true)
        }
        try await lineUp(2)
        let once = Task { try await pool.pipelined("UPDATE score SET total = total + 1 WHERE judge = 1", repeatable: false) }
        try await lineUp(3)
        try setup.query("COMMIT")
        _ = try await busy.value
        await #expect(throws: PostgresError.self) { try await killer.value }
        #expect(try await repeatable.value.affectedRows == 1)
        let unknown = await #expect(throws: PostgresError.self) { try await once.value }
        #expect(unknown?.kind == .transactionOutcomeUnknown)
        let totals = try setup.query("SELECT judge, total FROM score ORDER BY judge").rows.map {
            (try $0.decode("judge", as: Int.self), try $0.decode("total", as: Int.self))
        }
        #expect(totals.map(\.0) == [1, 7] && totals.map(\.1) == [10, 42], "the update was not run again")
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
