import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// An assignment of judges to the proposals of a round, with its statistics.
public struct AssignmentPlan: Sendable {
    public struct Pair: Sendable, Hashable {
        public var judge: String
        public var judgeEmail: String
        public var team: String
        public var title: String
        public var affinity: Int
    }

    public struct Load: Sendable, Hashable {
        public var judge: String
        public var email: String
        public var proposals: Int
        public var capacity: Int
    }

    public var round: String
    public var pairs: [Pair]
    public var objective: Int
    public var loads: [Load]
    /// Teams with at least one judge who shares none of their topics.
    public var zeroAffinityTeams: [String]
    /// Where the judges' loads come from, in words.
    public var capacityNote: String
    /// For a rebalance: what changed, in words.
    public var changes: [String]
    /// Groups of judges that share no proposal with another group (1: one connected panel, whose
    /// judges' leniency the judge model can compare).
    public var judgeGroups: Int
    /// The load every judge takes at least (or their max_load, if smaller), in words; nil for none.
    public var minimumLoadNote: String?
    /// How many exchanges of two reviews joined groups of judges into one panel.
    public var connectingExchanges: Int
    public var saved: Bool
}

extension Application {
    /// Assigns judges to the proposals of `round` (default: the first round): every proposal gets
    /// the round's reviews_per_proposal judges, no judge more than their load, no conflicted pair,
    /// and the highest total affinity. `dryRun` computes without saving. `rebalance` keeps every
    /// assignment that is still allowed and only re-fills what a withdrawal or a new conflict broke.
    public func assignJudges(round: String?, dryRun: Bool, rebalance: Bool, competition slug: String, as actor: Actor) async throws -> AssignmentPlan
    {
        try actor.requireOrganizer("assign judges")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: dryRun ? .share : .update)
            let rules = try Assignments.round(round, of: competition)
            var plan = try Assignments.plan(competition, round: rules, rebalance: rebalance, on: connection)
            if !dryRun {
                try Assignments.save(&plan, competition: competition, rebalance: rebalance, actor: actor, on: connection)
            }
            return plan
        }
    }
}

extension Application {
    /// Adds one more judge to each of the first `count` proposals that `results --suggest` names (the
    /// proposals uncertain at the round's cut where one more scorecard helps most): no conflicted
    /// pair, no judge twice on a proposal, no judge over their own max_load (or the round's), and a
    /// judge without one at most one proposal over the round's largest load; the highest affinity.
    public func assignExtraReviews(_ count: Int, round: String?, competition slug: String, as actor: Actor) async throws -> AssignmentPlan {
        try actor.requireOrganizer("assign judges")
        guard count > 0 else { throw WyscError(.badInput, "--extra must be at least 1, not \(count)") }
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .update)
            let rules = try Assignments.round(round, of: competition)
            var plan = try Assignments.extra(count, competition: competition, round: rules, on: connection)
            try Assignments.saveExtra(&plan, competition: competition, actor: actor, on: connection)
            return plan
        }
    }
}

enum Assignments {
    static func round(_ id: String?, of competition: CompetitionRecord) throws -> JudgingRound {
        let rounds = competition.definition.rounds
        guard let first = rounds.first else { throw WyscError(.badInput, "the workflow of '\(competition.slug)' declares no judging round") }
        guard let id else { return first }
        guard let round = rounds.first(where: { $0.id == id }) else {
            throw WyscError(.notFound, "unknown round '\(id)' (the workflow has \(rounds.map(\.id).joined(separator: ", ")))")
        }
        return round
    }

    struct Entry {
        var proposalID: Int
        var teamID: Int
        var team: String
        var title: String
        var tags: [String]
    }

    struct Member {
        var judgeID: Int
        var name: String
        var email: String
        var expertise: [String]
        var maxLoad: Int?
    }

