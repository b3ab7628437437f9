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

    var resolved: String? { email ?? ProcessEnvironment.values["WYSC_JUDGE"].flatMap { $0.isEmpty ? nil : $0 } }
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "A judge's assigned proposals for the round being scored: title, topics, status, deadline.",
        discussion: """
            Team and university names are hidden when the round is blind. "files" is how many files \
            the proposal has and "opened" how many of them the judge has downloaded.

            --export DIR writes what is needed to review offline: each proposal's text and files, the \
            rubric, a scorecard template per proposal for wysc score N --file, and scores.csv for an \
            organizer's wysc score import.

            Examples:
              wysc judge queue --judge amina@example.org
              wysc judge queue --judge amina@example.org --format json
              wysc judge queue --export ~/judging
            """)
    @Option(help: ArgumentHelp("Write everything needed to review offline into this directory.", valueName: "directory"))
    var export: String?
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var competition: CompetitionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let items = try await service.withService { service in
            let slug = try await competition.resolve(service)
            let items = try await service.judgeQueue(slug, judge: judge.resolved)
            if let export {
                try await OfflineReview.export(items, slug: slug, judge: judge.resolved, into: export, service: service)
            }
            return items
        }
        let table = DataTable(
            columns: ["proposal", "round", "title", "tags", "team", "status", "total", "deadline", "files", "opened"],
            rows: items.map { item in
                [
                    .integer(item.proposal), .text(item.round), .text(item.title), .text(item.tags.joined(separator: ", ")),
                    .text(item.team.map { "\($0) (\(item.university ?? ""))" } ?? "(blind review)"), .text(item.status),
                    item.total.map { .text(String(format: "%.2f", $0)) } ?? .null, item.deadline.map { .text($0.rfc3339) } ?? .null,
                    .integer(item.files), .integer(item.filesOpened),
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
            On a terminal, wysc first shows the proposal (as proposal show does) and offers to download \
            its files; then it walks the rubric: each criterion's title, guidance and scale; a bad value \
            is asked again; then the weighted total, feedback for the team (in rounds that send it), a \
            private comment for the organizers, and a confirmation. --next takes the next proposal of \
            the queue without a submitted scorecard. A judge may revise until \
            the round closes; every revision is kept in the audit log. Sending the same scorecard again \
            changes nothing.

            Examples:
              wysc score 17 --judge amina@example.org
              wysc score --next
              wysc score 17 --judge amina@example.org --set innovation=8 --set impact=7 --set feasibility=6 \\
                --set sustainability=9 --set presentation=7 --feedback "A strong pilot plan" --comment "Knows the field"
              wysc score 17 --judge amina@example.org --file scorecard.yaml    # {scores: {innovation: 8, …}, feedback: …, comment: …}
              wysc score 17 --judge amina@example.org --set innovation=8 --draft
              wysc score import offline-scores.csv     # judge,proposal,<criterion>…,comment,feedback
            """,
        subcommands: [Card.self, Import.self],
        defaultSubcommand: Card.self
    )

    struct Card: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "card", abstract: "Score one proposal (the default: wysc score PROPOSAL).")
        @Argument(help: "The proposal's number, as the queue shows it.") var proposal: String?
        @Flag(help: "The next proposal of the queue without a submitted scorecard.") var next = false
        @Option(name: .customLong("set"), help: ArgumentHelp("A criterion's value, CRITERION=VALUE; repeat for each.", valueName: "criterion=value"))
        var values: [String] = []
        @Option(help: "A scorecard file, YAML or JSON: {scores: {criterion: value, …}, comment: …, feedback: …}.") var file: String?
        @Option(help: "A private comment for the organizers (the team never sees it).") var comment: String?
        @Option(help: "Feedback for the team, shown to its university once results are published (rounds with feedback_to_teams).")
        var feedback: String?
        @Flag(help: "Save as a draft: may be incomplete, does not count until submitted.") var draft = false
        @OptionGroup var judge: JudgeOptions
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions

        func validate() throws {
            if (proposal == nil) == !next { throw ValidationError("name the proposal (wysc score 17) or ask for the next one (wysc score --next)") }
        }

        func run() async throws {
            var number: Int?
            if let proposal {
                guard case .number(let value) = ProposalReference(parsing: proposal) else {
                    throw ValidationError("the proposal is its number in the queue (e.g. 17), not '\(proposal)'")
                }
                number = value
            }
            let interactive = file == nil && values.isEmpty
            if interactive && isatty(STDIN_FILENO) != 1 {
                throw CommandFailure(
                    message: "not on a terminal: give the scores with --set CRITERION=VALUE (one per criterion) or --file FILE",
                    exitCode: CommandFailure.usage)
            }
            let (scored, outcome) = try await service.withService { service in
                let slug = try await competition.resolve(service)
                var item: QueueItem?
                if next || interactive {
                    let queue = try await service.judgeQueue(slug, judge: judge.resolved)
                    if next {
                        guard let open = queue.first(where: { $0.status != "submitted" }) else {
                            throw CommandFailure(
                                message: queue.isEmpty
                                    ? "no proposals are assigned to this judge in the current round"
                                    : "every proposal of the queue (\(queue.count)) has a submitted scorecard: nothing is left to score",
                                exitCode: CommandFailure.failure)
                        }
                        number = open.proposal
                    }
                    item = queue.first { $0.proposal == number }
                }
                let proposal = number!
                var card = ScorecardFile(values: [:], comment: comment, feedback: feedback)
                var draft = self.draft
                if let file {
                    card = try ScorecardInput.read(file, comment: comment, feedback: feedback)
                } else if !values.isEmpty {
                    card.values = try ScorecardInput.pairs(values)
                } else {
                    let view = try await service.readProposal(slug, .number(proposal), allVersions: false, judge: judge.resolved)[0]
                    Terminal.message(ProposalText.render(view, width: Terminal.errorColumns))
                    if !view.files.isEmpty, InteractiveScorecard.confirm("Download its \(view.files.count) file(s) into this directory first? [y/N] ")
                    {
                        for (path, _) in try await ProposalDownload.files(
                            of: view, only: nil, slug: slug, judge: judge.resolved, into: ".", service: service)
                        {
                            Terminal.success("saved \(path)")
                        }
                    }
                    let rubric = try await service.rubric(slug)
                    guard let answers = InteractiveScorecard.ask(rubric, proposal: proposal, feedbackToTeams: item?.feedbackToTeams ?? false)
                    else {
                        throw CommandFailure(message: "nothing was saved", exitCode: CommandFailure.failure)
                    }
                    (card, draft) = (answers.card, answers.draft)
                }
                return (
                    proposal,
                    try await service.submitScorecard(
                        slug, proposal: proposal, values: card.values, comment: card.comment, feedback: card.feedback, draft: draft,
                        judge: judge.resolved)
                )
            }
            let total = outcome.total.map { String(format: "%.2f", $0) } ?? "incomplete"
            switch outcome.change {
            case .unchanged: Terminal.message("Proposal #\(scored): unchanged (the same scorecard is already saved; total \(total)).")
            case .added, .revised:
                let what = outcome.submitted ? "submitted" : "saved as a draft"
                Terminal.success("Proposal #\(scored): scorecard \(what) (revision \(outcome.revision), weighted total \(total)).")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Scorecards from a file (judge,proposal,<criterion>…,comment,feedback) for judges who scored offline; all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let file = file
            let summary = try await database.importing(file) { application, progress in
                try await application.importScorecards(
                    reading: { try ScoreRow.rows(of: CSVReader(path: file)) }, file: file,
                    competition: try await competition.resolve(application), as: DirectModeActor.current, progress: progress)
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
            // Trimmed in Swift: Foundation's character sets cost a one-shot command a millisecond.
            let parts = pair.split(separator: "=", maxSplits: 1).map { part in
                let start = part.firstIndex { !$0.isWhitespace } ?? part.endIndex
                let end = part.lastIndex { !$0.isWhitespace }.map(part.index(after:)) ?? start
                return String(part[start..<end])
            }
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--set takes CRITERION=VALUE, not '\(pair)'") }
            if scores[parts[0]] != nil { throw ValidationError("--set gives '\(parts[0])' twice") }
            scores[parts[0]] = parts[1]
        }
        return scores
    }

    /// `{scores: {criterion: value}, comment: text, feedback: text}`, or the criteria at the top level;
    /// YAML or JSON. The file's texts win over the options'.
    static func read(_ path: String, comment: String?, feedback: String?) throws -> ScorecardFile {
        let text = try InputFile.read(path)
        do {
            var card = try WyscJudging.ScorecardFile.parse(text, file: path)
            card.comment = card.comment ?? comment
            card.feedback = card.feedback ?? feedback
            return card
        } catch {
            let place = error.line.map { ":\($0):\(error.column ?? 1)" } ?? ""
            throw CommandFailure(message: "\(path)\(place): \(error.message)", exitCode: CommandFailure.badInput)
        }
    }
}

/// Scoring on a terminal: one question per criterion, asked again until the answer is on the scale.
enum InteractiveScorecard {
    struct Answers {
        var card: ScorecardFile
        var draft: Bool
    }

    static func prompt(_ text: String) -> String? {
        FileHandle.standardError.write(Data(text.utf8))
        return readLine(strippingNewline: true)
    }

    /// A yes/no question; anything but yes is no.
    static func confirm(_ question: String) -> Bool {
        guard let answer = prompt(question)?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }

    static func ask(_ rubric: Rubric, proposal: Int, feedbackToTeams: Bool) -> Answers? {
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
        var feedback: String?
        if feedbackToTeams {
            guard let text = prompt("Feedback for the team (its university reads it, unsigned, once results are published; one line): ") else {
                return nil
            }
            feedback = text.isEmpty ? nil : text
        }
        guard let comment = prompt("Private comment for the organizers (the team never sees it; optional, one line): ") else { return nil }
        let card = ScorecardFile(values: values, comment: comment.isEmpty ? nil : comment, feedback: feedback)
        while true {
            guard let answer = prompt("Submit this scorecard? [y]es, save as [d]raft, [n]o: ")?.lowercased() else { return nil }
            switch answer {
            case "y", "yes": return Answers(card: card, draft: false)
            case "d", "draft": return Answers(card: card, draft: true)
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
        static let configuration = CommandConfiguration(
            commandName: "progress", abstract: "Scorecards in, per judge and per proposal; the missing ones.")
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
            By default proposals are ranked by the judge model: each judge's totals are read as the \
            proposal's quality times the judge's scale plus the judge's bias, all estimated together, so \
            a harsh or lenient judge, or one who squeezes every score into two points, does not move a \
            team. Each score comes with its 80% interval (low–high), the probability of being in the \
            round's cut (its shortlist; the top 3 of the last round) and the ranks it may have; a \
            proposal neither surely in nor surely out of the cut is marked uncertain. --method zscore \
            ranks on per-judge z-scores, --method raw on plain means. Ties are broken by the rubric's \
            tie_break criteria, then the raw mean; proposals still equal share a rank. The numbers are \
            recomputed from the stored scorecards.

            Examples:
              wysc results                            # the last round with scorecards
              wysc results --round screening --method raw --format csv
              wysc results --judges                   # each judge's mean, spread, bias and scale
              wysc results --round screening --suggest   # where one more scorecard helps most
              wysc results publish
              wysc results scorecards --format csv > scorecards-2026.csv
              wysc results feedback --format csv > feedback-2026.csv   # to mail each team its feedback
            """,
        subcommands: [Show.self, Publish.self, Scorecards.self, Feedback.self],
        defaultSubcommand: Show.self
    )

    struct Feedback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback",
            abstract: "The judges' feedback to each team, unsigned, with its criterion averages against the round's.",
            discussion: """
                Rounds whose workflow sets feedback_to_teams. A university sees its own teams' feedback once \
                the results are published; organizers at any time, with each team's contact for mailing it out.

                Examples:
                  wysc results feedback
                  wysc results feedback --team "Han River Movers"
                  wysc results feedback --format csv > feedback.csv
                """)
        @Option(help: "Only this team.") var team: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let feedback = try await service.withService { service in
                try await service.teamFeedback(try await competition.resolve(service), team: team)
            }
            guard output.format == .table else {
                Terminal.output(FeedbackText.table(feedback).render(output.format))
                return
            }
            Terminal.outputText(feedback.map { FeedbackText.render($0, width: Terminal.columns) }.joined(separator: "\n"))
            if feedback.isEmpty { Terminal.message("No feedback yet: no submitted scorecard in a round that sends feedback to teams.") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The ranking of a round (the default: wysc results).")
        @Option(help: "The round (default: the last with scorecards).") var round: String?
        @Option(help: "model (default), zscore or raw.") var method: MethodOption = .model
        @Flag(help: "Show each judge's mean, spread, bias and scale instead of the ranking.") var judges = false
        @Flag(help: "Show the proposals uncertain at the cut where one more scorecard would help most, best first.") var suggest = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var service: ServiceOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if suggest && method != .model { throw ValidationError("--suggest needs the judge model (--method model, the default)") }
            if suggest && judges { throw ValidationError("--suggest and --judges show different tables: give one") }
        }

        enum MethodOption: String, ExpressibleByArgument, CaseIterable {
            case model, zscore, raw

            var normalization: NormalizationMethod {
                switch self {
                case .model: .model
                case .zscore: .zscore
                case .raw: .raw
                }
            }
        }

        func run() async throws {
            let report = try await service.withService { service in
                try await service.results(try await competition.resolve(service), round: round, method: method.normalization)
            }
            func number(_ value: Double?) -> Cell { value.map { .text(String(format: "%.2f", $0)) } ?? .null }
            if judges {
                let table = DataTable(
                    columns: ["judge", "email", "scorecards", "mean", "spread", "bias", "scale"],
                    rows: report.judges.map {
                        [
                            .text($0.judge), .text($0.email), .integer($0.scorecards), number($0.mean), number($0.spread), number($0.bias),
                            number($0.scale),
                        ]
                    })
                Terminal.output(table.render(output.format))
                return
            }
            if suggest {
                let lines = Dictionary(uniqueKeysWithValues: report.lines.map { ($0.proposal, $0) })
                let table = DataTable(
                    columns: ["proposal", "team", "title", "rank", "score", "low", "high", "p_cut", "judges"],
                    rows: report.suggested.compactMap { lines[$0] }.map { line in
                        [
                            .integer(line.proposal), .text(line.team), .text(line.title), .integer(line.rank), number(line.score), number(line.low),
                            number(line.high), number(line.topProbability), .integer(line.judges),
                        ]
                    })
                Terminal.output(table.render(output.format))
                Terminal.message(
                    report.suggested.isEmpty
                        ? "No proposal of round '\(report.round)' is uncertain at its cut (the top \(report.cut)): one more scorecard would not change who makes it."
                        : "\(report.suggested.count) proposal(s) of round '\(report.round)' are uncertain at the cut (the top \(report.cut)), most helped by one more scorecard first; wysc assign --round \(report.round) --extra N adds a judge to the first N."
                )
                return
            }
            let table = DataTable(
                columns: [
                    "rank", "proposal", "team", "university", "title", "score", "low", "high", "p_cut", "best_rank", "worst_rank", "uncertain",
                    "raw_mean", "judges", "judge_totals", "spread",
                ],
                rows: report.lines.map { line in
                    [
                        .integer(line.rank), .integer(line.proposal), .text(line.team), .text(line.university), .text(line.title), number(line.score),
                        number(line.low), number(line.high), number(line.topProbability), line.bestRank.map(Cell.integer) ?? .null,
                        line.worstRank.map(Cell.integer) ?? .null, .bool(line.uncertain), number(line.rawMean), .integer(line.judges),
                        .text(line.judgeTotals.map { "\($0.judge) \(String(format: "%.2f", $0.total))" }.joined(separator: "; ")),
                        number(line.spread),
                    ]
                })
            Terminal.output(table.render(output.format))
            let described =
                switch report.method {
                case .model: "the judge model (p_cut: the probability of being in the top \(report.cut))"
                case .zscore: "per-judge z-scores"
                case .raw: "raw means"
                }
            Terminal.message(
                "Round '\(report.round)', ranked by \(described); \(report.published ? "published" : "not published")"
                    + (report.missingScorecards > 0 ? "; \(report.missingScorecards) assigned scorecard(s) still missing." : "."))
            let uncertain = report.lines.filter(\.uncertain).count
            if uncertain > 0 {
                Terminal.message("\(uncertain) proposal(s) are uncertain at the cut: one more scorecard each may decide whether they make it.")
            }
            if report.judgeGroups > 1 {
                Terminal.message(
                    "The judges form \(report.judgeGroups) groups that share no proposal: a group's leniency cannot be told from its proposals' quality. Assign a few proposals across groups to compare them."
                )
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish", abstract: "Make the results visible to universities and judges (organizers; audited).")
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
        static let configuration = CommandConfiguration(commandName: "scorecards", abstract: "Every scorecard, for the archive (organizers).")
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
                columns: ["round", "proposal", "team", "judge", "email"] + criteria + [
                    "total", "comment", "feedback", "submitted", "revision", "updated_at",
                ],
                rows: cards.map { archived in
                    let card = archived.scorecard
                    return [.text(card.round), .integer(card.proposal), .text(archived.team), .text(archived.judge), .text(archived.email)]
                        + criteria.map { card.scores[$0].map { .text(String(format: "%g", $0)) } ?? .null }
                        + [
                            card.total.map { .text(String(format: "%.2f", $0)) } ?? .null, .text(card.comment), .text(card.feedback),
                            .bool(card.submitted),
                            .integer(card.revision), .text(archived.updatedAt.rfc3339),
                        ]
                })
            Terminal.output(table.render(output.format))
        }
    }
}
