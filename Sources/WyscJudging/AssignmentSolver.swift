/// The exact judge assignment: a min-cost flow source → proposal (demand) → judge (1 per pair) →
/// sink (capacity), with cost −affinity on proposal → judge arcs.
///
/// It is solved by the primal-dual method: each phase runs Dijkstra on reduced costs (node
/// potentials keep them non-negative), raises the potentials, then pushes a maximum flow through
/// the arcs whose reduced cost is zero (Dinic, on the arcs of the shortest paths just found).
/// There is a phase per distinct shortest-path length: whole-number affinities in a narrow range
/// (shared tags, scores 10–49) take tens of phases. Wider ranges (real-valued similarities scaled
/// to integers) are solved by cost scaling: first on their top bits, then one bit more at a time
/// from the previous flow (see `solveWithCostScaling`). Scores are held as a dense matrix, 32-bit
/// when they fit (10,000 × 1,000 takes 40 MB), so Dijkstra reads each row as one run. Every choice
/// follows the input's order, so the same input always gives the same assignment.
public enum AssignmentSolver {
    /// Solves `problem`. `demand` overrides `perProposal` for each proposal (for rebalancing);
    /// pairs in `preferred` get `preference` added to their affinity (for keeping assignments).
    public static func solve(_ problem: AssignmentProblem, demand: [Int]? = nil, preferred: PairSet? = nil, preference: Int = 0) -> AssignmentSolution
    {
        let demand = demand ?? Array(repeating: problem.perProposal, count: problem.proposals)
        func solve<Stored: FixedWidthInteger & SignedInteger>(_: Stored.Type) -> AssignmentSolution {
            var flow = FlowSolver<Stored>(problem: problem, demand: demand, preferred: preferred, preference: preference)
            flow.solveWithCostScaling()
            return flow.solution()
        }
        // Scores are stored in 32 bits when they fit with room to spare (half the memory traffic of
        // the hot loops), else in 64.
        let preferenceBound = preferred == nil ? 0 : abs(preference)
        let fits = problem.affinity.maximum + preferenceBound < 1 << 30 && problem.affinity.minimum - preferenceBound > -(1 << 30)
        return fits ? solve(Int32.self) : solve(Int.self)
    }

    /// Whether every proposal can get its judges and every judge their minimum load.
    public static func isFeasible(_ problem: AssignmentProblem) -> Bool {
        var flow = FlowSolver<Int32>(
            problem: problem, demand: Array(repeating: problem.perProposal, count: problem.proposals), preferred: nil, preference: 0,
            ignoreCosts: true)
        flow.run()
        return flow.unmetDemand == 0 && flow.totalDeficit == 0
    }

    /// The smallest load L such that, giving every judge marked `flexible` a capacity of L (the
    /// others keep theirs), every proposal can get its judges; nil if no L does (conflicts leave a
    /// proposal with too few judges).
    public static func smallestFeasibleCapacity(_ problem: AssignmentProblem, flexible: [Bool]? = nil) -> Int? {
        let flexible = flexible ?? Array(repeating: true, count: problem.judges)
        let flexibleCount = flexible.filter { $0 }.count
        let needed = problem.proposals * problem.perProposal
        let fixed = zip(problem.capacity, flexible).filter { !$0.1 }.map(\.0).reduce(0, +)
        guard flexibleCount > 0 else { return nil }
        var capacity = max(1, (needed - fixed + flexibleCount - 1) / flexibleCount)
        while capacity <= max(problem.proposals, 1) {
            var trial = problem
            trial.minimumLoad = Array(repeating: 0, count: problem.judges)
            for j in 0..<problem.judges where flexible[j] { trial.capacity[j] = capacity }
            var flow = FlowSolver<Int32>(
                problem: trial, demand: Array(repeating: problem.perProposal, count: problem.proposals), preferred: nil, preference: 0,
                ignoreCosts: true)
            flow.run()
            if flow.unmetDemand == 0 { return capacity }
            capacity += 1
        }
        return nil
    }
}

