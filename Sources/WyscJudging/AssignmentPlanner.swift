/// The assignment policy of a round, decided without a database: which load judges without one of
/// their own take (the smallest that gives every proposal its judges), and, on a rebalance, keeping
/// every pair that is still allowed before anything else, then changing as few pairs as possible.
/// The application loads the facts, asks this, and saves the decision.
public enum AssignmentPlanner {
    /// Where the judges' loads came from.
    public enum Load: Sendable, Hashable {
        /// Every judge has a load of their own or the round's.
        case given(roundMaxLoad: Int?)
        /// Judges without one take the smallest load that lets every proposal get its judges;
        /// `someFixed`: others keep their own.
        case smallestFeasible(Int, someFixed: Bool)
        /// On a rebalance, the smallest load that keeps every unaffected assignment.
        case keepingUnaffected(Int)
        /// No load makes the round feasible (conflicts leave a proposal too few judges): unbounded.
        case unbounded
    }

    public struct Decision: Sendable {
        public var solution: AssignmentSolution
        /// The capacities the solution was found with.
        public var capacity: [Int]
        public var load: Load
        /// On a rebalance: the earlier pairs given up (now forbidden, or not kept by the fallback),
        /// and the pairs that are new.
        public var removed: [(judge: Int, proposal: Int)]
        public var added: [(judge: Int, proposal: Int)]
    }

    /// Decides the assignment of `problem`. Judges marked `flexible` have no load of their own
    /// (their capacity in `problem` is ignored); `previous` are the round's pairs so far, for a
    /// rebalance (nil for a fresh assignment).
    public static func plan(
        _ problem: AssignmentProblem, flexible: [Bool], roundMaxLoad: Int?, previous: [(judge: Int, proposal: Int)]?
    ) -> Decision {
        var problem = problem
        var load = Load.given(roundMaxLoad: roundMaxLoad)
        if flexible.contains(true) {
            if let smallest = AssignmentSolver.smallestFeasibleCapacity(problem, flexible: flexible) {
                for j in flexible.indices where flexible[j] { problem.capacity[j] = smallest }
                load = .smallestFeasible(smallest, someFixed: flexible.contains(false))
            } else {
                for j in flexible.indices where flexible[j] { problem.capacity[j] = problem.proposals }
                load = .unbounded
            }
        }
        guard let previous else {
            let solution = AssignmentSolver.solve(problem)
            return Decision(solution: solution, capacity: problem.capacity, load: load, removed: [], added: pairs(of: solution))
        }
        let kept = previous.filter { !problem.forbidden.contains(proposal: $0.proposal, judge: $0.judge) }
        // Keeping every unaffected pair comes first: with a computed load, raise it until that works.
        var found = keepingAll(problem, kept: kept)
        if found == nil, let first = flexible.firstIndex(of: true) {
            var raised = problem.capacity[first]
            while found == nil && raised < problem.proposals {
                raised += 1
                for j in flexible.indices where flexible[j] { problem.capacity[j] = raised }
                found = keepingAll(problem, kept: kept)
            }
            if found != nil { load = .keepingUnaffected(raised) }
        }
        let solution = found ?? changingFewest(problem, kept: kept)
        let now = Set(pairs(of: solution).map { [$0.judge, $0.proposal] })
        let before = Set(previous.map { [$0.judge, $0.proposal] })
        return Decision(
            solution: solution, capacity: problem.capacity, load: load,
            removed: previous.filter { !now.contains([$0.judge, $0.proposal]) },
            added: pairs(of: solution).filter { !before.contains([$0.judge, $0.proposal]) })
    }

    static func pairs(of solution: AssignmentSolution) -> [(judge: Int, proposal: Int)] {
        solution.judgesOfProposal.enumerated().flatMap { proposal, judges in judges.map { (judge: $0, proposal: proposal) } }
    }

    /// Keeps every still-allowed pair and fills only what is missing, or nil if that cannot be done.
    static func keepingAll(_ problem: AssignmentProblem, kept: [(judge: Int, proposal: Int)]) -> AssignmentSolution? {
        var residual = problem
        var demand = Array(repeating: problem.perProposal, count: problem.proposals)
        for pair in kept {
            demand[pair.proposal] = max(0, demand[pair.proposal] - 1)
            residual.capacity[pair.judge] = max(0, residual.capacity[pair.judge] - 1)
            residual.forbid(proposal: pair.proposal, judge: pair.judge)
        }
        var filled = AssignmentSolver.solve(residual, demand: demand)
        guard filled.isComplete else { return nil }
        for pair in kept { filled.judgesOfProposal[pair.proposal].append(pair.judge) }
        filled.judgesOfProposal = filled.judgesOfProposal.map { $0.sorted() }
        filled.objective = filled.judgesOfProposal.enumerated().reduce(0) { total, entry in
            total + entry.element.reduce(0) { $0 + problem.score(proposal: entry.offset, judge: $1) }
        }
        return filled
    }

    /// The full problem with each kept pair worth more than all affinities together, so the optimum
    /// changes as few assignments as possible and, among those, has the highest affinity.
    static func changingFewest(_ problem: AssignmentProblem, kept: [(judge: Int, proposal: Int)]) -> AssignmentSolution {
        var keptSet = PairSet(proposals: problem.proposals, judges: problem.judges)
        for pair in kept { keptSet.insert(proposal: pair.proposal, judge: pair.judge) }
        let highest = (0..<problem.proposals).reduce(0) { best, p in
            max(best, (0..<problem.judges).map { problem.score(proposal: p, judge: $0) }.max() ?? 0)
        }
        return AssignmentSolver.solve(problem, preferred: keptSet, preference: problem.proposals * problem.perProposal * (highest + 1) + 1)
    }
}
