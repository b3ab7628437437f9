import Foundation
import Logging
import WyscPostgres

/// The one place that turns "which database" into a ready `Application`, for the CLI, the server
/// and the tests alike: it starts the local cluster when nothing else is configured, opens the pool
/// with its limits, and brings the schema up to date when asked.
public enum CompositionRoot {
    /// When the schema is brought up to date on opening.
    public enum Migrating: Sendable {
        /// Never: a configured database is migrated by its operator (`wysc db migrate`).
        case never
        /// Only wysc's own local cluster, which has no other operator.
        case localOnly
        case always
    }

    /// What opening did, for the caller to tell its user.
    public struct Opened: Sendable {
        public var application: Application
        /// Set when the local cluster was used: whether it was already running, started or created.
        public var localCluster: (cluster: LocalCluster, outcome: LocalCluster.StartOutcome)?
        /// The migrations applied on opening.
        public var appliedMigrations: [String]
    }

    /// Opens the application on `source`. `requestTimeout` bounds each statement and the wait for a
    /// pooled connection (the server's setting); nil leaves both unbounded (one-shot commands).
    public static func open(
        _ source: DatabaseSource, connections: Int, requestTimeout: Duration? = nil, migrating: Migrating, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> Opened {
        var localCluster: (LocalCluster, LocalCluster.StartOutcome)?
        if case .local(let cluster) = source {
            localCluster = (cluster, try await runBlocking { try cluster.start(logger: logger) })
        }
        var configuration = source.configuration
        configuration.statementTimeout = requestTimeout
        let pool = PostgresPool(configuration: configuration, maxConnections: connections, acquireTimeout: requestTimeout, logger: logger)
        var applied: [String] = []
        let migrate =
            switch (migrating, source) {
            case (.always, _), (.localOnly, .local): true
            default: false
            }
        if migrate {
            do {
                applied = try await pool.withConnection { try Migrator(logger: logger).migrate(on: $0) }.map(\.fileName)
            } catch {
                await pool.close()
                throw error
            }
        }
        return Opened(application: Application(pool: pool, logger: logger, now: now), localCluster: localCluster, appliedMigrations: applied)
    }
}

extension Application {
    /// Closes the pool.
    public func close() async {
        await pool.close()
    }

    /// How many migrations this wysc knows that the database has not applied.
    public func pendingMigrations() async throws -> (pending: Int, known: Int) {
        let migrator = Migrator(logger: logger)
        return (try await pool.withConnection { try migrator.pendingCount(on: $0) }, migrator.migrations.count)
    }

    /// Refuses to work on a database whose schema is behind this wysc.
    public func requireCurrentSchema() async throws {
        let (pending, known) = try await pendingMigrations()
        guard pending == 0 else {
            throw WyscError(
                .unavailable, "the database is not migrated (\(pending) of \(known) migration(s) pending)", code: WyscError.Code.schemaOutdated)
        }
    }
}
