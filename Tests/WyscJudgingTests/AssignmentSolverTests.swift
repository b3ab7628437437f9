import Testing
import WyscJudging

/// A small random instance and its brute-force optimum.
struct SmallInstance {
    var problem: AssignmentProblem
    var description: String

    /// How spread the scores are.
    enum Scores: String {
        /// Small whole numbers (shared tags or a table of 0–6).
        case narrow
        /// A table of scores up to 100,000 (and some negative), which the solver solves by cost scaling.
        case wide
        /// A table of scores near both ends of the 32-bit range, which the solver must hold in 64 bits.
        case extreme
    }

    init(seed: UInt64, scores: Scores = .narrow, minimumLoads: Bool = false) {
        var random = SplitMix(seed: seed)
        let proposals = Int(random.next() % 4) + 1
        let judges = Int(random.next() % 4) + 2
        let perProposal = Int(random.next() % UInt64(min(judges, 3))) + 1
        let tags = ["mobility", "energy", "housing", "data", "water"]
        let proposalTags = (0..<proposals).map { _ in tags.filter { _ in random.next() % 3 == 0 } }
        let judgeTags = (0..<judges).map { _ in tags.filter { _ in random.next() % 2 == 0 } }
        let capacity = (0..<judges).map { _ in Int(random.next() % 3) + 1 }
        let useTable = scores != .narrow || random.next() % 3 == 0
        let affinity: Affinity =
            useTable
            ? .table(
                (0..<proposals).map { _ in
                    (0..<judges).compactMap { j in
                        guard random.next() % 2 == 0 else { return nil }
                        // Wide scores cluster around a few values, so that ties at coarse scales break apart at finer ones.
                        let score: Int32
                        switch scores {
                        case .narrow: score = Int32(random.next() % 7)
                        case .wide: score = Int32(random.next() % 4) * 25_000 + Int32(random.next() % 1_000) - 500
                        case .extreme:
                            let divisor = Int32(random.next() % 3 + 1)
                            let offset = Int32(random.next() % 100)
                            score = random.next() % 2 == 0 ? Int32.max / divisor - offset : Int32.min / divisor + offset
                        }
                        return (judge: Int32(j), score: score)
                    }
                })
            : Affinity.sharedTags(proposals: proposalTags, judges: judgeTags)
        problem = AssignmentProblem(proposals: proposals, judges: judges, perProposal: perProposal, capacity: capacity, affinity: affinity)
        for p in 0..<proposals {
            for j in 0..<judges where random.next() % 5 == 0 { problem.forbid(proposal: p, judge: j) }
        }
        if minimumLoads { problem.minimumLoad = (0..<judges).map { _ in Int(random.next() % 3) } }
        description =
            "seed \(seed) (\(scores.rawValue) scores): \(proposals) proposals, \(judges) judges, k=\(perProposal), capacity \(capacity)"
            + (minimumLoads ? ", minimum load \(problem.minimumLoad)" : "")
    }

    /// Every way to give each proposal k allowed judges within capacity; the best total, or nil.
    func bruteForce() -> Int? {
        let k = problem.perProposal
        func subsets(_ pool: [Int], _ size: Int) -> [[Int]] {
            if size == 0 { return [[]] }
            guard let first = pool.first else { return [] }
            let rest = Array(pool.dropFirst())
            return subsets(rest, size - 1).map { [first] + $0 } + subsets(rest, size)
        }
        var best: Int?
        var load = Array(repeating: 0, count: problem.judges)
        func search(_ p: Int, _ total: Int) {
            if p == problem.proposals {
                let lowerBoundsHold = (0..<problem.judges).allSatisfy { load[$0] >= min(problem.minimumLoad[$0], problem.capacity[$0]) }
                if lowerBoundsHold { best = max(best ?? Int.min, total) }
                return
            }
            let allowed = (0..<problem.judges).filter { !problem.forbidden.contains(proposal: p, judge: $0) }
            for choice in subsets(allowed, k) where choice.allSatisfy({ load[$0] < problem.capacity[$0] }) {
                for j in choice { load[j] += 1 }
                search(p + 1, total + choice.reduce(0) { $0 + problem.score(proposal: p, judge: $1) })
                for j in choice { load[j] -= 1 }
            }
        }
        search(0, 0)
        return best
    }
}

