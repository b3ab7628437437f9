import Foundation
import WyscPostgres
import WyscWorkflow

public struct University: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var city: String
    public var country: String
    /// Teams of this university in all competitions.
    public var teams: Int
}

public struct UniversityInput: Sendable, Hashable {
    public var name: String
    public var city: String
    public var country: String

    public init(name: String, city: String, country: String) {
        self.name = name
        self.city = city
        self.country = country
    }
}

/// One row of a university import.
public struct UniversityRow: Sendable, Hashable {
    public var row: Int
    public var name: String
    public var city: String
    public var country: String

    public init(row: Int, name: String, city: String, country: String) {
        self.row = row
        self.name = name
        self.city = city
        self.country = country
    }

    /// The rows of a university file (columns `name,city,country`), read as the import takes them.
    public static func rows(of reader: CSVReader) throws(WyscError) -> CSVRowStream<UniversityRow> {
        let file = reader.file
        return try CSVRowStream(reader, required: ["name", "city", "country"]) { (record, columns) throws(WyscError) in
            let name = try record.string(columns["name"], in: file)
            let city = try record.string(columns["city"], in: file)
            let country = try record.string(columns["country"], in: file)
            return UniversityRow(row: record.row, name: name, city: city, country: country)
        }
    }
}

/// The outcome of an import: what was added and what was already there unchanged.
public struct ImportSummary: Sendable, Hashable {
    public var added: Int
    /// Records that existed with other values and were updated (each audited with before and after).
    public var changed: Int
    public var unchanged: Int

    public init(added: Int, changed: Int = 0, unchanged: Int) {
        self.added = added
        self.changed = changed
        self.unchanged = unchanged
    }
}

extension Application {
    /// Adds one university. Adding it again with the same city and country changes nothing.
    public func addUniversity(_ input: UniversityInput, as actor: Actor) async throws -> University {
        _ = try await importUniversities([(row: 1, input)], file: "the command line", as: actor)
        return try await universities().first { $0.name.lowercased() == input.name.trimmingCharacters(in: .whitespaces).lowercased() }!
    }

    /// Imports universities from rows made in memory (the demo, `university add`).
    public func importUniversities(_ rows: [(row: Int, UniversityInput)], file: String, as actor: Actor) async throws -> ImportSummary {
        let rows = rows.map { UniversityRow(row: $0.row, name: $0.1.name, city: $0.1.city, country: $0.1.country) }
        return try await importUniversities(reading: { rows }, file: file, as: actor)
    }

    /// Imports universities (name, city, country), all or nothing, with every problem told with
    /// its row. A row that repeats a known university with the same city and country is unchanged,
    /// so importing a file again is safe. `rows` is called once per attempt of the transaction.
    public func importUniversities<Rows: ImportRows<UniversityRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try actor.requireOrganizer("add universities")
        return try await transaction { connection in
            let (_, problems) = try UniversityImport.stage(try rows(), on: connection, progress: progress)
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return try UniversityImport.write(actor: actor, on: connection)
        }
    }

    public func universities() async throws -> [University] {
        try await transaction { connection in
            try connection.query(
                """
                SELECT u.id, u.name, u.city, u.country, (SELECT count(*) FROM team t WHERE t.university_id = u.id) AS teams
                FROM university u ORDER BY u.country, u.city, u.name
                """
            ).rows.map { row in
                University(
                    id: try row.decode("id"), name: try row.decode("name"), city: try row.decode("city"), country: try row.decode("country"),
                    teams: try row.decode("teams"))
            }
        }
    }
}

/// A university import: staged, checked set-based, written in one statement.
enum UniversityImport {
    static let table = StagingTable<UniversityRow>(
        name: "university_import",
        columns: "row_number integer NOT NULL, name text NOT NULL, city text NOT NULL, country text NOT NULL",
        check: { row in
            var problems: [RowProblems.Problem] = []
            for (field, value) in [("name", row.name), ("city", row.city), ("country", row.country)]
            where value.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(row: row.row, message: "\(field) is missing"))
            }
            problems += TextField.problems([("name", row.name, .name), ("city", row.city, .name), ("country", row.country, .name)]).map {
                .init(row: row.row, message: $0, isTextLimit: true)
            }
            return problems
        },
        values: { row in
            [String(row.row), row.name, row.city, row.country].map { $0.trimmingCharacters(in: .whitespaces) }
        })

    static func stage<Rows: ImportRows<UniversityRow>>(
        _ rows: Rows, on connection: PostgresConnection, progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        let staged = try StagedImport.stage(rows, into: table, on: connection, progress: progress)
        var problems = staged.problems
        guard StagedImport.everyRowStaged(problems) else { return staged }
        func text(_ row: PostgresRow, _ column: String) throws -> String { try row.decode(column, as: String.self) }
        problems += try StagedImport.problems(
            """
            SELECT row_number, name, first_row FROM (
                SELECT row_number, name, min(row_number) OVER (PARTITION BY lower(name)) AS first_row FROM university_import WHERE name <> ''
            ) s
            WHERE row_number <> first_row
            """, on: connection
        ) { "university \(quoted(try text($0, "name"))) appears again (first on row \(try $0.decode("first_row", as: Int.self)))" }
        problems += try StagedImport.problems(
            """
            SELECT s.row_number, u.name, u.city AS known_city, u.country AS known_country, s.city, s.country
            FROM university_import s JOIN university u ON lower(u.name) = lower(s.name)
            WHERE (u.city, u.country) IS DISTINCT FROM (s.city, s.country)
            """, on: connection
        ) { row in
            "university '\(try text(row, "name"))' is already registered in \(try text(row, "known_city")), \(try text(row, "known_country")), not \(try text(row, "city")), \(try text(row, "country"))"
        }
        return (staged.rows, problems)
    }

    /// Adds the universities not known yet, each with its audit row, in one statement.
    static func write(actor: Actor, on connection: PostgresConnection) throws -> ImportSummary {
        let counts = try connection.query(
            """
            WITH added AS (
                INSERT INTO university (name, city, country)
                SELECT s.name, s.city, s.country FROM university_import s
                WHERE NOT EXISTS (SELECT 1 FROM university u WHERE lower(u.name) = lower(s.name))
                ORDER BY s.row_number
                RETURNING name, city, country
            ), audit AS (
                INSERT INTO audit_log (actor, action, subject, after)
                SELECT \(actor.description), 'university.add', 'university:' || name,
                       jsonb_build_object('name', name, 'city', city, 'country', country)
                FROM added
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM added) AS added, (SELECT count(*) FROM university_import) AS rows, (SELECT count(*) FROM audit) AS audited
            """
        ).rows[0]
        let added: Int = try counts.decode("added")
        return ImportSummary(added: added, unchanged: try counts.decode("rows", as: Int.self) - added)
    }
}
