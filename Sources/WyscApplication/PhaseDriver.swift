import Foundation
import WyscPostgres
import WyscWorkflow

/// Where a competition stands: its phase, what the phase allows, and where it can go.
public struct PhaseStatus: Sendable, Hashable, Codable {
    public var competition: String
    public var phase: String
    public var title: String
    public var enteredAt: Date
    public var deadline: Date?
    public var deadlinePassed: Bool
    public var allows: [String]
    public var next: [String]
    public var version: Int
}

/// What taking a transition would meet: failing guards and the actions it would perform.
public struct TransitionCheck: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    public var failures: [GuardFailure]
    public var actions: [String]
    public var canAdvance: Bool { failures.isEmpty }
}

/// One recorded step of a competition's phase history.
public struct TransitionRecord: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    /// advance, force, reopen or deadline.
    public var kind: String
    public var reason: String?
    public var overriddenGuards: [String]
    public var actor: String
    public var occurredAt: Date
    /// What the transition's actions did, in words (only on the record returned by advance).
    public var performed: [String]
}

extension Application {
    public func phaseStatus(competition slug: String) async throws -> PhaseStatus {
        let now = self.now()
        return try await transaction { connection in
            let record = try Competitions.find(slug, on: connection)
            let phase = record.currentPhase
            return PhaseStatus(
                competition: record.slug, phase: phase.id, title: phase.title, enteredAt: record.phaseEnteredAt, deadline: phase.deadline,
                deadlinePassed: record.deadlinePassed || phase.deadline.map { now >= $0 } == true,
                allows: phase.allows.map(\.rawValue),
                next: record.definition.transitions.filter { $0.from == phase.id }.map(\.to), version: record.version
            )
        }
    }

    /// What would block the next transition (or the one to `target`) and what its actions would do. Changes nothing.
    public func checkTransition(competition slug: String, to target: String?, as actor: Actor) async throws -> TransitionCheck {
        try actor.requireOrganizer("check transitions")
        let now = self.now()
        return try await transaction { connection in
            let record = try Competitions.find(slug, on: connection)
            let machine = PhaseMachine(definition: record.definition)
            let transition = try PhaseDriver.chooseTransition(record, to: target)
            let facts = try PhaseDriver.facts(for: transition, of: record, on: connection)
            var failures: [GuardFailure] = []
            if case .failure(.guardsFailed(_, _, let found)) = machine.check(record.state, to: transition.to, facts: facts, now: now) {
                failures = found
            }
            let actions = try transition.actions.map { try PhaseDriver.preview($0, of: record, on: connection) }
            return TransitionCheck(from: transition.from, to: transition.to, failures: failures, actions: actions)
        }
    }

    /// Takes the next transition (or the one to `target`) in one transaction: locks the competition,
    /// evaluates the guards against the database, performs the actions, records the transition and
    /// its audit row. `expectedPhase` makes it a compare-and-set: if the competition has moved on
    /// since the caller looked, the call is a conflict and changes nothing; without it, the phase
    /// as this call first reads it is expected, so two organizers advancing at once never take two
    /// steps. `forceReason` takes the
    /// transition even when guards fail, recording them.
    public func advancePhase(
        competition slug: String, to target: String?, expectedPhase: String?, forceReason: String? = nil, as actor: Actor,
        idempotency: IdempotentRequest<TransitionRecord>? = nil
    ) async throws -> TransitionRecord {
        try actor.requireOrganizer("change phases")
        try TextField.reason.check(forceReason, field: "the reason for forcing")
        let expected: String
        if let expectedPhase { expected = expectedPhase } else { expected = try await phaseStatus(competition: slug).phase }
        let now = self.now()
        return try await transaction { connection in
            try self.idempotently(idempotency, on: connection) {
                var record = try Competitions.find(slug, on: connection, lock: .update)
                try PhaseDriver.requirePhase(expected, record, on: connection)
                try PhaseDriver.noteDeadline(&record, now: now, on: connection)
                let transition = try PhaseDriver.chooseTransition(record, to: target)
                let facts = try PhaseDriver.facts(for: transition, of: record, on: connection)
                let event: PhaseEvent = forceReason.map { .force(to: transition.to, reason: $0) } ?? .advance(to: transition.to)
                return try PhaseDriver.take(event, record: record, facts: facts, now: now, actor: actor, on: connection)
            }
        }
    }

