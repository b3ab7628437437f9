import Foundation

/// Where a competition stands in its workflow.
public struct PhaseState: Sendable, Hashable {
    /// The id of the current phase; always one the definition declares.
    public var phase: String
    /// Whether the current phase's deadline has passed (a `deadlinePassed` event said so).
    public var deadlinePassed: Bool

    public init(phase: String, deadlinePassed: Bool = false) {
        self.phase = phase
        self.deadlinePassed = deadlinePassed
    }
}

/// What someone (or the clock, through the driver) asks the machine to do.
public enum PhaseEvent: Sendable, Hashable {
    /// Move on: to the only next phase, or to the named one when there are several.
    case advance(to: String?)
    /// Take a transition even though guards fail; the reason is recorded.
    case force(to: String?, reason: String)
    /// Go back to an earlier phase (to accept late attendance, say); the reason is recorded.
    case reopen(phase: String, reason: String)
    /// The clock reached `at`: the current phase's deadline may have passed.
    case deadlinePassed(at: Date)

    /// How the history names a step this event takes.
    public var kind: String {
        switch self {
        case .advance: "advance"
        case .force: "force"
        case .reopen: "reopen"
        case .deadlinePassed: "deadline"
        }
    }

    /// The reason a person gave, for the events that need one.
    public var reason: String? {
        switch self {
        case .force(_, let reason), .reopen(_, let reason): reason
        case .advance, .deadlinePassed: nil
        }
    }
}

/// The facts guards are evaluated against, gathered by the driver inside its transaction.
/// Lists name the teams or scorecards that hold a guard up.
public struct GuardFacts: Sendable, Hashable {
    public struct TeamSize: Sendable, Hashable {
        public var team: String
        public var members: Int
        public init(team: String, members: Int) {
            self.team = team
            self.members = members
        }
    }

    public var registeredTeams: Int
    /// Teams whose size is outside the team rules.
    public var teamsOutsideSizeLimits: [TeamSize]
    public var submittedProposals: Int
    /// Per round: the scorecards still missing, as "judge → proposal".
    public var missingScorecards: [String: [String]]

    public init(
        registeredTeams: Int = 0, teamsOutsideSizeLimits: [TeamSize] = [], submittedProposals: Int = 0,
        missingScorecards: [String: [String]] = [:]
    ) {
        self.registeredTeams = registeredTeams
        self.teamsOutsideSizeLimits = teamsOutsideSizeLimits
        self.submittedProposals = submittedProposals
        self.missingScorecards = missingScorecards
    }
}

/// A guard that does not hold, with the numbers and the entities that hold it up.
public struct GuardFailure: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: GuardKind
    public var message: String
    /// The teams, proposals or scorecards concerned (at most all of them; renderers shorten).
    public var entities: [String]

    public init(kind: GuardKind, message: String, entities: [String]) {
        self.kind = kind
        self.message = message
        self.entities = entities
    }

    public var description: String {
        guard !entities.isEmpty else { return message }
        let shown = entities.prefix(10).joined(separator: ", ")
        return "\(message): \(shown)\(entities.count > 10 ? " and \(entities.count - 10) more" : "")"
    }
}

/// Why the machine refused an event. The state is unchanged.
public enum PhaseRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Guards failed; `force` with a reason can override them.
    case guardsFailed(from: String, to: String, failures: [GuardFailure])
    /// The current phase is terminal.
    case terminal(phase: String)
    /// No transition leads from the current phase to the one asked for.
    case noTransition(from: String, to: String)
    /// Several transitions leave the current phase: the event must name one.
    case ambiguous(from: String, choices: [String])
    /// `reopen` named a phase that is not before the current one.
    case notAnEarlierPhase(phase: String, current: String)
    /// The phase named does not exist in the workflow.
    case unknownPhase(String)
    /// `deadlinePassed` came before the deadline, or the phase has none.
    case deadlineNotReached(phase: String, deadline: Date?)
    /// A reason is required for force and reopen.
    case missingReason

    public var description: String {
        switch self {
        case .guardsFailed(let from, let to, let failures):
            "cannot move from '\(from)' to '\(to)':\n" + failures.map { "  - \($0)" }.joined(separator: "\n")
        case .terminal(let phase): "'\(phase)' is the last phase: there is nothing after it"
        case .noTransition(let from, let to): "the workflow has no transition from '\(from)' to '\(to)'"
        case .ambiguous(let from, let choices): "from '\(from)' the competition can go to \(choices.joined(separator: " or ")): say which"
        case .notAnEarlierPhase(let phase, let current): "'\(phase)' does not come before the current phase '\(current)', so it cannot be reopened"
        case .unknownPhase(let phase): "the workflow has no phase '\(phase)'"
        case .deadlineNotReached(let phase, let deadline):
            deadline.map { "the deadline of '\(phase)' (\($0)) has not passed yet" } ?? "'\(phase)' has no deadline"
        case .missingReason: "a reason is required"
        }
    }
}

