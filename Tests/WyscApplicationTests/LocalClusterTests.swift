import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

@Suite(.serialized) struct LocalClusterTests {
    @Test func createsStartsServesAndStops() async throws {
        let home = Scratch.url("wysc-local-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = LocalCluster(dataDirectory: home.appendingPathComponent("postgres"))
        defer { _ = try? cluster.stop() }
        #expect(try cluster.status().initialized == false)

        // Two processes starting it at once: one creates it, the other finds it running.
        let outcomes = try await withThrowingTaskGroup(of: LocalCluster.StartOutcome.self) { group in
            for _ in 0..<2 { group.addTask { try await runBlocking { try cluster.start(logger: TestDatabase.logger) } } }
            var outcomes: [LocalCluster.StartOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.sorted { "\($0)" < "\($1)" } == [.alreadyRunning, .createdAndStarted])
        let status = try cluster.status()
        #expect(status.initialized && status.running && status.serverPID != nil)

        let connection = try PostgresConnection.connect(cluster.configuration, logger: TestDatabase.logger)
        let row = try connection.query(
            "SELECT current_database() AS db, current_setting('server_encoding') AS encoding, current_setting('listen_addresses') AS tcp"
        ).rows[0]
        #expect(try row.decode("db", as: String.self) == "wysc")
        #expect(try row.decode("encoding", as: String.self) == "UTF8")
        #expect(try row.decode("tcp", as: String.self) == "")
        try Migrator(logger: TestDatabase.logger).migrate(on: connection)
        connection.close()

        #expect(try cluster.stop() == true)
        #expect(try cluster.status().running == false)
        #expect(try cluster.stop() == false)
        #expect(try cluster.start(logger: TestDatabase.logger) == .started)
        // Data survives a restart.
        let again = try PostgresConnection.connect(cluster.configuration, logger: TestDatabase.logger)
        #expect(try again.query("SELECT count(*) AS n FROM schema_migrations").rows[0].decode("n", as: Int.self) == Migration.embedded.count)
        again.close()
    }
}
