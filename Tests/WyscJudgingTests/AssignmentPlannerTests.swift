import Testing
import WyscJudging

/// The assignment policy without a database: loads, and rebalancing that keeps what it can.
@Suite struct AssignmentPlannerTests {
    func problem(proposals: Int, judges: Int, k: Int) -> AssignmentProblem {
        AssignmentProblem(
            proposals: proposals, judges: judges, perProposal: k, capacity: Array(repeating: 0, count: judges),
            affinity: .table(Array(repeating: [], count: proposals)))
    }

    @Test func judgesWithoutALoadTakeTheSmallestThatWorks() {
        let decision = AssignmentPlanner.plan(
            problem(proposals: 4, judges: 4, k: 2), flexible: [true, true, true, true], roundMaxLoad: nil, previous: nil)
        #expect(decision.solution.isComplete)
        #expect(decision.load == .smallestFeasible(2, someFixed: false))
        #expect(decision.capacity == [2, 2, 2, 2])
        #expect(decision.added.count == 8 && decision.removed.isEmpty)
    }

    /// A conflict appears on a judge who held one pair: only that pair changes; when keeping every
    /// other pair needs a higher load, the load is raised rather than moving unaffected pairs.
    @Test func aRebalanceKeepsEveryUnaffectedPair() {
        var round = problem(proposals: 3, judges: 2, k: 1)
        let previous = [(judge: 0, proposal: 0), (judge: 0, proposal: 1), (judge: 1, proposal: 2)]
        round.forbid(proposal: 2, judge: 1)
        let decision = AssignmentPlanner.plan(round, flexible: [true, true], roundMaxLoad: nil, previous: previous)
        #expect(decision.solution.isComplete)
        #expect(decision.load == .keepingUnaffected(3))
        #expect(decision.removed.map { [$0.judge, $0.proposal] } == [[1, 2]])
        #expect(decision.added.map { [$0.judge, $0.proposal] } == [[0, 2]])
        #expect(decision.solution.judgesOfProposal == [[0], [0], [0]])
    }

    /// With fixed loads nothing can be raised: the fewest pairs change.
    @Test func withFixedLoadsTheFewestPairsChange() {
        var round = AssignmentProblem(
            proposals: 2, judges: 2, perProposal: 1, capacity: [1, 1], affinity: .table([[], []]))
        round.forbid(proposal: 1, judge: 1)
        let decision = AssignmentPlanner.plan(round, flexible: [false, false], roundMaxLoad: nil, previous: [(0, 0), (1, 1)])
        #expect(decision.solution.judgesOfProposal == [[1], [0]])
        #expect(decision.removed.count == 2 && decision.added.count == 2)
        #expect(decision.load == .given(roundMaxLoad: nil))
    }
}
