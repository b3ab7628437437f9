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
        try requireActsForJudge(email, actor: actor)
        let query: SQLQuery =
            if case .judge(let id) = actor {
                "SELECT id, email FROM judge WHERE id = \(id) AND competition_id = \(competition.id)"
            } else {
                "SELECT id, email FROM judge WHERE competition_id = \(competition.id) AND lower(email) = lower(\(email))"
            }
        return try actingJudge(try connection.query(query).singleRow(), email, actor: actor, competition: competition)
    }

    /// Refuses a caller who acts for no judge: a university, or an organizer who names none.
    static func requireActsForJudge(_ email: String?, actor: Actor) throws {
        switch actor {
        case .judge: return
        case .organizer, .system:
            guard email != nil else {
                throw WyscError(.badInput, "an organizer acts for a judge: say which judge", code: WyscError.Code.judgeRequired)
            }
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
        guard let assigned else { throw notAssigned(proposal, to: email, round: round) }
        if try assigned.decode("withdrawn", as: Bool.self) { throw withdrawn(email) }
        let conflicts = ConflictRules(round).reasons(
            judge: .init(university: try assigned.decode("judge_university"), city: try assigned.decode("judge_city")),
            team: .init(university: try assigned.decode("team_university"), city: try assigned.decode("team_city")),
            declared: try assigned.decode("declared"))
        if !conflicts.isEmpty { throw conflictOfInterest(email, proposal: proposal) }
    }

    static func notAssigned(_ proposal: Int, to email: String, round: JudgingRound) -> WyscError {
        WyscError(.permissionDenied, "proposal #\(proposal) is not assigned to \(email) in round '\(round.id)'")
    }

    static func withdrawn(_ email: String) -> WyscError { WyscError(.refused, "\(email) has withdrawn from judging") }

    static func conflictOfInterest(_ email: String, proposal: Int) -> WyscError {
        WyscError(
            .refused, "\(email) has a conflict of interest with proposal #\(proposal); an organizer reassigns it",
            code: WyscError.Code.conflictOfInterest)
    }

    /// A submission the database held back, having written nothing: the competition changed
    /// since the caller read it, or the names the conflict rules compare need wysc's own
    /// comparison (they are not all ASCII; see migration V0015).
    enum SubmissionHeld: Error {
        case competitionChanged
        case affiliations([String], judge: String)
    }

    /// Who sends a scorecard: an actor wysc knows, or an HTTP request's bearer token (its hash),
    /// which the statement that stores the scorecard checks.
    enum Sender: Sendable {
        case actor(Actor)
        case token(hash: String)
    }

    /// The one statement that stores `card` (checked against the rubric from `competition`), the
    /// `submit_scorecard` function: the sender's token, the acting judge, the assignment,
    /// withdrawal, conflicts, the revision `expected` (revision 0: no scorecard yet), the write
    /// and its audit row. The same scorecard sent again changes nothing. `checkedAffiliations`:
    /// the names wysc found no conflict between after the database held the submission back.
    /// `outcome` reads its answer.
    static func submission(
        _ card: Scorecard, round: JudgingRound, competition: CompetitionRecord, judge email: String?, sender: Sender,
        expected: RevisionPrecondition?, checkedAffiliations: [String]?, now: Date
    ) -> SQLQuery {
        let scores = PostgresJSON(text: JSONValue.object(card.scores.mapValues { JSONValue.number($0) }).encoded)
        var actor: Actor?
        var actingJudge: Int?
        var tokenHash: String?
        switch sender {
        case .actor(let known):
            actor = known
            if case .judge(let id) = known { actingJudge = id }
        case .token(let hash):
            tokenHash = hash
        }
        let rules = ConflictRules(round)
        return
            """
            SELECT outcome, revision, judge_email, affiliations, bound_competition FROM submit_scorecard(
                \(competition.id), \(competition.version), \(round.id), \(actor?.description), \(actingJudge), \(email), \(card.proposal),
                \(scores)::jsonb, \(card.total), \(card.comment), \(card.feedback), \(card.submitted),
                \(expected.map { $0.revisions.sorted() })::integer[], \(expected?.anyExisting ?? false), \(rules.sameUniversity), \(rules.sameCity),
                \(checkedAffiliations)::text[], \(tokenHash), \(now))
            """
    }

    /// What `submission`'s answer says: the outcome, or the refusal it stands for.
    static func outcome(
        of result: QueryResult, card: Scorecard, round: JudgingRound, competition: CompetitionRecord, judge email: String?,
        expected: RevisionPrecondition?
    ) throws -> ScorecardOutcome {
        let answer = result.rows[0]
        let revision: Int = try answer.decode("revision")
        let judgeEmail = try answer.decode("judge_email", as: String?.self) ?? email ?? ""
        let outcome: ScorecardOutcome.Change
        switch try answer.decode("outcome", as: String.self) {
        case "added": outcome = .added
        case "revised": outcome = .revised
        case "unchanged": outcome = .unchanged
        case "unauthenticated": throw TokenRefused()
        case "other_competition": throw tokenForOtherCompetition(try answer.decode("bound_competition"))
        case "university": throw WyscError(.permissionDenied, "universities do not score proposals")
        case "judge_required": throw judgeRequired()
        case "competition_changed": throw SubmissionHeld.competitionChanged
        case "check_affiliations": throw SubmissionHeld.affiliations(try answer.decode("affiliations"), judge: judgeEmail)
        case "not_a_judge": throw WyscError(.permissionDenied, "you are not a judge of competition '\(competition.slug)'")
        case "no_judge": throw WyscError(.notFound, "there is no judge \(judgeEmail) in competition '\(competition.slug)'")
        case "not_own": throw WyscError(.permissionDenied, "a judge sees and scores only their own assignments")
        case "not_assigned": throw notAssigned(card.proposal, to: judgeEmail, round: round)
        case "withdrawn": throw withdrawn(judgeEmail)
        case "conflict": throw conflictOfInterest(judgeEmail, proposal: card.proposal)
        case "stale":
            throw WyscError(
                .stale,
                "someone changed this scorecard since you read it (it is at revision \(revision), you had \(expected.map(\.description) ?? "none")): read it again, then send your change"
            )
        case "stale_first": throw staleFirstScorecard()
        case let other: throw WyscError(.failure, "submit_scorecard answered '\(other)', which this wysc does not know")
        }
        return ScorecardOutcome(change: outcome, total: card.total, revision: revision, submitted: card.submitted)
    }

    static func tokenForOtherCompetition(_ slug: String) -> WyscError {
        WyscError(.permissionDenied, "this token is for competition '\(slug)'")
    }

    static func judgeRequired() -> WyscError {
        WyscError(.badInput, "an organizer acts for a judge: say which judge", code: WyscError.Code.judgeRequired)
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
