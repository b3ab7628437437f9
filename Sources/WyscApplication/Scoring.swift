import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// One proposal in a judge's queue.
public struct QueueItem: Sendable, Hashable, Codable {
    public var proposal: Int
    public var round: String
    public var title: String
    public var tags: [String]
    /// nil when the round is blind.
    public var team: String?
    public var university: String?
    /// not started, draft or submitted.
    public var status: String
    public var total: Double?
    public var deadline: Date?
}

/// What happened to a scorecard.
public struct ScorecardOutcome: Sendable, Hashable, Codable {
    public enum Change: String, Sendable, Codable { case added, revised, unchanged }
    public var change: Change
    public var total: Double?
    public var revision: Int
    public var submitted: Bool

    public init(change: Change, total: Double?, revision: Int, submitted: Bool) {
        self.change = change
        self.total = total
        self.revision = revision
        self.submitted = submitted
    }
}

/// One row of an offline scoring file: judge,proposal,<criterion>…,comment.
public struct ScoreRow: Sendable, Hashable {
    public var row: Int
    public var judge: String
    public var proposal: String
    public var values: [String: String]
    public var comment: String

    public init(row: Int, judge: String, proposal: String, values: [String: String], comment: String) {
        self.row = row
        self.judge = judge
        self.proposal = proposal
        self.values = values
        self.comment = comment
    }

    /// Every column other than judge, proposal and comment is a criterion (empty cells are left out).
    public static func rows(of document: CSVDocument) throws(WyscError) -> [ScoreRow] {
        let columns = try document.columns(required: ["judge", "proposal"], optional: ["comment"])
        let criteria = document.header.enumerated().filter { !["judge", "proposal", "comment"].contains($0.element) }
        return document.records.map { record in
            var values: [String: String] = [:]
            for (index, name) in criteria where !record.value(index).isEmpty { values[name] = record.value(index) }
            return ScoreRow(
                row: record.row, judge: record.value(columns["judge"]), proposal: record.value(columns["proposal"]), values: values,
                comment: record.value(columns["comment"]))
        }
    }
}

public struct JudgingProgress: Sendable, Hashable {
    public struct JudgeLine: Sendable, Hashable {
        public var judge: String
        public var email: String
        public var assigned: Int
        public var submitted: Int
        public var drafts: Int
        public var missing: Int { assigned - submitted }
    }

    public struct ProposalLine: Sendable, Hashable {
        public var proposal: Int
        public var team: String
        public var assigned: Int
        public var submitted: Int
    }

    public var round: String
    public var deadline: Date?
    /// The deadline passed with scorecards missing.
    public var overdue: Bool
    public var judges: [JudgeLine]
    public var proposals: [ProposalLine]
    /// "judge → proposal #id (team)" for every missing scorecard.
    public var missing: [String]
}

/// The results of a round, recomputed from the stored scorecards.
public struct ResultsReport: Sendable, Hashable, Codable {
    public struct JudgeTotal: Sendable, Hashable, Codable {
        public var judge: String
        public var total: Double
    }

    public struct Line: Sendable, Hashable, Codable {
        public var rank: Int
        public var proposal: Int
        public var team: String
        public var university: String
        public var title: String
        public var score: Double
        public var rawMean: Double
        /// Each judge's weighted total; empty for those who may not see other judges' scores.
        public var judgeTotals: [JudgeTotal]
        public var judges: Int
        public var spread: Double
        public var disagreement: Bool
    }

    public struct JudgeLine: Sendable, Hashable, Codable {
        public var judge: String
        public var email: String
        public var scorecards: Int
        public var mean: Double
        public var spread: Double
    }

    public var round: String
    public var method: NormalizationMethod
    public var published: Bool
    public var lines: [Line]
    public var judges: [JudgeLine]
    public var missingScorecards: Int
}

/// A judge's own scorecard as it stands; `revision` is its version (the HTTP API's ETag).
public struct Scorecard: Sendable, Hashable, Codable {
    public var proposal: Int
    public var round: String
    public var scores: [String: Double]
    public var total: Double?
    public var comment: String
    public var submitted: Bool
    public var revision: Int
}

