import Foundation
import WyscPostgres
import WyscWorkflow

/// A team's standing under the eligibility rules, and an organizer's override if there is one.
public struct TeamEligibility: Sendable, Hashable {
    public var team: String
    public var university: String
    /// The rules' verdict, as last computed (nil before compute_eligibility ran).
    public var computed: Bool?
    public var reasons: [String]
    public var override: Override?

    public struct Override: Sendable, Hashable {
        public var eligible: Bool
        public var reason: String
        public var decidedBy: String
        public var decidedAt: Date
    }

    /// What counts: the override, else the computed verdict.
    public var eligible: Bool? { override?.eligible ?? computed }
}

extension Application {
    /// Every team's eligibility, or one team's. A university sees only its own teams.
    public func eligibility(competition slug: String, team: String? = nil, as actor: Actor) async throws -> [TeamEligibility] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let universityID = try Self.visibleUniversity(nil, actor: actor, on: connection)
            return try EligibilityDecisions.list(competition, team: team, universityID: universityID, on: connection)
        }
    }

    /// Makes one team eligible or not whatever the rules say, with a reason (organizers; audited).
    public func overrideEligibility(
        competition slug: String, team: String, eligible: Bool, reason: String, as actor: Actor
    ) async throws -> TeamEligibility {
        try actor.requireOrganizer("override eligibility")
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WyscError(.badInput, "an override needs a reason") }
        try TextField.reason.check(reason, field: "the reason")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            guard
                let row = try connection.query(
                    "SELECT id, name FROM team WHERE competition_id = \(competition.id) AND lower(name) = lower(\(team))"
                ).singleRow()
            else {
                throw WyscError(.notFound, "there is no team '\(team)' in competition '\(slug)'")
            }
            let teamID: Int = try row.decode("id")
            let before = try EligibilityDecisions.list(competition, team: team, universityID: nil, on: connection).first
            try connection.query(
                """
                INSERT INTO eligibility_override (team_id, competition_id, eligible, reason, decided_by)
                VALUES (\(teamID), \(competition.id), \(eligible), \(reason), \(actor.description))
                ON CONFLICT (team_id) DO UPDATE SET eligible = EXCLUDED.eligible, reason = EXCLUDED.reason,
                    decided_by = EXCLUDED.decided_by, decided_at = now()
                """)
            try Audit.record(
                on: connection, actor: actor, action: "eligibility.override", subject: "team:\(try row.decode("name", as: String.self))",
                competitionID: competition.id,
                before: ["eligible": before?.eligible.map(JSONValue.bool) ?? .null], after: ["eligible": .bool(eligible)], reason: reason)
            return try EligibilityDecisions.list(competition, team: team, universityID: nil, on: connection)[0]
        }
    }
}

enum EligibilityDecisions {
    /// Each team's participation, read for the rules: members' lecture records and the team's workshops.
    static func participation(_ competition: CompetitionRecord, teamIDs: [Int]?, on connection: PostgresConnection) throws -> [Int: TeamParticipation]
    {
        var members: [Int: [(id: Int, member: TeamParticipation.Member)]] = [:]
        let rows = try connection.query(
            """
            SELECT m.team_id, m.id, m.name, a.lecture, a.present, a.minutes, a.quiz_score::float8 AS quiz
            FROM team_member m LEFT JOIN lecture_attendance a ON a.member_id = m.id
            WHERE m.competition_id = \(competition.id) AND (\(teamIDs)::bigint[] IS NULL OR m.team_id = ANY(\(teamIDs)))
            ORDER BY m.team_id, m.role <> 'leader', m.id
            """
        ).rows
        for row in rows {
            let teamID: Int = try row.decode("team_id")
            let memberID: Int = try row.decode("id")
            var list = members[teamID] ?? []
            if list.last?.id != memberID {
                list.append((memberID, TeamParticipation.Member(name: try row.decode("name"), lectures: [:])))
            }
            if let lecture: String = try row.decode("lecture") {
                list[list.count - 1].member.lectures[lecture] = LectureRecord(
                    present: try row.decode("present"), minutes: try row.decode("minutes"), quizScore: try row.decode("quiz"))
            }
            members[teamID] = list
        }
        var workshops: [Int: Set<String>] = [:]
        for row in try connection.query(
            "SELECT team_id, workshop FROM workshop_checkin WHERE competition_id = \(competition.id) AND (\(teamIDs)::bigint[] IS NULL OR team_id = ANY(\(teamIDs)))"
        ).rows {
            workshops[try row.decode("team_id"), default: []].insert(try row.decode("workshop"))
        }
        var result: [Int: TeamParticipation] = [:]
        for (teamID, list) in members {
            result[teamID] = TeamParticipation(members: list.map(\.member), workshops: workshops[teamID] ?? [])
        }
        return result
    }

