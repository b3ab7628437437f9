import ArgumentParser
import Foundation
import WyscApplication

struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team",
        abstract: "Register, import and list teams; see where each stands.",
        discussion: """
            Teams register while the competition's phase allows it (register_team). Imports are all or \
            nothing: every bad row is reported with its row number, and no row is written.

            Examples:
              wysc team register "Han River Movers" --university "Seoul National University" \\
                --member "김민준,minjun@snu.ac.kr,2002-03-14,leader" --member "이서연,seoyeon@snu.ac.kr,2003-07-02"
              wysc team import teams.csv       # columns: team,university,name,email,birth_date,role
              wysc team list --university "Seoul National University"
              wysc team show "Han River Movers"
              wysc team status "Han River Movers"
            """,
        subcommands: [Register.self, Import.self, List.self, Show.self, TeamStatusCommand.self, EligibilityCommand.self]
    )

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "register", abstract: "Register one team with its members.")
        @Argument(help: "The team's name.") var name: String
        @Option(help: "The university the team comes from (wysc university list).") var university: String
        @Option(
            name: .customLong("member"),
            help: ArgumentHelp("A member as NAME,EMAIL[,BIRTH_DATE[,ROLE]] (role: leader or member); repeat for each.", valueName: "member"))
        var members: [String] = []
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if members.isEmpty { throw ValidationError("give the team's members with --member NAME,EMAIL[,BIRTH_DATE[,ROLE]]") }
        }

        func run() async throws {
            let rows = try members.enumerated().map { index, text in
                let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard (2...4).contains(parts.count) else {
                    throw CommandFailure(
                        message: "--member \(index + 1) ('\(text)') must be NAME,EMAIL[,BIRTH_DATE[,ROLE]]", exitCode: CommandFailure.badInput)
                }
                return MemberRow(
                    row: index + 1, team: name, university: university, name: parts[0], email: parts[1],
                    birthDate: parts.count > 2 ? parts[2] : "", role: parts.count > 3 ? parts[3].lowercased() : "")
            }
            let summary = try await database.withApplication { application in
                try await application.importTeams(
                    rows, file: "--member", competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("Registered team \(name) with \(summary.members) member(s).")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import teams from CSV, one row per member: team,university,name,email,birth_date,role. All or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let file = file
            let summary = try await database.importing(file) { application, progress in
                try await application.importTeams(
                    reading: { try MemberRow.rows(of: CSVReader(path: file)) }, file: file,
                    competition: try await competition.resolve(application), as: DirectModeActor.current, progress: progress)
            }
            Terminal.success("\(file): registered \(summary.teams) team(s) with \(summary.members) member(s).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the competition's teams.")
        @Option(help: "Only this university's teams.") var university: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let teams = try await database.withApplication { application in
                try await application.teams(
                    competition: try await competition.resolve(application), university: university, as: DirectModeActor.current)
            }
            let table = DataTable(
                columns: ["team", "university", "city", "country", "members", "registered_at"],
                rows: teams.map { team in
                    [
                        .text(team.name), .text(team.university), .text(team.city), .text(team.country), .integer(team.members.count),
                        .text(team.registeredAt.rfc3339),
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one team and its members.")
        @Argument(help: "The team's name.") var team: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let found = try await database.withApplication { application in
                try await application.teams(competition: try await competition.resolve(application), team: team, as: DirectModeActor.current)
            }[0]
            if output.format == .table {
                Terminal.outputText(
                    "\(found.name) — \(found.university), \(found.city), \(found.country); registered \(found.registeredAt.rfc3339)\n\n")
            }
            let table = DataTable(
                columns: ["team", "name", "email", "birth_date", "role"],
                rows: found.members.map { member in
                    [.text(found.name), .text(member.name), .text(member.email), member.birthDate.map(Cell.text) ?? .null, .text(member.role)]
                })
            Terminal.output(table.render(output.format))
        }
    }
}

/// `wysc team status`: also listed for universities in `wysc --help`.
struct TeamStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each team's timeline: registered, members, lectures, workshops, proposal, review, shortlist, rank.",
        discussion: """
            Examples:
              wysc team status
              wysc team status "Han River Movers"
              wysc team status --university "Seoul National University" --format csv
            """
    )

    @Argument(help: "One team (default: every team you may see).") var team: String?
    @Option(help: "Only this university's teams.") var university: String?
    @OptionGroup var competition: CompetitionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let statuses = try await service.withService { service in
            try await service.teamStatus(try await competition.resolve(service), team: team, university: university)
        }
        switch output.format {
        case .table:
            var lines: [String] = []
            for status in statuses {
                lines.append("\(status.team) — \(status.university) (competition \(status.competition), phase \(status.phase))")
                let width = status.steps.map { $0.step.count }.max() ?? 0
                for step in status.steps {
                    let mark = step.state == "done" ? "✓" : step.state == "not yet" ? "·" : step.state == "no" ? "✗" : "…"
                    lines.append(
                        "  \(mark) \(step.step.padding(toLength: width, withPad: " ", startingAt: 0))  \(step.state == "done" ? step.detail : step.state + (step.detail.isEmpty ? "" : ": " + step.detail))"
                    )
                }
                lines.append("")
            }
            Terminal.outputText(lines.joined(separator: "\n"))
        case .json, .csv:
            let table = DataTable(
                columns: ["team", "university", "step", "state", "detail"],
                rows: statuses.flatMap { status in
                    status.steps.map { [.text(status.team), .text(status.university), .text($0.step), .text($0.state), .text($0.detail)] }
                })
            Terminal.output(table.render(output.format))
        }
    }
}
