import ArgumentParser
import Foundation
import Logging
import WyscApplication

struct Local: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Run a private PostgreSQL for wysc on this machine.",
        discussion: """
            Creates (initdb, UTF-8) and runs a PostgreSQL cluster under .wysc/postgres, reachable only \
            through a Unix socket. Needs the PostgreSQL server programs: apt-get install -y postgresql.

            Examples:
              wysc local start
              wysc local status --format json
              psql "$(wysc local url)"
              wysc local stop
            """,
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Create the local cluster if needed and start it.")
        @OptionGroup var local: LocalClusterOptions

        func run() async throws {
            let cluster = local.cluster
            let outcome = try await runBlocking { try cluster.start(logger: Logger.cli) }
            let place = DatabaseOptions.displayPath(cluster.dataDirectory)
            switch outcome {
            case .alreadyRunning: Terminal.message("The local PostgreSQL in \(place) is already running.")
            case .started: Terminal.success("Started the local PostgreSQL in \(place).")
            case .createdAndStarted: Terminal.success("Created and started the local PostgreSQL in \(place).")
            }
            Terminal.message("Connect with: psql \"\(cluster.connectionString)\"")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the local cluster (its data stays).")
        @OptionGroup var local: LocalClusterOptions

        func run() async throws {
            let cluster = local.cluster
            let wasRunning = try await runBlocking { try cluster.stop() }
            let place = DatabaseOptions.displayPath(cluster.dataDirectory)
            if wasRunning {
                Terminal.success("Stopped the local PostgreSQL in \(place).")
            } else {
                Terminal.message("The local PostgreSQL in \(place) is not running.")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show whether the local cluster exists and runs.")
        @OptionGroup var local: LocalClusterOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cluster = local.cluster
            let status = try await runBlocking { try cluster.status() }
            let table = DataTable(
                columns: ["data_directory", "initialized", "running", "pid", "postgres_version", "url"],
                rows: [
                    [
                        .text(cluster.dataDirectory.path), .bool(status.initialized), .bool(status.running),
                        status.serverPID.map(Cell.integer) ?? .null, status.version.map(Cell.text) ?? .null,
                        .text(cluster.connectionString),
                    ]
                ]
            )
            Terminal.output(table.render(output.format))
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print the local cluster's connection URI (for psql or DATABASE_URL).")
        @OptionGroup var local: LocalClusterOptions

        func run() async throws {
            Terminal.output(local.cluster.connectionString + "\n")
        }
    }
}
