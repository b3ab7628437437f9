import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

/// The built `wysc`, run as a user would run it.
@Suite struct CLITests {
    @Test func printsItsVersionAndGroupedHelp() throws {
        let version = try WyscBinary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.2.0")
        let help = try WyscBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("SETTING UP (ORGANIZERS AND OPERATORS) SUBCOMMANDS"))
        #expect(help.stdout.contains("local"))
        #expect(help.stdout.contains("Exit codes"))
    }

    @Test func badUsageExits64() throws {
        let outcome = try WyscBinary.run(["db", "status", "--format", "xml"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--format"))
        #expect(outcome.stdout.isEmpty)
        #expect(try WyscBinary.run(["no-such-command"]).status == 64)
    }

    @Test func migratesAndReportsStatusInEveryFormat() throws {
        let url = try TestDatabase.create(label: "cli").connectionString!
        let before = try WyscBinary.run(["db", "status", "--database-url", url, "--format", "json"])
        #expect(before.status == 0)
        #expect(before.stdout.contains(#""status": "pending""#))
        #expect(before.stderr.contains("pending: run wysc db migrate"))

        let migrate = try WyscBinary.run(["db", "migrate", "--database-url", url])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stderr.contains("Applied V0001__audit_log.sql"))
        #expect(migrate.stdout.isEmpty, "messages belong on stderr")

        let again = try WyscBinary.run(["db", "migrate"], environment: WyscBinary.environment(["DATABASE_URL": url]))
        #expect(again.status == 0)
        #expect(again.stderr.contains("up to date"))

        let json = try WyscBinary.run(["db", "status", "--database-url", url, "--format", "json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.first?["file"] as? String == "V0001__audit_log.sql")
        #expect(decoded?.first?["status"] as? String == "applied")
        #expect(decoded?.first?["version"] as? Int == 1)

        let csv = try WyscBinary.run(["db", "status", "--database-url", url, "--format", "csv"])
        #expect(csv.stdout.hasPrefix("version,file,status,applied_at,execution_ms\r\n1,V0001__audit_log.sql,applied,"))

        let table = try WyscBinary.run(["db", "status", "--database-url", url])
        #expect(table.stdout.hasPrefix("VERSION  FILE"))
    }

    @Test func concurrentMigrateRunsBothSucceedAndApplyOnce() async throws {
        let url = try TestDatabase.create(label: "cli").connectionString!
        let outcomes = try await withThrowingTaskGroup(of: WyscBinary.Outcome.self) { group in
            for _ in 0..<2 {
                group.addTask { try await runBlocking { try WyscBinary.run(["db", "migrate", "--database-url", url]) } }
            }
            var outcomes: [WyscBinary.Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.map(\.status) == [0, 0], "\(outcomes.map(\.stderr))")
        #expect(outcomes.filter { $0.stderr.contains("Applied V0001__audit_log.sql") }.count == 1)
        let connection = try PostgresConnection.connect(PostgresConfiguration(connectionString: url), logger: TestDatabase.logger)
        #expect(try connection.query("SELECT count(*) AS n FROM schema_migrations").rows[0].decode("n", as: Int.self) == Migration.embedded.count)
    }

    @Test func aTamperedMigrationIsRefusedByName() throws {
        let url = try TestDatabase.create(label: "cli").connectionString!
        #expect(try WyscBinary.run(["db", "migrate", "--database-url", url]).status == 0)
        let connection = try PostgresConnection.connect(PostgresConfiguration(connectionString: url), logger: TestDatabase.logger)
        try connection.query("UPDATE schema_migrations SET checksum = \("0000") WHERE version = \(1)")
        let outcome = try WyscBinary.run(["db", "migrate", "--database-url", url])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("error: V0001__audit_log.sql was changed after it was applied"))
        let status = try WyscBinary.run(["db", "status", "--database-url", url])
        #expect(status.stdout.contains("modified"))
        #expect(status.stderr.contains("warning: V0001__audit_log.sql differs"))
    }

    @Test func anUnreachableDatabaseExits69WithoutThePassword() throws {
        let outcome = try WyscBinary.run(
            ["db", "status", "--database-url", "postgresql://organizer:Sup3rSecret@127.0.0.1:1/wysc?connect_timeout=3"])
        #expect(outcome.status == 69)
        #expect(outcome.stderr.contains("127.0.0.1"))
        #expect(outcome.stderr.contains("port 1"))
        #expect(!outcome.stderr.contains("Sup3rSecret"))
        #expect(!outcome.stderr.contains("\u{1B}["), "no colour when NO_COLOR is set or stderr is not a terminal")
        #expect(outcome.stdout.isEmpty)
    }

    @Test func pgVariablesAreHonoured() throws {
        let url = try TestDatabase.create(label: "cli").connectionString!
        // Turn "host=… port=… user=… dbname=…" into PG* variables.
        var variables: [String: String] = [:]
        for pair in url.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            variables["PG" + parts[0].uppercased().replacingOccurrences(of: "DBNAME", with: "DATABASE")] = parts[1]
        }
        let outcome = try WyscBinary.run(["db", "migrate"], environment: WyscBinary.environment(variables))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Applied V0001__audit_log.sql"))
        #expect(!outcome.stderr.contains("local PostgreSQL"))
    }
}

/// With nothing configured, wysc runs on its own cluster.
@Suite(.serialized) struct LocalClusterCLITests {
    @Test func theREADMEFirstStepsWorkFromAnEmptyDirectory() throws {
        let directory = Scratch.url("wysc-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            _ = try? WyscBinary.run(["local", "stop"], directory: directory.path)
            try? FileManager.default.removeItem(at: directory)
        }
        let start = try WyscBinary.run(["local", "start"], directory: directory.path)
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stderr.contains("Created and started the local PostgreSQL in .wysc/postgres"))

        let status = try WyscBinary.run(["db", "status"], directory: directory.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stderr.contains("Using the local PostgreSQL in .wysc/postgres"))
        #expect(status.stdout.contains("pending"))

        let migrate = try WyscBinary.run(["db", "migrate"], directory: directory.path)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stderr.contains("Applied V0001__audit_log.sql"))

        let json = try WyscBinary.run(["local", "status", "--format", "json"], directory: directory.path)
        #expect(json.stdout.contains(#""running": true"#))
        let url = try WyscBinary.run(["local", "url"], directory: directory.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(url.hasPrefix("postgresql://wysc@/wysc?host=/"))
        let connection = try PostgresConnection.connect(PostgresConfiguration(connectionString: url), logger: TestDatabase.logger)
        #expect(try connection.query("SELECT count(*) AS n FROM schema_migrations").rows[0].decode("n", as: Int.self) == Migration.embedded.count)
        connection.close()

        let stop = try WyscBinary.run(["local", "stop"], directory: directory.path)
        #expect(stop.status == 0)
        #expect(stop.stderr.contains("Stopped"))
        // Any command starts it again when needed, and WYSC_HOME moves it.
        let home = directory.appendingPathComponent("elsewhere").path
        let elsewhere = try WyscBinary.run(["db", "status"], environment: WyscBinary.environment(["WYSC_HOME": home]), directory: directory.path)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("created and started it"))
        #expect(FileManager.default.fileExists(atPath: home + "/postgres/PG_VERSION"))
        _ = try WyscBinary.run(["local", "stop", "--data-dir", home + "/postgres"])
    }
}