/// What the driver must do, in order, in the same transaction as recording the new state.
public enum PhaseAction: Sendable, Hashable {
    /// One of the workflow's actions for the transition taken.
    case perform(ActionUse)
    /// Record the transition in the history and audit log: its kind and reason come from the
    /// event; `overridden` are the guards a forced transition went past.
    case recordTransition(from: String, to: String, event: PhaseEvent, overridden: [GuardFailure])
    /// Record that the phase's deadline (`deadline`) passed: its deadline-bound operations close.
    case recordDeadline(phase: String, deadline: Date)
    /// A reopened phase takes registrations again, so the rosters frozen on the way out thaw.
    case unfreezeRosters
}

/// The pure phase machine: (definition, state, event, facts) → new state and actions, or a
/// rejection. No I/O and no clock: the driver supplies facts and time.
public struct PhaseMachine: Sendable {
    public let definition: WorkflowDefinition

    public init(definition: WorkflowDefinition) {
        self.definition = definition
    }

    /// The state a new competition starts in.
    public var initialState: PhaseState { PhaseState(phase: definition.phases[0].id) }

    public struct Outcome: Sendable, Hashable {
        public var state: PhaseState
        public var actions: [PhaseAction]
    }

    /// Applies one event. On rejection nothing changes.
    public func apply(_ event: PhaseEvent, to state: PhaseState, facts: GuardFacts, now: Date) -> Result<Outcome, PhaseRejection> {
        switch event {
        case .advance(let target):
            return transition(from: state, to: target, event: event, facts: facts, now: now, forced: false)
        case .force(let target, let reason):
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .failure(.missingReason) }
            return transition(from: state, to: target, event: event, facts: facts, now: now, forced: true)
        case .reopen(let phase, let reason):
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .failure(.missingReason) }
            guard let target = index(of: phase) else { return .failure(.unknownPhase(phase)) }
            guard let current = index(of: state.phase), target < current else {
                return .failure(.notAnEarlierPhase(phase: phase, current: state.phase))
            }
            var actions = [PhaseAction.recordTransition(from: state.phase, to: phase, event: event, overridden: [])]
            if definition.phase(phase)?.allows.contains(.registerTeam) == true { actions.append(.unfreezeRosters) }
            return .success(Outcome(state: PhaseState(phase: phase), actions: actions))
        case .deadlinePassed(let time):
            let deadline = definition.phase(state.phase)?.deadline
            guard let deadline, time >= deadline else { return .failure(.deadlineNotReached(phase: state.phase, deadline: deadline)) }
            if state.deadlinePassed { return .success(Outcome(state: state, actions: [])) }  // the same news twice changes nothing
            return .success(
                Outcome(
                    state: PhaseState(phase: state.phase, deadlinePassed: true), actions: [.recordDeadline(phase: state.phase, deadline: deadline)]))
        }
    }

    /// What would block moving on, without moving: the failing guards of the chosen transition.
    public func check(_ state: PhaseState, to target: String? = nil, facts: GuardFacts, now: Date) -> Result<Transition, PhaseRejection> {
        switch chooseTransition(from: state.phase, to: target) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let transition):
            let failures = evaluate(transition.guards, state: state, facts: facts, now: now)
            return failures.isEmpty ? .success(transition) : .failure(.guardsFailed(from: transition.from, to: transition.to, failures: failures))
        }
    }

    /// Replays a recorded history from the initial state; used to verify stored transitions.
    public func replay(_ history: [(event: PhaseEvent, facts: GuardFacts, at: Date)]) -> Result<PhaseState, PhaseRejection> {
        var state = initialState
        for entry in history {
            switch apply(entry.event, to: state, facts: entry.facts, now: entry.at) {
            case .success(let outcome): state = outcome.state
            case .failure(let rejection): return .failure(rejection)
            }
        }
        return .success(state)
    }

    // MARK: Internals

    private func index(of phase: String) -> Int? { definition.phases.firstIndex { $0.id == phase } }

    /// The transition an advance from `phase` takes: to `target`, or the only one there is.
    public func chooseTransition(from phase: String, to target: String?) -> Result<Transition, PhaseRejection> {
        if let target, index(of: target) == nil { return .failure(.unknownPhase(target)) }
        let outgoing = definition.transitions.filter { $0.from == phase }
        if outgoing.isEmpty { return .failure(.terminal(phase: phase)) }
        if let target {
            guard let transition = outgoing.first(where: { $0.to == target }) else { return .failure(.noTransition(from: phase, to: target)) }
            return .success(transition)
        }
        guard outgoing.count == 1 else { return .failure(.ambiguous(from: phase, choices: outgoing.map(\.to))) }
        return .success(outgoing[0])
    }

    private func transition(
        from state: PhaseState, to target: String?, event: PhaseEvent, facts: GuardFacts, now: Date, forced: Bool
    ) -> Result<Outcome, PhaseRejection> {
        switch chooseTransition(from: state.phase, to: target) {
        case .failure(let rejection):
            return .failure(rejection)
        case .success(let transition):
            let failures = evaluate(transition.guards, state: state, facts: facts, now: now)
            if !failures.isEmpty && !forced {
                return .failure(.guardsFailed(from: transition.from, to: transition.to, failures: failures))
            }
            let actions =
                [PhaseAction.recordTransition(from: transition.from, to: transition.to, event: event, overridden: failures)]
                + transition.actions.map(PhaseAction.perform)
            return .success(Outcome(state: PhaseState(phase: transition.to), actions: actions))
        }
    }

    private func evaluate(_ guards: [GuardUse], state: PhaseState, facts: GuardFacts, now: Date) -> [GuardFailure] {
        guards.compactMap { guardUse in
            switch guardUse.kind {
            case .minTeams:
                let needed = guardUse.integer("count")
                guard facts.registeredTeams < needed else { return nil }
                return GuardFailure(kind: .minTeams, message: "\(facts.registeredTeams) team(s) registered, at least \(needed) needed", entities: [])
            case .teamsComplete:
                guard !facts.teamsOutsideSizeLimits.isEmpty else { return nil }
                let rules = definition.team
                return GuardFailure(
                    kind: .teamsComplete,
                    message: "\(facts.teamsOutsideSizeLimits.count) team(s) have a size outside \(rules.minMembers)–\(rules.maxMembers) members",
                    entities: facts.teamsOutsideSizeLimits.map { "\($0.team) (\($0.members))" })
            case .deadlinePassed:
                let deadline = definition.phase(state.phase)?.deadline
                guard let deadline else { return nil }
                guard now < deadline && !state.deadlinePassed else { return nil }
                return GuardFailure(kind: .deadlinePassed, message: "the deadline of '\(state.phase)' (\(deadline)) has not passed", entities: [])
            case .minProposals:
                let needed = guardUse.integer("count")
                guard facts.submittedProposals < needed else { return nil }
                return GuardFailure(
                    kind: .minProposals, message: "\(facts.submittedProposals) proposal(s) submitted, at least \(needed) needed", entities: [])
            case .scorecardsComplete:
                let round = guardUse.round("round")
                let missing = facts.missingScorecards[round] ?? []
                guard !missing.isEmpty else { return nil }
                return GuardFailure(
                    kind: .scorecardsComplete, message: "\(missing.count) scorecard(s) of round '\(round)' missing", entities: missing)
            }
        }
    }
}

extension GuardUse {
    /// Parameters were type-checked when the file was loaded, so a missing one cannot happen.
    func integer(_ name: String) -> Int {
        guard case .integer(let value) = parameters[name] else { preconditionFailure("validated workflow lacks integer '\(name)'") }
        return value
    }

    func round(_ name: String) -> String {
        guard case .round(let value) = parameters[name] else { preconditionFailure("validated workflow lacks round '\(name)'") }
        return value
    }
}
