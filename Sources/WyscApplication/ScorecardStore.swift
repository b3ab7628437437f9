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
        let query = try actingJudgeQuery(email, actor: actor, competition: competition.slug)
        return try actingJudge(try connection.query(query).singleRow(), email, actor: actor, competition: competition)
    }

    /// The competition and the judge a call acts for, found in one round trip.
    static func competitionAndActingJudge(
        _ slug: String, judge email: String?, actor: Actor, lock: Competitions.Lock, on connection: PostgresConnection
    ) throws -> (competition: CompetitionRecord, judge: Judges.Reference) {
        let judgeQuery: SQLQuery
        do {
            judgeQuery = try actingJudgeQuery(email, actor: actor, competition: slug)
        } catch {
            // No judge to look up; a competition that does not exist is still told first.
            _ = try Competitions.find(slug, on: connection, lock: lock)
            throw error
        }
        let found = try connection.queries([Competitions.query(slug, lock: lock), judgeQuery])
        let competition = try Competitions.record(try found[0].singleRow(), slug: slug, on: connection)
        return (competition, try actingJudge(try found[1].singleRow(), email, actor: actor, competition: competition))
    }

    /// The statement that finds the acting judge, by the competition's slug so that it can travel
    /// with the competition's own lookup; a refusal when the actor names no judge.
    private static func actingJudgeQuery(_ email: String?, actor: Actor, competition slug: String) throws -> SQLQuery {
        switch actor {
        case .judge(let id):
            return "SELECT id, email FROM judge WHERE id = \(id) AND competition_id = (SELECT id FROM competition WHERE slug = \(slug))"
        case .organizer, .system:
            guard let email else { throw WyscError(.badInput, "an organizer acts for a judge: say which judge", code: WyscError.Code.judgeRequired) }
            return
                "SELECT id, email FROM judge WHERE competition_id = (SELECT id FROM competition WHERE slug = \(slug)) AND lower(email) = lower(\(email))"
        case .university:
            throw WyscError(.permissionDenied, "universities do not score proposals")
        }
    }

    private static func actingJudge(_ row: PostgresRow?, _ email: String?, actor: Actor, competition: CompetitionRecord) throws -> Judges.Reference {
        guard let row else {
            if case .judge = actor { throw WyscError(.permissionDenied, "you are not a judge of competition '\(competition.slug)'") }
            throw WyscError(.notFound, "there is no judge \(email ?? "") in competition '\(competition.slug)'")
        }
        let judge = Judges.Reference(id: try row.decode("id"), email: try row.decode("email"))
        if case .judge = actor, let email, email.lowercased() != judge.email.lowercased() {
            throw WyscError(.permissionDenied, "a judge sees and scores only their own assignments")
        }
        return judge
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

    /// Everything about a scorecard that can be refused, checked before anything is written: the
    /// scorecard to write (revision 0: not stored yet) and the one stored now, locked for the write.
    static func check(
        judge: Judges.Reference, proposal: Int, values: [String: String], comment: String, feedback: String, draft: Bool, round: JudgingRound,
        competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> (card: Scorecard, stored: Scorecard?) {
        try checkTexts(comment: comment, feedback: feedback, round: round)
        // The assignment, the withdrawal, what the conflict rules look at and the stored scorecard, in one round trip.
        let found = try connection.queries([
            """
            SELECT \(mayScoreColumns)
            FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
            JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) AND a.judge_id = \(judge.id) AND a.proposal_id = \(proposal)
            """,
            currentQuery(judge: judge.id, proposal: proposal, round: round.id, competition: competition, lock: true),
        ])
        try requireMayScore(try found[0].singleRow(), judge: judge.email, proposal: proposal, round: round)
        let card = try card(
            proposal: proposal, values: values, comment: comment, feedback: feedback, draft: draft, round: round, competition: competition)
        return (card, try found[1].singleRow().map { try scorecard($0, proposal: proposal, round: round.id) })
    }

    /// What can be refused in a scorecard's texts, before anything is read.
    static func checkTexts(comment: String, feedback: String, round: JudgingRound) throws {
        try TextField.comment.check(comment, field: "the comment")
        try TextField.comment.check(feedback, field: "the feedback")
        if !round.feedbackToTeams && !feedback.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw WyscError(
                .badInput,
                "round '\(round.id)' sends no feedback to teams (its workflow does not set feedback_to_teams): write your notes as the comment, which only organizers read"
            )
        }
    }

    /// The scorecard `values` make, checked against the rubric (revision 0: not stored yet).
    static func card(
        proposal: Int, values: [String: String], comment: String, feedback: String, draft: Bool, round: JudgingRound, competition: CompetitionRecord
    ) throws -> Scorecard {
        let scores: [String: Double]
        do {
            scores = try competition.definition.rubric.validate(values, partial: draft)
        } catch {
            throw WyscError(.badInput, "the scorecard for proposal #\(proposal) is not valid: \(error)", code: WyscError.Code.rubricMismatch)
        }
        let complete = scores.count == competition.definition.rubric.criteria.count
        return Scorecard(
            proposal: proposal, round: round.id, scores: scores, total: complete ? competition.definition.rubric.weightedTotal(scores) : nil,
            comment: comment, feedback: feedback, submitted: !draft, revision: 0)
    }

    /// What `requireMayScore` reads, from an assignment `a` with its judge `j`, team `t` and the team's university `u`.
    static let mayScoreColumns: SQLQuery = """
        j.withdrawn_at IS NOT NULL AS withdrawn, j.university AS judge_university, j.city AS judge_city,
        u.name AS team_university, u.city AS team_city,
        EXISTS (SELECT 1 FROM declared_conflict c WHERE c.judge_id = j.id AND c.team_id = t.id) AS declared
        """

    /// Refuses a judge who may not score the proposal: not assigned it (`assigned` is nil), withdrawn, or in conflict.
    static func requireMayScore(_ assigned: PostgresRow?, judge email: String, proposal: Int, round: JudgingRound) throws {
        guard let assigned else {
            throw WyscError(.permissionDenied, "proposal #\(proposal) is not assigned to \(email) in round '\(round.id)'")
        }
        if try assigned.decode("withdrawn", as: Bool.self) { throw WyscError(.refused, "\(email) has withdrawn from judging") }
        let conflicts = ConflictRules(round).reasons(
            judge: .init(university: try assigned.decode("judge_university"), city: try assigned.decode("judge_city")),
            team: .init(university: try assigned.decode("team_university"), city: try assigned.decode("team_city")),
            declared: try assigned.decode("declared"))
        if !conflicts.isEmpty {
            throw WyscError(
                .refused, "\(email) has a conflict of interest with proposal #\(proposal); an organizer reassigns it",
                code: WyscError.Code.conflictOfInterest)
        }
    }

    /// Stores a scorecard, or a revision of `stored` (locked by `check`). `onlyIfNew`: the caller
    /// saw no scorecard, so one written meanwhile (another terminal's first submission) makes this
    /// stale, not a revision.
    static func write(
        _ card: Scorecard, stored: Scorecard?, judge: Judges.Reference, round: JudgingRound, competition: CompetitionRecord, actor: Actor,
        onlyIfNew: Bool = false, on connection: PostgresConnection
    ) throws -> ScorecardOutcome {
        let scoresJSON = JSONValue.object(card.scores.mapValues { JSONValue.number($0) })
        let subject = "scorecard:\(round.id)/#\(card.proposal)/\(judge.email)"
        var after: [String: JSONValue] = [
            "scores": scoresJSON, "total": card.total.map(JSONValue.number) ?? .null, "comment": .string(card.comment),
            "feedback": .string(card.feedback), "submitted": .bool(card.submitted),
        ]
        if actor != .judge(judge.id) { after["on_behalf_of"] = .string(judge.email) }
        if stored != nil && onlyIfNew { throw staleFirstScorecard() }
        if let stored {
            if stored.scores == card.scores && stored.comment == card.comment && stored.feedback == card.feedback
                && stored.submitted == card.submitted
            {
                return ScorecardOutcome(change: .unchanged, total: card.total, revision: stored.revision, submitted: card.submitted)
            }
            // The row is locked and exists: the update and its audit row travel with COMMIT.
            try connection.queue(
                """
                UPDATE scorecard SET scores = \(PostgresJSON(text: scoresJSON.encoded))::jsonb, total = \(card.total), comment = \(card.comment),
                    feedback = \(card.feedback), submitted = \(card.submitted), revision = revision + 1, updated_at = now(), updated_by = \(actor.description)
                WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(judge.id) AND proposal_id = \(card.proposal)
                """)
            try Audit.record(
                on: connection, actor: actor, action: card.submitted ? "scorecard.submit" : "scorecard.draft", subject: subject,
                competitionID: competition.id,
                before: [
                    "scores": .object(stored.scores.mapValues { JSONValue.number($0) }),
                    "total": stored.total.map(JSONValue.number) ?? .null,
                    "comment": .string(stored.comment), "feedback": .string(stored.feedback), "submitted": .bool(stored.submitted),
                    "revision": .integer(stored.revision),
                ],
                after: after.merging(["revision": .integer(stored.revision + 1)]) { $1 })
            return ScorecardOutcome(change: .revised, total: card.total, revision: stored.revision + 1, submitted: card.submitted)
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
            guard
                let written = try current(
                    judge: judge.id, proposal: card.proposal, round: round.id, competition: competition, lock: true, on: connection)
            else {
                throw WyscError(
                    .failure, "the scorecard for proposal #\(card.proposal) was written and removed while this one was stored; send it again")
            }
            return try write(card, stored: written, judge: judge, round: round, competition: competition, actor: actor, on: connection)
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
        try connection.query(currentQuery(judge: judge, proposal: proposal, round: round, competition: competition, lock: lock)).singleRow().map {
            try scorecard($0, proposal: proposal, round: round)
        }
    }

    private static func currentQuery(judge: Int, proposal: Int, round: String, competition: CompetitionRecord, lock: Bool) -> SQLQuery {
        let clause: SQLQuery = lock ? " FOR UPDATE" : ""
        return """
            SELECT scores::text AS scores, total::float8 AS total, comment, feedback, submitted, revision FROM scorecard
            WHERE competition_id = \(competition.id) AND round = \(round) AND judge_id = \(judge) AND proposal_id = \(proposal)\(clause)
            """
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
