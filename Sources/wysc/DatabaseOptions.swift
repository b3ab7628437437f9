import ArgumentParser
import Foundation
import Logging
import WyscApplication
import WyscPostgres

/// Where the local cluster lives, for `wysc local …` and for every command that falls back to it.
struct LocalClusterOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("Directory of the local PostgreSQL cluster (default: .wysc/postgres, or $WYSC_HOME/postgres).", valueName: "dir")
    )
    var dataDirectory: String?

    func validate() throws {
        // An empty path would mean the working directory.
        if let dataDirectory, dataDirectory.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--data-dir needs a directory, such as .wysc/postgres")
        }
    }

    var cluster: LocalCluster {
        LocalCluster(
            dataDirectory: dataDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? LocalCluster.defaultDataDirectory(environment: ProcessEnvironment.values)
        )
    }
}

/// Which database a command uses: `--database-url`, `DATABASE_URL`, the PG* variables, or the local cluster.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL to use: a postgresql:// URI or key=value string, as psql takes (default: $DATABASE_URL, then PG* variables, then the local cluster).",
            valueName: "url"
        )
    )
    var databaseURL: String?

    @OptionGroup var local: LocalClusterOptions

    var source: DatabaseSource {
        DatabaseSource.resolve(
            databaseURL: databaseURL, dataDirectory: local.dataDirectory, environment: ProcessEnvironment.values
        )
    }

    /// Opens the application on the selected database for the length of `body` (see
    /// `CompositionRoot`): with nothing configured it starts the local cluster first and, when
    /// `migrate` is set, brings its schema up to date, saying so on stderr.
    func withOpenedApplication<R: Sendable>(migrate: Bool, _ body: (Application) async throws -> R) async throws -> R {
        let opened = try await CompositionRoot.open(source, connections: 2, migrating: migrate ? .localOnly : .never, logger: .cli)
        if let (cluster, outcome) = opened.localCluster {
            let place = Self.displayPath(cluster.dataDirectory)
            switch outcome {
            case .alreadyRunning: Terminal.message("Using the local PostgreSQL in \(place) (no database configured).")
            case .started: Terminal.message("Using the local PostgreSQL in \(place) (no database configured; started it).")
            case .createdAndStarted: Terminal.message("Using the local PostgreSQL in \(place) (no database configured; created and started it).")
            }
        }
        if !opened.appliedMigrations.isEmpty { Terminal.message("Applied \(opened.appliedMigrations.count) migration(s) to the local database.") }
        do {
            let result = try await body(opened.application)
            await opened.application.close()
            return result
        } catch {
            await opened.application.close()
            throw error
        }
    }

    /// A path relative to the working directory when it is inside it.
    static func displayPath(_ url: URL) -> String {
        let current = FileManager.default.currentDirectoryPath
        let path = url.path
        if path.hasPrefix(current + "/") { return String(path.dropFirst(current.count + 1)) }
        return path
    }
}

extension Logger {
    /// Logs go to stderr at warning and above; `WYSC_LOG_LEVEL=debug` shows more.
    static let cli: Logger = {
        var logger = Logger(label: "wysc") { label in StreamLogHandler.standardError(label: label) }
        let level = ProcessEnvironment.values["WYSC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .warning
        return logger
    }()
}