/// A small deterministic generator for the tests' synthetic instances.
struct SplitMix: RandomNumberGenerator {
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

/// Every constraint of the problem holds in the solution.
func expectValid(_ solution: AssignmentSolution, _ problem: AssignmentProblem, sourceLocation: SourceLocation = #_sourceLocation) {
    var load = Array(repeating: 0, count: problem.judges)
    var objective = 0
    for (p, judges) in solution.judgesOfProposal.enumerated() {
        #expect(Set(judges).count == judges.count, "a judge twice on proposal \(p)", sourceLocation: sourceLocation)
        #expect(judges.count <= problem.perProposal, sourceLocation: sourceLocation)
        for j in judges {
            #expect(!problem.forbidden.contains(proposal: p, judge: j), "conflicted pair used: \(j) on \(p)", sourceLocation: sourceLocation)
            load[j] += 1
            objective += problem.score(proposal: p, judge: j)
        }
    }
    for j in 0..<problem.judges { #expect(load[j] <= problem.capacity[j], "judge \(j) over capacity", sourceLocation: sourceLocation) }
    if solution.isComplete {
        for j in 0..<problem.judges {
            #expect(
                load[j] >= min(problem.minimumLoad[j], problem.capacity[j]), "judge \(j) under their minimum load", sourceLocation: sourceLocation)
        }
    }
    #expect(objective == solution.objective, sourceLocation: sourceLocation)
    let short = solution.judgesOfProposal.enumerated().filter { $0.element.count < problem.perProposal }.map(\.offset)
    #expect(short == solution.shortfalls.map(\.proposal), sourceLocation: sourceLocation)
}

@Suite struct AssignmentSolverTests {
    /// Solves 400 seeded instances and compares each with its brute-force optimum; returns how
    /// many had a complete assignment and how many had none.
    func compareWithBruteForce(_ scores: SmallInstance.Scores, minimumLoads: Bool = false) -> (feasible: Int, infeasible: Int) {
        var feasible = 0
        var infeasible = 0
        for seed in 1...400 as ClosedRange<UInt64> {
            let instance = SmallInstance(seed: seed, scores: scores, minimumLoads: minimumLoads)
            let solution = AssignmentSolver.solve(instance.problem)
            expectValid(solution, instance.problem)
            if let best = instance.bruteForce() {
                feasible += 1
                #expect(solution.isComplete, "\(instance.description): a complete assignment exists")
                #expect(solution.objective == best, "\(instance.description)")
            } else {
                infeasible += 1
                #expect(!solution.isComplete, "\(instance.description): no complete assignment exists")
            }
        }
        return (feasible, infeasible)
    }

    @Test func matchesBruteForceOnManySmallRandomInstances() {
        let (feasible, infeasible) = compareWithBruteForce(.narrow)
        #expect(feasible > 100 && infeasible > 20, "the instances cover both cases: \(feasible) feasible, \(infeasible) infeasible")
    }

    /// Real-valued similarities scaled to integers have wide ranges: the solver refines them a bit
    /// at a time (cost scaling) and must still reach the exact optimum.
    @Test func matchesBruteForceWithWideScores() {
        let (feasible, infeasible) = compareWithBruteForce(.wide)
        #expect(feasible > 100 && infeasible > 20, "the instances cover both cases: \(feasible) feasible, \(infeasible) infeasible")
    }

    /// Scores are held in 32 bits when they fit; scores at the ends of that range (or a large
    /// preference added to them) are held in 64 bits, and must give the same optimum.
    @Test func matchesBruteForceWithScoresBeyondThirtyTwoBits() {
        let (feasible, infeasible) = compareWithBruteForce(.extreme)
        #expect(feasible > 100 && infeasible > 20, "the instances cover both cases: \(feasible) feasible, \(infeasible) infeasible")
    }

    /// A lower bound on each judge's load (so every judge's leniency can be estimated) is met
    /// exactly, with the highest affinity that allows, whether or not costs are scaled.
    @Test(arguments: [SmallInstance.Scores.narrow, .wide, .extreme])
    func matchesBruteForceWithMinimumLoads(_ scores: SmallInstance.Scores) {
        let (feasible, infeasible) = compareWithBruteForce(scores, minimumLoads: true)
        #expect(feasible > 80 && infeasible > 20, "the instances cover both cases: \(feasible) feasible, \(infeasible) infeasible")
    }

