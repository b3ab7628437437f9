/// The assignment policy of a round, decided without a database: which load judges without one of
/// their own take (the smallest that gives every proposal its judges), the load every judge takes
/// at least (so the judge model can estimate every judge's leniency), one connected panel (so
/// judges can be compared), and, on a rebalance, keeping every pair that is still allowed before
/// anything else, then changing as few pairs as possible. The application loads the facts, asks
/// this, and saves the decision.
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
        /// The load every judge took at least (or their capacity, if smaller); 0 for none.
        public var minimumLoad: Int = 0
        /// How many exchanges of two pairs joined groups of judges that shared no proposal.
        public var connectingExchanges: Int = 0
    }

    /// A fair share of the reviews, ⌊k·P/J⌋: the default minimum load.
    public static func fairShare(_ problem: AssignmentProblem) -> Int {
        problem.judges == 0 ? 0 : problem.proposals * problem.perProposal / problem.judges
    }

    /// Decides the assignment of `problem`. Judges marked `flexible` have no load of their own
    /// (their capacity in `problem` is ignored); `minimumLoad` is the round's lower bound on loads
    /// (nil: the fair share); `previous` are the round's pairs so far, for a rebalance (nil for a
    /// fresh assignment, which alone gets the minimum load and the connected panel: a rebalance
    /// changes as little as it can).
    public static func plan(
        _ problem: AssignmentProblem, flexible: [Bool], roundMaxLoad: Int?, minimumLoad: Int? = nil, previous: [(judge: Int, proposal: Int)]?
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
            let minimum = largestFeasibleMinimum(&problem, wanted: minimumLoad ?? fairShare(problem))
            var solution = AssignmentSolver.solve(problem)
            let exchanges = solution.isComplete ? connectPanel(&solution, problem) : 0
            return Decision(
                solution: solution, capacity: problem.capacity, load: load, removed: [], added: pairs(of: solution), minimumLoad: minimum,
                connectingExchanges: exchanges)
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

    /// Sets every judge's minimum load to `wanted` (or their capacity, if smaller), lowered until a
    /// complete assignment exists (conflicts can leave a judge too few proposals); returns it.
    static func largestFeasibleMinimum(_ problem: inout AssignmentProblem, wanted: Int) -> Int {
        func setting(_ minimum: Int) -> AssignmentProblem {
            var trial = problem
            trial.minimumLoad = problem.capacity.map { min($0, minimum) }
            return trial
        }
        var low = 0  // feasible whenever the round is
        var high = max(0, wanted)
        if high > 0 && !AssignmentSolver.isFeasible(setting(high)) {
            // Lower bounds that hold also hold when smaller: the largest that works is found by halving.
            while low + 1 < high {
                let middle = (low + high) / 2
                if AssignmentSolver.isFeasible(setting(middle)) { low = middle } else { high = middle }
            }
            high = low
        }
        problem = setting(high)
        return high
    }

    /// Joins groups of judges that share no proposal with the rest (the model cannot compare their
    /// leniency), each by the exchange of two pairs that loses the least affinity: a judge of the
    /// smallest group takes a proposal of another judge, who takes one of theirs. Loads, conflicts
    /// and one judge per proposal once still hold. Returns how many exchanges were made; groups that
    /// no allowed exchange joins (conflicts) stay apart, and the caller reports them.
    static func connectPanel(_ solution: inout AssignmentSolution, _ problem: AssignmentProblem) -> Int {
        guard problem.perProposal >= 2 else { return 0 }  // one judge per proposal: nobody shares anything
        var exchanges = 0
        var judgesOf = solution.judgesOfProposal
        while true {
            let group = PanelGraph.groupOfEachJudge(judgesOf, judges: problem.judges)
            let sizes = Dictionary(grouping: group.indices.filter { group[$0] >= 0 }, by: { group[$0] }).mapValues(\.count)
            guard sizes.count > 1 else { break }
            var proposalsOf = Array(repeating: [Int](), count: problem.judges)
            for (p, judges) in judgesOf.enumerated() { for j in judges { proposalsOf[j].append(p) } }
            var joined = false
            // The smallest groups first: fewer candidate exchanges, and a small group is the likeliest
            // to be a topic nobody else reviews.
            for (smallest, _) in sizes.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) where !joined {
                // The best few exchanges, best first (ties in index order); a large round has
                // millions of candidates, and one of the best few almost always joins the groups.
                typealias Exchange = (gain: Int, p: Int, inside: Int, q: Int, outside: Int)
                func before(_ a: Exchange, _ b: Exchange) -> Bool {
                    (b.gain, a.p, a.inside, a.q, a.outside) < (a.gain, b.p, b.inside, b.q, b.outside)
                }
                var candidates: [Exchange] = []
                let kept = 32
                for p in judgesOf.indices where judgesOf[p].first.map({ group[$0] == smallest }) == true {
                    for inside in judgesOf[p] {
                        for outside in 0..<problem.judges where group[outside] >= 0 && group[outside] != smallest {
                            guard !judgesOf[p].contains(outside), !problem.forbidden.contains(proposal: p, judge: outside) else { continue }
                            for q in proposalsOf[outside]
                            where !judgesOf[q].contains(inside) && !problem.forbidden.contains(proposal: q, judge: inside) {
                                let gain =
                                    problem.score(proposal: p, judge: outside) + problem.score(proposal: q, judge: inside)
                                    - problem.score(proposal: p, judge: inside) - problem.score(proposal: q, judge: outside)
                                let exchange = (gain: gain, p: p, inside: inside, q: q, outside: outside)
                                guard candidates.count < kept || before(exchange, candidates[kept - 1]) else { continue }
                                let position = candidates.firstIndex { before(exchange, $0) } ?? candidates.count
                                candidates.insert(exchange, at: position)
                                if candidates.count > kept { candidates.removeLast() }
                            }
                        }
                    }
                }
                // The best exchange that joins the groups (one that only swaps two lone reviews does not).
                for candidate in candidates {
                    var trial = judgesOf
                    trial[candidate.p] = (trial[candidate.p].filter { $0 != candidate.inside } + [candidate.outside]).sorted()
                    trial[candidate.q] = (trial[candidate.q].filter { $0 != candidate.outside } + [candidate.inside]).sorted()
                    let after = Set(PanelGraph.groupOfEachJudge(trial, judges: problem.judges).filter { $0 >= 0 }).count
                    if after < sizes.count {
                        judgesOf = trial
                        solution.objective += candidate.gain
                        exchanges += 1
                        joined = true
                        break
                    }
                }
            }
            guard joined else { break }
        }
        solution.judgesOfProposal = judgesOf
        return exchanges
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
