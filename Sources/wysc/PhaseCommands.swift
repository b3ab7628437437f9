import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

struct PhaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phase",
        abstract: "See and move a competition's phase.",
        discussion: """
            Only organizers change phases. Each change is one database transaction: the guards are \
            checked against the database, the transition's actions run, and the change is audited; \
            if anything fails, nothing changes. Two organizers advancing at once: one wins, the other \
            gets exit code 75.

            Examples:
              wysc phase show
              wysc phase check
              wysc phase advance
              wysc phase advance --from registration          # only if still in registration
              wysc phase advance --force --reason "two teams withdrew; jury agreed to start"
              wysc phase reopen lectures --reason "attendance of lecture 6 arrived late"
              wysc phase history --format csv
              wysc phase tick                                 # act on deadlines and reminders now (wysc serve does it every minute)
            """,
        subcommands: [Show.self, Check.self, Advance.self, Reopen.self, History.self, Tick.self]
    )

    struct Tick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tick",
            abstract: "One pass of the scheduler: act on passed deadlines (at_deadline) and write due reminders.",
            discussion: """
                wysc serve runs this pass every minute. Without a server, run it from cron; it is safe to run \
                from several places at once (each deadline fires once):
                  * * * * *  DATABASE_URL=postgresql://wysc@db/wysc wysc phase tick && wysc notify send --mail-command 'msmtp -t'
                """)
        @Option(help: ArgumentHelp("Only this competition (default: every competition).", valueName: "slug")) var competition: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let steps = try await database.withApplication { application in
                try await application.schedulerTick(competition: competition, as: DirectModeActor.current)
            }
            if output.format == .table && steps.isEmpty {
                Terminal.message("Nothing was due.")
                return
            }
            Terminal.output(
                DataTable(columns: ["competition", "what", "detail"], rows: steps.map { [.text($0.competition), .text($0.kind), .text($0.detail)] })
                    .render(output.format))
            if steps.contains(where: { $0.kind == "error" }) { throw ExitCode(CommandFailure.failure) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The current phase, what it allows, and what comes next.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let status = try await service.withService { service in
                try await service.phaseStatus(try await competition.resolve(service))
            }
            let table = DataTable(
                columns: ["competition", "phase", "title", "since", "deadline", "allows", "next"],
                rows: [
                    [
                        .text(status.competition), .text(status.phase), .text(status.title), .text(status.enteredAt.rfc3339),
                        status.deadline.map { .text($0.rfc3339 + (status.deadlinePassed ? " (passed)" : "")) } ?? .null,
                        .text(status.allows.joined(separator: ", ")), .text(status.next.joined(separator: ", ")),
                    ]
                ])
            if output.format == .table {
                var lines = ["\(status.competition) is in phase '\(status.phase)': \(status.title), since \(status.enteredAt.rfc3339)"]
                if let deadline = status.deadline { lines.append("deadline: \(deadline.rfc3339)\(status.deadlinePassed ? " (passed)" : "")") }
                lines.append("allows:   \(status.allows.isEmpty ? "nothing" : status.allows.joined(separator: ", "))")
                lines.append("next:     \(status.next.isEmpty ? "nothing (last phase)" : status.next.joined(separator: " or "))")
                Terminal.outputText(lines.joined(separator: "\n") + "\n")
            } else {
                Terminal.output(table.render(output.format))
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "What would block the next transition and what its actions would do, without doing it.",
            discussion: "Exit code 0 when the transition can be taken, 1 when a guard fails.")
        @Option(help: "The phase to go to, when several follow the current one.") var to: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let check = try await service.withService { service in
                try await service.checkTransition(try await competition.resolve(service), to: to)
            }
            switch output.format {
            case .table:
                var lines = ["\(check.from) → \(check.to): " + (check.canAdvance ? "ready" : "blocked")]
                if !check.failures.isEmpty {
                    lines.append("Blocked by:")
                    lines += check.failures.map { "  - \($0)" }
                }
                lines.append(check.actions.isEmpty ? "Actions: none" : "Actions:")
                lines += check.actions.map { "  - \($0)" }
                Terminal.outputText(lines.joined(separator: "\n") + "\n")
            case .json, .csv:
                let table = DataTable(
                    columns: ["from", "to", "ready", "blocked_by", "actions"],
                    rows: [
                        [
                            .text(check.from), .text(check.to), .bool(check.canAdvance),
                            .text(check.failures.map(\.description).joined(separator: "; ")),
                            .text(check.actions.joined(separator: "; ")),
                        ]
                    ])
                Terminal.output(table.render(output.format))
            }
            if !check.canAdvance { throw ExitCode(1) }
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "advance", abstract: "Take the next transition (organizers).")
        @Option(help: "The phase to go to, when several follow the current one.") var to: String?
        @Option(
            help: ArgumentHelp(
                "Advance only if the competition is still in this phase (default: the phase when the command starts).", valueName: "phase"))
        var from: String?
        @Flag(help: "Take the transition even though guards fail (needs --reason; audited).") var force = false
        @Option(help: "Why the guards are overridden.") var reason: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions

        func validate() throws {
            if force && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--force needs --reason: say why the guards are overridden")
            }
            if !force && reason != nil { throw ValidationError("--reason goes with --force (or use wysc phase reopen)") }
        }

        func run() async throws {
            let record = try await service.withService { service in
                try await service.advancePhase(try await competition.resolve(service), to: to, from: from, forceReason: force ? reason : nil)
            }
            Terminal.success("\(record.from) → \(record.to)\(record.kind == "force" ? " (forced: \(record.reason ?? ""))" : "")")
            for guardText in record.overriddenGuards { Terminal.message("  overridden: \(guardText)") }
            for action in record.performed { Terminal.message("  \(action)") }
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reopen", abstract: "Go back to an earlier phase, with a reason (organizers; audited).")
        @Argument(help: "The earlier phase to reopen.") var phase: String
        @Option(help: "Why it is reopened (required).") var reason: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let record = try await database.withApplication { application in
                try await application.reopenPhase(
                    competition: try await competition.resolve(application), phase: phase, reason: reason, as: DirectModeActor.current)
            }
            Terminal.success("Reopened '\(record.to)' (was '\(record.from)'): \(reason)")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Every phase change, with who, when and why.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let history = try await database.withApplication { application in
                try await application.phaseHistory(competition: try await competition.resolve(application))
            }
            let table = DataTable(
                columns: ["at", "from", "to", "kind", "actor", "reason", "overridden_guards"],
                rows: history.map { record in
                    [
                        .text(record.occurredAt.rfc3339), .text(record.from), .text(record.to), .text(record.kind), .text(record.actor),
                        record.reason.map(Cell.text) ?? .null, .text(record.overriddenGuards.joined(separator: "; ")),
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }
}
