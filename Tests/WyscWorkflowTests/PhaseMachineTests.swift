import Foundation
import Testing
import WyscWorkflow

@Suite struct PhaseMachineTests {
    static let definition: WorkflowDefinition = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/wysc.yaml")
        return try! WorkflowLoader.load(String(contentsOf: url, encoding: .utf8), file: "wysc.yaml")
    }()
    let machine = PhaseMachine(definition: Self.definition)
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    /// Facts under which every guard of wysc.yaml holds.
    let satisfied = GuardFacts(registeredTeams: 52, submittedProposals: 50)

    @Test func walksEveryTransitionOfTheCompetitionWorkflow() throws {
        var state = machine.initialState
        #expect(state.phase == "registration")
        var visited = [state.phase]
        var performed: [ActionKind] = []
        while true {
            guard case .success(let outcome) = machine.apply(.advance(to: nil), to: state, facts: satisfied, now: now) else { break }
            #expect(outcome.actions.first == .recordTransition(from: state.phase, to: outcome.state.phase, event: .advance(to: nil), overridden: []))
            performed += outcome.actions.compactMap { if case .perform(let action) = $0 { action.kind } else { nil } }
            state = outcome.state
            visited.append(state.phase)
        }
        #expect(visited == ["registration", "lectures", "workshops", "proposals", "screening", "finals", "results", "closed"])
        #expect(
            performed == [
                .freezeRosters, .computeEligibility, .closeSubmissions, .assignJudges, .computeRanking, .shortlist, .assignJudges,
                .computeRanking, .publishResults,
            ])
        #expect(machine.apply(.advance(to: nil), to: state, facts: satisfied, now: now) == .failure(.terminal(phase: "closed")))
    }

    @Test func failingGuardsAreListedWithTheirNumbersAndEntities() {
        let facts = GuardFacts(
            registeredTeams: 0,
            teamsOutsideSizeLimits: [.init(team: "Seoul Sparks", members: 1), .init(team: "서울 드림", members: 9)])
        let result = machine.apply(.advance(to: nil), to: machine.initialState, facts: facts, now: now)
        guard case .failure(.guardsFailed(let from, let to, let failures)) = result else {
            Issue.record("expected failing guards, got \(result)")
            return
        }
        #expect(from == "registration" && to == "lectures")
        #expect(failures.map(\.kind) == [.minTeams, .teamsComplete])
        #expect(failures[0].message == "0 team(s) registered, at least 1 needed")
        #expect(failures[1].description == "2 team(s) have a size outside 2–6 members: Seoul Sparks (1), 서울 드림 (9)")
    }

    @Test func missingScorecardsHoldUpTheEndOfARound() {
        let facts = GuardFacts(registeredTeams: 52, submittedProposals: 50, missingScorecards: ["screening": ["judge 7 → proposal 12"]])
        let result = machine.apply(.advance(to: nil), to: PhaseState(phase: "screening"), facts: facts, now: now)
        #expect(
            result
                == .failure(
                    .guardsFailed(
                        from: "screening", to: "finals",
                        failures: [
                            GuardFailure(
                                kind: .scorecardsComplete, message: "1 scorecard(s) of round 'screening' missing", entities: ["judge 7 → proposal 12"]
                            )
                        ])))
        // check reports the same without moving.
        guard case .failure(.guardsFailed) = machine.check(PhaseState(phase: "screening"), facts: facts, now: now) else {
            Issue.record("check should report the missing scorecard")
            return
        }
    }

    @Test func forcePassesFailingGuardsButNeedsAReason() throws {
        let empty = GuardFacts()
        #expect(machine.apply(.force(to: nil, reason: "  "), to: machine.initialState, facts: empty, now: now) == .failure(.missingReason))
        let outcome = try machine.apply(.force(to: nil, reason: "pilot edition"), to: machine.initialState, facts: empty, now: now).get()
        #expect(outcome.state.phase == "lectures")
        guard case .recordTransition("registration", "lectures", .force(to: nil, reason: "pilot edition"), let overridden) = outcome.actions.first
        else {
            Issue.record("a forced transition is recorded first: \(outcome.actions)")
            return
        }
        #expect(!overridden.isEmpty, "the guards it went past travel with it")
    }

    @Test func reopenGoesBackOnlyToAnEarlierPhase() throws {
        let workshops = PhaseState(phase: "workshops")
        let outcome = try machine.apply(.reopen(phase: "lectures", reason: "late attendance"), to: workshops, facts: satisfied, now: now).get()
        #expect(outcome.state == PhaseState(phase: "lectures"))
        #expect(outcome.actions.map { if case .perform = $0 { false } else { true } } == [true], "reopening performs no workflow action")
        #expect(
            machine.apply(.reopen(phase: "finals", reason: "x"), to: workshops, facts: satisfied, now: now)
                == .failure(.notAnEarlierPhase(phase: "finals", current: "workshops")))
        #expect(
            machine.apply(.reopen(phase: "workshops", reason: "x"), to: workshops, facts: satisfied, now: now)
                == .failure(.notAnEarlierPhase(phase: "workshops", current: "workshops")))
        #expect(
            machine.apply(.reopen(phase: "nowhere", reason: "x"), to: workshops, facts: satisfied, now: now) == .failure(.unknownPhase("nowhere")))
        #expect(machine.apply(.reopen(phase: "lectures", reason: ""), to: workshops, facts: satisfied, now: now) == .failure(.missingReason))
        // Reopening registration thaws the rosters frozen on the way out; reopening lectures does not.
        let registration = try machine.apply(.reopen(phase: "registration", reason: "a late team"), to: workshops, facts: satisfied, now: now).get()
        #expect(registration.actions.last == .unfreezeRosters)
        #expect(!outcome.actions.contains(.unfreezeRosters))
    }

    @Test func namedTargetsMustBeReachableFromHere() {
        #expect(
            machine.apply(.advance(to: "finals"), to: machine.initialState, facts: satisfied, now: now)
                == .failure(.noTransition(from: "registration", to: "finals")))
        #expect(machine.apply(.advance(to: "moon"), to: machine.initialState, facts: satisfied, now: now) == .failure(.unknownPhase("moon")))
    }

    @Test func deadlinesArriveAsEvents() throws {
        let text = """
            workflow: d
            phases:
              - {id: proposals, allows: [submit_proposal], deadline: 2026-05-31T23:59:00Z}
              - {id: review}
            transitions:
              - {from: proposals, to: review, guards: [deadline_passed]}
            rubric: {scale: {min: 1, max: 5}, criteria: [{id: all, weight: 1}]}
            """
        let machine = PhaseMachine(definition: try WorkflowLoader.load(text, file: "d.yaml"))
        let before = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28
        let after = Date(timeIntervalSince1970: 1_780_300_000)  // 2026-06-01
        let start = machine.initialState
        #expect(
            machine.apply(.deadlinePassed(at: before), to: start, facts: GuardFacts(), now: before)
                == .failure(.deadlineNotReached(phase: "proposals", deadline: machine.definition.phases[0].deadline)))
        guard case .failure(.guardsFailed(_, _, let failures)) = machine.apply(.advance(to: nil), to: start, facts: GuardFacts(), now: before) else {
            Issue.record("the deadline guard should hold the transition before the deadline")
            return
        }
        #expect(failures.map(\.kind) == [.deadlinePassed])
        let passed = try machine.apply(.deadlinePassed(at: after), to: start, facts: GuardFacts(), now: after).get()
        #expect(passed.state == PhaseState(phase: "proposals", deadlinePassed: true))
        guard case .recordDeadline("proposals", _)? = passed.actions.first, passed.actions.count == 1 else {
            Issue.record("the deadline is recorded: \(passed.actions)")
            return
        }
        #expect(try machine.apply(.deadlinePassed(at: after), to: passed.state, facts: GuardFacts(), now: after).get().actions.isEmpty)
        #expect(try machine.apply(.advance(to: nil), to: passed.state, facts: GuardFacts(), now: before).get().state.phase == "review")
    }

    /// Random event sequences: the state is always a declared phase, and replaying the accepted
    /// events from the start gives the same state.
    @Test(arguments: 1...25) func randomHistoriesStayInsideTheWorkflowAndReplay(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let phases = Self.definition.phases.map(\.id)
        var state = machine.initialState
        var history: [(event: PhaseEvent, facts: GuardFacts, at: Date)] = []
        for step in 0..<60 {
            let facts = GuardFacts(
                registeredTeams: Int(random.next() % 3), submittedProposals: Int(random.next() % 3),
                missingScorecards: random.next() % 2 == 0 ? [:] : ["screening": ["j → p"], "finals": ["j → p"]])
            let target = random.next() % 3 == 0 ? phases[Int(random.next() % UInt64(phases.count))] : nil
            let event: PhaseEvent
            switch random.next() % 4 {
            case 0: event = .advance(to: target)
            case 1: event = .force(to: target, reason: "step \(step)")
            case 2: event = .reopen(phase: phases[Int(random.next() % UInt64(phases.count))], reason: "step \(step)")
            default: event = .deadlinePassed(at: now)
            }
            let at = now.addingTimeInterval(Double(step))
            if case .success(let outcome) = machine.apply(event, to: state, facts: facts, now: at) {
                state = outcome.state
                history.append((event, facts, at))
            }
            #expect(phases.contains(state.phase))
        }
        #expect(machine.replay(history) == .success(state))
    }
}

/// A small deterministic generator, so that a failing seed can be rerun.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
