import Foundation
import Testing
import WyscApplication
import WyscHTTP
import WyscPostgres
import WyscTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Faults under load: `wysc serve` killed with SIGKILL, and PostgreSQL restarted, while judges
/// submit scorecards with Idempotency-Keys. Requests are held in flight by a lock the test takes,
/// so each fault lands in the middle of them, every run.
@Suite(.serialized) struct FaultTests {
    struct Submission: Sendable {
        var token: String
        var proposal: Int
        var key: String
        var body: Data
    }

    @Test func scorecardsSurviveAKilledServerAndARestartedDatabase() async throws {
        let home = Scratch.url("wysc-fault-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = LocalCluster(dataDirectory: home.appendingPathComponent("postgres"))
        defer { _ = try? cluster.stop() }
        try cluster.start(logger: TestDatabase.logger)
        let fixture = try await JudgingFixture.inScreening(try await TestApplication(configuration: cluster.configuration))
        let app = fixture.application
        let slug = JudgingFixture.slug

        var submissions: [Submission] = []
        for email in fixture.judges.keys.sorted() {
            let token = try await app.createToken(role: .judge, for: email, competition: slug, expires: nil, as: TestApplication.organizer).token
            for item in try await app.judgeQueue(judge: email, competition: slug, as: TestApplication.organizer) {
                let body = Data(#"{"scores": {"idea": \#(item.proposal % 9 + 1), "plan": 7}, "comment": "fault test"}"#.utf8)
                submissions.append(Submission(token: token, proposal: item.proposal, key: "fault-\(email)-\(item.proposal)", body: body))
            }
        }
        #expect(submissions.count == 8)
        let serverArguments = ["--database-url", cluster.connectionString]
        var server = try ServerProcess(serverArguments)

        @Sendable func send(_ submission: Submission, to url: String) async -> Int? {
            let client = APIClient(server: URL(string: url)!, token: submission.token, timeout: 20)
            let answer = try? await client.send(
                "PUT", "api/v1/competitions/\(slug)/scorecards/\(submission.proposal)", json: submission.body,
                headers: ["Idempotency-Key": submission.key], attempts: 1)
            return answer?.status
        }
        /// Sends `batch` while a lock holds every scorecard transaction, waits until all are blocked, then runs `fault`.
        func underFault(_ batch: ArraySlice<Submission>, url: String, fault: () throws -> Void) async throws -> [Int?] {
            let blocker = try PostgresConnection.connect(cluster.configuration, logger: TestDatabase.logger)
            try blocker.query("BEGIN")
            try blocker.query("SELECT id FROM competition FOR UPDATE")
            let inFlight = batch.map { submission in Task { await send(submission, to: url) } }
            // Another session: inside the blocker's transaction, pg_stat_activity would stay as first read.
            let watcher = try PostgresConnection.connect(cluster.configuration, logger: TestDatabase.logger)
            let deadline = ContinuousClock.now + .seconds(10)
            var waiting = 0
            while ContinuousClock.now < deadline && waiting < batch.count {
                waiting = try watcher.query("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'").rows[0].decode("n")
                try await Task.sleep(for: .milliseconds(50))
            }
            watcher.close()
            #expect(waiting == batch.count, "every request is in flight, holding its key, when the fault comes")
            try fault()
            var statuses: [Int?] = []
            for task in inFlight { statuses.append(await task.value) }
            blocker.close()
            return statuses
        }

        // 1. The server dies under four requests that have claimed their keys but not committed.
        let killed = try await underFault(submissions[0..<4], url: server.url) {
            kill(server.pid, SIGKILL)
            _ = try ChildProcess.wait(server.pid)
        }
        #expect(killed.allSatisfy { $0 == nil }, "a killed server answers nothing: \(killed)")
        server = try ServerProcess(serverArguments)

        // 2. PostgreSQL stops (fast shutdown ends every session) under four more, then starts again.
        let restarted = try await underFault(submissions[4..<8], url: server.url) {
            _ = try cluster.stop()
        }
        #expect(restarted.allSatisfy { $0 == 503 || $0 == nil }, "\(restarted)")
        #expect(try cluster.start(logger: TestDatabase.logger) == .started)

        // 3. Every key, retried, gets a definite answer: the change made once, then replayed.
        for submission in submissions {
            var status: Int?
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                status = await send(submission, to: server.url)
                if let status, status < 500 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(status == 201, "key \(submission.key) answered \(String(describing: status))")
            let again = try await APIClient(server: URL(string: server.url)!, token: submission.token).send(
                "PUT", "api/v1/competitions/\(slug)/scorecards/\(submission.proposal)", json: submission.body,
                headers: ["Idempotency-Key": submission.key])
            #expect(again.status == 201)
            #expect(again.header("Idempotent-Replay") == "true")
        }
        #expect(try server.stop() == 0)

        let connection = try fixture.test.connect()
        defer { connection.close() }
        let cards = try connection.query("SELECT revision FROM scorecard").rows.map { try $0.decode("revision", as: Int.self) }
        #expect(cards == Array(repeating: 1, count: 8), "every scorecard stored once: \(cards)")
        #expect(try connection.query("SELECT count(*) AS n FROM audit_log WHERE action = 'scorecard.submit'").rows[0].decode("n", as: Int.self) == 8)
        #expect(try connection.query("SELECT count(*) AS n FROM idempotency_key").rows[0].decode("n", as: Int.self) == 8)
    }
}
