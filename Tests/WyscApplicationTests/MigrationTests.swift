import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

@Suite struct MigrationTests {
    let migrator = Migrator(logger: TestDatabase.logger)

    @Test func migratesAnEmptyDatabase() throws {
        let connection = try TestDatabase.connect()
        #expect(try migrator.status(on: connection).allSatisfy { $0.status == .pending })
        let applied = try migrator.migrate(on: connection)
        #expect(applied.map(\.fileName) == Migration.embedded.map(\.fileName))
        let states = try migrator.status(on: connection)
        #expect(states.count == Migration.embedded.count)
        #expect(states.allSatisfy { $0.status == .applied && $0.appliedAt != nil })
        let recorded = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version").rows
        #expect(try recorded.map { try $0.decode("checksum", as: String.self) } == Migration.embedded.map(\.checksum))
        #expect(try connection.query("SELECT to_regclass('audit_log') IS NOT NULL AS present").rows[0].decode("present", as: Bool.self))
    }

    /// What every command checks first: how many of this wysc's migrations are missing, counted
    /// from nothing, from part of them, and from all of them.
    @Test func pendingCountsTheMigrationsNotYetApplied() throws {
        let connection = try TestDatabase.connect()
        #expect(try migrator.pendingCount(on: connection) == Migration.embedded.count)
        let firstTwo = Migrator(migrations: Array(Migration.embedded.prefix(2)), logger: TestDatabase.logger)
        try firstTwo.migrate(on: connection)
        #expect(try migrator.pendingCount(on: connection) == Migration.embedded.count - 2)
        try migrator.migrate(on: connection)
        #expect(try migrator.pendingCount(on: connection) == 0)
    }

    @Test func runningAgainChangesNothing() throws {
        let connection = try TestDatabase.connect()
        try migrator.migrate(on: connection)
        let before = try connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version").rows
        #expect(try migrator.migrate(on: connection).isEmpty)
        let after = try connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version").rows
        #expect(before == after)
    }

    /// Five migrators at once on one database: each file is applied exactly once and nobody fails.
    @Test func concurrentRunsApplyEachMigrationOnce() async throws {
        let configuration = try TestDatabase.create()
        let migrator = self.migrator
        let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await runBlocking {
                        let connection = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
                        defer { connection.close() }
                        return try migrator.migrate(on: connection).count
                    }
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        #expect(appliedCounts.reduce(0, +) == Migration.embedded.count)
        let connection = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        #expect(try connection.query("SELECT count(*) AS n FROM schema_migrations").rows[0].decode("n", as: Int.self) == Migration.embedded.count)
    }

    @Test func anEditedAppliedMigrationIsRefusedByName() throws {
        let connection = try TestDatabase.connect()
        let original = [
            Migration(fileName: "V0001__teams.sql", sql: "CREATE TABLE team (name text);"),
            Migration(fileName: "V0002__judges.sql", sql: "CREATE TABLE judge (name text);"),
        ]
        try Migrator(migrations: original, logger: TestDatabase.logger).migrate(on: connection)
        let edited = [
            original[0],
            Migration(fileName: "V0002__judges.sql", sql: "CREATE TABLE judge (name text, email text);"),
            Migration(fileName: "V0003__scores.sql", sql: "CREATE TABLE score (total int);"),
        ]
        let tampered = Migrator(migrations: edited, logger: TestDatabase.logger)
        let error = #expect(throws: MigrationError.self) { try tampered.migrate(on: connection) }
        #expect(error?.description.contains("V0002__judges.sql") == true)
        #expect(error?.description.contains("changed after it was applied") == true)
        // Nothing after the refusal was applied.
        #expect(try connection.query("SELECT to_regclass('score') IS NULL AS absent").rows[0].decode("absent", as: Bool.self))
        #expect(try tampered.status(on: connection).map(\.status) == [.applied, .modified, .pending])
    }

    @Test func aFailingMigrationRollsBackAndStopsThere() throws {
        let connection = try TestDatabase.connect()
        let migrations = [
            Migration(fileName: "V0001__ok.sql", sql: "CREATE TABLE ok (id int);"),
            Migration(fileName: "V0002__broken.sql", sql: "CREATE TABLE half (id int); SELECT no_such_function();"),
            Migration(fileName: "V0003__later.sql", sql: "CREATE TABLE later (id int);"),
        ]
        let error = #expect(throws: MigrationError.self) {
            try Migrator(migrations: migrations, logger: TestDatabase.logger).migrate(on: connection)
        }
        #expect(error?.description.contains("V0002__broken.sql") == true)
        let tables = try connection.query(
            "SELECT to_regclass('ok') IS NOT NULL AS ok, to_regclass('half') IS NOT NULL AS half, to_regclass('later') IS NOT NULL AS later"
        ).rows[0]
        #expect(try tables.decode("ok", as: Bool.self))
        #expect(try !tables.decode("half", as: Bool.self))
        #expect(try !tables.decode("later", as: Bool.self))
    }

    @Test func aDatabaseMigratedByANewerWyscIsRefused() throws {
        let connection = try TestDatabase.connect()
        let newer = [
            Migration(fileName: "V0001__a.sql", sql: "SELECT 1;"), Migration(fileName: "V0002__b.sql", sql: "SELECT 2;"),
        ]
        try Migrator(migrations: newer, logger: TestDatabase.logger).migrate(on: connection)
        let older = Migrator(migrations: [newer[0]], logger: TestDatabase.logger)
        let error = #expect(throws: MigrationError.self) { try older.migrate(on: connection) }
        #expect(error?.description.contains("V0002__b.sql") == true)
        #expect(try older.status(on: connection).last?.status == .unknown)
    }

    /// The binary carries SQL/ as it is: Scripts/embed-resources must be run after editing SQL/.
    @Test func embeddedMigrationsMatchTheSQLDirectory() throws {
        let sqlDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../SQL").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: sqlDirectory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.embedded.map(\.fileName), "run Scripts/embed-resources")
        for migration in Migration.embedded {
            let text = try String(contentsOf: sqlDirectory.appendingPathComponent(migration.fileName), encoding: .utf8)
            #expect(text == migration.sql + "\n", "\(migration.fileName) differs from the embedded copy: run Scripts/embed-resources")
        }
    }
}

@Suite struct AuditLogTests {
    @Test func theAuditLogIsAppendOnly() throws {
        let connection = try TestDatabase.connect()
        try Migrator(logger: TestDatabase.logger).migrate(on: connection)
        let actor = "organizer:ana"
        let action = "phase.advance"
        let subject = "competition:wysc-2026"
        let reason = "registration closed"
        let before = PostgresJSON(text: #"{"phase":"registration"}"#)
        let after = PostgresJSON(text: #"{"phase":"lectures"}"#)
        try connection.query(
            """
            INSERT INTO audit_log (actor, action, subject, before, after, reason)
            VALUES (\(actor), \(action), \(subject), \(before)::jsonb, \(after)::jsonb, \(reason))
            """
        )
        let rewritten = "rewritten"
        let statements: [SQLQuery] = ["UPDATE audit_log SET reason = \(rewritten)", "DELETE FROM audit_log", "TRUNCATE audit_log"]
        for statement in statements {
            let error = #expect(throws: PostgresError.self) { try connection.query(statement) }
            #expect(error?.sqlState == .insufficientPrivilege)
            #expect(error?.message.contains("append-only") == true)
        }
        let row = try connection.query("SELECT actor, reason FROM audit_log").rows
        #expect(row.count == 1)
        #expect(try row[0].decode("reason", as: String.self) == "registration closed")
    }
}
