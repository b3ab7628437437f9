import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

struct LectureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lecture",
        abstract: "The lecture series: schedule, attendance and quizzes.",
        discussion: """
            Lectures are declared in the workflow file. Attendance comes from the meeting and quiz tools' \
            exports, while the phase allows record_attendance.

            Examples:
              wysc lecture list
              wysc lecture attendance import week1.csv     # email or name, lecture, attended or minutes, quiz
            """,
        subcommands: [List.self, Attendance.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The lectures with attendance totals and quiz averages.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let lectures = try await database.withApplication { application in
                try await application.lectures(competition: try await competition.resolve(application))
            }
            let table = DataTable(
                columns: ["lecture", "week", "date", "topic", "title", "attended", "members", "quizzes", "quiz_average"],
                rows: lectures.map { summary in
                    [
                        .text(summary.lecture.id), .integer(summary.lecture.week), .text(summary.lecture.date),
                        summary.lecture.topic.map(Cell.text) ?? .null, .text(summary.lecture.title), .integer(summary.attended),
                        .integer(summary.members), .integer(summary.quizzesTaken),
                        summary.averageQuiz.map { .text(EligibilityRules.format($0)) } ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Attendance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attendance", abstract: "Record lecture attendance and quiz scores.", subcommands: [Import.self])

        struct Import: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "import",
                abstract: "Import attendance from CSV, all or nothing; importing the same file again changes nothing.",
                discussion: """
                    Columns: email and/or name (who), lecture (its id in the workflow), attended (yes/no) and/or \
                    minutes (minutes present; when given, the workflow's threshold decides), quiz (optional score). \
                    A name is used only when there is no email, and must name exactly one team member.
                    """)
            @Argument(help: "The CSV file.") var file: String
            @OptionGroup var competition: CompetitionOptions
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                let file = file
                let summary = try await database.importing(file) { application, progress in
                    try await application.importAttendance(
                        reading: { try AttendanceRow.rows(of: CSVReader(path: file)) }, file: file,
                        competition: try await competition.resolve(application), as: DirectModeActor.current, progress: progress)
                }
                Terminal.success("\(file): \(summary.added) record(s) added, \(summary.changed) changed, \(summary.unchanged) unchanged.")
            }
        }
    }
}

struct WorkshopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workshop",
        abstract: "The workshop series: schedule and which teams took part.",
        discussion: """
            Examples:
              wysc workshop list
              wysc workshop checkin --workshop seoul-lab "Han River Movers" "成都智慧交通队" --note "strong prototype"
            """,
        subcommands: [List.self, CheckIn.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The workshops with the number of teams that took part.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let workshops = try await database.withApplication { application in
                try await application.workshops(competition: try await competition.resolve(application))
            }
            let table = DataTable(
                columns: ["workshop", "date", "format", "city", "title", "teams"],
                rows: workshops.map { summary in
                    [
                        .text(summary.workshop.id), .text(summary.workshop.date), .text(summary.workshop.format.rawValue),
                        summary.workshop.city.map(Cell.text) ?? .null, .text(summary.workshop.title), .integer(summary.teams),
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct CheckIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkin", abstract: "Record that teams took part in a workshop (all or nothing).")
        @Option(help: "The workshop's id in the workflow (wysc workshop list).") var workshop: String
        @Argument(help: "The teams that took part.") var teams: [String]
        @Option(help: "A mentor's note about the team(s).") var note: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let summary = try await database.withApplication { application in
                try await application.checkInWorkshop(
                    workshop, teams: teams, note: note, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success(
                "\(workshop): \(summary.added) team(s) checked in, \(summary.changed) note(s) updated, \(summary.unchanged) already there.")
        }
    }
}

struct EligibilityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility",
        abstract: "Who may submit a proposal, and why not; organizers can override one team.",
        discussion: """
            The workflow's rules are applied by the compute_eligibility action when the workshops phase \
            is left. An override wins over the rules and is audited with its reason.

            Examples:
              wysc team eligibility list
              wysc team eligibility override "Han River Movers" --eligible --reason "member was ill; medical note"
            """,
        subcommands: [List.self, Override.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Each team's eligibility with the reasons.")
        @Argument(help: "One team (default: all you may see).") var team: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let decisions = try await database.withApplication { application in
                try await application.eligibility(competition: try await competition.resolve(application), team: team, as: DirectModeActor.current)
            }
            let table = DataTable(
                columns: ["team", "university", "eligible", "by_rules", "reasons", "override"],
                rows: decisions.map { decision in
                    [
                        .text(decision.team), .text(decision.university), decision.eligible.map(Cell.bool) ?? .text("not yet"),
                        decision.computed.map(Cell.bool) ?? .null, .text(decision.reasons.joined(separator: "; ")),
                        decision.override.map { .text("\($0.eligible ? "eligible" : "not eligible") by \($0.decidedBy): \($0.reason)") } ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Override: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "override", abstract: "Make one team eligible or not, whatever the rules say (audited).")
        @Argument(help: "The team.") var team: String
        @Flag(exclusivity: .exclusive, help: "The decision.") var decision: Decision
        @Option(help: "Why (required; kept in the audit log).") var reason: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        enum Decision: String, EnumerableFlag {
            case eligible, notEligible
        }

        func run() async throws {
            let result = try await database.withApplication { application in
                try await application.overrideEligibility(
                    competition: try await competition.resolve(application), team: team, eligible: decision == .eligible, reason: reason,
                    as: DirectModeActor.current)
            }
            Terminal.success("\(result.team) is now \(result.eligible == true ? "eligible" : "not eligible") (override: \(reason)).")
        }
    }
}