public struct ScorecardRecord: Sendable, Hashable {
    public var round: String
    public var proposal: Int
    public var team: String
    public var judge: String
    public var email: String
    public var scores: [String: Double]
    public var total: Double?
    public var comment: String
    public var submitted: Bool
    public var revision: Int
    public var updatedAt: Date
}

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
                SELECT p.id, p.title, p.tags, t.name AS team, u.name AS university, s.submitted, s.total::float8 AS total
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
                    deadline: competition.definition.phase(round.phase)?.deadline)
            }
        }
    }

    /// Submits (or saves as a draft, or revises) a judge's scorecard for a proposal of the round
    /// being scored. Only the assigned judge without a conflict, during the round's phase; an
    /// organizer may enter a scorecard on a judge's behalf (audited as such). The same scorecard
    /// sent again changes nothing. `expectedRevision` makes it a compare-and-set (0: only if the
    /// judge has no scorecard for it yet); `idempotency` makes a retry replay the first answer.
    public func submitScorecard(
        proposal: Int, values: [String: String], comment: String?, draft: Bool, judge email: String?, competition slug: String, as actor: Actor,
        expectedRevision: Int? = nil, idempotency: IdempotentRequest<ScorecardOutcome>? = nil
    ) async throws -> ScorecardOutcome {
        let now = self.now()
        return try await transaction { connection in try self.idempotently(idempotency, on: connection) {
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let judge = try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection)
            let round = try Scoring.roundOpenForScoring(competition, now: now)
            let card = try Scoring.check(
                judge: judge, proposal: proposal, values: values, comment: comment ?? "", draft: draft, round: round, competition: competition,
                on: connection)
            if let expectedRevision {
                let current = try Scoring.current(judge: judge.id, proposal: proposal, round: round.id, competition: competition, lock: true, on: connection)?.revision ?? 0
                if current != expectedRevision {
                    throw WyscError(
                        .stale,
                        "someone changed this scorecard since you read it (it is at revision \(current), you had \(expectedRevision)): read it again, then send your change")
                }
            }
            return try Scoring.write(
                card, round: round, competition: competition, actor: actor, onlyIfNew: expectedRevision == 0, on: connection)
        } }
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
            guard let row = try connection.query(
                """
                SELECT t.name FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
                WHERE a.competition_id = \(competition.id) AND a.judge_id = \(judge.id) AND a.proposal_id = \(proposal) LIMIT 1
                """).singleRow()
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
            var cards: [Scoring.Card] = []
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
                    cards.append(try Scoring.check(
                        judge: judge, proposal: proposal, values: row.values, comment: row.comment, draft: false, round: round,
                        competition: competition, on: connection))
                } catch let error as WyscError {
                    problems.append(.init(row: row.row, message: error.message))
                }
            }
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            var summary = ImportSummary(added: 0, unchanged: 0)
            for card in cards {
                switch try Scoring.write(card, round: round, competition: competition, actor: actor, on: connection).change {
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
            let round = try id.map { try Assignments.round($0, of: competition) } ?? Scoring.currentRound(competition) ?? Assignments.round(nil, of: competition)
            let judges = try connection.query(
                """
                SELECT j.name, j.email, count(a.proposal_id) AS assigned,
                       count(s.proposal_id) FILTER (WHERE s.submitted) AS submitted, count(s.proposal_id) FILTER (WHERE NOT s.submitted) AS drafts
                FROM judge j JOIN assignment a ON a.judge_id = j.id AND a.round = \(round.id) AND a.competition_id = \(competition.id)
                LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
                GROUP BY j.id ORDER BY j.name, j.id
                """
            ).rows.map { row in
                JudgingProgress.JudgeLine(
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
                    proposal: try row.decode("id"), team: try row.decode("team"), assigned: try row.decode("assigned"), submitted: try row.decode("submitted"))
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
                let mine = Set(try connection.query("SELECT name FROM team WHERE competition_id = \(competition.id) AND university_id = \(own)").rows.map {
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
    public func scorecards(round id: String?, competition slug: String, as actor: Actor) async throws -> [ScorecardRecord] {
        try actor.requireOrganizer("export scorecards")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            return try connection.query(
                """
                SELECT s.round, s.proposal_id, t.name AS team, j.name AS judge, j.email, s.scores::text AS scores, s.total::float8 AS total,
                       s.comment, s.submitted, s.revision, s.updated_at
                FROM scorecard s JOIN judge j ON j.id = s.judge_id JOIN proposal p ON p.id = s.proposal_id JOIN team t ON t.id = p.team_id
                WHERE s.competition_id = \(competition.id) AND (\(id)::text IS NULL OR s.round = \(id))
                ORDER BY s.round, s.proposal_id, j.name
                """
            ).rows.map { row in
                let scores = try Scoring.storedScores(row)
                return ScorecardRecord(
                    round: try row.decode("round"), proposal: try row.decode("proposal_id"), team: try row.decode("team"), judge: try row.decode("judge"),
                    email: try row.decode("email"), scores: scores, total: try row.decode("total"), comment: try row.decode("comment"),
                    submitted: try row.decode("submitted"), revision: try row.decode("revision"), updatedAt: try row.decode("updated_at"))
            }
        }
    }
}

enum Scoring {
    /// The judge a call acts for: a judge acts for themself; an organizer names one.
    static func actingJudge(_ email: String?, actor: Actor, competition: CompetitionRecord, on connection: PostgresConnection) throws -> Judges.Reference {
        switch actor {
        case .judge(let id):
            guard let row = try connection.query("SELECT id, email FROM judge WHERE id = \(id) AND competition_id = \(competition.id)").singleRow() else {
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
        where try !connection.query("SELECT 1 FROM assignment WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(judge) LIMIT 1").rows.isEmpty {
            return round
        }
        return nil
    }

    static func lastScoredRound(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> JudgingRound {
        for round in competition.definition.rounds.reversed()
        where try !connection.query("SELECT 1 FROM scorecard WHERE competition_id = \(competition.id) AND round = \(round.id) AND submitted LIMIT 1").rows.isEmpty {
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

    struct Card {
        var judge: Judges.Reference
        var proposal: Int
        var scores: [String: Double]
        var total: Double?
        var comment: String
        var submitted: Bool
    }

    /// Everything about a scorecard that can be refused, checked before anything is written.
    static func check(
        judge: Judges.Reference, proposal: Int, values: [String: String], comment: String, draft: Bool, round: JudgingRound,
        competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> Card {
        try TextField.comment.check(comment, field: "the comment")
        // The assignment, the withdrawal and what the conflict rules look at, in one round trip.
        let assigned = try connection.query(
            """
            SELECT j.withdrawn_at IS NOT NULL AS withdrawn, j.university AS judge_university, j.city AS judge_city,
                   u.name AS team_university, u.city AS team_city,
                   EXISTS (SELECT 1 FROM declared_conflict c WHERE c.judge_id = j.id AND c.team_id = t.id) AS declared
            FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
            JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) AND a.judge_id = \(judge.id) AND a.proposal_id = \(proposal)
            """).singleRow()
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
        return Card(
            judge: judge, proposal: proposal, scores: scores, total: complete ? competition.definition.rubric.weightedTotal(scores) : nil,
            comment: comment, submitted: !draft)
    }

    /// Stores a scorecard, or a revision of it. `onlyIfNew`: the caller saw no scorecard, so one
    /// written meanwhile (another terminal's first submission) makes this stale, not a revision.
    static func write(
        _ card: Card, round: JudgingRound, competition: CompetitionRecord, actor: Actor, onlyIfNew: Bool = false, on connection: PostgresConnection
    ) throws -> ScorecardOutcome {
        let scoresJSON = JSONValue.object(card.scores.mapValues { JSONValue.number($0) })
        let existing = try connection.query(
            """
            SELECT scores::text AS scores, total::float8 AS total, comment, submitted, revision FROM scorecard
            WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(card.judge.id) AND proposal_id = \(card.proposal) FOR UPDATE
            """).singleRow()
        let subject = "scorecard:\(round.id)/#\(card.proposal)/\(card.judge.email)"
        var after: [String: JSONValue] = [
            "scores": scoresJSON, "total": card.total.map(JSONValue.number) ?? .null, "comment": .string(card.comment), "submitted": .bool(card.submitted),
        ]
        if actor != .judge(card.judge.id) { after["on_behalf_of"] = .string(card.judge.email) }
        if let existing {
            let oldScores = try Scoring.storedScores(existing)
            let oldComment: String = try existing.decode("comment")
            let oldSubmitted: Bool = try existing.decode("submitted")
            let revision: Int = try existing.decode("revision")
            if oldScores == card.scores && oldComment == card.comment && oldSubmitted == card.submitted {
                return ScorecardOutcome(change: .unchanged, total: card.total, revision: revision, submitted: card.submitted)
            }
            try connection.query(
                """
                UPDATE scorecard SET scores = \(PostgresJSON(text: scoresJSON.encoded))::jsonb, total = \(card.total), comment = \(card.comment),
                    submitted = \(card.submitted), revision = revision + 1, updated_at = now(), updated_by = \(actor.description)
                WHERE competition_id = \(competition.id) AND round = \(round.id) AND judge_id = \(card.judge.id) AND proposal_id = \(card.proposal)
                """)
            try Audit.record(
                on: connection, actor: actor, action: card.submitted ? "scorecard.submit" : "scorecard.draft", subject: subject,
                competitionID: competition.id,
                before: [
                    "scores": .object(oldScores.mapValues { JSONValue.number($0) }), "total": (try existing.decode("total", as: Double?.self)).map(JSONValue.number) ?? .null,
                    "comment": .string(oldComment), "submitted": .bool(oldSubmitted), "revision": .integer(revision),
                ],
                after: after.merging(["revision": .integer(revision + 1)]) { $1 })
            return ScorecardOutcome(change: .revised, total: card.total, revision: revision + 1, submitted: card.submitted)
        }
        // There was no row to lock: a concurrent first submission (two terminals, a retry racing the
        // original) may insert first. Then this one is a revision of that row.
        let inserted = try connection.query(
            """
            INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, submitted, updated_by)
            VALUES (\(competition.id), \(round.id), \(card.judge.id), \(card.proposal), \(PostgresJSON(text: scoresJSON.encoded))::jsonb, \(card.total),
                    \(card.comment), \(card.submitted), \(actor.description))
            ON CONFLICT DO NOTHING
            """).affectedRows
        if inserted == 0 {
            if onlyIfNew {
                throw WyscError(
                    .stale, "someone submitted this scorecard since you read it (you had none): read it again, then send your change")
            }
            return try write(card, round: round, competition: competition, actor: actor, on: connection)
        }
        try Audit.record(
            on: connection, actor: actor, action: card.submitted ? "scorecard.submit" : "scorecard.draft", subject: subject, competitionID: competition.id,
            after: after.merging(["revision": 1]) { $1 })
        return ScorecardOutcome(change: .added, total: card.total, revision: 1, submitted: card.submitted)
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

    static func current(judge: Int, proposal: Int, round: String, competition: CompetitionRecord, lock: Bool, on connection: PostgresConnection) throws -> Scorecard? {
        let clause: SQLQuery = lock ? " FOR UPDATE" : ""
        guard let row = try connection.query(
            """
            SELECT scores::text AS scores, total::float8 AS total, comment, submitted, revision FROM scorecard
            WHERE competition_id = \(competition.id) AND round = \(round) AND judge_id = \(judge) AND proposal_id = \(proposal)\(clause)
            """).singleRow()
        else { return nil }
        let scores = try Scoring.storedScores(row)
        return Scorecard(
            proposal: proposal, round: round, scores: scores, total: try row.decode("total"), comment: try row.decode("comment"),
            submitted: try row.decode("submitted"), revision: try row.decode("revision"))
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
        ).rows.map { "\(try $0.decode("name", as: String.self)) → proposal #\(try $0.decode("proposal_id", as: Int.self)) (\(try $0.decode("team", as: String.self)))" }
    }

    static func isPublished(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT results_published_at IS NOT NULL AS published FROM competition WHERE id = \(competition.id)").rows[0].decode("published")
    }

    /// Ranks a round from its submitted scorecards of current assignments.
    static func results(round: JudgingRound, method: NormalizationMethod, competition: CompetitionRecord, on connection: PostgresConnection) throws -> ResultsReport {
        let rows = try connection.query(
            """
            SELECT s.judge_id, s.proposal_id, s.total::float8 AS total, s.scores::text AS scores, j.name AS judge, j.email,
                   t.name AS team, u.name AS university, p.title
            FROM scorecard s JOIN assignment a ON a.competition_id = s.competition_id AND a.round = s.round AND a.judge_id = s.judge_id AND a.proposal_id = s.proposal_id
            JOIN judge j ON j.id = s.judge_id JOIN proposal p ON p.id = s.proposal_id JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE s.competition_id = \(competition.id) AND s.round = \(round.id) AND s.submitted
            """).rows
        var reviews: [ScoredReview] = []
        var judgeNames: [Int: (String, String)] = [:]
        var proposalInfo: [Int: (team: String, university: String, title: String)] = [:]
        for row in rows {
            let judge: Int = try row.decode("judge_id"), proposal: Int = try row.decode("proposal_id")
            let scores = try Scoring.storedScores(row)
            reviews.append(ScoredReview(judge: judge, proposal: proposal, total: try row.decode("total"), criteria: scores))
            judgeNames[judge] = (try row.decode("judge"), try row.decode("email"))
            proposalInfo[proposal] = (try row.decode("team"), try row.decode("university"), try row.decode("title"))
        }
        let rubric = competition.definition.rubric
        let ranking = Ranking.rank(reviews, method: method, tieBreak: rubric.tieBreak, scaleMin: rubric.scaleMin, scaleMax: rubric.scaleMax)
        let missing = try missing(round: round.id, competition: competition, on: connection).count
        return ResultsReport(
            round: round.id, method: method, published: false,
            lines: ranking.proposals.map { standing in
                let info = proposalInfo[standing.proposal]!
                return ResultsReport.Line(
                    rank: standing.rank, proposal: standing.proposal, team: info.team, university: info.university, title: info.title,
                    score: standing.score, rawMean: standing.rawMean, judgeTotals: standing.totals.map { ResultsReport.JudgeTotal(judge: judgeNames[$0.judge]!.0, total: $0.total) },
                    judges: standing.totals.count, spread: standing.spread, disagreement: standing.disagreement)
            },
            judges: ranking.judges.map {
                ResultsReport.JudgeLine(judge: judgeNames[$0.judge]!.0, email: judgeNames[$0.judge]!.1, scorecards: $0.scorecards, mean: $0.mean, spread: $0.spread)
            },
            missingScorecards: missing)
    }

    /// The compute_ranking action: stores the round's ranking as it stands.
    static func computeRanking(round id: String, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        let round = try Assignments.round(id, of: competition)
        let report = try results(round: round, method: .zscore, competition: competition, on: connection)
        guard !report.lines.isEmpty else { throw WyscError(.refused, "round '\(id)' has no submitted scorecards to rank") }
        try connection.query("DELETE FROM round_result WHERE competition_id = \(competition.id) AND round = \(id)")
        for line in report.lines {
            try connection.query(
                """
                INSERT INTO round_result (competition_id, round, proposal_id, rank, score, raw_mean, judges, disagreement, method)
                VALUES (\(competition.id), \(id), \(line.proposal), \(line.rank), \(line.score), \(line.rawMean), \(line.judges), \(line.disagreement), \(report.method.rawValue))
                """)
        }
        let first = report.lines[0]
        try Audit.record(
            on: connection, actor: actor, action: "ranking.compute", subject: competition.subject, competitionID: competition.id,
            after: ["round": .string(id), "proposals": .integer(report.lines.count), "first": .string(first.team)])
        return "ranked \(report.lines.count) proposal(s) of round '\(id)' (z-score normalization); first: \(first.team) (\(String(format: "%.2f", first.score)))"
    }

    /// The shortlist action: the top `size` of `from` (ties at the cut all go) move into `to`.
    static func shortlist(from: String, to: String, size: Int, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        var ranked = try connection.query(
            "SELECT proposal_id, rank FROM round_result WHERE competition_id = \(competition.id) AND round = \(from) ORDER BY rank, proposal_id").rows
        if ranked.isEmpty {
            _ = try computeRanking(round: from, competition: competition, actor: actor, on: connection)
            ranked = try connection.query(
                "SELECT proposal_id, rank FROM round_result WHERE competition_id = \(competition.id) AND round = \(from) ORDER BY rank, proposal_id").rows
        }
        let chosen = try ranked.filter { try $0.decode("rank", as: Int.self) <= size }
        try connection.query("DELETE FROM round_entry WHERE competition_id = \(competition.id) AND round = \(to)")
        for row in chosen {
            try connection.query(
                """
                INSERT INTO round_entry (competition_id, round, proposal_id, from_round, from_rank)
                VALUES (\(competition.id), \(to), \(try row.decode("proposal_id", as: Int.self)), \(from), \(try row.decode("rank", as: Int.self)))
                """)
        }
        try Audit.record(
            on: connection, actor: actor, action: "shortlist", subject: competition.subject, competitionID: competition.id,
            after: ["from": .string(from), "to": .string(to), "size": .integer(size), "shortlisted": .integer(chosen.count)])
        let ties = chosen.count > size ? " (ties at the cut all go)" : ""
        return "shortlisted \(chosen.count) of \(ranked.count) proposal(s) of round '\(from)' for round '\(to)'\(ties)"
    }

    static func publish(_ competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        if try isPublished(competition, on: connection) { return "the results were already published" }
        // Publishing early would show every ranking computed afterwards (a screening round, the
        // finals in progress) to universities at once: only a final ranking is published.
        if let last = competition.definition.rounds.last,
            try connection.query("SELECT 1 FROM round_result WHERE competition_id = \(competition.id) AND round = \(last.id) LIMIT 1").rows.isEmpty
        {
            throw WyscError(
                .refused,
                "there is nothing to publish yet: the last round, '\(last.id)', has not been ranked (the workflow's compute_ranking action ranks it)")
        }
        try connection.query("UPDATE competition SET results_published_at = now(), results_published_by = \(actor.description) WHERE id = \(competition.id)")
        try Audit.record(
            on: connection, actor: actor, action: "results.publish", subject: competition.subject, competitionID: competition.id,
            before: ["published": false], after: ["published": true])
        return "published the results: teams, universities and judges can see ranks now"
    }
}
