import Foundation
import Logging
import WyscPostgres

/// Databases for tests on a real PostgreSQL.
///
/// `Scripts/test` starts a throwaway cluster and exports `WYSC_TEST_DATABASE_URL` (a key=value
/// conninfo string for a superuser). Each test asks for a database of its own, so tests run in
/// parallel without seeing each other. Without the variable, database tests fail: they never skip.
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "WYSC_TEST_DATABASE_URL is not set: run the tests with Scripts/test, which starts a throwaway PostgreSQL"
        }
    }

    /// Warnings only: the suite's output stays readable.
    public static let logger: Logger = {
        var logger = Logger(label: "wysc.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// The conninfo string of the test cluster's superuser.
    public static func adminConnectionString() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["WYSC_TEST_DATABASE_URL"], !url.isEmpty else {
            throw NotConfigured()
        }
        return url
    }

    /// Creates an empty database and returns how to reach it.
    public static func create(label: String = "t") throws -> PostgresConfiguration {
        let admin = try adminConnectionString()
        let name = "wysc_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        let connection = try PostgresConnection.connect(PostgresConfiguration(connectionString: admin), logger: logger)
        defer { connection.close() }
        try connection.query("CREATE DATABASE \(identifier: name) ENCODING 'UTF8' TEMPLATE template0")
        return PostgresConfiguration(connectionString: "\(admin) dbname=\(name)")
    }

    /// A fresh database and a connection to it.
    public static func connect(label: String = "t") throws -> PostgresConnection {
        try PostgresConnection.connect(create(label: label), logger: logger)
    }

    /// A connection to the test cluster's maintenance database, for admin actions in tests.
    public static func admin() throws -> PostgresConnection {
        try PostgresConnection.connect(PostgresConfiguration(connectionString: adminConnectionString()), logger: logger)
    }
}

/// Lets threads meet: each caller of `arrive()` waits until `parties` callers have arrived.
public final class Barrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    public init(parties: Int) { self.parties = parties }

    public func arrive() {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived >= parties {
            condition.broadcast()
        } else {
            while arrived < parties { condition.wait() }
        }
    }
}
