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
                ?? LocalCluster.defaultDataDirectory(environment: ProcessInfo.processInfo.environment)
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
            databaseURL: databaseURL, dataDirectory: local.dataDirectory, environment: ProcessInfo.processInfo.environment
        )
    }

    /// Opens a small pool on the selected database for the length of `body`. With nothing
    /// configured it starts the local cluster first and, when `migrate` is set, brings its schema up to date.
    func withPool<R: Sendable>(migrate: Bool, _ body: (PostgresPool) async throws -> R) async throws -> R {
        let source = self.source
        let logger = Logger.cli
        if case .local(let cluster) = source {
            let outcome = try await runBlocking { try cluster.start(logger: logger) }
            let place = Self.displayPath(cluster.dataDirectory)
            switch outcome {
            case .alreadyRunning: Terminal.message("Using the local PostgreSQL in \(place) (no database configured).")
            case .started: Terminal.message("Using the local PostgreSQL in \(place) (no database configured; started it).")
            case .createdAndStarted: Terminal.message("Using the local PostgreSQL in \(place) (no database configured; created and started it).")
            }
        }
        let pool = PostgresPool(configuration: source.configuration, maxConnections: 2, logger: logger)
        do {
            if migrate, case .local = source {
                let applied = try await pool.withConnection { try Migrator(logger: logger).migrate(on: $0) }
                if !applied.isEmpty { Terminal.message("Applied \(applied.count) migration(s) to the local database.") }
            }
            let result = try await body(pool)
            await pool.close()
            return result
        } catch {
            await pool.close()
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
        let level = ProcessInfo.processInfo.environment["WYSC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .warning
        return logger
    }()
}
