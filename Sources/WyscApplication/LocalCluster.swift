import Crypto
import Foundation
import Logging
import WyscPostgres

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster that wysc creates and runs itself, so that one command runs a
/// whole competition on a laptop with nothing configured.
///
/// It uses the system's `initdb` and `pg_ctl`, keeps its data under `dataDirectory`, and listens
/// only on a Unix socket (no TCP port), with trust authentication: the socket directory is private
/// to the user who owns the cluster. Run as root, the cluster belongs to the `postgres` system user,
/// because PostgreSQL refuses to run as root.
public struct LocalCluster: Sendable {
    public let dataDirectory: URL
    public static let databaseName = "wysc"
    public static let userName = "wysc"
    /// Only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
    public static let port = 5432

    public init(dataDirectory: URL) {
        self.dataDirectory = dataDirectory.standardizedFileURL
    }

    /// `.wysc/postgres` in the working directory, or `$WYSC_HOME/postgres`.
    public static func defaultDataDirectory(environment: [String: String]) -> URL {
        let home = environment["WYSC_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".wysc"
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("postgres", isDirectory: true)
    }

    /// The data directory itself, unless its socket path would pass the kernel's limit of
    /// 107 bytes; then a private directory under /tmp named after it.
    public var socketDirectory: String {
        let direct = dataDirectory.path
        if (direct + "/.s.PGSQL.\(Self.port)").utf8.count <= 100 { return direct }
        let digest = hexadecimal(SHA256.hash(data: Data(direct.utf8)).prefix(6))
        return "/tmp/wysc-\(digest)"
    }

    /// A libpq URI for the cluster's database.
    public var connectionString: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "/-._~")
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: allowed) ?? socketDirectory
        return "postgresql://\(Self.userName)@/\(Self.databaseName)?host=\(host)&port=\(Self.port)"
    }

    public var configuration: PostgresConfiguration {
        PostgresConfiguration(connectionString: connectionString)
    }

    public struct Status: Sendable {
        public var initialized: Bool
        public var running: Bool
        public var serverPID: Int?
        public var version: String?
    }

    public func status() throws -> Status {
        let initialized = FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
        guard initialized else { return Status(initialized: false, running: false) }
        let tools = try PostgresTools.locate()
        let result = try run(tools.pgCtl, ["status", "-D", dataDirectory.path])
        let version = try? String(contentsOf: dataDirectory.appendingPathComponent("PG_VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var pid: Int?
        if result.status == 0, let line = result.output.split(separator: "\n").first(where: { $0.contains("PID:") }) {
            pid = Int(line.split(separator: "PID:").last?.split(separator: ")").first?.trimmingCharacters(in: .whitespaces) ?? "")
        }
        return Status(initialized: true, running: result.status == 0, serverPID: pid, version: version)
    }

    /// What `start` did.
    public enum StartOutcome: Sendable, Equatable {
        case alreadyRunning
        case started
        case createdAndStarted
    }

    /// Creates the cluster if needed, starts it if it is not running, and creates the `wysc`
    /// database. Safe to call from several processes at once: a file lock serializes them.
    @discardableResult
    public func start(logger: Logger) throws -> StartOutcome {
        let tools = try PostgresTools.locate()
        try FileManager.default.createDirectory(at: dataDirectory.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try withFileLock {
            var outcome = StartOutcome.started
            if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
                try initialize(tools: tools)
                outcome = .createdAndStarted
            }
            let running = try run(tools.pgCtl, ["status", "-D", dataDirectory.path]).status == 0
            if running {
                outcome = .alreadyRunning
            } else {
                try prepareSocketDirectory()
                let log = dataDirectory.appendingPathComponent("server.log").path
                let result = try run(tools.pgCtl, ["start", "-w", "-t", "60", "-s", "-D", dataDirectory.path, "-l", log])
                guard result.status == 0 else {
                    let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
                    throw WyscError(.unavailable, "could not start the local PostgreSQL in \(dataDirectory.path): \(result.output.trimmed)\n\(tail)")
                }
            }
            try createDatabaseIfMissing(logger: logger)
            return outcome
        }
    }

    /// Stops the cluster if it runs; returns whether it was running.
    @discardableResult
    public func stop() throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else { return false }
        let tools = try PostgresTools.locate()
        return try withFileLock {
            guard try run(tools.pgCtl, ["status", "-D", dataDirectory.path]).status == 0 else { return false }
            let result = try run(tools.pgCtl, ["stop", "-w", "-s", "-m", "fast", "-D", dataDirectory.path])
            guard result.status == 0 else {
                throw WyscError(.failure, "could not stop the local PostgreSQL in \(dataDirectory.path): \(result.output.trimmed)")
            }
            return true
        }
    }

    // MARK: Internals

    private func initialize(tools: PostgresTools) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try handOverToServerUser(dataDirectory.path)
        let result = try run(
            tools.initdb,
            [
                "-D", dataDirectory.path, "-U", Self.userName, "-E", "UTF8", "--locale=C", "--auth=trust",
                "--no-instructions",
            ]
        )
        guard result.status == 0 else {
            throw WyscError(.unavailable, "initdb could not create a PostgreSQL cluster in \(dataDirectory.path): \(result.output.trimmed)")
        }
        // Later settings in postgresql.conf win over earlier ones.
        let settings = """

            # Added by wysc: a private cluster reachable only through its Unix socket.
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory.replacingOccurrences(of: "'", with: "''"))'
            unix_socket_permissions = 0700
            port = \(Self.port)

            """
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    private func prepareSocketDirectory() throws {
        let socketDirectory = self.socketDirectory
        guard socketDirectory != dataDirectory.path else { return }
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try handOverToServerUser(socketDirectory)
    }

    private func createDatabaseIfMissing(logger: Logger) throws {
        var maintenance = configuration
        maintenance.connectionString = connectionString.replacingOccurrences(of: "@/\(Self.databaseName)?", with: "@/postgres?")
        let connection = try PostgresConnection.connect(maintenance, logger: logger)
        defer { connection.close() }
        let exists = try connection.query("SELECT count(*) AS n FROM pg_database WHERE datname = \(Self.databaseName)")
            .rows[0].decode("n", as: Int.self) > 0
        if !exists {
            try connection.query("CREATE DATABASE \(identifier: Self.databaseName) ENCODING 'UTF8' TEMPLATE template0")
        }
    }

    /// PostgreSQL refuses to run as root; as root, the cluster belongs to the `postgres` user.
    private var serverUser: (name: String, uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else { return nil }
        return ("postgres", entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    private func handOverToServerUser(_ path: String) throws {
        guard geteuid() == 0 else { return }
        guard let user = serverUser else {
            throw WyscError(.unavailable, "PostgreSQL cannot run as root and there is no 'postgres' system user: run wysc as another user, or install PostgreSQL (apt-get install -y postgresql), which creates it")
        }
        guard chown(path, user.uid, user.gid) == 0 else {
            throw WyscError(.failure, "could not give \(path) to the postgres user: \(String(cString: strerror(errno)))")
        }
    }

    struct ProcessResult {
        var status: Int32
        var output: String
    }

    /// Runs a PostgreSQL program, as the `postgres` user when we are root.
    private func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        var executable = executable
        var arguments = arguments
        if let user = serverUser {
            arguments = ["-u", user.name, "--", executable] + arguments
            executable = PostgresTools.runuser
        }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("wysc-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status: Int32
        do {
            status = try ChildProcess.run(executable, arguments, stdoutPath: outputPath, stderrPath: outputPath)
        } catch {
            throw WyscError(.unavailable, "could not run \(executable): \(error)")
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return ProcessResult(status: status, output: text)
    }

    private func withFileLock<R>(_ body: () throws -> R) throws -> R {
        let lockPath = dataDirectory.path + ".lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else {
            throw WyscError(.failure, "could not open the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw WyscError(.failure, "could not lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// The PostgreSQL server programs: from PATH, else the newest under /usr/lib/postgresql/*/bin (Debian).
struct PostgresTools {
    var initdb: String
    var pgCtl: String

    static let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "runuser"

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresTools {
        var directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        directories += versions.map { "\(debian)/\($0)/bin" }
        directories += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]
        func find(_ name: String) -> String? {
            directories.lazy.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let initdb = find("initdb"), let pgCtl = find("pg_ctl") else {
            throw WyscError(
                .unavailable,
                "the PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. Install them: sudo apt-get install -y postgresql (Debian/Ubuntu) or brew install postgresql (macOS), or set DATABASE_URL to use an existing server."
            )
        }
        return PostgresTools(initdb: initdb, pgCtl: pgCtl)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
