import ArgumentParser
import Foundation
import Logging
import WyscApplication
import WyscPostgres

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Migrate the database schema and show where it stands.",
        discussion: """
            The migrations in SQL/ are built into wysc; any copy of the binary can migrate.

            Examples:
              wysc db migrate
              wysc db status --format json
              DATABASE_URL=postgresql://wysc@db.example.org/wysc wysc db migrate
            """,
        subcommands: [Migrate.self, Status.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Apply pending migrations, each in its own transaction (safe to run concurrently).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let applied = try await database.withOpenedApplication(migrate: false) { application in
                try await application.pool.withConnection { try Migrator(logger: Logger.cli).migrate(on: $0) }
            }
            if applied.isEmpty {
                Terminal.message("The database is up to date (\(Migration.embedded.count) migration(s) applied).")
            }
            for migration in applied { Terminal.success("Applied \(migration.fileName)") }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "List applied and pending migrations.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let states = try await database.withOpenedApplication(migrate: false) { application in
                try await application.pool.withConnection { try Migrator(logger: Logger.cli).status(on: $0) }
            }
            let table = DataTable(
                columns: ["version", "file", "status", "applied_at", "execution_ms"],
                rows: states.map { state in
                    [
                        .integer(state.version), .text(state.fileName), .text(state.status.rawValue),
                        state.appliedAt.map { .text($0.rfc3339) } ?? .null,
                        state.executionMilliseconds.map(Cell.integer) ?? .null,
                    ]
                }
            )
            Terminal.output(table.render(output.format))
            let pending = states.filter { $0.status == .pending }.count
            if pending > 0 { Terminal.message("\(pending) migration(s) pending: run wysc db migrate.") }
            for state in states where state.status == .modified {
                Terminal.warning("\(state.fileName) differs from the applied version.")
            }
            for state in states where state.status == .unknown {
                Terminal.warning("\(state.fileName) was applied by a newer wysc.")
            }
        }
    }
}
