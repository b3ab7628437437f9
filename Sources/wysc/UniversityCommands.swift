import ArgumentParser
import Foundation
import WyscApplication

struct UniversityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "university",
        abstract: "Add, import and list the universities teams come from.",
        discussion: """
            Universities are shared by all competitions. Adding one that exists with the same city and \
            country changes nothing, so an import can be run again.

            Examples:
              wysc university add "Seoul National University" --city Seoul --country "Republic of Korea"
              wysc university add "成都大学" --city Chengdu --country China
              wysc university import universities.csv        # columns: name,city,country
              wysc university list --format csv
            """,
        subcommands: [Add.self, Import.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add one university.")
        @Argument(help: "The university's name, as teams write it.") var name: String
        @Option(help: "Its city (for the same-city conflict rule).") var city: String
        @Option(help: "Its country.") var country: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let university = try await database.withApplication { application in
                try await application.addUniversity(UniversityInput(name: name, city: city, country: country), as: DirectModeActor.current)
            }
            Terminal.success("University \(university.name) (\(university.city), \(university.country)), id \(university.id)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import universities from CSV (name,city,country); all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let document = try InputFile.csv(file)
            let summary = try await database.withApplication { application in
                try await application.importUniversities(document, as: DirectModeActor.current)
            }
            Terminal.success("\(file): \(summary.added) universit\(summary.added == 1 ? "y" : "ies") added, \(summary.unchanged) already there.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List universities.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let universities = try await database.withApplication { try await $0.universities() }
            let table = DataTable(
                columns: ["id", "name", "city", "country", "teams"],
                rows: universities.map { [.integer($0.id), .text($0.name), .text($0.city), .text($0.country), .integer($0.teams)] })
            Terminal.output(table.render(output.format))
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit log: who changed what, when, before and after, and why (organizers).",
        discussion: """
            The log is append-only: wysc's database role cannot update or delete its rows.

            Examples:
              wysc audit
              wysc audit --since 2026-05-01 --action phase.
              wysc audit --actor organizer:ana --format json
            """
    )

    @Option(help: ArgumentHelp("Only entries at or after this date or time (2026-05-01 or 2026-05-01T09:00:00Z).", valueName: "date"))
    var since: String?
    @Option(help: "Only this actor (organizer:NAME, judge:ID, university:ID, system).") var actor: String?
    @Option(help: "Only this action, or a prefix ending in '.' (team. lists every team action).") var action: String?
    @Option(help: "Only this competition (default: every competition).") var competition: String?
    @Option(help: "At most this many entries, the newest.") var limit: Int = 1000
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var sinceDate: Date?
        if let since {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = since.count == 10 ? [.withFullDate] : [.withInternetDateTime]
            guard let date = formatter.date(from: since) else {
                throw ValidationError("--since must be a date (2026-05-01) or a time (2026-05-01T09:00:00Z), not '\(since)'")
            }
            sinceDate = date
        }
        let entries = try await database.withApplication { application in
            try await application.auditLog(
                AuditFilter(competition: competition, since: sinceDate, actor: actor, action: action, limit: limit), as: DirectModeActor.current)
        }
        let table = DataTable(
            columns: ["id", "at", "competition", "actor", "action", "subject", "before", "after", "reason"],
            rows: entries.map { entry in
                [
                    .integer(entry.id), .text(entry.occurredAt.rfc3339), entry.competition.map(Cell.text) ?? .null, .text(entry.actor),
                    .text(entry.action), .text(entry.subject), entry.before.map(Cell.text) ?? .null, entry.after.map(Cell.text) ?? .null,
                    entry.reason.map(Cell.text) ?? .null,
                ]
            })
        Terminal.output(table.render(output.format))
    }
}