    /// Goes back to an earlier phase (to take late attendance, say). Audited with the reason.
    public func reopenPhase(
        competition slug: String, phase: String, reason: String, expectedPhase: String? = nil, as actor: Actor
    ) async throws -> TransitionRecord {
        try actor.requireOrganizer("reopen phases")
        try TextField.reason.check(reason, field: "the reason for reopening")
        let now = self.now()
        return try await transaction { connection in
            let record = try Competitions.find(slug, on: connection, lock: .update)
            try PhaseDriver.requirePhase(expectedPhase, record, on: connection)
            return try PhaseDriver.take(
                .reopen(phase: phase, reason: reason), record: record, facts: GuardFacts(), now: now, actor: actor, on: connection)
        }
    }

    /// Every transition taken, oldest first.
    public func phaseHistory(competition slug: String) async throws -> [TransitionRecord] {
        try await transaction { connection in
            let record = try Competitions.find(slug, on: connection)
            return try connection.query(
                """
                SELECT from_phase, to_phase, kind, reason, overridden_guards::text AS overridden, actor, occurred_at
                FROM phase_transition WHERE competition_id = \(record.id) ORDER BY id
                """
            ).rows.map { row in
                let overridden: String? = try row.decode("overridden")
                let guards = try overridden.map { try JSONValue.strings(fromArray: $0) } ?? []
                return TransitionRecord(
                    from: try row.decode("from_phase"), to: try row.decode("to_phase"), kind: try row.decode("kind"),
                    reason: try row.decode("reason"), overriddenGuards: guards, actor: try row.decode("actor"),
                    occurredAt: try row.decode("occurred_at"), performed: [])
            }
        }
    }
}

/// The impure half of the phase machine: gathers facts, performs actions, records transitions.
enum PhaseDriver {
    static func chooseTransition(_ record: CompetitionRecord, to target: String?) throws -> Transition {
        switch PhaseMachine(definition: record.definition).chooseTransition(from: record.phase, to: target) {
        case .success(let transition): return transition
        case .failure(let reason): throw rejection(reason)
        }
    }

    /// The caller acted on what it saw: if the phase has changed since, say who changed it.
    static func requirePhase(_ expected: String?, _ record: CompetitionRecord, on connection: PostgresConnection) throws {
        guard let expected, expected != record.phase else { return }
        let last = try connection.query(
            "SELECT actor, occurred_at FROM phase_transition WHERE competition_id = \(record.id) ORDER BY id DESC LIMIT 1"
        ).singleRow()
        let by =
            try last.map { " (changed by \(try $0.decode("actor", as: String.self)) at \(try $0.decode("occurred_at", as: Date.self).rfc3339))" }
            ?? ""
        throw WyscError(
            .conflict,
            "the phase already changed: competition '\(record.slug)' is now in '\(record.phase)', not '\(expected)'\(by). Nothing was done; look at the phase again and try again if still needed."
        )
    }

    /// Records that the current phase's deadline passed, once, before acting on it.
    static func noteDeadline(_ record: inout CompetitionRecord, now: Date, on connection: PostgresConnection) throws {
        guard !record.deadlinePassed, let deadline = record.currentPhase.deadline, now >= deadline else { return }
        let outcome = try apply(.deadlinePassed(at: now), to: record, facts: GuardFacts(), now: now)
        for action in outcome.actions { _ = try run(action, competition: record, actor: .system, on: connection) }
        record.deadlinePassed = outcome.state.deadlinePassed
    }

    /// Applies `event` with the machine and runs every action it asks for, in order, in the caller's
    /// transaction; returns the step as the history shows it, with what the actions did.
    static func take(
        _ event: PhaseEvent, record: CompetitionRecord, facts: GuardFacts, now: Date, actor: Actor, on connection: PostgresConnection
    ) throws -> TransitionRecord {
        let outcome = try apply(event, to: record, facts: facts, now: now)
        var performed: [String] = []
        var step = TransitionRecord(
            from: record.phase, to: outcome.state.phase, kind: event.kind, reason: event.reason, overriddenGuards: [], actor: actor.description,
            occurredAt: now, performed: [])
        for action in outcome.actions {
            if case .recordTransition(_, _, _, let overridden) = action { step.overriddenGuards = overridden.map(\.description) }
            if let done = try run(action, competition: record, actor: actor, on: connection) { performed.append(done) }
        }
        step.performed = performed
        return step
    }

