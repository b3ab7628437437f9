import ArgumentParser
import Foundation
import WyscApplication
import WyscJudging

struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign judges to proposals: every proposal its k judges, no conflicts, fair loads, highest topic affinity.",
        discussion: """
            The assignment is the exact optimum of a min-cost flow, and the same input always gives the \
            same assignment. Each judge takes at most their max_load, or the round's, or else the smallest \
            load that lets every proposal get its judges; and at least the round's min_load, or else the fair \
            share ⌊k·P/J⌋, so that every judge's leniency can be estimated. Groups of judges who would share \
            no proposal are joined into one panel by exchanging two reviews, the exchange that loses the \
            least affinity.

            Examples:
              wysc assign --dry-run                       # the assignment and its statistics, not saved
              wysc assign                                 # save it (audited)
              wysc assign --round finals
              wysc assign --rebalance                     # after a withdrawal or a new conflict: change only what broke
              wysc assign --round screening --extra 5     # one more judge for the 5 proposals results --suggest names
              wysc assign solve --input instance/ --per-proposal 3 --format json
            """,
        subcommands: [Make.self, Solve.self],
        defaultSubcommand: Make.self
    )

    struct Make: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Assign the judges of a round from the database (the default: wysc assign).")
        @Option(help: "The round (default: the first).") var round: String?
        @Flag(name: .customLong("dry-run"), help: "Show the assignment and its statistics without saving.") var dryRun = false
        @Flag(help: "Keep every assignment that is still allowed; re-fill only what a withdrawal or a conflict broke.") var rebalance = false
        @Option(
            help: ArgumentHelp(
                "Add one more judge to each of the first N proposals that wysc results --suggest names (uncertain at the cut).",
                valueName: "N"))
        var extra: Int?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if extra != nil && (dryRun || rebalance) {
                throw ValidationError("--extra adds reviews to the saved assignment: not with --dry-run or --rebalance")
            }
        }

        func run() async throws {
            if let extra {
                let plan = try await database.withApplication { application in
                    try await application.assignExtraReviews(
                        extra, round: round, competition: try await competition.resolve(application), as: DirectModeActor.current)
                }
                let table = DataTable(
                    columns: ["team", "title", "judge", "email", "affinity"],
                    rows: plan.pairs.map { [.text($0.team), .text($0.title), .text($0.judge), .text($0.judgeEmail), .integer($0.affinity)] })
                Terminal.output(table.render(output.format))
                Terminal.success(
                    "Round '\(plan.round)': added \(plan.pairs.count) review(s) where one more scorecard helps most; their judges are told.")
                return
            }
            let plan = try await database.withApplication { application in
                try await application.assignJudges(
                    round: round, dryRun: dryRun, rebalance: rebalance, competition: try await competition.resolve(application),
                    as: DirectModeActor.current)
            }
            let table = DataTable(
                columns: ["team", "title", "judge", "email", "affinity"],
                rows: plan.pairs.map { [.text($0.team), .text($0.title), .text($0.judge), .text($0.judgeEmail), .integer($0.affinity)] })
            if dryRun || output.format != .table { Terminal.output(table.render(output.format)) }
            if dryRun && output.format == .table {
                let loads = DataTable(
                    columns: ["judge", "email", "proposals", "max_load"],
                    rows: plan.loads.map { [.text($0.judge), .text($0.email), .integer($0.proposals), .integer($0.capacity)] })
                Terminal.output("\n" + loads.render(.table))
            }
            let loads = plan.loads.map(\.proposals)
            Terminal.message(
                "Round '\(plan.round)': \(plan.pairs.count) reviews, total affinity \(plan.objective); loads \(loads.min() ?? 0)–\(loads.max() ?? 0) per judge (\(plan.capacityNote))."
            )
            if let note = plan.minimumLoadNote { Terminal.message("Minimum load: \(note).") }
            if plan.connectingExchanges > 0 {
                Terminal.message(
                    "Joined groups of judges who shared no proposal with \(plan.connectingExchanges) exchange(s) of two reviews (the total affinity counts them)."
                )
            }
            Terminal.message(
                plan.judgeGroups <= 1
                    ? "The judges form one panel: every two share proposals, directly or through others, so their leniency can be compared."
                    : "The judges form \(plan.judgeGroups) groups that share no proposal: a group's leniency cannot be told from its proposals' quality."
            )
            if !plan.zeroAffinityTeams.isEmpty {
                Terminal.message(
                    "\(plan.zeroAffinityTeams.count) proposal(s) have a judge who shares none of their topics: \(plan.zeroAffinityTeams.prefix(10).joined(separator: ", "))\(plan.zeroAffinityTeams.count > 10 ? ", …" : "")"
                )
            }
            for change in plan.changes { Terminal.message("  \(change)") }
            if rebalance && plan.changes.isEmpty { Terminal.message("Nothing needed to change.") }
            if plan.saved {
                Terminal.success("Saved the assignment of round '\(plan.round)'.")
            } else {
                Terminal.message("Dry run: nothing was saved.")
            }
        }
    }

    struct Solve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "solve",
            abstract: "Solve an assignment from files, offline (no database).",
            discussion: """
                DIR holds proposals.csv (id,university,city,tags), judges.csv (id,university,city,tags,max_load), \
                conflicts.csv (judge_id,proposal_id: every forbidden pair; no automatic rule is added) and, \
                optionally, affinity.csv (judge_id,proposal_id,score; unlisted pairs score 0). Without \
                affinity.csv the affinity of a pair is the number of tags it shares (tags separated by ';').
                """)
        @Option(help: ArgumentHelp("The directory with the instance's CSV files.", valueName: "dir")) var input: String
        @Option(name: .customLong("per-proposal"), help: "Judges per proposal (k).") var perProposal: Int
        @Option(help: "csv (judge_id,proposal_id rows) or json ({\"objective\": …, \"assignments\": [[judge, proposal], …]}).")
        var format: SolveFormat = .csv

        enum SolveFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

        static func seconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            return String(format: "%.3f s", Double(seconds) + Double(attoseconds) / 1e18)
        }

        static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

        func run() async throws {
            let directory = URL(fileURLWithPath: input)
            func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
            func reader(_ name: String) throws -> CSVReader {
                try InputFile.requireFile(file(name))
                return CSVReader(path: file(name))
            }
            let reading = ContinuousClock.now
            let files = try AssignmentFiles(
                proposals: try reader("proposals.csv"), judges: try reader("judges.csv"), conflicts: try reader("conflicts.csv"),
                affinity: FileManager.default.fileExists(atPath: file("affinity.csv")) ? try reader("affinity.csv") : nil, perProposal: perProposal)
            let read = ContinuousClock.now - reading
            let bytes = ["proposals.csv", "judges.csv", "conflicts.csv", "affinity.csv"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: file($0)))?[.size] as? Int
            }.reduce(0, +)
            let started = ContinuousClock.now
            let solution = AssignmentSolver.solve(files.problem)
            let elapsed = ContinuousClock.now - started
            guard solution.isComplete else {
                throw CommandFailure(message: files.explain(solution), exitCode: CommandFailure.failure)
            }
            var out = ""
            switch format {
            case .csv:
                out = "judge_id,proposal_id\n"
                for pair in solution.pairs { out += "\(CSV.field(files.judgeIDs[pair.judge])),\(CSV.field(files.proposalIDs[pair.proposal]))\n" }
            case .json:
                let pairs = solution.pairs.map { "[\(JSON.quote(files.judgeIDs[$0.judge])),\(JSON.quote(files.proposalIDs[$0.proposal]))]" }
                out = "{\"objective\": \(solution.objective), \"assignments\": [" + pairs.joined(separator: ",") + "]}\n"
            }
            Terminal.output(out)
            Terminal.message(
                "Assigned \(solution.pairs.count) reviews to \(files.proposalIDs.count) proposals and \(files.judgeIDs.count) judges; total affinity \(solution.objective) (read \(Self.megabytes(bytes)) in \(Self.seconds(read)), solved in \(Self.seconds(elapsed)))."
            )
        }
    }
}
