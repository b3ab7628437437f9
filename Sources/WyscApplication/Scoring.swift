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
    /// sent again changes nothing. `expectedRevision` makes it a compare-and-set (0: only if the
    /// judge has no scorecard for it yet); `idempotency` makes a retry replay the first answer.
    public func submitScorecard(
        proposal: Int, values: [String: String], comment: String?, feedback: String? = nil, draft: Bool, judge email: String?,
        competition slug: String, as actor: Actor,
        expectedRevision: Int? = nil, idempotency: IdempotentRequest<ScorecardOutcome>? = nil
    ) async throws -> ScorecardOutcome {
        let now = self.now()
        return try await transaction { connection in
            try self.idempotently(idempotency, on: connection) {
                let competition = try Competitions.find(slug, on: connection, lock: .share)
                let judge = try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
                let round = try Scoring.roundOpenForScoring(competition, now: now)
                let card = try Scoring.check(
                    judge: judge, proposal: proposal, values: values, comment: comment ?? "", feedback: feedback ?? "", draft: draft, round: round,
                    competition: competition,
                    on: connection)
                if let expectedRevision {
                    let current =
                        try Scoring.current(
                            judge: judge.id, proposal: proposal, round: round.id, competition: competition, lock: true, on: connection)?.revision ?? 0
                    if current != expectedRevision {
                        throw WyscError(
                            .stale,
                            "someone changed this scorecard since you read it (it is at revision \(current), you had \(expectedRevision)): read it again, then send your change"
                        )
                    }
                }
                return try Scoring.write(
                    card, judge: judge, round: round, competition: competition, actor: actor, onlyIfNew: expectedRevision == 0, on: connection)
            }
        }
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
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw WyscError(.badInput, "a conflict needs a reason") }
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

    /// Scorecards from a file, for judges who scored offline: all or nothing, every bad row reported.
    public func importScorecards(_ rows: [ScoreRow], file: String, competition slug: String, as actor: Actor) async throws -> ImportSummary {
        try actor.requireOrganizer("import scorecards")
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let round = try Scoring.roundOpenForScoring(competition, now: now)
            var problems: [RowProblems.Problem] = []
            var cards: [(judge: Judges.Reference, card: Scorecard)] = []
            var seen: [String: Int] = [:]
            for row in rows {
                do {
                    guard let proposal = Int(row.proposal.trimmingCharacters(in: CharacterSet(charactersIn: "#"))) else {
                        throw WyscError(.badInput, "proposal \(quoted(row.proposal)) is not a proposal number")
                    }
                    let key = "\(row.judge.lowercased())/\(proposal)"
                    if let first = seen[key] { throw WyscError(.badInput, "the same judge and proposal as row \(first)") }
                    seen[key] = row.row
                    let judge = try Judges.find(row.judge, competition: competition, on: connection)
                    let card = try Scoring.check(
                        judge: judge, proposal: proposal, values: row.values, comment: row.comment, feedback: row.feedback, draft: false,
                        round: round,
                        competition: competition, on: connection)
                    cards.append((judge, card))
                } catch let error as WyscError {
                    problems.append(.init(row: row.row, message: error.message))
                }
            }
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            var summary = ImportSummary(added: 0, unchanged: 0)
            for (judge, card) in cards {
                switch try Scoring.write(card, judge: judge, round: round, competition: competition, actor: actor, on: connection).change {
                case .added: summary.added += 1
                case .revised: summary.changed += 1
                case .unchanged: summary.unchanged += 1
                }
            }
            return summary
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