/// The mutable state of one solve. A struct with mutating methods: the hot loops touch plain arrays.
struct FlowSolver<Stored: FixedWidthInteger & SignedInteger> {
    let proposals: Int
    let judges: Int
    let demand: [Int]
    let capacity: [Int]
    /// The judges' lower bounds on load: the flow on a judge's arc to the sink never falls below it.
    let minimumLoad: [Int]
    let problem: AssignmentProblem
    let preferred: PairSet?
    let preference: Int
    let ignoreCosts: Bool
    /// Every pair's affinity plus any preference, row by proposal, with `forbiddenScore` for
    /// conflicts: the hot loops read a row as one contiguous run.
    let baseScores: [Stored]
    /// The same at the current cost scale (shifted right by `shift` bits).
    var scores: [Stored]
    static var forbiddenScore: Stored { Stored.min }
    /// Judges of proposal p live in slots p * slotsPerProposal ..< + assignedCount[p].
    let slotsPerProposal: Int
    var assigned: [Int32]
    var assignedCount: [Int]
    var proposalsOfJudge: [[Int32]]
    var load: [Int]
    // Potentials; the source's is 0.
    var potentialP: [Int]
    var potentialJ: [Int]
    var potentialT = 0
    var unmetDemand: Int
    // Scratch.
    var isAssignedToCurrent: [Bool]
    /// The pairs whose arc lies on a shortest path (reduced cost zero once potentials are raised),
    /// found by the last `shortestPaths`: the next maximum flow runs on these alone.
    var zeroArcs: [(proposal: Int32, judge: Int32)] = []
    // Cost scaling: costs are the affinities shifted right by `shift` bits.
    var shift = 0
    /// Every proposal short of judges is a source at distance zero (see `shortestPaths`).
    var multiSource = false
    /// Reviews a judge lost when costs were refined and must regain before it has room for others.
    var deficit: [Int]
    var totalDeficit = 0
    /// Judges with a deficit that the last shortest paths reached at the sink's distance.
    var isTargetJudge: [Bool]

    init(problem: AssignmentProblem, demand: [Int], preferred: PairSet?, preference: Int, ignoreCosts: Bool = false) {
        self.problem = problem
        proposals = problem.proposals
        judges = problem.judges
        self.demand = demand
        capacity = problem.capacity
        self.preferred = preferred
        self.preference = preference
        self.ignoreCosts = ignoreCosts
        // A proposal never has more judges than there are judges, whatever it asks for.
        slotsPerProposal = max(1, min(demand.max() ?? 1, judges))
        assigned = Array(repeating: -1, count: proposals * slotsPerProposal)
        assignedCount = Array(repeating: 0, count: proposals)
        proposalsOfJudge = Array(repeating: [], count: judges)
        load = Array(repeating: 0, count: judges)
        // Reduced cost of p → j is −score + πp − πj ≥ 0 when πj = −(highest score).
        let top = ignoreCosts ? 0 : problem.affinity.maximum + (preferred == nil ? 0 : preference)
        potentialP = Array(repeating: 0, count: proposals)
        potentialJ = Array(repeating: -top, count: judges)
        potentialT = -top
        unmetDemand = demand.reduce(0, +)
        isAssignedToCurrent = Array(repeating: false, count: judges)
        baseScores = Self.scoreMatrix(problem, ignoreCosts: ignoreCosts, preferred: preferred, preference: preference)
        scores = baseScores
        // A lower bound is flow the judge already sends to the sink without having it: the judge
        // owes those reviews from the start, and paths must end there before the sink takes the rest.
        minimumLoad = zip(problem.minimumLoad, problem.capacity).map { min(max($0, 0), $1) }
        deficit = minimumLoad
        totalDeficit = minimumLoad.reduce(0, +)
        isTargetJudge = Array(repeating: false, count: judges)
    }

    static var infinity: Int { Int.max / 4 }

    static func scoreMatrix(_ problem: AssignmentProblem, ignoreCosts: Bool, preferred: PairSet?, preference: Int) -> [Stored] {
        let proposals = problem.proposals
        let judges = problem.judges
        var matrix = [Stored](repeating: 0, count: proposals * judges)
        matrix.withUnsafeMutableBufferPointer { matrix in
            if !ignoreCosts {
                switch problem.affinity {
                case .sharedTags(let proposalTags, let judgeTags, let words):
                    for p in 0..<proposals {
                        for j in 0..<judges {
                            var shared = 0
                            for word in 0..<words { shared += (proposalTags[p * words + word] & judgeTags[j * words + word]).nonzeroBitCount }
                            matrix[p * judges + j] = Stored(shared)
                        }
                    }
                case .table(let rows):
                    for p in 0..<proposals {
                        for entry in rows[p] { matrix[p * judges + Int(entry.judge)] = Stored(entry.score) }
                    }
                }
                if let preferred, preference != 0 {
                    for p in 0..<proposals {
                        for j in 0..<judges where preferred.contains(proposal: p, judge: j) { matrix[p * judges + j] += Stored(preference) }
                    }
                }
            }
            if problem.forbidden.count > 0 {
                for p in 0..<proposals {
                    for j in 0..<judges where problem.forbidden.contains(proposal: p, judge: j) { matrix[p * judges + j] = forbiddenScore }
                }
            }
        }
        return matrix
    }

    /// Sets the cost scale: every score shifted right by `bits`.
    mutating func scale(to bits: Int) {
        shift = bits
        guard bits > 0 else {
            scores = baseScores
            return
        }
        scores = baseScores.map { $0 == Self.forbiddenScore ? $0 : $0 >> bits }
    }

