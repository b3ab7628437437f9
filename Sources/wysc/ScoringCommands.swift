import ArgumentParser
import Foundation
import WyscApplication
import WyscJudging
import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#endif

/// Which judge a scoring command acts for. Judges work remotely as themselves; in direct mode an
/// organizer names the judge whose scorecard they enter (audited as entered on their behalf).
struct JudgeOptions: ParsableArguments {
    @Option(name: .customLong("judge"), help: ArgumentHelp("The judge, by email (direct mode: an organizer acting for them).", valueName: "email"))
    var email: String?

    var resolved: String? { email ?? ProcessInfo.processInfo.environment["WYSC_JUDGE"].flatMap { $0.isEmpty ? nil : $0 } }
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "A judge's assigned proposals for the round being scored: title, topics, status, deadline.",
        discussion: """
            Team and university names are hidden when the round is blind.

            Examples:
              wysc judge queue --judge amina@example.org
              wysc judge queue --judge amina@example.org --format json
            """)
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var competition: CompetitionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let items = try await service.withService { service in
            try await service.judgeQueue(try await competition.resolve(service), judge: judge.resolved)
        }
        let table = DataTable(
            columns: ["proposal", "round", "title", "tags", "team", "status", "total", "deadline"],
            rows: items.map { item in
                [
                    .integer(item.proposal), .text(item.round), .text(item.title), .text(item.tags.joined(separator: ", ")),
                    .text(item.team.map { "\($0) (\(item.university ?? ""))" } ?? "(blind review)"), .text(item.status),
                    item.total.map { .text(String(format: "%.2f", $0)) } ?? .null, item.deadline.map { .text($0.rfc3339) } ?? .null,
                ]
            })
        Terminal.output(table.render(output.format))
        if items.isEmpty { Terminal.message("No proposals are assigned to this judge in the current round.") }
    }
}

struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a proposal against the rubric: interactively on a terminal, or with --set or --file.",
        discussion: """
            On a terminal, wysc walks the rubric: each criterion's title, guidance and scale; a bad value \
            is asked again; then the weighted total, a comment, and a confirmation. A judge may revise until \
            the round closes; every revision is kept in the audit log. Sending the same scorecard again \
            changes nothing.

            Examples:
              wysc score 17 --judge amina@example.org
              wysc score 17 --judge amina@example.org --set innovation=8 --set impact=7 --set feasibility=6 \\
                --set sustainability=9 --set presentation=7 --comment "Strong pilot plan"
              wysc score 17 --judge amina@example.org --file scorecard.yaml    # {scores: {innovation: 8, …}, comment: …}
              wysc score 17 --judge amina@example.org --set innovation=8 --draft
              wysc score import offline-scores.csv     # judge,proposal,<criterion>…,comment
            """,
        subcommands: [Card.self, Import.self],
        defaultSubcommand: Card.self
    )

    struct Card: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "card", abstract: "Score one proposal (the default: wysc score PROPOSAL).")
        @Argument(help: "The proposal's number, as the queue shows it.") var proposal: String
        @Option(name: .customLong("set"), help: ArgumentHelp("A criterion's value, CRITERION=VALUE; repeat for each.", valueName: "criterion=value"))
        var values: [String] = []
        @Option(help: "A scorecard file, YAML or JSON: {scores: {criterion: value, …}, comment: …}.") var file: String?
        @Option(help: "A comment for the team and the organizers.") var comment: String?
        @Flag(help: "Save as a draft: may be incomplete, does not count until submitted.") var draft = false
        @OptionGroup var judge: JudgeOptions
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions

        func run() async throws {
            guard let number = Int(proposal.trimmingCharacters(in: CharacterSet(charactersIn: "#"))) else {
                throw ValidationError("the proposal is its number in the queue (e.g. 17), not '\(proposal)'")
            }
            let outcome = try await service.withService { service in
                let slug = try await competition.resolve(service)
                var scores: [String: String] = [:]
                var note = comment
                var draft = self.draft
                if let file {
                    (scores, note) = try ScorecardInput.read(file, comment: comment)
                } else if !values.isEmpty {
                    scores = try ScorecardInput.pairs(values)
                } else if isatty(STDIN_FILENO) == 1 {
                    let rubric = try await service.rubric(slug)
                    guard let answers = InteractiveScorecard.ask(rubric, proposal: number) else {
                        throw CommandFailure(message: "nothing was saved", exitCode: CommandFailure.failure)
                    }
                    (scores, note, draft) = (answers.values, answers.comment, answers.draft)
                } else {
                    throw CommandFailure(
                        message: "not on a terminal: give the scores with --set CRITERION=VALUE (one per criterion) or --file FILE",
                        exitCode: CommandFailure.usage)
                }
                return try await service.submitScorecard(slug, proposal: number, values: scores, comment: note, draft: draft, judge: judge.resolved)
            }
            let total = outcome.total.map { String(format: "%.2f", $0) } ?? "incomplete"
            switch outcome.change {
            case .unchanged: Terminal.message("Proposal #\(number): unchanged (the same scorecard is already saved; total \(total)).")
            case .added, .revised:
                let what = outcome.submitted ? "submitted" : "saved as a draft"
                Terminal.success("Proposal #\(number): scorecard \(what) (revision \(outcome.revision), weighted total \(total)).")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scorecards from a file (judge,proposal,<criterion>…,comment) for judges who scored offline; all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let rows = try ScoreRow.rows(of: InputFile.csv(file))
            let summary = try await database.withApplication { application in
                try await application.importScorecards(
                    rows, file: file, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("\(file): \(summary.added) scorecard(s) added, \(summary.changed) revised, \(summary.unchanged) unchanged.")
        }
    }
}

/// Scorecards written as files or --set pairs.
enum ScorecardInput {
    static func pairs(_ values: [String]) throws -> [String: String] {
        var scores: [String: String] = [:]
        for pair in values {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--set takes CRITERION=VALUE, not '\(pair)'") }
            if scores[parts[0]] != nil { throw ValidationError("--set gives '\(parts[0])' twice") }
            scores[parts[0]] = parts[1]
        }
        return scores
    }

    /// `{scores: {criterion: value}, comment: text}`, or the criteria at the top level; YAML or JSON.
    static func read(_ path: String, comment: String?) throws -> ([String: String], String?) {
        let text = try InputFile.read(path)
        do {
            let card = try WyscJudging.ScorecardFile.parse(text, file: path)
            return (card.values, card.comment ?? comment)
        } catch {
            let place = error.line.map { ":\($0):\(error.column ?? 1)" } ?? ""
            throw CommandFailure(message: "\(path)\(place): \(error.message)", exitCode: CommandFailure.badInput)
        }
    }
}

/// Scoring on a terminal: one question per criterion, asked again until the answer is on the scale.
enum InteractiveScorecard {
    struct Answers {
        var values: [String: String]
        var comment: String?
        var draft: Bool
    }

    static func ask(_ rubric: Rubric, proposal: Int) -> Answers? {
        func prompt(_ text: String) -> String? {
            FileHandle.standardError.write(Data(text.utf8))
            return readLine(strippingNewline: true)
        }
        Terminal.message("Scoring proposal #\(proposal): \(rubric.criteria.count) criteria, each from \(rubric.scaleMin) to \(rubric.scaleMax).")
        var values: [String: String] = [:]
        for (index, criterion) in rubric.criteria.enumerated() {
            Terminal.message("\n[\(index + 1)/\(rubric.criteria.count)] \(criterion.title) — weight \(String(format: "%g", criterion.weight * 100))%")
            if let guidance = criterion.guidance { Terminal.message("    \(guidance)") }
            while true {
                guard let answer = prompt("    \(criterion.id) (\(rubric.scaleMin)–\(rubric.scaleMax)): ") else { return nil }
                do {
                    _ = try rubric.validate([criterion.id: answer], partial: true)
                    values[criterion.id] = answer.trimmingCharacters(in: .whitespaces)
                    break
                } catch {
                    Terminal.message("    \(error.description.replacingOccurrences(of: "\(criterion.id) = ", with: "")): try again")
                }
            }
        }
        let scores = (try? rubric.validate(values)) ?? [:]
        Terminal.message("\nWeighted total: \(String(format: "%.2f", rubric.weightedTotal(scores))) of \(rubric.scaleMax)")
        guard let comment = prompt("Comment (optional, one line): ") else { return nil }
        while true {
            guard let answer = prompt("Submit this scorecard? [y]es, save as [d]raft, [n]o: ")?.lowercased() else { return nil }
            switch answer {
            case "y", "yes": return Answers(values: values, comment: comment.isEmpty ? nil : comment, draft: false)
            case "d", "draft": return Answers(values: values, comment: comment.isEmpty ? nil : comment, draft: true)
            case "n", "no": return nil
            default: continue
            }
        }
    }
}

struct JudgingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judging",
        abstract: "Follow judging: scorecards in per judge and per proposal, and which are missing or overdue.",
        discussion: """
            Examples:
              wysc judging progress
              wysc judging progress --round finals --format csv
            """,
        subcommands: [Progress.self]
    )

    struct Progress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scorecards in, per judge and per proposal; the missing ones.")
        @Option(help: "The round (default: the one being scored).") var round: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let progress = try await database.withApplication { application in
                try await application.judgingProgress(
                    round: round, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            let judges = DataTable(
                columns: ["judge", "email", "assigned", "submitted", "drafts", "missing"],
                rows: progress.judges.map {
                    [.text($0.judge), .text($0.email), .integer($0.assigned), .integer($0.submitted), .integer($0.drafts), .integer($0.missing)]
                })
            Terminal.output(judges.render(output.format))
            if output.format == .table {
                let proposals = DataTable(
                    columns: ["proposal", "team", "assigned", "submitted"],
                    rows: progress.proposals.map { [.integer($0.proposal), .text($0.team), .integer($0.assigned), .integer($0.submitted)] })
                Terminal.output("\n" + proposals.render(.table))
            }
            let submitted = progress.judges.reduce(0) { $0 + $1.submitted }
            let assigned = progress.judges.reduce(0) { $0 + $1.assigned }
            var line = "Round '\(progress.round)': \(submitted) of \(assigned) scorecards in"
            if let deadline = progress.deadline {
                line += "; deadline \(deadline.rfc3339)" + (progress.overdue ? ", passed: the missing ones are overdue" : "")
            }
            Terminal.message(line + ".")
            for missing in progress.missing.prefix(20) { Terminal.message("  missing: \(missing)") }
            if progress.missing.count > 20 { Terminal.message("  … and \(progress.missing.count - 20) more") }
        }
    }
}

struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Rankings from the stored scorecards, per-judge spread, publication and the archive export.",
        discussion: """
            Scores are normalized per judge (z-scores) by default, so a harsh or lenient judge does not move \
            a team; --method raw ranks on the plain mean. Ties are broken by the rubric's tie_break criteria, \
            then the raw mean; proposals still equal share a rank. A proposal is flagged when its judges' \
            totals spread over a fifth of the scale. The numbers are recomputed from the stored scorecards.

            Examples:
              wysc results                            # the last round with scorecards
              wysc results --round screening --method raw --format csv
              wysc results --judges                   # each judge's mean and spread
              wysc results publish
              wysc results scorecards --format csv > scorecards-2026.csv
            """,
        subcommands: [Show.self, Publish.self, Scorecards.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The ranking of a round (the default: wysc results).")
        @Option(help: "The round (default: the last with scorecards).") var round: String?
        @Option(help: "zscore (default) or raw.") var method: MethodOption = .zscore
        @Flag(help: "Show each judge's mean and spread instead of the ranking.") var judges = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        enum MethodOption: String, ExpressibleByArgument, CaseIterable {
            case zscore, raw

            var normalization: NormalizationMethod {
                switch self {
                case .zscore: .zscore
                case .raw: .raw
                }
            }
        }

        func run() async throws {
            let report = try await service.withService { service in
                try await service.results(try await competition.resolve(service), round: round, method: method.normalization)
            }
            func number(_ value: Double) -> Cell { .text(String(format: "%.2f", value)) }
            if judges {
                let table = DataTable(
                    columns: ["judge", "email", "scorecards", "mean", "spread"],
                    rows: report.judges.map { [.text($0.judge), .text($0.email), .integer($0.scorecards), number($0.mean), number($0.spread)] })
                Terminal.output(table.render(output.format))
                return
            }
            let table = DataTable(
                columns: [
                    "rank", "proposal", "team", "university", "title", report.method == NormalizationMethod.zscore ? "normalized" : "score",
                    "raw_mean", "judges", "judge_totals", "spread", "disagreement",
                ],
                rows: report.lines.map { line in
                    [
                        .integer(line.rank), .integer(line.proposal), .text(line.team), .text(line.university), .text(line.title), number(line.score),
                        number(line.rawMean), .integer(line.judges),
                        .text(line.judgeTotals.map { "\($0.judge) \(String(format: "%.2f", $0.total))" }.joined(separator: "; ")),
                        number(line.spread),
                        .bool(line.disagreement),
                    ]
                })
            Terminal.output(table.render(output.format))
            let described = report.method == NormalizationMethod.zscore ? "per-judge z-score normalization" : "raw means"
            Terminal.message(
                "Round '\(report.round)', ranked by \(described); \(report.published ? "published" : "not published")"
                    + (report.missingScorecards > 0 ? "; \(report.missingScorecards) assigned scorecard(s) still missing." : "."))
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the results visible to universities and judges (organizers; audited).")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let outcome = try await database.withApplication { application in
                try await application.publishResults(competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success(outcome.prefix(1).uppercased() + outcome.dropFirst() + ".")
        }
    }

    struct Scorecards: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every scorecard, for the archive (organizers).")
        @Option(help: "Only this round.") var round: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (cards, rubric) = try await database.withApplication { application in
                let slug = try await competition.resolve(application)
                return (
                    try await application.scorecards(round: round, competition: slug, as: DirectModeActor.current),
                    try await application.rubric(competition: slug)
                )
            }
            let criteria = rubric.criteria.map(\.id)
            let table = DataTable(
                columns: ["round", "proposal", "team", "judge", "email"] + criteria + ["total", "comment", "submitted", "revision", "updated_at"],
                rows: cards.map { archived in
                    let card = archived.scorecard
                    return [.text(card.round), .integer(card.proposal), .text(archived.team), .text(archived.judge), .text(archived.email)]
                        + criteria.map { card.scores[$0].map { .text(String(format: "%g", $0)) } ?? .null }
                        + [
                            card.total.map { .text(String(format: "%.2f", $0)) } ?? .null, .text(card.comment), .bool(card.submitted),
                            .integer(card.revision), .text(archived.updatedAt.rfc3339),
                        ]
                })
            Terminal.output(table.render(output.format))
        }
    }
}
