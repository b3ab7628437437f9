import Foundation
import Logging
import WyscPostgres

/// Which PostgreSQL a command talks to, decided the same way for every command:
/// `--database-url`, then `DATABASE_URL`, then libpq's PG* variables, then the local cluster.
public enum DatabaseSource: Sendable {
    /// A connection string given on the command line or in `DATABASE_URL`.
    case url(String)
    /// No URL, but PG* variables are set: libpq reads them (and `.pgpass`) itself.
    case environment
    /// Nothing configured: wysc's own cluster.
    case local(LocalCluster)

    /// The PG* variables that count as "a database is configured".
    public static let configuringVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    public static func resolve(databaseURL: String?, dataDirectory: String?, environment: [String: String]) -> DatabaseSource {
        if let databaseURL, !databaseURL.isEmpty { return .url(databaseURL) }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return .url(url) }
        if configuringVariables.contains(where: { environment[$0].map { !$0.isEmpty } ?? false }) { return .environment }
        let directory =
            dataDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? LocalCluster.defaultDataDirectory(environment: environment)
        return .local(LocalCluster(dataDirectory: directory))
    }

    public var configuration: PostgresConfiguration {
        switch self {
        case .url(let url): PostgresConfiguration(connectionString: url)
        case .environment: PostgresConfiguration(connectionString: nil)
        case .local(let cluster): cluster.configuration
        }
    }
}