    func score(_ p: Int, _ j: Int) -> Int { Int(scores[p * judges + j]) }

    /// Whether judge j's arc to the sink has room and reduced cost zero.
    func tightToSink(_ j: Int) -> Bool { load[j] + deficit[j] < capacity[j] && potentialJ[j] == potentialT }
    /// Whether the sink's arc back to judge j carries flow above the judge's lower bound and has
    /// reduced cost zero.
    func tightFromSink(_ j: Int) -> Bool { load[j] + deficit[j] > minimumLoad[j] && potentialJ[j] == potentialT }
    /// Whether flow may end at judge j: it owes a review and was reached at the sink's distance.
    func owesReview(_ j: Int) -> Bool { deficit[j] > 0 && isTargetJudge[j] }

    // MARK: Cost scaling

    /// Affinities in a narrow range (shared tags, whole scores up to 64) are solved directly: there
    /// are few distinct path lengths. Wider ones (real-valued similarities scaled to integers) would
    /// take a phase per distinct length, so they are solved first with their top 6 bits, then one
    /// more bit at a time, each solution starting from the last one's flow and potentials.
    mutating func solveWithCostScaling() {
        let top = ignoreCosts ? 0 : max(problem.affinity.maximum, -problem.affinity.minimum) + (preferred == nil ? 0 : abs(preference))
        let bits = Int.bitWidth - top.leadingZeroBitCount
        guard bits > 6 else {
            run()
            return
        }
        multiSource = true
        scale(to: bits - 6)
        let coarseTop = top >> shift
        for j in 0..<judges { potentialJ[j] = -coarseTop }
        potentialT = -coarseTop
        run()
        while shift > 0 && unmetDemand == 0 {
            scale(to: shift - 1)
            refine()
            run()
        }
    }

    /// One more bit of every cost: potentials double, which leaves every residual arc's reduced
    /// cost at least −1. A proposal with a free arc at −1 raises its potential by one; an arc it
    /// holds that then falls to −1 is given up (its judge owes a review, the proposal lacks one),
    /// and the next shortest paths put the flow right.
    mutating func refine() {
        for p in 0..<proposals { potentialP[p] *= 2 }
        for j in 0..<judges { potentialJ[j] *= 2 }
        potentialT *= 2
        for p in 0..<proposals {
            markRow(p, true)
            let base = potentialP[p]
            var raise = false
            for j in 0..<judges where !isAssignedToCurrent[j] {
                let stored = scores[p * judges + j]
                if stored != Self.forbiddenScore && base - Int(stored) - potentialJ[j] < 0 {
                    raise = true
                    break
                }
            }
            markRow(p, false)
            guard raise else { continue }
            potentialP[p] += 1
            let start = p * slotsPerProposal
            for j in assigned[start..<(start + assignedCount[p])].map(Int.init) where score(p, j) + potentialJ[j] - potentialP[p] < 0 {
                removePair(p, j)
                deficit[j] += 1
                totalDeficit += 1
                unmetDemand += 1
            }
        }
    }

    func isAssigned(_ p: Int, _ j: Int) -> Bool {
        let start = p * slotsPerProposal
        for slot in start..<(start + assignedCount[p]) where Int(assigned[slot]) == j { return true }
        return false
    }

    mutating func markRow(_ p: Int, _ value: Bool) {
        let start = p * slotsPerProposal
        for slot in start..<(start + assignedCount[p]) { isAssignedToCurrent[Int(assigned[slot])] = value }
    }

    mutating func run() {
        while unmetDemand > 0 {
            guard shortestPaths() else { return }
            augmentAlongZeroReducedCost()
        }
    }

    // MARK: Dijkstra on reduced costs, then potentials

