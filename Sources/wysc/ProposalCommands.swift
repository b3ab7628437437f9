import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "Teams' project proposals: submit with their files, import from a form export, list, show, download.",
        discussion: """
            A team may submit while the phase allows submit_proposal, if it is eligible, until the phase's \
            deadline (plus its grace period). A later submission replaces the earlier one; every version \
            is kept. Sending the same proposal again changes nothing.

            Examples:
              wysc proposal submit --team "Han River Movers" --title "Bus stops that count passengers" \\
                --abstract "…" --tags "Smart Mobility,Big Data" --file plan.pdf
              wysc proposal import form-export.csv --files uploads/   # team,title,abstract,link,tags,files
              wysc proposal list
              wysc proposal show 17
              wysc proposal show "Han River Movers" --versions
              wysc proposal get 17 --output ~/judging
            """,
        subcommands: [Submit.self, Import.self, List.self, Show.self, Get.self]
    )

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "submit", abstract: "Submit a team's proposal (or a new version of it).")
        @Option(help: "The team.") var team: String
        @Option(help: "The proposal's title.") var title: String
        @Option(help: "The abstract (use quotes; @FILE reads it from a file).") var abstract: String
        @Option(help: "A link to the full plan (http or https).") var link: String?
        @Option(help: "Topic tags, separated by commas (the WeGO thematic clusters work well).") var tags: String = ""
        @Option(
            name: .customLong("file"),
            help: ArgumentHelp("A document of the proposal (PDF unless the workflow allows more); repeat for each.", valueName: "path"))
        var files: [String] = []
        @Flag(help: "This version has no files (without --file, a new version keeps the files of the one before).") var noFiles = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if noFiles && !files.isEmpty { throw ValidationError("--no-files and --file contradict each other") }
        }

        func run() async throws {
            let text = abstract.hasPrefix("@") ? try InputFile.read(String(abstract.dropFirst())) : abstract
            let documents = try files.map { try ProposalDocument.inspect(path: $0, maxBytes: ProposalFileRules.largestFileBytes) }
            let input = ProposalInput(
                team: team, title: title, abstract: text, link: link, tags: ProposalInput.splitTags(tags),
                files: noFiles ? [] : documents.isEmpty ? nil : documents)
            let (proposal, outcome) = try await database.withApplication { application in
                try await application.submitProposal(input, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            if outcome.unchanged > 0 {
                Terminal.message("Proposal of \(team) unchanged (version \(proposal.version) already has this content).")
            } else {
                Terminal.success("Received the proposal of \(team): '\(proposal.title)', version \(proposal.version) (#\(proposal.proposal)).")
            }
            // The receipt a team keeps: what was stored, checkable with sha256sum.
            for document in documents {
                Terminal.message("  \(document.name)  \(byteCountText(document.size))  sha256 \(DocumentDigest.hexadecimal(document.sha256))")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Submit proposals from a form export (team,title,abstract,link,tags,files); all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @Option(
            name: .customLong("files"),
            help: ArgumentHelp("The directory the files column's names are in (names separated by ';').", valueName: "directory"))
        var filesDirectory: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let (file, filesDirectory) = (file, filesDirectory)
            let summary = try await database.importing(file) { application, progress in
                try await application.importProposals(
                    reading: { try ProposalInput.rows(of: CSVReader(path: file), filesDirectory: filesDirectory) }, file: file,
                    competition: try await competition.resolve(application), as: DirectModeActor.current, progress: progress)
            }
            let outcome = summary.proposals
            Terminal.success(
                "\(file): \(outcome.added) new proposal(s), \(outcome.changed) new version(s), \(outcome.unchanged) unchanged"
                    + (summary.files > 0 ? "; \(summary.files) file(s) checked." : "."))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The current proposals.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let proposals = try await database.withApplication { application in
                try await application.proposals(competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.output(ProposalText.table(proposals, abstracts: false).render(output.format))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "A proposal with its abstract, links and files: by number (17), or by team name for organizers and universities.",
            discussion: """
                A judge sees only the proposals assigned to them, and in a blind round nothing that names \
                the team. --versions lists every version, oldest first.

                Examples:
                  wysc proposal show 17
                  wysc proposal show "Han River Movers" --versions
                  wysc proposal show 17 --format json
                """)
        @Argument(help: "The proposal's number, or its team's name.") var proposal: String
        @Flag(help: "Every version, oldest first.") var versions = false
        @OptionGroup var judge: JudgeOptions
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let views = try await service.withService { service in
                try await service.readProposal(
                    try await competition.resolve(service), ProposalReference(parsing: proposal), allVersions: versions, judge: judge.resolved)
            }
            switch output.format {
            case .table: Terminal.outputText(views.map { ProposalText.render($0, width: Terminal.columns) }.joined(separator: "\n"))
            case .json: Terminal.output(String(decoding: try ProposalText.json(views), as: UTF8.self) + "\n")
            case .csv: Terminal.output(ProposalText.table(views, abstracts: true).render(.csv))
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Download a proposal's files, checked against their SHA-256; an interrupted download resumes.",
            discussion: """
                Each file is written to FILE.part while it arrives and renamed once its SHA-256 matches. \
                Running the command again after an interruption continues where it stopped. In a blind \
                round the files have neutral names (proposal-17-plan.pdf).

                Examples:
                  wysc proposal get 17
                  wysc proposal get 17 --output ~/judging --file 1
                """)
        @Argument(help: "The proposal's number.") var proposal: String
        @Option(help: ArgumentHelp("The directory to write to (created if missing).", valueName: "directory")) var output: String = "."
        @Option(help: ArgumentHelp("Only this file (its number in proposal show).", valueName: "number")) var file: Int?
        @OptionGroup var judge: JudgeOptions
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions

        func run() async throws {
            guard case .number(let number) = ProposalReference(parsing: proposal) else {
                throw ValidationError("the proposal is its number (e.g. 17), not '\(proposal)'")
            }
            let saved = try await service.withService { service in
                let slug = try await competition.resolve(service)
                let view = try await service.readProposal(slug, .number(number), allVersions: false, judge: judge.resolved)[0]
                return try await ProposalDownload.files(of: view, only: file, slug: slug, judge: judge.resolved, into: output, service: service)
            }
            for (path, file) in saved { Terminal.success("\(path)  \(byteCountText(file.size))  sha256 \(file.sha256)") }
        }
    }
}
