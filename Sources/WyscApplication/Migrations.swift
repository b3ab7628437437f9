import Foundation
import Logging
import WyscPostgres

/// One forward-only schema change: `SQL/V0001__audit_log.sql` has version 1.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let fileName: String
    public let sql: String

    /// SHA-256 of the file's text, hex: an applied migration whose file changed is refused.
    /// Computed when asked, not for every command that only checks the schema is current.
    public var checksum: String { sha256Hexadecimal(sql) }

    public init(fileName: String, sql: String) {
        self.fileName = fileName
        self.sql = sql
        let digits = fileName.dropFirst().prefix { $0.isNumber }
        guard fileName.hasPrefix("V"), let version = Int(digits), fileName.dropFirst(1 + digits.count).hasPrefix("__") else {
            preconditionFailure("migration file \(fileName) is not named V<number>__<description>.sql")
        }
        self.version = version
    }
}

/// Where each migration stands in one database.
public struct MigrationState: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case applied
        case pending
        /// Applied, but the file in this wysc differs from what was applied.
        case modified
        /// Applied by a newer wysc: this binary does not know the file.
        case unknown
    }

    public var version: Int
    public var fileName: String
    public var status: Status
    public var appliedAt: Date?
    public var executionMilliseconds: Int?
}

/// Why migrating stopped. Nothing after the failing migration was applied.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Applies migrations in order, each in its own transaction, under an advisory lock so that any
/// number of concurrent `wysc db migrate` runs apply each file exactly once.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let logger: Logger

    /// An arbitrary constant that names "the wysc migration lock" among advisory locks.
    static let advisoryLockKey: Int64 = 0x7779_7363_6d69_6772

    public init(migrations: [Migration] = Migration.embedded, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
        precondition(Set(migrations.map(\.version)).count == migrations.count, "two migrations share a version")
    }

    /// Lists every migration known to this binary or recorded in the database.
    public func status(on connection: PostgresConnection) throws -> [MigrationState] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
            .rows[0].decode("present", as: Bool.self)
        let applied = exists ? try appliedMigrations(on: connection) : [:]
        var states: [MigrationState] = migrations.map { migration in
            guard let record = applied[migration.version] else {
                return MigrationState(version: migration.version, fileName: migration.fileName, status: .pending)
            }
            return MigrationState(
                version: migration.version, fileName: migration.fileName,
                status: record.checksum == migration.checksum ? .applied : .modified,
                appliedAt: record.appliedAt, executionMilliseconds: record.executionMilliseconds
            )
        }
        let known = Set(migrations.map(\.version))
        for (version, record) in applied where !known.contains(version) {
            states.append(MigrationState(version: version, fileName: record.fileName, status: .unknown, appliedAt: record.appliedAt))
        }
        return states.sorted { $0.version < $1.version }
    }

    /// How many of this binary's migrations the database has not applied: what every command
    /// checks before it works, so it reads no checksums (`status` tells which, and any edited).
    /// Outside a transaction: on a database never migrated, its statement fails (and is answered).
    public func pendingCount(on connection: PostgresConnection) throws -> Int {
        do {
            let applied: Int = try connection.query(
                "SELECT count(*) AS applied FROM schema_migrations WHERE version = ANY(\(migrations.map(\.version)))"
            ).rows[0].decode("applied")
            return migrations.count - applied
        } catch {
            // A database wysc never migrated. Asked this way, the usual answer takes one round trip.
            guard error.sqlState == .undefinedTable else { throw error }
            return migrations.count
        }
    }

    /// Applies every pending migration and returns the ones it applied (none when up to date).
    @discardableResult
    public func migrate(on connection: PostgresConnection) throws -> [Migration] {
        try connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }

        try connection.runScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version      integer PRIMARY KEY,
                file_name    text NOT NULL,
                checksum     text NOT NULL,
                applied_at   timestamptz NOT NULL DEFAULT now(),
                applied_by   text NOT NULL DEFAULT current_user,
                execution_ms integer NOT NULL
            )
            """
        )
        let applied = try appliedMigrations(on: connection)
        for migration in migrations {
            if let record = applied[migration.version], record.checksum != migration.checksum {
                throw MigrationError(
                    description:
                        "\(migration.fileName) was changed after it was applied (checksum \(record.checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… in this wysc). Applied migrations must not be edited: restore the file and add a new migration instead."
                )
            }
        }
        let known = Set(migrations.map(\.version))
        if let newer = applied.keys.filter({ !known.contains($0) }).max(), let record = applied[newer] {
            throw MigrationError(
                description:
                    "the database has migration \(record.fileName), which this wysc does not know: it was migrated by a newer wysc. Upgrade wysc."
            )
        }

        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            logger.info("applying migration", metadata: ["migration": "\(migration.fileName)"])
            let started = ContinuousClock.now
            do {
                try connection.withTransaction(retry: .never) { connection in
                    try connection.runScript(migration.sql)
                    let elapsed = ContinuousClock.now - started
                    let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                    try connection.query(
                        """
                        INSERT INTO schema_migrations (version, file_name, checksum, execution_ms)
                        VALUES (\(migration.version), \(migration.fileName), \(migration.checksum), \(milliseconds))
                        """
                    )
                }
            } catch let error as PostgresError {
                throw MigrationError(description: "\(migration.fileName) failed and was rolled back: \(error)")
            }
            done.append(migration)
        }
        return done
    }

    private struct AppliedRecord {
        var fileName: String
        var checksum: String
        var appliedAt: Date
        var executionMilliseconds: Int
    }

    private func appliedMigrations(on connection: PostgresConnection) throws -> [Int: AppliedRecord] {
        var records: [Int: AppliedRecord] = [:]
        for row in try connection.query("SELECT version, file_name, checksum, applied_at, execution_ms FROM schema_migrations").rows {
            records[try row.decode("version")] = AppliedRecord(
                fileName: try row.decode("file_name"), checksum: try row.decode("checksum"),
                appliedAt: try row.decode("applied_at"), executionMilliseconds: try row.decode("execution_ms")
            )
        }
        return records
    }
}