    /// Returns false when no place flow may end can be reached (no more flow can be sent). Flow
    /// ends at the sink, or, after a refinement, at a judge that owes a review.
    ///
    /// Proposals wait in a bucket queue (distances are small whole numbers); judges, few and
    /// relaxed by whole rows, in a plain array with the nearest one remembered: a row costs no
    /// queue operation per judge.
    mutating func shortestPaths() -> Bool {
        var distanceP = [Int](repeating: Self.infinity, count: proposals)
        var distanceJ = [Int](repeating: Self.infinity, count: judges)
        var settledJ = [Bool](repeating: false, count: judges)
        var nearestJ = -1  // the unsettled judge with the smallest tentative distance, or -1
        var distanceT = Self.infinity
        var base = 0
        if !multiSource { for p in 0..<proposals where assignedCount[p] < demand[p] { base = min(base, -potentialP[p]) } }
        var heap = ProposalQueue(capacity: proposals, base: base)
        for p in 0..<proposals where assignedCount[p] < demand[p] {
            distanceP[p] = multiSource ? 0 : -potentialP[p]
            heap.push(p, key: distanceP[p])
        }
        var distanceSink = Self.infinity  // the nearest place flow may end: the sink, or a judge that owes a review
        // Arcs that reached their head at no more than its tentative distance, with the distance they
        // gave: those that gave the final distance form the shortest paths.
        var reaching: [(proposal: Int32, judge: Int32, distance: Int)] = []
        var settledT = false
        let sinkTakesFlow = unmetDemand > totalDeficit
        let forbidden = problem.forbidden
        while true {
            let top = heap.peekMin()
            let judgeFirst: Bool
            if nearestJ >= 0, let (_, key) = top {
                judgeFirst = distanceJ[nearestJ] < key
            } else {
                judgeFirst = nearestJ >= 0
            }
            // The sink is a node like the others: flow may pass through it, from a judge with room
            // to a judge whose reviews it takes back.
            if !settledT && distanceT < Self.infinity
                && distanceT <= min(top?.1 ?? Self.infinity, nearestJ >= 0 ? distanceJ[nearestJ] : Self.infinity)
            {
                let d = distanceT
                if d > distanceSink { break }
                settledT = true
                if sinkTakesFlow { distanceSink = min(distanceSink, d) }
                for j in 0..<judges where !settledJ[j] && load[j] + deficit[j] > minimumLoad[j] {
                    let candidate = d + potentialT - potentialJ[j]
                    if candidate < distanceJ[j] {
                        distanceJ[j] = candidate
                        if nearestJ < 0 || candidate < distanceJ[nearestJ] || (candidate == distanceJ[nearestJ] && j < nearestJ) { nearestJ = j }
                    }
                }
                continue
            }
            if judgeFirst {
                let j = nearestJ
                let d = distanceJ[j]
                if d > distanceSink { break }
                settledJ[j] = true
                for proposal in proposalsOfJudge[j] {
                    let p = Int(proposal)
                    let candidate = d + score(p, j) + potentialJ[j] - potentialP[p]
                    if candidate <= distanceP[p] {
                        reaching.append((Int32(p), Int32(j), candidate))
                        if candidate < distanceP[p] {
                            distanceP[p] = candidate
                            heap.push(p, key: candidate)
                        }
                    }
                }
                if load[j] + deficit[j] < capacity[j] && !settledT { distanceT = min(distanceT, d + potentialJ[j] - potentialT) }
                if deficit[j] > 0 { distanceSink = min(distanceSink, d) }
                nearestJ = -1
                for other in 0..<judges where !settledJ[other] && distanceJ[other] < Self.infinity {
                    if nearestJ < 0 || distanceJ[other] < distanceJ[nearestJ] { nearestJ = other }
                }
                continue
            }
            guard let (p, d) = heap.popMin(), d <= distanceSink else { break }
            markRow(p, true)
            if multiSource && assignedCount[p] < demand[p] {
                // A source's own arc from the source does not count (every complete assignment sends
                // demand[p] through it), so its potential is lowered until its cheapest free arc is
                // tight: all proposals short of judges are served in one phase, not one per gap.
                var cheapest = Self.infinity
                let before = potentialP[p]
                for j in 0..<judges where !isAssignedToCurrent[j] && scores[p * judges + j] != Self.forbiddenScore {
                    cheapest = min(cheapest, before - score(p, j) - potentialJ[j])
                }
                if cheapest < Self.infinity { potentialP[p] -= cheapest }
            }
            let base = d + potentialP[p]
            scores.withUnsafeBufferPointer { scores in
                potentialJ.withUnsafeBufferPointer { potential in
                    isAssignedToCurrent.withUnsafeBufferPointer { taken in
                        distanceJ.withUnsafeMutableBufferPointer { distance in
                            let row = p * judges
                            for j in 0..<judges {
                                let stored = scores[row &+ j]
                                let candidate = base &- Int(stored) &- potential[j]
                                // A conflict's sentinel score almost always fails this test; only what
                                // passes it is checked against the conflicts' own bits. (Testing the
                                // sentinel here would be a branch per conflict, and unpredictable.)
                                guard candidate <= distance[j] else { continue }
                                if taken[j] || forbidden.contains(proposal: p, judge: j) { continue }
                                reaching.append((Int32(p), Int32(j), candidate))
                                if candidate < distance[j] {
                                    distance[j] = candidate
                                    // Settled judges are never improved (reduced costs are non-negative).
                                    if nearestJ < 0 || candidate < distance[nearestJ] || (candidate == distance[nearestJ] && j < nearestJ) {
                                        nearestJ = j
                                    }
                                }
                            }
                        }
                    }
                }
            }
            markRow(p, false)
        }
        // Without a sink node settled, the sink takes flow at its tentative distance.
        if sinkTakesFlow { distanceSink = min(distanceSink, distanceT) }
        guard distanceSink < Self.infinity else { return false }
        zeroArcs.removeAll(keepingCapacity: true)
        for arc in reaching where arc.distance <= distanceSink {
            let head = isAssigned(Int(arc.proposal), Int(arc.judge)) ? distanceP[Int(arc.proposal)] : distanceJ[Int(arc.judge)]
            if arc.distance == head { zeroArcs.append((arc.proposal, arc.judge)) }
        }
        for j in 0..<judges { isTargetJudge[j] = deficit[j] > 0 && distanceJ[j] <= distanceSink }
        for p in 0..<proposals { potentialP[p] += min(distanceP[p], distanceSink) }
        for j in 0..<judges { potentialJ[j] += min(distanceJ[j], distanceSink) }
        potentialT += min(distanceT, distanceSink)
        return true
    }

