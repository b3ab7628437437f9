import Crypto
import Foundation
import Logging
import WyscPostgres
import WyscWorkflow

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
    /// 107 bytes; then `/tmp/wysc-<uid>-<hash of the path>`. That name can be guessed, so wysc
    /// creates it itself (0700) and refuses one it finds that is a symbolic link, belongs to anyone
    /// but the server's user or is open to others: see `prepareSocketDirectory`.
    public var socketDirectory: String {
        let direct = dataDirectory.path
        if (direct + "/.s.PGSQL.\(Self.port)").utf8.count <= 100 { return direct }
        let digest = hexadecimal(SHA256.hash(data: Data(direct.utf8)).prefix(8))
        return "/tmp/wysc-\(serverUser?.uid ?? geteuid())-\(digest)"
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
        try checkDataDirectoryPath()
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

    /// Refuses, before anything is touched, a data directory wysc must not take: an empty path
    /// (that would be the working directory), one with control characters, one that is a
    /// symbolic link, or an existing directory that holds files but no cluster.
    func checkDataDirectoryPath() throws {
        let path = dataDirectory.path
        if path.isEmpty || path == "/" || dataDirectory.lastPathComponent.isEmpty {
            throw WyscError(.badInput, "the data directory must be a path, such as .wysc/postgres")
        }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw WyscError(.badInput, "the data directory \(quoted(path)) contains a control character; choose another path")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // does not exist yet: wysc creates it
        if (info.st_mode & S_IFMT) == S_IFLNK {
            throw WyscError(.badInput, "the data directory \(path) is a symbolic link; give the real path")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WyscError(.badInput, "the data directory \(path) exists and is not a directory")
        }
        let isCluster = FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if !isCluster && !entries.isEmpty {
            throw WyscError(
                .badInput,
                "the data directory \(path) exists and is not empty, and holds no wysc cluster: nothing was changed. Give a new or empty directory.")
        }
    }

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
            unix_socket_directories = '\(Self.configurationString(socketDirectory))'
            unix_socket_permissions = 0700
            port = \(Self.port)

            """
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    /// A value as a quoted string of postgresql.conf, whose parser reads C-style backslash escapes.
    static func configurationString(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
    }

    /// Makes the socket directory under /tmp, or checks the one found there: it must be a real
    /// directory (not a link), owned by the server's user, open to nobody else. Anything else is
    /// someone else's, and the database would trust whoever controls it.
    func prepareSocketDirectory() throws {
        let path = self.socketDirectory
        guard path != dataDirectory.path else { return }
        let owner = serverUser.map { ($0.uid, $0.gid) } ?? (geteuid(), getegid())
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw WyscError(.failure, "could not create the socket directory \(path): \(String(cString: strerror(errno)))")
        }
        // Opened without following a link; everything below acts on this descriptor, not the name.
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw WyscError(
                .refused,
                "the socket directory \(path) is not a directory wysc can trust (\(String(cString: strerror(errno)))): remove it, or use a data directory with a shorter path"
            )
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw WyscError(.failure, "could not inspect \(path): \(String(cString: strerror(errno)))")
        }
        if info.st_uid == geteuid() && info.st_uid != owner.0 {
            // Created just now by root for the postgres user.
            guard fchown(descriptor, owner.0, owner.1) == 0 else {
                throw WyscError(.failure, "could not give \(path) to the postgres user: \(String(cString: strerror(errno)))")
            }
        } else if info.st_uid != owner.0 {
            throw WyscError(
                .refused,
                "the socket directory \(path) belongs to another user (uid \(info.st_uid)): someone may be waiting to impersonate the database. Remove it, or use a data directory with a shorter path"
            )
        }
        if info.st_mode & 0o077 != 0 {
            throw WyscError(
                .refused,
                "the socket directory \(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))): remove it, or use a data directory with a shorter path"
            )
        }
    }

    private func createDatabaseIfMissing(logger: Logger) throws {
        var maintenance = configuration
        maintenance.connectionString = connectionString.replacingOccurrences(of: "@/\(Self.databaseName)?", with: "@/postgres?")
        let connection = try PostgresConnection.connect(maintenance, logger: logger)
        defer { connection.close() }
        let exists =
            try connection.query("SELECT count(*) AS n FROM pg_database WHERE datname = \(Self.databaseName)")
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
            throw WyscError(
                .unavailable,
                "PostgreSQL cannot run as root and there is no 'postgres' system user: run wysc as another user, or install PostgreSQL (apt-get install -y postgresql), which creates it"
            )
        }
        // Through a descriptor opened without following links: chown(2) would follow a planted symlink.
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw WyscError(.failure, "could not open \(path) to give it to the postgres user: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fchown(descriptor, user.uid, user.gid) == 0 else {
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
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
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

    static let runuser =
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
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
