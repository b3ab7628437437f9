import Foundation
import Synchronization
import WyscApplication
import WyscPostgres

/// A clock tests can move.
public final class TestClock: Sendable {
    private let current: Mutex<Date>
    public init(_ start: Date = Date(timeIntervalSince1970: 1_780_000_000)) { current = Mutex(start) }
    public var now: Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    public func set(_ date: Date) { current.withLock { $0 = date } }
}

/// An application on a fresh, migrated database of its own.
public struct TestApplication: Sendable {
    public let application: Application
    public let configuration: PostgresConfiguration
    public let clock: TestClock
    public static let organizer = Actor.organizer("ana")

    public init(clock: TestClock = TestClock(), connections: Int = 4) async throws {
        try await self.init(configuration: try TestDatabase.create(label: "app"), clock: clock, connections: connections)
    }

    /// An application on the database at `configuration` (a private cluster, say), migrated here,
    /// opened as the CLI and the server open theirs (`CompositionRoot`).
    public init(configuration: PostgresConfiguration, clock: TestClock = TestClock(), connections: Int = 4) async throws {
        self.configuration = configuration
        self.clock = clock
        application = try await CompositionRoot.open(
            .url(configuration.connectionString ?? ""), connections: connections, migrating: .always, logger: TestDatabase.logger,
            now: { clock.now }
        ).application
    }

    /// A direct connection for assertions.
    public func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
    }

    public func count(_ table: String, on connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM \(identifier: table)").rows[0].decode("n")
    }

    /// A competition from `workflow` (the WYSC workflow by default) with universities in Seoul and Chengdu.
    @discardableResult
    public func competition(_ slug: String = "wysc-2026", workflow: String = BuiltInWorkflows.wysc) async throws -> CompetitionSummary {
        let created = try await application.createCompetition(
            slug: slug, title: nil, workflowSource: workflow, workflowFile: "test.yaml", as: Self.organizer)
        for university in Self.universities {
            _ = try await application.addUniversity(university, as: Self.organizer)
        }
        return created
    }

    public static let universities = [
        UniversityInput(name: "Seoul National University", city: "Seoul", country: "Republic of Korea"),
        UniversityInput(name: "成都大学", city: "Chengdu", country: "China"),
        UniversityInput(name: "Universidad de Bogotá", city: "Bogotá", country: "Colombia"),
    ]

    /// Member rows of a team, numbered from `firstRow`.
    public static func team(
        _ name: String, university: String = "Seoul National University", members: [String], firstRow: Int = 2, born: String = "2002-05-01"
    ) -> [MemberRow] {
        members.enumerated().map { index, member in
            MemberRow(
                row: firstRow + index, team: name, university: university, name: member,
                email:
                    "\(name.unicodeScalars.filter(\.isASCII).map(String.init).joined().lowercased().replacingOccurrences(of: " ", with: "-"))-\(index)-\(abs(name.hashValue) % 100000)@example.org",
                birthDate: born, role: index == 0 ? "leader" : "member")
        }
    }
}