    // MARK: Maximum flow on the zero-reduced-cost arcs (Dinic)

    /// The arcs of zero reduced cost, by proposal and by judge (CSR), and the level graph's
    /// scratch, for one phase. Each pair is one arc; it `carries` flow when the proposal has the
    /// judge, and then its residual direction is judge → proposal. Plain buffers, freed by
    /// `deallocate()`: the rounds of Dinic are the solver's hottest loops after Dijkstra.
    struct LevelGraph {
        let proposalStart: UnsafeMutableBufferPointer<Int>
        let proposalJudge: UnsafeMutableBufferPointer<Int32>
        /// Each arc's proposal (the inverse of `proposalStart`).
        let arcProposal: UnsafeMutableBufferPointer<Int32>
        let judgeStart: UnsafeMutableBufferPointer<Int>
        /// For each judge-side slot, the arc's index on the proposal side.
        let judgeArc: UnsafeMutableBufferPointer<Int32>
        let carries: UnsafeMutableBufferPointer<Bool>
        // Breadth-first levels (-1: not reached) and the queue.
        let levelP: UnsafeMutableBufferPointer<Int32>
        let levelJ: UnsafeMutableBufferPointer<Int32>
        let queue: UnsafeMutableBufferPointer<Int32>
        // Dinic's current arc at each node, and whether a judge has tried its arc to the sink.
        let nextArcP: UnsafeMutableBufferPointer<Int>
        let nextSlotJ: UnsafeMutableBufferPointer<Int>
        let triedSink: UnsafeMutableBufferPointer<Bool>
        /// The path's nodes, and the arc that led to each (-1 into and out of the sink).
        let path: UnsafeMutableBufferPointer<Int>
        let pathArc: UnsafeMutableBufferPointer<Int>

        init(proposals: Int, judges: Int, arcs: Int) {
            func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
                let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
                buffer.initialize(repeating: value)
                return buffer
            }
            proposalStart = buffer(proposals + 1, 0)
            proposalJudge = buffer(arcs, 0)
            arcProposal = buffer(arcs, 0)
            judgeStart = buffer(judges + 1, 0)
            judgeArc = buffer(arcs, 0)
            carries = buffer(arcs, false)
            levelP = buffer(proposals, -1)
            levelJ = buffer(judges, -1)
            queue = buffer(proposals + judges + 1, 0)
            nextArcP = buffer(proposals, 0)
            nextSlotJ = buffer(judges, 0)
            triedSink = buffer(judges, false)
            path = buffer(proposals + judges + 2, 0)
            pathArc = buffer(proposals + judges + 2, 0)
        }

