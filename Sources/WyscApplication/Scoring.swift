import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// Judges' queues, scorecards, judging progress and results: the use cases. The scorecard write
/// path is in ScorecardStore.swift, the results read model in ResultsReadModel.swift and the
/// ranking actions of the workflow in RankingActions.swift.
extension Application {
    /// The rubric of the competition, for interactive scoring.
    public func rubric(competition slug: String) async throws -> Rubric {
        try await transaction { connection in try Competitions.find(slug, on: connection).definition.rubric }
    }

    /// A judge's assigned proposals in the round being scored now (or the last one assigned).
    public func judgeQueue(judge email: String?, competition slug: String, as actor: Actor) async throws -> [QueueItem] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let judge = try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
            let round = try Scoring.currentRound(competition) ?? Scoring.lastAssignedRound(competition, judge: judge.id, on: connection)
            guard let round else { return [] }
            return try connection.query(
                """
                SELECT p.id, p.title, p.tags, t.name AS team, u.name AS university, s.submitted, s.total::float8 AS total,
                       (SELECT count(*) FROM proposal_file f WHERE f.proposal_id = p.id AND f.version = p.version) AS files,
                       (SELECT count(*) FROM proposal_file f JOIN proposal_file_read r ON r.proposal_id = f.proposal_id AND r.sha256 = f.sha256
                         WHERE f.proposal_id = p.id AND f.version = p.version AND r.judge_id = a.judge_id) AS opened
                FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
                LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
                WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) AND a.judge_id = \(judge.id)
                ORDER BY p.id
                """
            ).rows.map { row in
                let submitted: Bool? = try row.decode("submitted")
                return QueueItem(
                    proposal: try row.decode("id"), round: round.id, title: try row.decode("title"), tags: try row.decode("tags"),
                    team: round.blindReview ? nil : try row.decode("team"), university: round.blindReview ? nil : try row.decode("university"),
                    status: submitted == nil ? "not started" : submitted! ? "submitted" : "draft", total: try row.decode("total"),
                    deadline: competition.definition.phase(round.phase)?.deadline, feedbackToTeams: round.feedbackToTeams,
                    files: try row.decode("files"), filesOpened: try row.decode("opened"))
            }
        }
    }

    /// Submits (or saves as a draft, or revises) a judge's scorecard for a proposal of the round
    /// being scored. Only the assigned judge without a conflict, during the round's phase; an
    /// organizer may enter a scorecard on a judge's behalf (audited as such). The same scorecard
    /// sent again changes nothing. `expected` makes it a compare-and-set (revision 0: only if the
    /// judge has no scorecard for it yet); `idempotency` makes a retry replay the first answer.
    public func submitScorecard(
        proposal: Int, values: [String: String], comment: String?, feedback: String? = nil, draft: Bool, judge email: String?,
        competition slug: String, as actor: Actor,
        expected: RevisionPrecondition? = nil, idempotency: IdempotentRequest<ScorecardOutcome>? = nil
    ) async throws -> ScorecardOutcome {
        try await submitScorecard(
            proposal: proposal, values: values, comment: comment ?? "", feedback: feedback ?? "", draft: draft, judge: email, competition: slug,
            sender: .actor(actor), expected: expected, idempotency: idempotency)
    }

    /// The same, sent with an HTTP request's bearer token: the statement that stores the
    /// scorecard checks the token, so the request needs no round trip to authenticate first.
    /// Throws `TokenRefused` for a token that is unknown, expired or revoked, before any other
    /// refusal.
    public func submitScorecard(
        proposal: Int, values: [String: String], comment: String?, feedback: String?, draft: Bool, judge email: String?,
        competition slug: String, presenting token: String, expected: RevisionPrecondition?
    ) async throws -> ScorecardOutcome {
        guard let hash = Tokens.bearerHash(token) else { throw TokenRefused() }
        let sender = Scoring.Sender.token(hash: hash)
        do {
            return try await submitScorecard(
                proposal: proposal, values: values, comment: comment ?? "", feedback: feedback ?? "", draft: draft, judge: email,
                competition: slug, sender: sender, expected: expected, idempotency: nil)
        } catch let error where !(error is TokenRefused) {
            // Refused before the statement checked the token (an unknown competition, a closed
            // phase, values off the rubric): a bad token is still told first.
            _ = try await actor(of: sender, judge: email, competition: slug)
            throw error
        }
    }

    /// The actor a sender stands for in competition `slug`, who must act for a judge: refused
    /// (`TokenRefused`, forbidden) when the token does not stand for one there.
    private func actor(of sender: Scoring.Sender, judge email: String?, competition slug: String) async throws -> Actor {
        switch sender {
        case .actor(let actor):
            return actor
        case .token(let hash):
            guard let credential = try await authenticate(hash: hash) else { throw TokenRefused() }
            if let bound = credential.competition, bound != slug { throw Scoring.tokenForOtherCompetition(bound) }
            try Scoring.requireActsForJudge(email, actor: credential.actor)
            return credential.actor
        }
    }

    private func submitScorecard(
        proposal: Int, values: [String: String], comment: String, feedback: String, draft: Bool, judge email: String?,
        competition slug: String, sender: Scoring.Sender, expected: RevisionPrecondition?, idempotency: IdempotentRequest<ScorecardOutcome>?
    ) async throws -> ScorecardOutcome {
        let now = self.now()
        var competition = try await rememberedCompetition(slug, fresh: false)
        if case .actor(let actor) = sender { try Scoring.requireActsForJudge(email, actor: actor) }
        var fresh = false
        var checkedAffiliations: [String]?
        // Each pass either answers or learns something (a fresh record, names found free of conflict).
        for _ in 1...5 {
            let round: JudgingRound
            let card: Scorecard
            do {
                round = try Scoring.roundOpenForScoring(competition, now: now)
                try Scoring.checkTexts(comment: comment, feedback: feedback, round: round)
                card = try Scoring.card(
                    proposal: proposal, values: values, comment: comment, feedback: feedback, draft: draft, round: round, competition: competition)
            } catch {
                if !fresh {
                    // Refused by a remembered record: the phase may have moved since; decide on a fresh one.
                    competition = try await rememberedCompetition(slug, fresh: true)
                    fresh = true
                    continue
                }
                // Someone who is not a judge here is told that first.
                let actor = try await actor(of: sender, judge: email, competition: slug)
                _ = try await transaction { [competition] connection in
                    try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
                }
                throw error
            }
            let submission = Scoring.submission(
                card, round: round, competition: competition, judge: email, sender: sender, expected: expected,
                checkedAffiliations: checkedAffiliations, now: now)
            let answer = { @Sendable [competition] (result: QueryResult) throws -> ScorecardOutcome in
                try Scoring.outcome(of: result, card: card, round: round, competition: competition, judge: email, expected: expected)
            }
            do {
                guard let idempotency else {
                    // Sent twice, a scorecard without a precondition leaves what sending it once does.
                    return try answer(try await pipelined(submission, repeatable: expected == nil))
                }
                return try await transaction { connection in
                    try self.idempotently(idempotency, on: connection) { try answer(try connection.query(submission)) }
                }
            } catch Scoring.SubmissionHeld.competitionChanged {
                competition = try await rememberedCompetition(slug, fresh: true)
                fresh = true
            } catch Scoring.SubmissionHeld.affiliations(let names, let judgeEmail) {
                let conflicts = ConflictRules(round).reasons(
                    judge: .init(university: names[0], city: names[1]), team: .init(university: names[2], city: names[3]), declared: false)
                if !conflicts.isEmpty { throw Scoring.conflictOfInterest(judgeEmail, proposal: proposal) }
                checkedAffiliations = names
            }
        }
        throw WyscError(.unavailable, "competition '\(slug)' kept changing while this scorecard was stored; send it again")
    }

    /// A judge's scorecard for a proposal of the round being scored (or the last assigned), if any.
    public func scorecard(proposal: Int, judge email: String?, competition slug: String, as actor: Actor) async throws -> Scorecard? {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let judge = try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
            guard let round = try Scoring.currentRound(competition) ?? Scoring.lastAssignedRound(competition, judge: judge.id, on: connection) else {
                return nil
            }
            return try Scoring.current(judge: judge.id, proposal: proposal, round: round.id, competition: competition, lock: false, on: connection)
        }
    }

    /// A judge declares a conflict with an assigned proposal (they may not know the team: blind review).
    public func declareConflict(proposal: Int, reason: String, judge email: String?, competition slug: String, as actor: Actor) async throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WyscError(.badInput, "a conflict needs a reason") }
        try TextField.reason.check(reason, field: "the reason")
        let (judgeEmail, team) = try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let judge = try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
            guard
                let row = try connection.query(
                    """
                    SELECT t.name FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
                    WHERE a.competition_id = \(competition.id) AND a.judge_id = \(judge.id) AND a.proposal_id = \(proposal) LIMIT 1
                    """
                ).singleRow()
            else {
                throw WyscError(.permissionDenied, "proposal #\(proposal) is not assigned to \(judge.email)")
            }
            return (judge.email, try row.decode("name", as: String.self))
        }
        try await declareConflict(judge: judgeEmail, team: team, reason: reason, competition: slug, as: actor)
    }

    /// Scorecards made in memory, for judges who scored offline: all or nothing.
    public func importScorecards(_ rows: [ScoreRow], file: String, competition slug: String, as actor: Actor) async throws -> ImportSummary {
        try await importScorecards(reading: { rows }, file: file, competition: slug, as: actor)
    }

    /// Scorecards from a file, for judges who scored offline: all or nothing, every bad row
    /// reported. Each is submitted on its judge's behalf (audited as such); one sent again as it is
    /// stored changes nothing. `rows` is called once per attempt of the transaction.
    public func importScorecards<Rows: ImportRows<ScoreRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try actor.requireOrganizer("import scorecards")
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let round = try Scoring.roundOpenForScoring(competition, now: now)
            let (_, problems) = try ScoreImport.stage(try rows(), round: round, competition: competition, on: connection, progress: progress)
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return try ScoreImport.write(round: round, competition: competition, actor: actor, on: connection)
        }
    }

    /// Per judge and per proposal, how many scorecards are in; which are missing and whether overdue.
    public func judgingProgress(round id: String?, competition slug: String, as actor: Actor) async throws -> JudgingProgress {
        try actor.requireOrganizer("follow judging progress")
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let round =
                try id.map { try Assignments.round($0, of: competition) } ?? Scoring.currentRound(competition)
                ?? Assignments.round(nil, of: competition)
            let judges = try connection.query(
                """
                SELECT j.name, j.email, count(a.proposal_id) AS assigned,
                       count(s.proposal_id) FILTER (WHERE s.submitted) AS submitted, count(s.proposal_id) FILTER (WHERE NOT s.submitted) AS drafts
                FROM judge j JOIN assignment a ON a.judge_id = j.id AND a.round = \(round.id) AND a.competition_id = \(competition.id)
                LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
                GROUP BY j.id ORDER BY j.name, j.id
                """
            ).rows.map { row in
                JudgingProgress.JudgeProgress(
                    judge: try row.decode("name"), email: try row.decode("email"), assigned: try row.decode("assigned"),
                    submitted: try row.decode("submitted"), drafts: try row.decode("drafts"))
            }
            let proposals = try connection.query(
                """
                SELECT p.id, t.name AS team, count(a.judge_id) AS assigned, count(s.judge_id) FILTER (WHERE s.submitted) AS submitted
                FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
                LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
                WHERE a.competition_id = \(competition.id) AND a.round = \(round.id)
                GROUP BY p.id, t.name ORDER BY p.id
                """
            ).rows.map { row in
                JudgingProgress.ProposalLine(
                    proposal: try row.decode("id"), team: try row.decode("team"), assigned: try row.decode("assigned"),
                    submitted: try row.decode("submitted"))
            }
            let missing = try Scoring.missing(round: round.id, competition: competition, on: connection)
            let deadline = competition.definition.phase(round.phase)?.deadline
            return JudgingProgress(
                round: round.id, deadline: deadline, overdue: deadline.map { now >= $0 } == true && !missing.isEmpty, judges: judges,
                proposals: proposals, missing: missing)
        }
    }

    /// The results of a round (default: the last round with scorecards). Organizers see them at any
    /// time with every judge's totals; judges and universities only once published, without them.
    public func results(round id: String?, method: NormalizationMethod, competition slug: String, as actor: Actor) async throws -> ResultsReport {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let published = try Scoring.isPublished(competition, on: connection)
            guard actor.isOrganizer || actor == .system || published else {
                throw WyscError(.permissionDenied, "the results of '\(slug)' are not published yet")
            }
            let round = try id.map { try Assignments.round($0, of: competition) } ?? Scoring.lastScoredRound(competition, on: connection)
            var report = try Scoring.results(round: round, method: method, competition: competition, on: connection)
            report.published = published
            if case .university(let own) = actor {
                let mine = Set(
                    try connection.query("SELECT name FROM team WHERE competition_id = \(competition.id) AND university_id = \(own)").rows.map {
                        try $0.decode("name", as: String.self)
                    })
                report.lines = report.lines.filter { mine.contains($0.team) }
            }
            if !(actor.isOrganizer || actor == .system) {
                report.judges = []
                for index in report.lines.indices { report.lines[index].judgeTotals = [] }
            }
            return report
        }
    }

    /// Makes the results visible to universities and judges (organizers; audited).
    public func publishResults(competition slug: String, as actor: Actor) async throws -> String {
        try actor.requireOrganizer("publish results")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .update)
            return try Scoring.publish(competition, actor: actor, on: connection)
        }
    }

    /// Every scorecard, for the archive (organizers).
    public func scorecards(round id: String?, competition slug: String, as actor: Actor) async throws -> [ArchivedScorecard] {
        try actor.requireOrganizer("export scorecards")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            return try connection.query(
                """
                SELECT s.round, s.proposal_id, t.name AS team, j.name AS judge, j.email, s.scores::text AS scores, s.total::float8 AS total,
                       s.comment, s.feedback, s.submitted, s.revision, s.updated_at
                FROM scorecard s JOIN judge j ON j.id = s.judge_id JOIN proposal p ON p.id = s.proposal_id JOIN team t ON t.id = p.team_id
                WHERE s.competition_id = \(competition.id) AND (\(id)::text IS NULL OR s.round = \(id))
                ORDER BY s.round, s.proposal_id, j.name
                """
            ).rows.map { row in
                ArchivedScorecard(
                    scorecard: try Scoring.scorecard(row, proposal: try row.decode("proposal_id"), round: try row.decode("round")),
                    team: try row.decode("team"), judge: try row.decode("judge"), email: try row.decode("email"),
                    updatedAt: try row.decode("updated_at"))
            }
        }
    }
}