    @Test func prefersTheJudgesClosestToEachProposal() {
        let affinity = Affinity.sharedTags(
            proposals: [["Smart Mobility"], ["Smart Environment", "Big Data"], ["Smart Living"]],
            judges: [["Smart Mobility", "Smart Living"], ["Smart Environment"], ["Big Data", "Smart Environment"], ["Smart Living"]])
        let problem = AssignmentProblem(proposals: 3, judges: 4, perProposal: 1, capacity: [1, 1, 1, 1], affinity: affinity)
        let solution = AssignmentSolver.solve(problem)
        #expect(solution.judgesOfProposal == [[0], [2], [3]])
        #expect(solution.objective == 4)
    }

    @Test func theSameInputGivesTheSameAssignment() {
        let instance = SmallInstance(seed: 99)
        let first = AssignmentSolver.solve(instance.problem)
        for _ in 0..<5 { #expect(AssignmentSolver.solve(instance.problem) == first) }
    }

    @Test func conflictsAndCapacityThatLeaveAProposalShortAreReported() {
        var problem = AssignmentProblem(proposals: 2, judges: 3, perProposal: 2, capacity: [2, 2, 2], affinity: .table([[], []]))
        problem.forbid(proposal: 0, judge: 0)
        problem.forbid(proposal: 0, judge: 1)
        let solution = AssignmentSolver.solve(problem)
        #expect(solution.shortfalls == [.init(proposal: 0, missing: 1, eligibleJudges: 1)])
        #expect(solution.judgesOfProposal[1].count == 2)
    }

    @Test func findsTheSmallestFeasibleLoad() {
        var problem = AssignmentProblem(
            proposals: 6, judges: 4, perProposal: 2, capacity: [0, 0, 0, 0], affinity: .table(Array(repeating: [], count: 6)))
        #expect(AssignmentSolver.smallestFeasibleCapacity(problem) == 3)
        // Judge 0 conflicts with every proposal: the other three must carry 12 reviews.
        for p in 0..<6 { problem.forbid(proposal: p, judge: 0) }
        #expect(AssignmentSolver.smallestFeasibleCapacity(problem) == 4)
        for p in 0..<6 {
            problem.forbid(proposal: p, judge: 1)
            problem.forbid(proposal: p, judge: 2)
        }
        #expect(AssignmentSolver.smallestFeasibleCapacity(problem) == nil)
    }

    @Test func aLargerInstanceIsCompleteAndValid() {
        var random = SplitMix(seed: 7)
        let clusters = [
            "Smart Government", "Smart People", "Smart Economy", "Smart Living", "Smart Mobility", "Smart Environment", "Smart/Green Buildings",
            "Big Data", "Street Lighting", "Living Labs",
        ]
        func tags(_ count: Int) -> [String] { (0..<count).map { _ in clusters[Int(random.next() % 10)] } }
        let affinity = Affinity.sharedTags(proposals: (0..<300).map { _ in tags(2) }, judges: (0..<40).map { _ in tags(3) })
        var problem = AssignmentProblem(proposals: 300, judges: 40, perProposal: 3, capacity: Array(repeating: 25, count: 40), affinity: affinity)
        for _ in 0..<600 { problem.forbid(proposal: Int(random.next() % 300), judge: Int(random.next() % 40)) }
        let solution = AssignmentSolver.solve(problem)
        #expect(solution.isComplete)
        expectValid(solution, problem)
        // No single swap of one judge for an unused allowed one with spare capacity improves it.
        var load = Array(repeating: 0, count: 40)
        for judges in solution.judgesOfProposal { for j in judges { load[j] += 1 } }
        for (p, judges) in solution.judgesOfProposal.enumerated() {
            for j in judges {
                for other in 0..<40 where !judges.contains(other) && load[other] < 25 && !problem.forbidden.contains(proposal: p, judge: other) {
                    #expect(problem.score(proposal: p, judge: other) <= problem.score(proposal: p, judge: j))
                }
            }
        }
    }
}