        func deallocate() {
            proposalStart.deallocate()
            proposalJudge.deallocate()
            arcProposal.deallocate()
            judgeStart.deallocate()
            judgeArc.deallocate()
            carries.deallocate()
            levelP.deallocate()
            levelJ.deallocate()
            queue.deallocate()
            nextArcP.deallocate()
            nextSlotJ.deallocate()
            triedSink.deallocate()
            path.deallocate()
            pathArc.deallocate()
        }
    }

    /// Pushes as much flow as the arcs of zero reduced cost carry. Potentials do not change within
    /// a phase, so those arcs stay the same set (only their direction flips as flow moves): the
    /// shortest paths found them (`zeroArcs`), and the rounds of Dinic run on that sparse graph.
    mutating func augmentAlongZeroReducedCost() {
        let graph = LevelGraph(proposals: proposals, judges: judges, arcs: zeroArcs.count)
        defer { graph.deallocate() }
        for arc in zeroArcs { graph.proposalStart[Int(arc.proposal) + 1] += 1 }
        for p in 0..<proposals { graph.proposalStart[p + 1] += graph.proposalStart[p] }
        for p in 0..<proposals { graph.nextArcP[p] = graph.proposalStart[p] }  // fill positions
        for arc in zeroArcs {
            let p = Int(arc.proposal)
            let slot = graph.nextArcP[p]
            graph.proposalJudge[slot] = arc.judge
            graph.arcProposal[slot] = arc.proposal
            graph.carries[slot] = isAssigned(p, Int(arc.judge))
            graph.judgeStart[Int(arc.judge) + 1] += 1
            graph.nextArcP[p] = slot + 1
        }
        for j in 0..<judges { graph.judgeStart[j + 1] += graph.judgeStart[j] }
        for j in 0..<judges { graph.nextSlotJ[j] = graph.judgeStart[j] }
        for arc in 0..<zeroArcs.count {
            let j = Int(graph.proposalJudge[arc])
            graph.judgeArc[graph.nextSlotJ[j]] = Int32(arc)
            graph.nextSlotJ[j] += 1
        }
        while unmetDemand > 0 {
            guard let levelT = buildLevels(graph) else { return }
            if !blockingFlow(graph, levelT: levelT) { return }
        }
    }

    /// Breadth-first levels from the sources over admissible residual arcs, up to the nearest end
    /// (nodes there or beyond are not expanded: no shortest augmenting path goes through them).
    /// Returns the sink's level (-1 if not reached), or nil if no end was reached.
    func buildLevels(_ graph: LevelGraph) -> Int32? {
        let levelP = graph.levelP
        let levelJ = graph.levelJ
        let queue = graph.queue
        levelP.update(repeating: -1)
        levelJ.update(repeating: -1)
        var levelT: Int32 = -1
        var endLevel = Int32.max
        let sinkTakesFlow = unmetDemand > totalDeficit
        // Queue entries: proposals 0..<P, judges P + j, the sink P + J.
        let sinkNode = Int32(proposals + judges)
        var tail = 0
        for p in 0..<proposals where assignedCount[p] < demand[p] && (multiSource || potentialP[p] == 0) {
            levelP[p] = 0
            queue[tail] = Int32(p)
            tail += 1
        }
        var head = 0
        while head < tail {
            let node = Int(queue[head])
            head += 1
            if node < proposals {
                let level = levelP[node]
                if level >= endLevel { break }
                for arc in graph.proposalStart[node]..<graph.proposalStart[node + 1] where !graph.carries[arc] {
                    let j = Int(graph.proposalJudge[arc])
                    if levelJ[j] < 0 {
                        levelJ[j] = level + 1
                        queue[tail] = Int32(proposals + j)
                        tail += 1
                    }
                }
            } else if node < sinkNode {
                let j = node - proposals
                let level = levelJ[j]
                if level >= endLevel { break }
                if owesReview(j) {
                    endLevel = level
                    continue
                }
                if levelT < 0 && tightToSink(j) {
                    levelT = level + 1
                    if sinkTakesFlow { endLevel = min(endLevel, levelT) }
                    queue[tail] = sinkNode
                    tail += 1
                }
                for slot in graph.judgeStart[j]..<graph.judgeStart[j + 1] {
                    let arc = Int(graph.judgeArc[slot])
                    guard graph.carries[arc] else { continue }
                    let p = Int(graph.arcProposal[arc])
                    if levelP[p] < 0 {
                        levelP[p] = level + 1
                        queue[tail] = Int32(p)
                        tail += 1
                    }
                }
            } else {
                if levelT >= endLevel { break }
                guard totalDeficit > 0 else { continue }
                for j in 0..<judges where levelJ[j] < 0 && tightFromSink(j) {
                    levelJ[j] = levelT + 1
                    queue[tail] = Int32(proposals + j)
                    tail += 1
                }
            }
        }
        guard endLevel < Int32.max else { return nil }
        return levelT
    }

    /// Sends flow along level-increasing admissible paths until none is left; false if none was found.
    /// A path ends at the sink (while it takes flow) or at a judge that owes a review.
    mutating func blockingFlow(_ graph: LevelGraph, levelT startLevelT: Int32) -> Bool {
        let levelP = graph.levelP
        let levelJ = graph.levelJ
        let nextArcP = graph.nextArcP
        let nextSlotJ = graph.nextSlotJ
        let path = graph.path
        let pathArc = graph.pathArc
        var levelT = startLevelT
        let sinkNode = proposals + judges
        for p in 0..<proposals { nextArcP[p] = graph.proposalStart[p] }
        for j in 0..<judges { nextSlotJ[j] = graph.judgeStart[j] }
        graph.triedSink.update(repeating: false)
        var nextJudgeOfSink = 0
        var pushed = false
        for start in 0..<proposals where levelP[start] == 0 {
            while assignedCount[start] < demand[start] && levelP[start] == 0 {
                path[0] = start
                pathArc[0] = -1
                var length = 1
                var found = false
                while length > 0 && !found {
                    let node = path[length - 1]
                    var next = -1
                    var nextArc = -1
                    if node < proposals {
                        // At a proposal: the next judge one level up that it does not have.
                        let p = node
                        while nextArcP[p] < graph.proposalStart[p + 1] {
                            let arc = nextArcP[p]
                            let j = Int(graph.proposalJudge[arc])
                            if !graph.carries[arc] && levelJ[j] == levelP[p] + 1 {
                                next = proposals + j
                                nextArc = arc
                                break
                            }
                            nextArcP[p] += 1
                        }
                        if next < 0 { levelP[p] = -1 }
                    } else if node < sinkNode {
                        // At a judge: the end if it owes a review; else the sink, or a proposal it reviews, one level up.
                        let j = node - proposals
                        let toSink = levelJ[j] + 1 == levelT && tightToSink(j) && !graph.triedSink[j]
                        if owesReview(j) || (toSink && unmetDemand > totalDeficit) {
                            found = true
                            if !owesReview(j) {
                                path[length] = sinkNode
                                pathArc[length] = -1
                                length += 1
                            }
                            break
                        }
                        if toSink && totalDeficit > 0 {
                            next = sinkNode
                        } else {
                            graph.triedSink[j] = true
                            while nextSlotJ[j] < graph.judgeStart[j + 1] {
                                let arc = Int(graph.judgeArc[nextSlotJ[j]])
                                let p = Int(graph.arcProposal[arc])
                                if graph.carries[arc] && levelP[p] == levelJ[j] + 1 {
                                    next = p
                                    nextArc = arc
                                    break
                                }
                                nextSlotJ[j] += 1
                            }
                            if next < 0 { levelJ[j] = -1 }
                        }
                    } else {
                        // At the sink, passed through: a judge whose reviews it takes back, one level up.
                        while nextJudgeOfSink < judges {
                            let j = nextJudgeOfSink
                            if levelJ[j] == levelT + 1 && tightFromSink(j) {
                                next = proposals + j
                                break
                            }
                            nextJudgeOfSink += 1
                        }
                        if next < 0 { levelT = -1 }
                    }
                    if next >= 0 {
                        path[length] = next
                        pathArc[length] = nextArc
                        length += 1
                        continue
                    }
                    // A dead end: back up, and move the node before it on to its next arc.
                    length -= 1
                    guard length > 0 else { break }
                    let parent = path[length - 1]
                    if parent < proposals {
                        nextArcP[parent] += 1
                    } else if parent < sinkNode {
                        let j = parent - proposals
                        if graph.triedSink[j] { nextSlotJ[j] += 1 } else { graph.triedSink[j] = true }
                    } else {
                        nextJudgeOfSink += 1
                    }
                }
                guard found else { break }
                augment(graph, length: length)
                pushed = true
            }
        }
        return pushed
    }

    /// Applies the augmenting path in `graph.path`: a proposal followed by a judge gains it, a
    /// judge followed by a proposal gives it up. Passing through the sink moves a review's room
    /// from one judge to another; a path ending at a judge pays back what it owes.
    mutating func augment(_ graph: LevelGraph, length: Int) {
        let sinkNode = proposals + judges
        for step in 1..<length {
            let from = graph.path[step - 1]
            let to = graph.path[step]
            if from < proposals {
                addPair(from, to - proposals)
                graph.carries[graph.pathArc[step]] = true
            } else if from < sinkNode && to < proposals {
                removePair(to, from - proposals)
                graph.carries[graph.pathArc[step]] = false
            }
        }
        let last = graph.path[length - 1]
        if last >= proposals && last < sinkNode && deficit[last - proposals] > 0 {
            deficit[last - proposals] -= 1
            totalDeficit -= 1
        }
        unmetDemand -= 1
    }

    mutating func addPair(_ p: Int, _ j: Int) {
        assigned[p * slotsPerProposal + assignedCount[p]] = Int32(j)
        assignedCount[p] += 1
        proposalsOfJudge[j].append(Int32(p))
        load[j] += 1
    }

    mutating func removePair(_ p: Int, _ j: Int) {
        let start = p * slotsPerProposal
        let end = start + assignedCount[p] - 1
        for slot in start...end where Int(assigned[slot]) == j {
            assigned[slot] = assigned[end]
            break
        }
        assignedCount[p] -= 1
        if let position = proposalsOfJudge[j].firstIndex(of: Int32(p)) { proposalsOfJudge[j].swapAt(position, proposalsOfJudge[j].count - 1) }
        proposalsOfJudge[j].removeLast()
        load[j] -= 1
    }

    func solution() -> AssignmentSolution {
        var judgesOfProposal: [[Int]] = []
        var objective = 0
        var shortfalls: [AssignmentSolution.Shortfall] = []
        for p in 0..<proposals {
            let start = p * slotsPerProposal
            let mine = assigned[start..<(start + assignedCount[p])].map(Int.init).sorted()
            judgesOfProposal.append(mine)
            for j in mine { objective += problem.affinity.score(proposal: p, judge: j) }
            if assignedCount[p] < demand[p] {
                let eligible = (0..<judges).filter { capacity[$0] > 0 && !problem.forbidden.contains(proposal: p, judge: $0) }.count
                shortfalls.append(.init(proposal: p, missing: demand[p] - assignedCount[p], eligibleJudges: eligible))
            }
        }
        let underloaded = (0..<judges).filter { load[$0] < minimumLoad[$0] }.map { (judge: $0, missing: minimumLoad[$0] - load[$0]) }
        return AssignmentSolution(judgesOfProposal: judgesOfProposal, objective: objective, shortfalls: shortfalls, underloaded: underloaded)
    }
}