/// An offline scoring file: each row checked alone (its texts, its values against the rubric) as it
/// is staged; then, set-based, its judge, a repeat, and whether the judge may score the proposal
/// (the conflict rules run here, on what one query reads for every row); written in one statement.
enum ScoreImport {
    static func table(round: JudgingRound, competition: CompetitionRecord) -> StagingTable<ScoreRow> {
        StagingTable(
            name: "score_import",
            columns: """
                row_number integer NOT NULL, judge text NOT NULL, proposal_id bigint, scores jsonb NOT NULL, total float8 NOT NULL,
                comment text NOT NULL, feedback text NOT NULL
                """,
            check: { row in
                var problems: [RowProblems.Problem] = []
                do {
                    try Scoring.checkTexts(comment: row.comment, feedback: row.feedback, round: round)
                } catch let error as WyscError {
                    // A text that cannot be stored keeps its row out of staging.
                    problems.append(.init(row: row.row, message: error.message, isTextLimit: true))
                } catch {
                    problems.append(.init(row: row.row, message: "\(error)", isTextLimit: true))
                }
                problems += TextField.problems([("judge", row.judge, .email), ("proposal", row.proposal, .name)]).map {
                    .init(row: row.row, message: $0, isTextLimit: true)
                }
                guard let proposal = proposalNumber(row.proposal) else {
                    problems.append(.init(row: row.row, message: "proposal \(quoted(row.proposal)) is not a proposal number"))
                    return problems
                }
                do {
                    _ = try Scoring.card(
                        proposal: proposal, values: row.values, comment: row.comment, feedback: row.feedback, draft: false, round: round,
                        competition: competition)
                } catch {
                    problems.append(.init(row: row.row, message: (error as? WyscError)?.message ?? "\(error)"))
                }
                return problems
            },
            values: { row in
                let proposal = proposalNumber(row.proposal)
                // A row whose proposal or values are refused is a problem already; it is staged without them.
                let card = try? Scoring.card(
                    proposal: proposal ?? 0, values: row.values, comment: row.comment, feedback: row.feedback, draft: false, round: round,
                    competition: competition)
                let scores = JSONValue.object((card?.scores ?? [:]).mapValues { JSONValue.number($0) }).encoded
                return [String(row.row), row.judge, proposal.map(String.init), scores, String(card?.total ?? 0), row.comment, row.feedback]
            })
    }

