import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// Scorecards in the database: who acts for which judge, which round is open, what may be
/// written, and writing it (with its audit row).
enum Scoring {
    /// The judge a call acts for: a judge acts for themself; an organizer names one.
    static func actingJudge(
        _ email: String?, actor: Actor, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> Judges.Reference {
        switch actor {
        case .judge(let id):
            guard let row = try connection.query("SELECT id, email FROM judge WHERE id = \(id) AND competition_id = \(competition.id)").singleRow()
            else {
                throw WyscError(.permissionDenied, "you are not a judge of competition '\(competition.slug)'")
            }
            let judge = Judges.Reference(id: try row.decode("id"), email: try row.decode("email"))
            if let email, email.lowercased() != judge.email.lowercased() {
                throw WyscError(.permissionDenied, "a judge sees and scores only their own assignments")
            }
            return judge
        case .organizer, .system:
            guard let email else { throw WyscError(.badInput, "an organizer acts for a judge: say which judge", code: WyscError.Code.judgeRequired) }
            return try Judges.find(email, competition: competition, on: connection)
        case .university:
            throw WyscError(.permissionDenied, "universities do not score proposals")
        }
    }

    /// The round whose scoring phase is the current phase, if any.
    static func currentRound(_ competition: CompetitionRecord) -> JudgingRound? {
        competition.definition.rounds.first { $0.phase == competition.phase }
    }

    static func lastAssignedRound(_ competition: CompetitionRecord, judge: Int, on connection: PostgresConnection) throws -> JudgingRound? {
        for round in competition.definition.rounds.reversed()
        where try !connection.query(
            "SELECT 1 FROM assignment WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(judge) LIMIT 1"
        ).rows.isEmpty {
            return round
        }
        return nil
    }

    static func lastScoredRound(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> JudgingRound {
        for round in competition.definition.rounds.reversed()
        where try !connection.query("SELECT 1 FROM scorecard WHERE competition_id = \(competition.id) AND round = \(round.id) AND submitted LIMIT 1")
            .rows.isEmpty
        {
            return round
        }
        return try Assignments.round(nil, of: competition)
    }

    /// The round being scored now, or a refusal that names the phase (and the deadline, if passed).
    static func roundOpenForScoring(_ competition: CompetitionRecord, now: Date) throws -> JudgingRound {
        try competition.require(.submitScore, "scoring", now: now)
        guard let round = currentRound(competition) else {
            throw WyscError(.refused, "phase '\(competition.phase)' allows scoring but no round is scored in it (a round's 'phase' names it)")
        }
        return round
    }

    /// Everything about a scorecard that can be refused, checked before anything is written; the
    /// scorecard to write (revision 0: not stored yet).
    static func check(
        judge: Judges.Reference, proposal: Int, values: [String: String], comment: String, feedback: String, draft: Bool, round: JudgingRound,
        competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> Scorecard {
        try TextField.comment.check(comment, field: "the comment")
        try TextField.comment.check(feedback, field: "the feedback")
        if !round.feedbackToTeams && !feedback.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw WyscError(
                .badInput,
                "round '\(round.id)' sends no feedback to teams (its workflow does not set feedback_to_teams): write your notes as the comment, which only organizers read"
            )
        }
        // The assignment, the withdrawal and what the conflict rules look at, in one round trip.
        let assigned = try connection.query(
            """
            SELECT j.withdrawn_at IS NOT NULL AS withdrawn, j.university AS judge_university, j.city AS judge_city,
                   u.name AS team_university, u.city AS team_city,
                   EXISTS (SELECT 1 FROM declared_conflict c WHERE c.judge_id = j.id AND c.team_id = t.id) AS declared
            FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
            JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) AND a.judge_id = \(judge.id) AND a.proposal_id = \(proposal)
            """
        ).singleRow()
        guard let assigned else {
            throw WyscError(.permissionDenied, "proposal #\(proposal) is not assigned to \(judge.email) in round '\(round.id)'")
        }
        if try assigned.decode("withdrawn", as: Bool.self) { throw WyscError(.refused, "\(judge.email) has withdrawn from judging") }
        let conflicts = ConflictRules(round).reasons(
            judge: .init(university: try assigned.decode("judge_university"), city: try assigned.decode("judge_city")),
            team: .init(university: try assigned.decode("team_university"), city: try assigned.decode("team_city")),
            declared: try assigned.decode("declared"))
        if !conflicts.isEmpty {
            throw WyscError(
                .refused, "\(judge.email) has a conflict of interest with proposal #\(proposal); an organizer reassigns it",
                code: WyscError.Code.conflictOfInterest)
        }
        let scores: [String: Double]
        do {
            scores = try competition.definition.rubric.validate(values, partial: draft)
        } catch {
            throw WyscError(.badInput, "the scorecard for proposal #\(proposal) is not valid: \(error)")
        }
        let complete = scores.count == competition.definition.rubric.criteria.count
        return Scorecard(
            proposal: proposal, round: round.id, scores: scores, total: complete ? competition.definition.rubric.weightedTotal(scores) : nil,
            comment: comment, feedback: feedback, submitted: !draft, revision: 0)
    }

    /// Stores a scorecard, or a revision of it. `onlyIfNew`: the caller saw no scorecard, so one
    /// written meanwhile (another terminal's first submission) makes this stale, not a revision.
    static func write(
        _ card: Scorecard, judge: Judges.Reference, round: JudgingRound, competition: CompetitionRecord, actor: Actor, onlyIfNew: Bool = false,
        on connection: PostgresConnection
    ) throws -> ScorecardOutcome {
        let scoresJSON = JSONValue.object(card.scores.mapValues { JSONValue.number($0) })
        let existing = try connection.query(
            """
            SELECT scores::text AS scores, total::float8 AS total, comment, feedback, submitted, revision FROM scorecard
            WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(judge.id) AND proposal_id = \(card.proposal) FOR UPDATE
            """
        ).singleRow()
        let subject = "scorecard:\(round.id)/#\(card.proposal)/\(judge.email)"
        var after: [String: JSONValue] = [
            "scores": scoresJSON, "total": card.total.map(JSONValue.number) ?? .null, "comment": .string(card.comment),
            "feedback": .string(card.feedback), "submitted": .bool(card.submitted),
        ]
        if actor != .judge(judge.id) { after["on_behalf_of"] = .string(judge.email) }
        if existing != nil && onlyIfNew { throw staleFirstScorecard() }
        if let existing {
            let oldScores = try Scoring.storedScores(existing)
            let oldComment: String = try existing.decode("comment")
            let oldFeedback: String = try existing.decode("feedback")
            let oldSubmitted: Bool = try existing.decode("submitted")
            let revision: Int = try existing.decode("revision")
            if oldScores == card.scores && oldComment == card.comment && oldFeedback == card.feedback && oldSubmitted == card.submitted {
                return ScorecardOutcome(change: .unchanged, total: card.total, revision: revision, submitted: card.submitted)
            }
            try connection.query(
                """
                UPDATE scorecard SET scores = \(PostgresJSON(text: scoresJSON.encoded))::jsonb, total = \(card.total), comment = \(card.comment),
                    feedback = \(card.feedback), submitted = \(card.submitted), revision = revision + 1, updated_at = now(), updated_by = \(actor.description)
                WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(judge.id) AND proposal_id = \(card.proposal)
                """)
            try Audit.record(
                on: connection, actor: actor, action: card.submitted ? "scorecard.submit" : "scorecard.draft", subject: subject,
                competitionID: competition.id,
                before: [
                    "scores": .object(oldScores.mapValues { JSONValue.number($0) }),
                    "total": (try existing.decode("total", as: Double?.self)).map(JSONValue.number) ?? .null,
                    "comment": .string(oldComment), "feedback": .string(oldFeedback), "submitted": .bool(oldSubmitted),
                    "revision": .integer(revision),
                ],
                after: after.merging(["revision": .integer(revision + 1)]) { $1 })
            return ScorecardOutcome(change: .revised, total: card.total, revision: revision + 1, submitted: card.submitted)
        }
        // There was no row to lock: a concurrent first submission (two terminals, a retry racing the
        // original) may insert first. Then this one is a revision of that row.
        let inserted = try connection.query(
            """
            INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, feedback, submitted, updated_by)
            VALUES (\(competition.id), \(round.id), \(judge.id), \(card.proposal), \(PostgresJSON(text: scoresJSON.encoded))::jsonb, \(card.total),
                    \(card.comment), \(card.feedback), \(card.submitted), \(actor.description))
            ON CONFLICT DO NOTHING
            """
        ).affectedRows
        if inserted == 0 {
            if onlyIfNew { throw staleFirstScorecard() }
            return try write(card, judge: judge, round: round, competition: competition, actor: actor, on: connection)
        }
        try Audit.record(
            on: connection, actor: actor, action: card.submitted ? "scorecard.submit" : "scorecard.draft", subject: subject,
            competitionID: competition.id,
            after: after.merging(["revision": 1]) { $1 })
        return ScorecardOutcome(change: .added, total: card.total, revision: 1, submitted: card.submitted)
    }

    /// The caller saw no scorecard (If-Match "0"), and one was written since: by another terminal, say.
    static func staleFirstScorecard() -> WyscError {
        WyscError(.stale, "someone submitted this scorecard since you read it (you had none): read it again, then send your change")
    }

    /// A scorecard from a row that selected `scores::text AS scores, total::float8 AS total, comment, feedback, submitted, revision`.
    static func scorecard(_ row: PostgresRow, proposal: Int, round: String) throws -> Scorecard {
        Scorecard(
            proposal: proposal, round: round, scores: try storedScores(row), total: try row.decode("total"), comment: try row.decode("comment"),
            feedback: try row.decode("feedback"), submitted: try row.decode("submitted"), revision: try row.decode("revision"))
    }

    /// A row's `scores` (criterion → value, selected as text).
    static func storedScores(_ row: PostgresRow) throws -> [String: Double] {
        guard case .object(let members) = try JSONValue.parse(try row.decode("scores", as: String.self)) else {
            throw WyscError(.failure, "a stored scorecard's scores are not an object")
        }
        return members.compactMapValues { value in
            switch value {
            case .integer(let number): Double(number)
            case .number(let number): number
            default: nil
            }
        }
    }

    static func current(
        judge: Int, proposal: Int, round: String, competition: CompetitionRecord, lock: Bool, on connection: PostgresConnection
    ) throws -> Scorecard? {
        let clause: SQLQuery = lock ? " FOR UPDATE" : ""
        guard
            let row = try connection.query(
                """
                SELECT scores::text AS scores, total::float8 AS total, comment, feedback, submitted, revision FROM scorecard
                WHERE competition_id = \(competition.id) AND round = \(round) AND judge_id = \(judge) AND proposal_id = \(proposal)\(clause)
                """
            ).singleRow()
        else { return nil }
        return try scorecard(row, proposal: proposal, round: round)
    }

    /// Assigned scorecards of a round not submitted yet, as "judge → proposal #id (team)".
    static func missing(round: String, competition: CompetitionRecord, on connection: PostgresConnection) throws -> [String] {
        try connection.query(
            """
            SELECT j.name, a.proposal_id, t.name AS team FROM assignment a JOIN judge j ON j.id = a.judge_id
            JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
            LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
            WHERE a.competition_id = \(competition.id) AND a.round = \(round) AND NOT coalesce(s.submitted, false)
            ORDER BY j.name, a.proposal_id
            """
        ).rows.map {
            "\(try $0.decode("name", as: String.self)) → proposal #\(try $0.decode("proposal_id", as: Int.self)) (\(try $0.decode("team", as: String.self)))"
        }
    }
}