/// Dijkstra's queue of proposals. Distances are whole numbers, mostly within a few dozen of the
/// first: those go to buckets, one per distance (Dial's method, no comparisons); a distance more
/// than `bucketCount` past the base goes to a binary heap. A node is queued again when its
/// distance falls; the outdated entry is skipped when it comes up.
struct ProposalQueue {
    static var bucketCount: Int { 4096 }
    private let base: Int
    private var key: [Int]
    private var settled: [Bool]
    private var bucketHead: [Int32]
    private var entryNode: [Int32] = []
    private var entryNext: [Int32] = []
    /// The first bucket that may hold a live entry.
    private var cursor = 0
    private var far: [(key: Int, node: Int32)] = []

    init(capacity: Int, base: Int) {
        self.base = base
        key = Array(repeating: FlowSolver<Int>.infinity, count: capacity)
        settled = Array(repeating: false, count: capacity)
        bucketHead = Array(repeating: -1, count: Self.bucketCount)
    }

    /// Queues `node` at `distance`, unless it is settled or already queued as near.
    mutating func push(_ node: Int, key distance: Int) {
        guard !settled[node], distance < key[node] else { return }
        key[node] = distance
        let bucket = distance - base
        if bucket >= 0 && bucket < Self.bucketCount {
            entryNode.append(Int32(node))
            entryNext.append(bucketHead[bucket])
            bucketHead[bucket] = Int32(entryNode.count - 1)
            cursor = min(cursor, bucket)
        } else {
            far.append((distance, Int32(node)))
            siftUp(far.count - 1)
        }
    }