    /// Does what one action of the machine says; returns what a workflow action did, in words.
    static func run(_ action: PhaseAction, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String? {
        switch action {
        case .recordTransition(let from, let to, let event, let overridden):
            try record(
                from: from, to: to, kind: event.kind, reason: event.reason, overridden: overridden, competition: competition, actor: actor,
                on: connection)
            return nil
        case .perform(let use):
            return try perform(use, competition: competition, actor: actor, on: connection)
        case .recordDeadline(let phase, let deadline):
            try connection.query("UPDATE competition SET deadline_passed = true WHERE id = \(competition.id)")
            try connection.query(
                """
                INSERT INTO phase_transition (competition_id, from_phase, to_phase, kind, reason, actor)
                VALUES (\(competition.id), \(phase), \(phase), 'deadline', \("deadline \(deadline.rfc3339) passed"), \(actor.description))
                """
            )
            return nil
        case .unfreezeRosters:
            try connection.query("UPDATE competition SET rosters_frozen_at = NULL WHERE id = \(competition.id)")
            return nil
        }
    }

    static func apply(_ event: PhaseEvent, to record: CompetitionRecord, facts: GuardFacts, now: Date) throws -> PhaseMachine.Outcome {
        switch PhaseMachine(definition: record.definition).apply(event, to: record.state, facts: facts, now: now) {
        case .success(let outcome): return outcome
        case .failure(let reason): throw rejection(reason)
        }
    }

    static func rejection(_ reason: PhaseRejection) -> WyscError {
        switch reason {
        case .guardsFailed:
            return WyscError(
                .refused, "\(reason)\nNothing was changed; an organizer may force the transition, giving a reason.", code: WyscError.Code.guardsFailed
            )
        case .terminal, .deadlineNotReached, .noTransition, .ambiguous, .notAnEarlierPhase:
            return WyscError(.refused, reason.description)
        case .unknownPhase:
            return WyscError(.notFound, reason.description)
        case .missingReason:
            return WyscError(.badInput, reason.description)
        }
    }

    static func record(
        from: String, to: String, kind: String, reason: String?, overridden: [GuardFailure], competition: CompetitionRecord, actor: Actor,
        on connection: PostgresConnection
    ) throws {
        let overriddenJSON = overridden.isEmpty ? nil : PostgresJSON(text: JSONValue.array(overridden.map { .string($0.description) }).encoded)
        try connection.query(
            """
            UPDATE competition SET phase = \(to), phase_entered_at = now(), deadline_passed = false, version = version + 1
            WHERE id = \(competition.id)
            """
        )
        try connection.query(
            """
            INSERT INTO phase_transition (competition_id, from_phase, to_phase, kind, reason, overridden_guards, actor)
            VALUES (\(competition.id), \(from), \(to), \(kind), \(reason), \(overriddenJSON)::jsonb, \(actor.description))
            """
        )
        var after: [String: JSONValue] = ["phase": .string(to)]
        if !overridden.isEmpty { after["overridden_guards"] = .array(overridden.map { .string($0.description) }) }
        try Audit.record(
            on: connection, actor: actor, action: "phase.\(kind)", subject: competition.subject, competitionID: competition.id,
            before: ["phase": .string(from)], after: after, reason: reason)
    }

    /// The facts the transition's guards need, read inside the transaction.
    static func facts(for transition: Transition, of record: CompetitionRecord, on connection: PostgresConnection) throws -> GuardFacts {
        var facts = GuardFacts()
        for use in transition.guards {
            switch use.kind {
            case .minTeams:
                facts.registeredTeams = try connection.query("SELECT count(*) AS n FROM team WHERE competition_id = \(record.id)")
                    .rows[0].decode("n")
            case .teamsComplete:
                let rules = record.definition.team
                facts.teamsOutsideSizeLimits = try connection.query(
                    """
                    SELECT t.name, count(m.id) AS members FROM team t LEFT JOIN team_member m ON m.team_id = t.id
                    WHERE t.competition_id = \(record.id) GROUP BY t.id, t.name ORDER BY t.name
                    """
                ).rows.map { GuardFacts.TeamSize(team: try $0.decode("name"), members: try $0.decode("members")) }
                    .filter { !rules.allowsSize($0.members) }
            case .deadlinePassed:
                break
            case .minProposals:
                facts.submittedProposals = try connection.query("SELECT count(*) AS n FROM proposal WHERE competition_id = \(record.id)")
                    .rows[0].decode("n")
            case .scorecardsComplete:
                guard case .round(let round) = use.parameters["round"] else { continue }
                facts.missingScorecards[round] = try Scoring.missing(round: round, competition: record, on: connection)
            }
        }
        return facts
    }

    /// Performs one action inside the transition's transaction and says what it did.
    static func perform(_ use: ActionUse, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        switch use.kind {
        case .freezeRosters:
            let counts = try rosterCounts(competition, on: connection)
            try connection.query("UPDATE competition SET rosters_frozen_at = now() WHERE id = \(competition.id)")
            try Audit.record(
                on: connection, actor: actor, action: "rosters.freeze", subject: competition.subject, competitionID: competition.id,
                after: ["teams": .integer(counts.teams), "members": .integer(counts.members)])
            return "froze the rosters of \(counts.teams) team(s), \(counts.members) member(s)"
        case .computeEligibility:
            return try EligibilityDecisions.compute(competition, actor: actor, on: connection)
        case .closeSubmissions:
            let row = try connection.query(
                "SELECT count(*) AS proposals, coalesce(sum(version), 0) AS versions FROM proposal WHERE competition_id = \(competition.id)"
            ).rows[0]
            let proposals: Int = try row.decode("proposals")
            let versions: Int = try row.decode("versions")
            try Audit.record(
                on: connection, actor: actor, action: "submissions.close", subject: competition.subject, competitionID: competition.id,
                after: ["proposals": .integer(proposals), "versions": .integer(versions)])
            return "closed submissions: \(proposals) proposal(s), \(versions) version(s) in all"
        case .assignJudges:
            guard case .round(let round) = use.parameters["round"] else { return "no round" }
            return try Assignments.perform(round: round, competition: competition, actor: actor, on: connection)
        case .computeRanking:
            guard case .round(let round) = use.parameters["round"] else { return "no round" }
            return try Scoring.computeRanking(round: round, competition: competition, actor: actor, on: connection)
        case .shortlist:
            guard case .round(let from) = use.parameters["from"], case .round(let to) = use.parameters["to"],
                case .integer(let size) = use.parameters["size"]
            else { return "no shortlist parameters" }
            return try Scoring.shortlist(from: from, to: to, size: size, competition: competition, actor: actor, on: connection)
        case .publishResults:
            return try Scoring.publish(competition, actor: actor, on: connection)
        }
    }

    /// What an action would do, with today's numbers.
    static func preview(_ use: ActionUse, of competition: CompetitionRecord, on connection: PostgresConnection) throws -> String {
        switch use.kind {
        case .freezeRosters:
            let counts = try rosterCounts(competition, on: connection)
            return "freeze_rosters: freeze the rosters of \(counts.teams) team(s), \(counts.members) member(s)"
        case .computeEligibility:
            return try EligibilityDecisions.preview(competition, on: connection)
        case .closeSubmissions:
            let proposals: Int = try connection.query("SELECT count(*) AS n FROM proposal WHERE competition_id = \(competition.id)").rows[0].decode(
                "n")
            return "close_submissions: close submissions with \(proposals) proposal(s)"
        case .assignJudges:
            guard case .round(let id) = use.parameters["round"] else { return "\(use.kind.rawValue): \(use)" }
            do {
                let plan = try Assignments.plan(competition, round: try Assignments.round(id, of: competition), rebalance: false, on: connection)
                return
                    "assign_judges: \(plan.pairs.count) reviews for \(Set(plan.pairs.map(\.team)).count) proposal(s) of round '\(id)', total affinity \(plan.objective)"
            } catch let error as WyscError {
                return "assign_judges: would fail: \(error.message)"
            }
        default:
            return "\(use.kind.rawValue): \(use)"
        }
    }

    static func rosterCounts(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> (teams: Int, members: Int) {
        let row = try connection.query(
            """
            SELECT (SELECT count(*) FROM team WHERE competition_id = \(competition.id)) AS teams,
                   (SELECT count(*) FROM team_member WHERE competition_id = \(competition.id)) AS members
            """
        ).rows[0]
        return (try row.decode("teams"), try row.decode("members"))
    }
}
