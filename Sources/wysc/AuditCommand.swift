import ArgumentParser
import Foundation
import WyscApplication

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
            guard let date = AuditFilter.since(since) else {
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