    static func proposalNumber(_ text: String) -> Int? {
        Int(text.trimmingCharacters(in: CharacterSet(charactersIn: "#"))).flatMap { $0 > 0 ? $0 : nil }
    }

    static func stage<Rows: ImportRows<ScoreRow>>(
        _ rows: Rows, round: JudgingRound, competition: CompetitionRecord, on connection: PostgresConnection,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        let staged = try StagedImport.stage(rows, into: table(round: round, competition: competition), on: connection, progress: progress)
        guard StagedImport.everyRowStaged(staged.problems) else { return staged }
        var problems = staged.problems
        problems += try StagedImport.problems(
            """
            SELECT row_number, first_row FROM (
                SELECT row_number, min(row_number) OVER (PARTITION BY lower(judge), proposal_id) AS first_row FROM score_import
                WHERE proposal_id IS NOT NULL
            ) s
            WHERE row_number <> first_row
            """, on: connection
        ) { "the same judge and proposal as row \(try $0.decode("first_row", as: Int.self))" }
        problems += try StagedImport.problems(
            """
            SELECT s.row_number, s.judge FROM score_import s
            WHERE NOT EXISTS (SELECT 1 FROM judge j WHERE j.competition_id = \(competition.id) AND lower(j.email) = lower(s.judge))
            """, on: connection
        ) { "there is no judge \(try $0.decode("judge", as: String.self)) in competition '\(competition.slug)'" }
        // Whether each known judge may score the proposal: the same checks as one scorecard's.
        for row in try connection.query(
            """
            SELECT s.row_number, s.proposal_id, j.email, a.judge_id IS NOT NULL AS assigned, \(Scoring.mayScoreColumns)
            FROM score_import s JOIN judge j ON j.competition_id = \(competition.id) AND lower(j.email) = lower(s.judge)
            LEFT JOIN assignment a ON a.competition_id = \(competition.id) AND a.round = \(round.id) AND a.judge_id = j.id AND a.proposal_id = s.proposal_id
            LEFT JOIN proposal p ON p.id = a.proposal_id LEFT JOIN team t ON t.id = p.team_id LEFT JOIN university u ON u.id = t.university_id
            WHERE s.proposal_id IS NOT NULL
            """
        ).rows {
            do {
                try Scoring.requireMayScore(
                    try row.decode("assigned", as: Bool.self) ? row : nil, judge: try row.decode("email"), proposal: try row.decode("proposal_id"),
                    round: round)
            } catch let error as WyscError {
                problems.append(.init(row: try row.decode("row_number"), message: error.message))
            }
        }
        return (staged.rows, problems)
    }

