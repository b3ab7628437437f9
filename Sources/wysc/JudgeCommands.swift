import ArgumentParser
import Foundation
import WyscApplication

struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "The international panel: add and import judges, their conflicts of interest, withdrawals.",
        discussion: """
            Conflicts come from two places: declared ones (by a judge or an organizer, with a reason), and \
            automatic ones from the workflow's round rules (same university, same city).

            Examples:
              wysc judge add "Dr. Amina Yusuf" --email amina@example.org --university "University of Nairobi" \\
                --city Nairobi --country Kenya --expertise "Smart Mobility,Big Data & Data-Driven Policy"
              wysc judge import judges.csv     # name,email,university,city,country,expertise,max_load
              wysc judge list
              wysc judge conflict add --judge amina@example.org --team "Han River Movers" --reason "supervised the team leader"
              wysc judge conflicts --round screening
              wysc judge withdraw amina@example.org --reason "illness"
            """,
        subcommands: [Add.self, Import.self, List.self, Withdraw.self, Conflict.self, Conflicts.self, QueueCommand.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add one judge.")
        @Argument(help: "The judge's name.") var name: String
        @Option(help: "Their email (their identity in wysc).") var email: String
        @Option(help: "Their university or organization.") var university: String = ""
        @Option(help: "Their city.") var city: String = ""
        @Option(help: "Their country.") var country: String = ""
        @Option(help: "Areas of expertise, separated by commas.") var expertise: String = ""
        @Option(name: .customLong("max-load"), help: "At most this many proposals per round.") var maxLoad: Int?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let input = JudgeInput(
                name: name, email: email, university: university, city: city, country: country,
                expertise: ProposalInput.splitTags(expertise), maxLoad: maxLoad)
            let summary = try await database.withApplication { application in
                try await application.addJudges(
                    [(1, input, maxLoad.map(String.init) ?? "")], file: "the command line", competition: try await competition.resolve(application),
                    as: DirectModeActor.current)
            }
            Terminal.success(
                summary.added == 1
                    ? "Added judge \(name) <\(email)>."
                    : summary.changed == 1 ? "Updated judge \(name) <\(email)>." : "Judge \(name) <\(email)> is already there.")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import judges from CSV (name,email,university,city,country,expertise,max_load); all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let file = file
            let summary = try await database.importing(file) { application, progress in
                try await application.addJudges(
                    reading: { try JudgeInput.rows(of: CSVReader(path: file)) }, file: file,
                    competition: try await competition.resolve(application), as: DirectModeActor.current, progress: progress)
            }
            Terminal.success("\(file): \(summary.added) judge(s) added, \(summary.changed) updated, \(summary.unchanged) unchanged.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List judges with their assignments.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let judges = try await database.withApplication { application in
                try await application.judges(competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            let table = DataTable(
                columns: ["name", "email", "university", "city", "country", "expertise", "max_load", "assignments", "withdrawn"],
                rows: judges.map { judge in
                    [
                        .text(judge.name), .text(judge.email), .text(judge.university), .text(judge.city), .text(judge.country),
                        .text(judge.expertise.joined(separator: ";")), judge.maxLoad.map(Cell.integer) ?? .null, .integer(judge.assignments),
                        judge.withdrawnAt.map { .text("\($0.rfc3339): \(judge.withdrawnReason ?? "")") } ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "withdraw",
            abstract: "A judge steps down; then wysc assign --rebalance gives their proposals to others.")
        @Argument(help: "The judge's email.") var email: String
        @Option(help: "Why (required; audited).") var reason: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { application in
                try await application.withdrawJudge(
                    email: email, reason: reason, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("\(email) withdrew. Run wysc assign --rebalance to re-fill their assignments.")
        }
    }

    struct Conflict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "conflict",
            abstract: "Declared conflicts of interest: add, list, remove.", subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Declare a conflict between a judge and a team.")
            @Option(help: "The judge's email.") var judge: String
            @Option(help: "The team.") var team: String
            @Option(help: "Why (required).") var reason: String
            @OptionGroup var competition: CompetitionOptions
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await database.withApplication { application in
                    try await application.declareConflict(
                        judge: judge, team: team, reason: reason, competition: try await competition.resolve(application), as: DirectModeActor.current
                    )
                }
                Terminal.success("Conflict declared: \(judge) will not review \(team).")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "The declared conflicts.")
            @OptionGroup var competition: CompetitionOptions
            @OptionGroup var database: DatabaseOptions
            @OptionGroup var output: OutputOptions

            func run() async throws {
                let conflicts = try await database.withApplication { application in
                    try await application.conflicts(
                        competition: try await competition.resolve(application), declaredOnly: true, as: DirectModeActor.current)
                }
                Terminal.output(JudgeCommand.table(conflicts).render(output.format))
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a declared conflict (organizers; audited).")
            @Option(help: "The judge's email.") var judge: String
            @Option(help: "The team.") var team: String
            @Option(help: "Why (required).") var reason: String
            @OptionGroup var competition: CompetitionOptions
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await database.withApplication { application in
                    try await application.removeConflict(
                        judge: judge, team: team, reason: reason, competition: try await competition.resolve(application), as: DirectModeActor.current
                    )
                }
                Terminal.success("Removed the declared conflict between \(judge) and \(team).")
            }
        }
    }

    struct Conflicts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "conflicts",
            abstract: "Every conflict, declared and automatic (the round's same-university and same-city rules), with where it came from.")
        @Option(help: "The round whose automatic rules apply (default: the first round).") var round: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let conflicts = try await database.withApplication { application in
                try await application.conflicts(competition: try await competition.resolve(application), round: round, as: DirectModeActor.current)
            }
            Terminal.output(JudgeCommand.table(conflicts).render(output.format))
        }
    }

    static func table(_ conflicts: [ConflictRecord]) -> DataTable {
        DataTable(
            columns: ["judge", "email", "team", "source", "reason", "declared_by"],
            rows: conflicts.map { conflict in
                [
                    .text(conflict.judge), .text(conflict.judgeEmail), .text(conflict.team), .text(conflict.source), .text(conflict.reason),
                    conflict.declaredBy.map(Cell.text) ?? .null,
                ]
            })
    }
}