    /// The judges who have not withdrawn, by id.
    static func activeJudges(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> [Member] {
        try connection.query(
            "SELECT id, name, email, expertise, max_load FROM judge WHERE competition_id = \(competition.id) AND withdrawn_at IS NULL ORDER BY id"
        ).rows.map { row in
            Member(
                judgeID: try row.decode("id"), name: try row.decode("name"), email: try row.decode("email"), expertise: try row.decode("expertise"),
                maxLoad: try row.decode("max_load"))
        }
    }

    /// The proposals of a round: in the first round, those of teams that may go on.
    static func entries(_ competition: CompetitionRecord, round: JudgingRound, on connection: PostgresConnection) throws -> [Entry] {
        guard round.id == competition.definition.rounds.first?.id else {
            let entries = try connection.query(
                """
                SELECT p.id, t.id AS team_id, t.name AS team, p.title, p.tags FROM round_entry e
                JOIN proposal p ON p.id = e.proposal_id JOIN team t ON t.id = p.team_id
                WHERE e.competition_id = \(competition.id) AND e.round = \(round.id) ORDER BY p.id
                """
            ).rows.map { row in
                Entry(
                    proposalID: try row.decode("id"), teamID: try row.decode("team_id"), team: try row.decode("team"), title: try row.decode("title"),
                    tags: try row.decode("tags"))
            }
            if entries.isEmpty {
                throw WyscError(.refused, "round '\(round.id)' has no proposals yet: the shortlist action moves them in from the previous round")
            }
            return entries
        }
        let hasRules = competition.definition.eligibility != nil
        return try connection.query(
            """
            SELECT p.id, t.id AS team_id, t.name AS team, p.title, p.tags
            FROM proposal p JOIN team t ON t.id = p.team_id
            LEFT JOIN team_eligibility e ON e.team_id = t.id LEFT JOIN eligibility_override o ON o.team_id = t.id
            WHERE p.competition_id = \(competition.id) AND (NOT \(hasRules) OR coalesce(o.eligible, e.eligible, false))
            ORDER BY p.id
            """
        ).rows.map { row in
            Entry(
                proposalID: try row.decode("id"), teamID: try row.decode("team_id"), team: try row.decode("team"), title: try row.decode("title"),
                tags: try row.decode("tags"))
        }
    }

    static func plan(
        _ competition: CompetitionRecord, round: JudgingRound, rebalance: Bool, on connection: PostgresConnection
    ) throws -> AssignmentPlan {
        let entries = try entries(competition, round: round, on: connection)
        guard !entries.isEmpty else { throw WyscError(.refused, "round '\(round.id)' has no proposals to assign") }
        let members = try activeJudges(competition, on: connection)
        guard !members.isEmpty else { throw WyscError(.refused, "there are no judges: add them first") }
        let proposalIndex = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.proposalID, $0) })
        let judgeIndex = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1.judgeID, $0) })
        let k = round.reviewsPerProposal

        // Topic affinity: shared tags, compared without regard to case.
        let affinity = Affinity.sharedTags(
            proposals: entries.map { $0.tags.map { $0.lowercased() } }, judges: members.map { $0.expertise.map { $0.lowercased() } })
        var problem = AssignmentProblem(
            proposals: entries.count, judges: members.count, perProposal: k, capacity: members.map { $0.maxLoad ?? round.maxLoad ?? 0 },
            affinity: affinity)
        for (judgeID, teamID) in try forbiddenPairs(competition, round: round, on: connection) {
            guard let j = judgeIndex[judgeID] else { continue }
            for (p, entry) in entries.enumerated() where entry.teamID == teamID { problem.forbid(proposal: p, judge: j) }
        }
        let flexible = members.map { $0.maxLoad == nil && round.maxLoad == nil }

        // A rebalance starts from the round's pairs: those of withdrawn judges or of proposals that
        // left the round go; the planner decides about the rest.
        var previous: [(judge: Int, proposal: Int)]?
        var changes: [String] = []
        if rebalance {
            var still: [(judge: Int, proposal: Int)] = []
            for row in try connection.query(
                """
                SELECT a.judge_id, a.proposal_id, j.name AS judge, t.name AS team FROM assignment a JOIN judge j ON j.id = a.judge_id
                JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
                WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) ORDER BY a.proposal_id, a.judge_id
                """
            ).rows {
                let judgeID: Int = try row.decode("judge_id")
                let proposalID: Int = try row.decode("proposal_id")
                if let j = judgeIndex[judgeID], let p = proposalIndex[proposalID] {
                    still.append((j, p))
                } else {
                    let why = judgeIndex[judgeID] == nil ? "the judge withdrew" : "the proposal left the round"
                    changes.append("removed \(try row.decode("judge", as: String.self)) from \(try row.decode("team", as: String.self)) (\(why))")
                }
            }
            previous = still
        }
        let decision = AssignmentPlanner.plan(
            problem, flexible: flexible, roundMaxLoad: round.maxLoad, minimumLoad: round.minLoad, previous: previous)
        problem.capacity = decision.capacity
        let solution = decision.solution
        guard solution.isComplete else {
            throw WyscError(.refused, explain(solution, problem: problem, entries: entries, judges: members, round: round))
        }
        for pair in decision.removed {
            let why = problem.forbidden.contains(proposal: pair.proposal, judge: pair.judge) ? "a conflict of interest" : "to make room"
            changes.append("removed \(members[pair.judge].name) from \(entries[pair.proposal].team) (\(why))")
        }
        if rebalance {
            for pair in decision.added { changes.append("added \(members[pair.judge].name) to \(entries[pair.proposal].team)") }
        }
        let capacityNote =
            switch decision.load {
            case .given(let roundMaxLoad?): "the round's max_load of \(roundMaxLoad) (a judge's own max_load wins)"
            case .given(nil), .unbounded:
                round.maxLoad.map { "the round's max_load of \($0) (a judge's own max_load wins)" } ?? "the judges' own max_load"
            case .smallestFeasible(let load, let someFixed):
                "the smallest load that lets every proposal get \(k) judges: \(load)" + (someFixed ? " (judges with their own max_load keep it)" : "")
            case .keepingUnaffected(let load): "the smallest load that keeps every unaffected assignment: \(load)"
            }
        let minimumLoadNote: String? =
            decision.minimumLoad == 0
            ? nil
            : "every judge takes at least \(decision.minimumLoad) (or their max_load, if smaller): "
                + (round.minLoad == nil ? "the fair share ⌊k·P/J⌋" : "the round's min_load")
                + (decision.minimumLoad < (round.minLoad ?? AssignmentPlanner.fairShare(problem))
                    ? ", lowered so that conflicts leave every judge enough" : "")

        var pairs: [AssignmentPlan.Pair] = []
        var loads = Array(repeating: 0, count: members.count)
        var zeroAffinity: [String] = []
        for (p, judges) in solution.judgesOfProposal.enumerated() {
            for j in judges {
                let score = problem.score(proposal: p, judge: j)
                pairs.append(
                    .init(judge: members[j].name, judgeEmail: members[j].email, team: entries[p].team, title: entries[p].title, affinity: score))
                loads[j] += 1
            }
            if judges.contains(where: { problem.score(proposal: p, judge: $0) == 0 }) { zeroAffinity.append(entries[p].team) }
        }
        return AssignmentPlan(
            round: round.id, pairs: pairs, objective: solution.objective,
            loads: members.enumerated().map { .init(judge: $1.name, email: $1.email, proposals: loads[$0], capacity: problem.capacity[$0]) },
            zeroAffinityTeams: zeroAffinity, capacityNote: capacityNote, changes: changes,
            judgeGroups: PanelGraph.judgeGroups(
                solution.judgesOfProposal.enumerated().flatMap { proposal, judges in judges.map { (judge: $0, proposal: proposal) } }),
            minimumLoadNote: minimumLoadNote, connectingExchanges: decision.connectingExchanges, saved: false)
    }

    /// (judge, team) pairs that may not be assigned: declared conflicts and the round's automatic rules.
    static func forbiddenPairs(_ competition: CompetitionRecord, round: JudgingRound, on connection: PostgresConnection) throws -> [(Int, Int)] {
        let facts = try ConflictFacts.load(competition, on: connection)
        return ConflictRules(round).pairs(judges: facts.judgeAffiliations, teams: facts.teamAffiliations, declared: Set(facts.declared.keys))
            .map { ($0.judge, $0.team) }
    }

    static func explain(
        _ solution: AssignmentSolution, problem: AssignmentProblem, entries: [Entry], judges: [Member], round: JudgingRound
    ) -> String {
        let heading =
            "no assignment gives every proposal of round '\(round.id)' \(round.reviewsPerProposal) judges; nothing was changed. \(solution.shortfalls.count) proposal(s) fall short:"
        return ([heading] + solution.explanation(problem, name: { entries[$0].team }, judgeName: { judges[$0].name })).joined(separator: "\n")
    }

    static func save(
        _ plan: inout AssignmentPlan, competition: CompetitionRecord, rebalance: Bool, actor: Actor, on connection: PostgresConnection
    ) throws {
        let scored: Int = try connection.query(
            "SELECT count(*) AS n FROM scorecard WHERE competition_id = \(competition.id) AND round = \(plan.round)"
        ).rows[0].decode("n")
        if scored > 0 && !rebalance {
            throw WyscError(
                .refused,
                "round '\(plan.round)' already has \(scored) scorecard(s): a new assignment would discard them; rebalancing keeps every unaffected assignment",
                code: WyscError.Code.assignmentHasScorecards)
        }
        let previous: Int = try connection.query(
            "SELECT count(*) AS n FROM assignment WHERE competition_id = \(competition.id) AND round = \(plan.round)"
        ).rows[0].decode("n")
        let emails = plan.pairs.map(\.judgeEmail)
        let teams = plan.pairs.map(\.team)
        let affinities = plan.pairs.map(\.affinity)
        try connection.runScript("CREATE TEMP TABLE planned_assignment (judge_id bigint, proposal_id bigint, affinity int) ON COMMIT DROP")
        try connection.query(
            """
            INSERT INTO planned_assignment
            SELECT j.id, p.id, x.affinity
            FROM unnest(\(emails)::text[], \(teams)::text[], \(affinities)::int[]) AS x(email, team, affinity)
            JOIN judge j ON j.competition_id = \(competition.id) AND lower(j.email) = lower(x.email)
            JOIN team t ON t.competition_id = \(competition.id) AND t.name = x.team
            JOIN proposal p ON p.team_id = t.id
            """)
        // Pairs that stay keep their row (and when they were assigned); only the difference is written.
        try connection.query(
            """
            DELETE FROM assignment a WHERE a.competition_id = \(competition.id) AND a.round = \(plan.round)
              AND NOT EXISTS (SELECT 1 FROM planned_assignment n WHERE n.judge_id = a.judge_id AND n.proposal_id = a.proposal_id)
            """)
        var gained: [Int: Int] = [:]
        for row in try connection.query(
            """
            INSERT INTO assignment (competition_id, round, judge_id, proposal_id, affinity, assigned_by)
            SELECT \(competition.id), \(plan.round), judge_id, proposal_id, affinity, \(actor.description) FROM planned_assignment
            ON CONFLICT DO NOTHING RETURNING judge_id
            """
        ).rows {
            gained[try row.decode("judge_id"), default: 0] += 1
        }
        try NotificationEvents.judgesAssigned(
            round: try round(plan.round, of: competition), newPairs: gained, competition: competition, on: connection)
        var after: [String: JSONValue] = [
            "round": .string(plan.round), "reviews": .integer(plan.pairs.count), "total_affinity": .integer(plan.objective),
        ]
        if rebalance { after["changes"] = .array(plan.changes.map(JSONValue.string)) }
        try Audit.record(
            on: connection, actor: actor, action: rebalance ? "assignment.rebalance" : "assignment.save", subject: competition.subject,
            competitionID: competition.id, before: ["round": .string(plan.round), "reviews": .integer(previous)], after: after)
        plan.saved = true
    }

    /// One more judge for each of the first `count` suggested proposals (see `assignExtraReviews`).
    static func extra(_ count: Int, competition: CompetitionRecord, round: JudgingRound, on connection: PostgresConnection) throws -> AssignmentPlan {
        // Once ranked (and shortlisted from), a round's outcome is decided: a review added now would
        // be a scorecard that counts for nothing.
        if try connection.query("SELECT 1 FROM round_result WHERE competition_id = \(competition.id) AND round = \(round.id) LIMIT 1").singleRow()
            != nil
        {
            throw WyscError(.refused, "round '\(round.id)' is ranked already (compute_ranking): an extra review now would not change its outcome")
        }
        let report = try Scoring.results(round: round, method: .model, competition: competition, on: connection)
        let chosen = Array(report.suggested.prefix(count))
        guard !chosen.isEmpty else {
            throw WyscError(
                .refused,
                "no proposal of round '\(round.id)' is uncertain at its cut (the top \(report.cut)): one more scorecard would not change who makes it"
            )
        }
        let byProposal = Dictionary(uniqueKeysWithValues: try entries(competition, round: round, on: connection).map { ($0.proposalID, $0) })
        let entries = chosen.compactMap { byProposal[$0] }
        let members = try activeJudges(competition, on: connection)
        var load: [Int: Int] = [:]
        var assigned = Set<[Int]>()
        for row in try connection.query(
            "SELECT judge_id, proposal_id FROM assignment WHERE competition_id = \(competition.id) AND round = \(round.id)"
        ).rows {
            let (judge, proposal): (Int, Int) = (try row.decode("judge_id"), try row.decode("proposal_id"))
            load[judge, default: 0] += 1
            assigned.insert([judge, proposal])
        }
        let largest = load.values.max() ?? 0
        var problem = AssignmentProblem(
            proposals: entries.count, judges: members.count, perProposal: 1,
            capacity: members.map { ($0.maxLoad ?? round.maxLoad ?? largest + 1) - load[$0.judgeID, default: 0] },
            affinity: .sharedTags(
                proposals: entries.map { $0.tags.map { $0.lowercased() } }, judges: members.map { $0.expertise.map { $0.lowercased() } }))
        let judgeIndex = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1.judgeID, $0) })
        let forbidden = try forbiddenPairs(competition, round: round, on: connection)
        for (p, entry) in entries.enumerated() {
            for (j, member) in members.enumerated() where assigned.contains([member.judgeID, entry.proposalID]) {
                problem.forbid(proposal: p, judge: j)
            }
            for (judgeID, teamID) in forbidden where teamID == entry.teamID {
                if let j = judgeIndex[judgeID] { problem.forbid(proposal: p, judge: j) }
            }
        }
        let solution = AssignmentSolver.solve(problem)
        guard solution.isComplete else {
            let short = solution.shortfalls.map { "#\(entries[$0.proposal].proposalID) (\(entries[$0.proposal].team))" }
            throw WyscError(
                .refused,
                "no judge is free for \(short.joined(separator: ", ")): every judge without a conflict already reviews it or is at their load; nothing was changed"
            )
        }
        var pairs: [AssignmentPlan.Pair] = []
        for (p, judges) in solution.judgesOfProposal.enumerated() {
            for j in judges {
                pairs.append(
                    .init(
                        judge: members[j].name, judgeEmail: members[j].email, team: entries[p].team, title: entries[p].title,
                        affinity: problem.score(proposal: p, judge: j)))
                load[members[j].judgeID, default: 0] += 1
            }
        }
        return AssignmentPlan(
            round: round.id, pairs: pairs, objective: solution.objective,
            loads: members.map {
                .init(judge: $0.name, email: $0.email, proposals: load[$0.judgeID, default: 0], capacity: $0.maxLoad ?? round.maxLoad ?? largest + 1)
            },
            zeroAffinityTeams: pairs.filter { $0.affinity == 0 }.map(\.team),
            capacityNote: "judges' own max_load, or the round's; otherwise at most one over the round's largest load (\(largest))", changes: [],
            judgeGroups: PanelGraph.judgeGroups(
                assigned.map { (judge: $0[0], proposal: $0[1]) }
                    + solution.judgesOfProposal.enumerated().flatMap { p, judges in
                        judges.map { (judge: members[$0].judgeID, proposal: entries[p].proposalID) }
                    }),
            minimumLoadNote: nil, connectingExchanges: 0, saved: false)
    }

    /// Adds the extra pairs, tells their judges, and audits it.
    static func saveExtra(_ plan: inout AssignmentPlan, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws {
        var gained: [Int: Int] = [:]
        for row in try connection.query(
            """
            INSERT INTO assignment (competition_id, round, judge_id, proposal_id, affinity, assigned_by)
            SELECT \(competition.id), \(plan.round), j.id, p.id, x.affinity, \(actor.description)
            FROM unnest(\(plan.pairs.map(\.judgeEmail))::text[], \(plan.pairs.map(\.team))::text[], \(plan.pairs.map(\.affinity))::int[])
                AS x(email, team, affinity)
            JOIN judge j ON j.competition_id = \(competition.id) AND lower(j.email) = lower(x.email)
            JOIN team t ON t.competition_id = \(competition.id) AND t.name = x.team
            JOIN proposal p ON p.team_id = t.id
            RETURNING judge_id
            """
        ).rows {
            gained[try row.decode("judge_id"), default: 0] += 1
        }
        try NotificationEvents.judgesAssigned(
            round: try round(plan.round, of: competition), newPairs: gained, competition: competition, on: connection)
        try Audit.record(
            on: connection, actor: actor, action: "assignment.extra", subject: competition.subject, competitionID: competition.id,
            after: [
                "round": .string(plan.round),
                "added": .array(plan.pairs.map { .string("\($0.judge) → \($0.team)") }),
            ])
        plan.saved = true
    }

    /// The assign_judges action: a fresh assignment for the round, saved in the transition's transaction.
    static func perform(round id: String, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        let rules = try round(id, of: competition)
        var plan = try plan(competition, round: rules, rebalance: false, on: connection)
        try save(&plan, competition: competition, rebalance: false, actor: actor, on: connection)
        let judges = plan.loads.filter { $0.proposals > 0 }.count
        return
            "assigned \(rules.reviewsPerProposal) judges to each of \(Set(plan.pairs.map(\.team)).count) proposal(s) of round '\(rules.id)' (\(judges) judges, total affinity \(plan.objective))"
    }
}
