import ArgumentParser
import Foundation
import WyscApplication

struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "Teams' project proposals: submit, import from a form export, list, show with every version.",
        discussion: """
            A team may submit while the phase allows submit_proposal, if it is eligible, until the phase's \
            deadline (plus its grace period). A later submission replaces the earlier one; every version \
            is kept. Sending the same proposal again changes nothing.

            Examples:
              wysc proposal submit --team "Han River Movers" --title "Bus stops that count passengers" \\
                --abstract "…" --link https://example.org/plan.pdf --tags "Smart Mobility,Big Data"
              wysc proposal import form-export.csv      # team,title,abstract,link,tags
              wysc proposal list
              wysc proposal show "Han River Movers" --versions
            """,
        subcommands: [Submit.self, Import.self, List.self, Show.self]
    )

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a team's proposal (or a new version of it).")
        @Option(help: "The team.") var team: String
        @Option(help: "The proposal's title.") var title: String
        @Option(help: "The abstract (use quotes; @FILE reads it from a file).") var abstract: String
        @Option(help: "A link to the full plan (http or https).") var link: String?
        @Option(help: "Topic tags, separated by commas (the WeGO thematic clusters work well).") var tags: String = ""
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let text = abstract.hasPrefix("@") ? try InputFile.read(String(abstract.dropFirst())) : abstract
            let input = ProposalInput(team: team, title: title, abstract: text, link: link, tags: ProposalInput.splitTags(tags))
            let (proposal, outcome) = try await database.withApplication { application in
                try await application.submitProposal(input, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            if outcome.unchanged > 0 {
                Terminal.message("Proposal of \(proposal.team) unchanged (version \(proposal.version) already has this content).")
            } else {
                Terminal.success("Received the proposal of \(proposal.team): '\(proposal.title)', version \(proposal.version).")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit proposals from a form export (team,title,abstract,link,tags); all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let rows = try ProposalInput.rows(of: InputFile.csv(file))
            let summary = try await database.withApplication { application in
                try await application.importProposals(
                    rows, file: file, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("\(file): \(summary.added) new proposal(s), \(summary.changed) new version(s), \(summary.unchanged) unchanged.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The current proposals.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let proposals = try await database.withApplication { application in
                try await application.proposals(competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.output(ProposalCommand.table(proposals, abstracts: false).render(output.format))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One team's proposal, with its abstract; --versions lists every version.")
        @Argument(help: "The team.") var team: String
        @Flag(help: "Every version, oldest first.") var versions = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let proposals = try await database.withApplication { application in
                let slug = try await competition.resolve(application)
                return versions
                    ? try await application.proposalVersions(competition: slug, team: team, as: DirectModeActor.current)
                    : try await application.proposals(competition: slug, team: team, as: DirectModeActor.current)
            }
            if output.format == .table {
                for proposal in proposals {
                    Terminal.outputText(
                        """
                        \(proposal.team) — \(proposal.university), version \(proposal.version), \(proposal.submittedAt.rfc3339) by \(proposal.submittedBy)
                        \(proposal.title)
                        tags: \(proposal.tags.joined(separator: ", "))\(proposal.link.map { "\nlink: \($0)" } ?? "")

                        \(proposal.abstract)


                        """)
                }
            } else {
                Terminal.output(ProposalCommand.table(proposals, abstracts: true).render(output.format))
            }
        }
    }

    static func table(_ proposals: [Proposal], abstracts: Bool) -> DataTable {
        DataTable(
            columns: ["team", "university", "version", "title", "tags", "link", "submitted_at"] + (abstracts ? ["abstract"] : []),
            rows: proposals.map { proposal in
                [
                    .text(proposal.team), .text(proposal.university), .integer(proposal.version), .text(proposal.title),
                    .text(proposal.tags.joined(separator: ";")), proposal.link.map(Cell.text) ?? .null, .text(proposal.submittedAt.rfc3339),
                ] + (abstracts ? [.text(proposal.abstract)] : [])
            })
    }
}