    /// Adds or revises each scorecard (submitted, on its judge's behalf) with its audit row, in one
    /// statement; a scorecard sent as it is stored changes nothing.
    static func write(
        round: JudgingRound, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection
    ) throws
        -> ImportSummary
    {
        // The stored scorecards this import revises, locked first: a judge submitting meanwhile waits.
        try connection.query(
            """
            SELECT 1 FROM scorecard c JOIN judge j ON j.id = c.judge_id JOIN score_import s ON lower(s.judge) = lower(j.email) AND s.proposal_id = c.proposal_id
            WHERE c.competition_id = \(competition.id) AND c.round = \(round.id) FOR UPDATE OF c
            """)
        let counts = try connection.query(
            """
            WITH incoming AS (
                SELECT s.*, j.id AS judge_id, j.email AS judge_email, c.revision AS old_revision,
                       CASE WHEN c.judge_id IS NOT NULL THEN jsonb_build_object(
                           'scores', c.scores, 'total', c.total, 'comment', c.comment, 'feedback', c.feedback, 'submitted', c.submitted,
                           'revision', c.revision) END AS before,
                       c.judge_id IS NOT NULL AND c.scores = s.scores AND c.comment = s.comment AND c.feedback = s.feedback AND c.submitted AS same
                FROM score_import s JOIN judge j ON j.competition_id = \(competition.id) AND lower(j.email) = lower(s.judge)
                LEFT JOIN scorecard c ON c.competition_id = \(competition.id) AND c.round = \(round.id) AND c.judge_id = j.id AND c.proposal_id = s.proposal_id
            ), written AS (
                INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, feedback, submitted, updated_by)
                SELECT \(competition.id), \(round.id), judge_id, proposal_id, scores, total, comment, feedback, true, \(actor.description)
                FROM incoming WHERE NOT same ORDER BY row_number
                ON CONFLICT (competition_id, round, judge_id, proposal_id) DO UPDATE
                SET scores = EXCLUDED.scores, total = EXCLUDED.total, comment = EXCLUDED.comment, feedback = EXCLUDED.feedback, submitted = true,
                    revision = scorecard.revision + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
                RETURNING 1
            ), audit AS (
                INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
                SELECT \(actor.description), 'scorecard.submit', 'scorecard:' || \(round.id) || '/#' || proposal_id || '/' || judge_email, before,
                       jsonb_build_object('scores', scores, 'total', total, 'comment', comment, 'feedback', feedback, 'submitted', true,
                           'on_behalf_of', judge_email, 'revision', coalesce(old_revision, 0) + 1),
                       \(competition.id)
                FROM incoming WHERE NOT same ORDER BY row_number
                RETURNING 1
            )
            SELECT count(*) FILTER (WHERE before IS NULL) AS added, count(*) FILTER (WHERE before IS NOT NULL AND NOT same) AS changed,
                   count(*) FILTER (WHERE same) AS unchanged, (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM audit) AS audited
            FROM incoming
            """
        ).rows[0]
        return ImportSummary(added: try counts.decode("added"), changed: try counts.decode("changed"), unchanged: try counts.decode("unchanged"))
    }
}

/// The revisions a scorecard may be at for a change to go ahead (HTTP's If-Match): one of
/// `revisions` (0: no scorecard yet), or, with `anyExisting`, any scorecard at all (`*`).
public struct RevisionPrecondition: Sendable, Equatable, CustomStringConvertible {
    public var revisions: Set<Int>
    public var anyExisting: Bool

    public init(revisions: Set<Int>, anyExisting: Bool = false) {
        self.revisions = revisions
        self.anyExisting = anyExisting
    }

    public static func revision(_ revision: Int) -> RevisionPrecondition { RevisionPrecondition(revisions: [revision]) }

    /// Whether a scorecard at `revision` (0: none) meets it.
    public func holds(at revision: Int) -> Bool {
        revisions.contains(revision) || (anyExisting && revision > 0)
    }

    public var description: String {
        if anyExisting { return "any revision" }
        return revisions.isEmpty ? "no revision of ours" : revisions.sorted().map(String.init).joined(separator: " or ")
    }
}
