import ArgumentParser
import Foundation
import WyscApplication

struct CompetitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "competition",
        abstract: "Create competitions from workflow files and list them.",
        discussion: """
            The workflow file is stored with the competition when it is created: editing the file later \
            does not change a running competition.

            Examples:
              wysc competition create wysc-2026 --workflow Workflows/wysc.yaml
              wysc competition list
              wysc competition show wysc-2026 --format json
            """,
        subcommands: [Create.self, List.self, Show.self]
    )

    static func table(_ competitions: [CompetitionSummary]) -> DataTable {
        DataTable(
            columns: ["slug", "title", "phase", "phase_since", "teams", "workflow", "created_by"],
            rows: competitions.map { competition in
                [
                    .text(competition.slug), .text(competition.title), .text(competition.phase), .text(competition.phaseEnteredAt.rfc3339),
                    .integer(competition.teams), competition.workflowFile.map(Cell.text) ?? .null, .text(competition.createdBy),
                ]
            })
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a competition from a workflow file.")
        @Argument(help: "A short id: lowercase letters, digits and '-' (e.g. wysc-2026).") var slug: String
        @Option(help: "The workflow file (YAML).") var workflow: String
        @Option(help: "The competition's title (default: the workflow's).") var title: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let source = try InputFile.read(workflow)
            _ = try WorkflowCommand.load(workflow)  // every problem with its line, before touching the database
            let created = try await database.withApplication { application in
                try await application.createCompetition(
                    slug: slug, title: title, workflowSource: source, workflowFile: workflow, as: DirectModeActor.current)
            }
            Terminal.success("Created competition '\(created.slug)' (\(created.title)); it starts in phase '\(created.phase)'.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List competitions.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let competitions = try await database.withApplication { try await $0.competitions() }
            Terminal.output(CompetitionCommand.table(competitions).render(output.format))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one competition: phase, teams, workflow.")
        @Argument(help: "The competition's slug (default: $WYSC_COMPETITION, or the only one).") var slug: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (competition, status) = try await database.withApplication { application in
                let slug = try await CompetitionOptions(slug: slug).resolve(application)
                let competition = try await application.competitions().first { $0.slug == slug }
                guard let competition else { throw WyscError(.notFound, "there is no competition '\(slug)'") }
                return (competition, try await application.phaseStatus(competition: slug))
            }
            let table = DataTable(
                columns: ["field", "value"],
                rows: [
                    ["slug", competition.slug], ["title", competition.title], ["workflow", competition.workflowFile ?? ""],
                    ["phase", "\(status.phase) (\(status.title))"], ["phase_since", status.enteredAt.rfc3339],
                    ["deadline", status.deadline.map { $0.rfc3339 + (status.deadlinePassed ? " (passed)" : "") } ?? "none"],
                    ["allows", status.allows.joined(separator: ", ")], ["next", status.next.joined(separator: ", ")],
                    ["teams", String(competition.teams)], ["created", "\(competition.createdAt.rfc3339) by \(competition.createdBy)"],
                ].map { $0.map(Cell.text) })
            if output.format == .table {
                Terminal.outputText(
                    table.rows.map { "\($0[0].plain.padding(toLength: 12, withPad: " ", startingAt: 0))\($0[1].plain)" }.joined(separator: "\n")
                        + "\n")
            } else {
                Terminal.output(DataTable.record(table).render(output.format))
            }
        }
    }
}

extension CompetitionOptions {
    init(slug: String?) {
        self.init()
        self.slug = slug
    }
}

extension DataTable {
    /// A two-column field/value table turned into one record whose columns are the fields.
    static func record(_ table: DataTable) -> DataTable {
        DataTable(columns: table.rows.map { $0[0].plain }, rows: [table.rows.map { $0[1] }])
    }
}