    /// The nearest unsettled node and its distance, without taking it out.
    mutating func peekMin() -> (Int, Int)? {
        while cursor < Self.bucketCount {
            let entry = bucketHead[cursor]
            if entry < 0 {
                cursor += 1
                continue
            }
            let node = Int(entryNode[Int(entry)])
            if settled[node] || key[node] != base + cursor {
                bucketHead[cursor] = entryNext[Int(entry)]
                continue
            }
            break
        }
        while let top = far.first, settled[Int(top.node)] || key[Int(top.node)] != top.key { removeFarTop() }
        let near: (Int, Int)? =
            cursor < Self.bucketCount ? (Int(entryNode[Int(bucketHead[cursor])]), base + cursor) : nil
        guard let top = far.first else { return near }
        guard let near, near.1 <= top.key else { return (Int(top.node), top.key) }
        return near
    }

    mutating func popMin() -> (Int, Int)? {
        guard let (node, distance) = peekMin() else { return nil }
        if cursor < Self.bucketCount && base + cursor == distance && Int(entryNode[Int(bucketHead[cursor])]) == node {
            bucketHead[cursor] = entryNext[Int(bucketHead[cursor])]
        } else {
            removeFarTop()
        }
        settled[node] = true
        return (node, distance)
    }

    private mutating func removeFarTop() {
        let last = far.removeLast()
        guard !far.isEmpty else { return }
        far[0] = last
        var index = 0
        while true {
            let left = 2 * index + 1
            let right = left + 1
            var smallest = index
            if left < far.count && less(far[left], far[smallest]) { smallest = left }
            if right < far.count && less(far[right], far[smallest]) { smallest = right }
            guard smallest != index else { return }
            far.swapAt(index, smallest)
            index = smallest
        }
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard less(far[index], far[parent]) else { return }
            far.swapAt(index, parent)
            index = parent
        }
    }

    /// Ties go to the lower index, so the order does not depend on the heap's history.
    private func less(_ a: (key: Int, node: Int32), _ b: (key: Int, node: Int32)) -> Bool {
        a.key < b.key || (a.key == b.key && a.node < b.node)
    }
}
