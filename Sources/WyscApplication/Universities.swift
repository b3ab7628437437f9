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

    /// Imports universities from a CSV with columns name, city, country: all or nothing. A row that
    /// repeats a known university with the same city and country is unchanged, so re-importing is safe.
    public func importUniversities(_ document: CSVDocument, as actor: Actor) async throws -> ImportSummary {
        let columns = try document.columns(required: ["name", "city", "country"])
        let rows = document.records.map { record in
            (
                row: record.row,
                UniversityInput(name: record.value(columns["name"]), city: record.value(columns["city"]), country: record.value(columns["country"]))
            )
        }
        return try await importUniversities(rows, file: document.file, as: actor)
    }

    public func importUniversities(_ rows: [(row: Int, UniversityInput)], file: String, as actor: Actor) async throws -> ImportSummary {
        try actor.requireOrganizer("add universities")
        var problems: [RowProblems.Problem] = []
        var seen: [String: Int] = [:]
        for (row, input) in rows {
            for (field, value) in [("name", input.name), ("city", input.city), ("country", input.country)]
            where value.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(row: row, message: "\(field) is missing"))
            }
            for message in TextField.problems([("name", input.name, .name), ("city", input.city, .name), ("country", input.country, .name)]) {
                problems.append(.init(row: row, message: message))
            }
            let key = input.name.trimmingCharacters(in: .whitespaces).lowercased()
            if let first = seen[key] {
                problems.append(.init(row: row, message: "university \(quoted(input.name)) appears again (first on row \(first))"))
            } else if !key.isEmpty {
                seen[key] = row
            }
        }
        guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
        return try await transaction { connection in
            var problems: [RowProblems.Problem] = []
            var added = 0
            var unchanged = 0
            for (row, input) in rows {
                let name = input.name.trimmingCharacters(in: .whitespaces)
                let city = input.city.trimmingCharacters(in: .whitespaces)
                let country = input.country.trimmingCharacters(in: .whitespaces)
                if let existing = try connection.query("SELECT name, city, country FROM university WHERE lower(name) = lower(\(name))").singleRow() {
                    let known = (try existing.decode("city", as: String.self), try existing.decode("country", as: String.self))
                    if known == (city, country) {
                        unchanged += 1
                    } else {
                        problems.append(
                            .init(row: row, message: "university '\(name)' is already registered in \(known.0), \(known.1), not \(city), \(country)"))
                    }
                    continue
                }
                try connection.query("INSERT INTO university (name, city, country) VALUES (\(name), \(city), \(country))")
                try Audit.record(
                    on: connection, actor: actor, action: "university.add", subject: "university:\(name)", competitionID: nil,
                    after: ["name": .string(name), "city": .string(city), "country": .string(country)])
                added += 1
            }
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return ImportSummary(added: added, unchanged: unchanged)
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
