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

    /// Two judges fit every proposal best and could take them all: with the fair share as the
    /// minimum, every judge still gets ⌊k·P/J⌋ proposals (so every judge's leniency can be
    /// estimated); `min_load: 0` lets the favourites take everything.
    @Test func everyJudgeTakesAtLeastTheFairShare() {
        let favourites: [[(judge: Int32, score: Int32)]] = Array(repeating: [(0, 5), (1, 5)], count: 6)
        let round = AssignmentProblem(proposals: 6, judges: 6, perProposal: 2, capacity: Array(repeating: 6, count: 6), affinity: .table(favourites))
        let fair = AssignmentPlanner.plan(round, flexible: Array(repeating: false, count: 6), roundMaxLoad: 6, previous: nil)
        #expect(fair.minimumLoad == 2)
        #expect(loads(fair.solution, judges: 6) == [2, 2, 2, 2, 2, 2])
        #expect(fair.solution.objective == 20)  // the favourites take two each, worth 5 apiece
        let unbounded = AssignmentPlanner.plan(round, flexible: Array(repeating: false, count: 6), roundMaxLoad: 6, minimumLoad: 0, previous: nil)
        #expect(unbounded.minimumLoad == 0)
        #expect(loads(unbounded.solution, judges: 6) == [6, 6, 0, 0, 0, 0])
        #expect(unbounded.solution.objective == 60)
    }

    /// Conflicts leave a judge one allowed proposal: the minimum is lowered to what every judge can
    /// take, not given up, and the assignment stays complete.
    @Test func aMinimumThatConflictsRuleOutIsLowered() {
        var round = AssignmentProblem(
            proposals: 4, judges: 4, perProposal: 2, capacity: Array(repeating: 4, count: 4), affinity: .table(Array(repeating: [], count: 4)))
        for p in 1..<4 { round.forbid(proposal: p, judge: 3) }
        let decision = AssignmentPlanner.plan(round, flexible: Array(repeating: false, count: 4), roundMaxLoad: 4, previous: nil)
        #expect(decision.minimumLoad == 1)
        #expect(decision.solution.isComplete)
        #expect(loads(decision.solution, judges: 4).allSatisfy { $0 >= 1 })
    }

    /// Two topics, each with its own judges: the best assignment splits the panel into groups that
    /// share no proposal (pairs of judges on pairs of proposals: 4 groups). Exchanges of two reviews
    /// join them, each the cheapest: free within a topic, and one that costs 2 across the topics.
    @Test func groupsThatShareNoProposalAreJoinedByTheCheapestExchange() {
        let topics = Affinity.sharedTags(
            proposals: Array(repeating: ["mobility"], count: 4) + Array(repeating: ["energy"], count: 4),
            judges: Array(repeating: ["mobility"], count: 4) + Array(repeating: ["energy"], count: 4))
        let round = AssignmentProblem(proposals: 8, judges: 8, perProposal: 2, capacity: Array(repeating: 2, count: 8), affinity: topics)
        #expect(PanelGraph.judgeGroups(AssignmentSolver.solve(round).pairs) == 4)
        let decision = AssignmentPlanner.plan(round, flexible: Array(repeating: false, count: 8), roundMaxLoad: 2, previous: nil)
        #expect(decision.connectingExchanges == 3)
        #expect(PanelGraph.judgeGroups(decision.solution.pairs) == 1)
        #expect(decision.solution.objective == 14)  // 16 shared tags, less the two off-topic reviews
        #expect(loads(decision.solution, judges: 8) == Array(repeating: 2, count: 8))
        expectValid(decision.solution, round)
    }

    /// With a conflict on every pair that could join them, the groups stay apart (and the caller says so).
    @Test func groupsNoAllowedExchangeJoinsStayApart() {
        var round = AssignmentProblem(proposals: 2, judges: 4, perProposal: 2, capacity: Array(repeating: 1, count: 4), affinity: .table([[], []]))
        round.forbid(proposal: 0, judge: 2)
        round.forbid(proposal: 0, judge: 3)
        round.forbid(proposal: 1, judge: 0)
        round.forbid(proposal: 1, judge: 1)
        let decision = AssignmentPlanner.plan(round, flexible: Array(repeating: false, count: 4), roundMaxLoad: 1, previous: nil)
        #expect(decision.solution.isComplete && decision.connectingExchanges == 0)
        #expect(PanelGraph.judgeGroups(decision.solution.pairs) == 2)
    }

    func loads(_ solution: AssignmentSolution, judges: Int) -> [Int] {
        var load = Array(repeating: 0, count: judges)
        for judges in solution.judgesOfProposal { for j in judges { load[j] += 1 } }
        return load
    }
}