    /// The compute_eligibility action: applies the rules to every team and stores the verdicts.
    static func compute(_ competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        guard let rules = competition.definition.eligibility else {
            throw WyscError(.failure, "the workflow of '\(competition.slug)' has no eligibility rules")
        }
        let teams = try participation(competition, teamIDs: nil, on: connection)
        let verdicts = teams.mapValues { rules.evaluate($0, lectures: competition.definition.lectures) }
        try connection.query("DELETE FROM team_eligibility WHERE competition_id = \(competition.id)")
        let ids = verdicts.keys.sorted()
        try connection.query(
            """
            INSERT INTO team_eligibility (team_id, competition_id, eligible, reasons)
            SELECT v.team_id, \(competition.id), v.eligible, v.reasons::jsonb
            FROM unnest(\(ids)::bigint[], \(ids.map { verdicts[$0]!.eligible ? "t" : "f" })::boolean[],
                        \(ids.map { JSONValue.array(verdicts[$0]!.reasons.map(JSONValue.string)).encoded })::text[]) AS v(team_id, eligible, reasons)
            """)
        let eligible = verdicts.values.filter(\.eligible).count
        let overridden = try connection.query(
            """
            SELECT count(*) FILTER (WHERE o.eligible AND NOT e.eligible) AS raised, count(*) FILTER (WHERE NOT o.eligible AND e.eligible) AS lowered
            FROM eligibility_override o JOIN team_eligibility e ON e.team_id = o.team_id WHERE o.competition_id = \(competition.id)
            """
        ).rows[0]
        let raised: Int = try overridden.decode("raised")
        let lowered: Int = try overridden.decode("lowered")
        let total = eligible + raised - lowered
        try NotificationEvents.eligibilityDecided(competition, on: connection)
        try Audit.record(
            on: connection, actor: actor, action: "eligibility.compute", subject: competition.subject, competitionID: competition.id,
            after: ["teams": .integer(verdicts.count), "eligible_by_rules": .integer(eligible), "eligible": .integer(total)])
        var summary = "\(total) of \(verdicts.count) team(s) may submit a proposal"
        if raised + lowered > 0 { summary += " (\(eligible) by the rules, \(raised) raised and \(lowered) lowered by override)" }
        return summary
    }

    /// What compute_eligibility would decide today, without writing.
    static func preview(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> String {
        guard let rules = competition.definition.eligibility else { return "compute_eligibility: the workflow has no eligibility rules" }
        let teams = try participation(competition, teamIDs: nil, on: connection)
        let eligible = teams.values.filter { rules.evaluate($0, lectures: competition.definition.lectures).eligible }.count
        return "compute_eligibility: \(eligible) of \(teams.count) team(s) meet the participation rules today"
    }

    static func list(
        _ competition: CompetitionRecord, team: String?, universityID: Int?, teamIDs: [Int]? = nil, on connection: PostgresConnection
    ) throws -> [TeamEligibility] {
        try connection.query(
            """
            SELECT t.name, u.name AS university, e.eligible AS computed, coalesce(e.reasons, '[]')::text AS reasons,
                   o.eligible AS override, o.reason, o.decided_by, o.decided_at
            FROM team t JOIN university u ON u.id = t.university_id
            LEFT JOIN team_eligibility e ON e.team_id = t.id LEFT JOIN eligibility_override o ON o.team_id = t.id
            WHERE t.competition_id = \(competition.id) AND (\(team)::text IS NULL OR lower(t.name) = lower(\(team)))
              AND (\(universityID)::bigint IS NULL OR t.university_id = \(universityID))
              AND (\(teamIDs)::bigint[] IS NULL OR t.id = ANY(\(teamIDs)::bigint[]))
            ORDER BY t.name
            """
        ).rows.map { row in
            let reasons = try JSONValue.strings(fromArray: try row.decode("reasons"))
            var override: TeamEligibility.Override?
            if let eligible: Bool = try row.decode("override") {
                override = TeamEligibility.Override(
                    eligible: eligible, reason: try row.decode("reason"), decidedBy: try row.decode("decided_by"),
                    decidedAt: try row.decode("decided_at"))
            }
            return TeamEligibility(
                team: try row.decode("name"), university: try row.decode("university"), computed: try row.decode("computed"), reasons: reasons,
                override: override)
        }
    }
}
