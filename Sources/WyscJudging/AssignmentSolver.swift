/// The exact judge assignment: a min-cost flow source → proposal (demand) → judge (1 per pair) →
/// sink (capacity), with cost −affinity on proposal → judge arcs.
///
/// It is solved by the primal-dual method: each phase runs Dijkstra on reduced costs (node
/// potentials keep them non-negative), raises the potentials, then pushes a maximum flow through
/// the arcs whose reduced cost is zero (Dinic, on those arcs gathered once per phase). There is a
/// phase per distinct shortest-path length: whole-number affinities in a narrow range (shared
/// tags, scores 10–49) take tens of phases. Wider ranges (real-valued similarities scaled to
/// integers) are solved by cost scaling: first on their top bits, then one bit more at a time from
/// the previous flow (see `solveWithCostScaling`). The proposal → judge arcs are never stored: they
/// are scanned densely, with conflicts in a bit matrix, so 10,000 × 1,000 takes a few megabytes.
/// Ties are broken by index, so the same input always gives the same assignment.
public enum AssignmentSolver {
    /// Solves `problem`. `demand` overrides `perProposal` for each proposal (for rebalancing);
    /// pairs in `preferred` get `preference` added to their affinity (for keeping assignments).
    public static func solve(_ problem: AssignmentProblem, demand: [Int]? = nil, preferred: PairSet? = nil, preference: Int = 0) -> AssignmentSolution
    {
        var flow = FlowSolver(
            problem: problem, demand: demand ?? Array(repeating: problem.perProposal, count: problem.proposals), preferred: preferred,
            preference: preference)
        flow.solveWithCostScaling()
        return flow.solution()
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
            for j in 0..<problem.judges where flexible[j] { trial.capacity[j] = capacity }
            var flow = FlowSolver(
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
struct FlowSolver {
    let proposals: Int
    let judges: Int
    let demand: [Int]
    let capacity: [Int]
    let problem: AssignmentProblem
    let preferred: PairSet?
    let preference: Int
    let ignoreCosts: Bool
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
    var rowScores: [Int]
    var onShortestPaths: [Bool]
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
        rowScores = Array(repeating: 0, count: judges)
        onShortestPaths = Array(repeating: false, count: proposals)
        deficit = Array(repeating: 0, count: judges)
        isTargetJudge = Array(repeating: false, count: judges)
    }

    static let infinity = Int.max / 4

    /// Scores of proposal p against every judge, into `rowScores` (affinity plus any preference).
    mutating func loadRow(_ p: Int) {
        if ignoreCosts { return }
        switch problem.affinity {
        case .sharedTags(let proposalTags, let judgeTags, let words):
            if words == 1 {
                let mine = proposalTags[p]
                judgeTags.withUnsafeBufferPointer { tags in
                    rowScores.withUnsafeMutableBufferPointer { scores in
                        for j in 0..<judges { scores[j] = (mine & tags[j]).nonzeroBitCount }
                    }
                }
            } else {
                for j in 0..<judges {
                    var shared = 0
                    for word in 0..<words { shared += (proposalTags[p * words + word] & judgeTags[j * words + word]).nonzeroBitCount }
                    rowScores[j] = shared
                }
            }
        case .table(let rows):
            for j in 0..<judges { rowScores[j] = 0 }
            for entry in rows[p] { rowScores[Int(entry.judge)] = Int(entry.score) }
        }
        if let preferred, preference != 0 {
            for j in 0..<judges where preferred.contains(proposal: p, judge: j) { rowScores[j] += preference }
        }
        if shift > 0 { for j in 0..<judges { rowScores[j] >>= shift } }
    }

    func score(_ p: Int, _ j: Int) -> Int {
        if ignoreCosts { return 0 }
        var value = problem.affinity.score(proposal: p, judge: j)
        if let preferred, preferred.contains(proposal: p, judge: j) { value += preference }
        return value >> shift
    }

    /// Whether judge j's arc to the sink has room and reduced cost zero.
    func tightToSink(_ j: Int) -> Bool { load[j] + deficit[j] < capacity[j] && potentialJ[j] == potentialT }
    /// Whether the sink's arc back to judge j carries flow and has reduced cost zero.
    func tightFromSink(_ j: Int) -> Bool { load[j] + deficit[j] > 0 && potentialJ[j] == potentialT }
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
        shift = bits - 6
        let coarseTop = top >> shift
        for j in 0..<judges { potentialJ[j] = -coarseTop }
        potentialT = -coarseTop
        run()
        while shift > 0 && unmetDemand == 0 {
            shift -= 1
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
            loadRow(p)
            markRow(p, true)
            let base = potentialP[p]
            var raise = false
            for j in 0..<judges where !isAssignedToCurrent[j] && !problem.forbidden.contains(proposal: p, judge: j) {
                if base - rowScores[j] - potentialJ[j] < 0 {
                    raise = true
                    break
                }
            }
            markRow(p, false)
            guard raise else { continue }
            potentialP[p] += 1
            let start = p * slotsPerProposal
            for j in assigned[start..<(start + assignedCount[p])].map(Int.init) where rowScores[j] + potentialJ[j] - potentialP[p] < 0 {
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
    /// Proposals wait in a heap; judges, few and relaxed by whole rows, in a plain array with the
    /// nearest one remembered: a row costs no heap operation per judge.
    mutating func shortestPaths() -> Bool {
        var distanceP = [Int](repeating: Self.infinity, count: proposals)
        var distanceJ = [Int](repeating: Self.infinity, count: judges)
        var settledJ = [Bool](repeating: false, count: judges)
        var nearestJ = -1  // the unsettled judge with the smallest tentative distance, or -1
        var distanceT = Self.infinity
        var heap = IndexedHeap(capacity: proposals)
        for p in 0..<proposals where assignedCount[p] < demand[p] {
            distanceP[p] = multiSource ? 0 : -potentialP[p]
            heap.push(p, key: distanceP[p])
        }
        var distanceSink = Self.infinity  // the nearest place flow may end: the sink, or a judge that owes a review
        var settledT = false
        let sinkTakesFlow = unmetDemand > totalDeficit
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
                for j in 0..<judges where !settledJ[j] && load[j] + deficit[j] > 0 {
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
                    if candidate < distanceP[p] {
                        distanceP[p] = candidate
                        heap.push(p, key: candidate)
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
            loadRow(p)
            markRow(p, true)
            if multiSource && assignedCount[p] < demand[p] {
                // A source's own arc from the source does not count (every complete assignment sends
                // demand[p] through it), so its potential is lowered until its cheapest free arc is
                // tight: all proposals short of judges are served in one phase, not one per gap.
                var cheapest = Self.infinity
                let before = potentialP[p]
                for j in 0..<judges where !isAssignedToCurrent[j] && !problem.forbidden.contains(proposal: p, judge: j) {
                    cheapest = min(cheapest, before - rowScores[j] - potentialJ[j])
                }
                if cheapest < Self.infinity { potentialP[p] -= cheapest }
            }
            let base = d + potentialP[p]
            rowScores.withUnsafeBufferPointer { scores in
                potentialJ.withUnsafeBufferPointer { potential in
                    isAssignedToCurrent.withUnsafeBufferPointer { taken in
                        distanceJ.withUnsafeMutableBufferPointer { distance in
                            for j in 0..<judges where !taken[j] && !problem.forbidden.contains(proposal: p, judge: j) {
                                let candidate = base - scores[j] - potential[j]
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
        // Only proposals this close can lie on a shortest path: the next max flow looks at no other.
        for p in 0..<proposals { onShortestPaths[p] = distanceP[p] <= distanceSink }
        for j in 0..<judges { isTargetJudge[j] = deficit[j] > 0 && distanceJ[j] <= distanceSink }
        for p in 0..<proposals { potentialP[p] += min(distanceP[p], distanceSink) }
        for j in 0..<judges { potentialJ[j] += min(distanceJ[j], distanceSink) }
        potentialT += min(distanceT, distanceSink)
        return true
    }

    // MARK: Maximum flow on the zero-reduced-cost arcs (Dinic)

    /// Pushes as much flow as the arcs of zero reduced cost carry. Potentials do not change within
    /// a phase, so those arcs stay the same set (only their direction flips as flow moves): they
    /// are found once, by one scan of every row, and the rounds of Dinic run on that sparse graph.
    mutating func augmentAlongZeroReducedCost() {
        // Arcs by proposal (CSR), then the same arcs by judge.
        var proposalArcStart = [Int](repeating: 0, count: proposals + 1)
        var proposalArcJudge: [Int32] = []
        for p in 0..<proposals {
            guard onShortestPaths[p] else {
                proposalArcStart[p + 1] = proposalArcJudge.count
                continue
            }
            loadRow(p)
            let base = potentialP[p]
            rowScores.withUnsafeBufferPointer { scores in
                potentialJ.withUnsafeBufferPointer { potential in
                    for j in 0..<judges where base - scores[j] - potential[j] == 0 && !problem.forbidden.contains(proposal: p, judge: j) {
                        proposalArcJudge.append(Int32(j))
                    }
                }
            }
            proposalArcStart[p + 1] = proposalArcJudge.count
        }
        var judgeArcStart = [Int](repeating: 0, count: judges + 1)
        for j in proposalArcJudge { judgeArcStart[Int(j) + 1] += 1 }
        for j in 0..<judges { judgeArcStart[j + 1] += judgeArcStart[j] }
        var judgeArcProposal = [Int32](repeating: 0, count: proposalArcJudge.count)
        var fill = judgeArcStart
        for p in 0..<proposals {
            for arc in proposalArcStart[p]..<proposalArcStart[p + 1] {
                let j = Int(proposalArcJudge[arc])
                judgeArcProposal[fill[j]] = Int32(p)
                fill[j] += 1
            }
        }

        var levelP = [Int](repeating: -1, count: proposals)
        var levelJ = [Int](repeating: -1, count: judges)
        var queue: [Int] = []
        let sinkNode = proposals + judges
        while unmetDemand > 0 {
            // Breadth-first levels from the sources over admissible residual arcs; nodes are
            // proposals (0..<P), judges (P + j) and the sink (P + J).
            for p in 0..<proposals { levelP[p] = -1 }
            for j in 0..<judges { levelJ[j] = -1 }
            var levelT = -1
            var reachedEnd = false
            let sinkTakesFlow = unmetDemand > totalDeficit
            queue.removeAll(keepingCapacity: true)
            for p in 0..<proposals where assignedCount[p] < demand[p] && (multiSource || potentialP[p] == 0) {
                levelP[p] = 0
                queue.append(p)
            }
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                if node < proposals {
                    let p = node
                    for arc in proposalArcStart[p]..<proposalArcStart[p + 1] {
                        let j = Int(proposalArcJudge[arc])
                        if levelJ[j] < 0 && !isAssigned(p, j) {
                            levelJ[j] = levelP[p] + 1
                            queue.append(proposals + j)
                        }
                    }
                } else if node < sinkNode {
                    let j = node - proposals
                    if owesReview(j) { reachedEnd = true }
                    if levelT < 0 && tightToSink(j) {
                        levelT = levelJ[j] + 1
                        if sinkTakesFlow { reachedEnd = true }
                        queue.append(sinkNode)
                    }
                    for arc in judgeArcStart[j]..<judgeArcStart[j + 1] {
                        let p = Int(judgeArcProposal[arc])
                        if levelP[p] < 0 && isAssigned(p, j) {
                            levelP[p] = levelJ[j] + 1
                            queue.append(p)
                        }
                    }
                } else if totalDeficit > 0 {
                    for j in 0..<judges where levelJ[j] < 0 && tightFromSink(j) {
                        levelJ[j] = levelT + 1
                        queue.append(proposals + j)
                    }
                }
            }
            guard reachedEnd else { return }
            let arcs = ZeroArcs(
                proposalStart: proposalArcStart, proposalJudge: proposalArcJudge, judgeStart: judgeArcStart, judgeProposal: judgeArcProposal)
            if !blockingFlow(arcs, levelP: &levelP, levelJ: &levelJ, levelT: &levelT) { return }
        }
    }

    /// The arcs of zero reduced cost, by proposal and by judge.
    struct ZeroArcs {
        let proposalStart: [Int]
        let proposalJudge: [Int32]
        let judgeStart: [Int]
        let judgeProposal: [Int32]
    }

    /// Sends flow along level-increasing admissible paths until none is left; false if none was found.
    /// A path ends at the sink (while it takes flow) or at a judge that owes a review.
    mutating func blockingFlow(_ arcs: ZeroArcs, levelP: inout [Int], levelJ: inout [Int], levelT: inout Int) -> Bool {
        let sinkNode = proposals + judges
        // The next arc to try at each node (Dinic's current arc); the sink's runs over judges.
        var nextArcP = Array(arcs.proposalStart.dropLast())
        var nextArcJ = Array(arcs.judgeStart.dropLast())
        var judgeTriedSink = [Bool](repeating: false, count: judges)
        var nextJudgeOfSink = 0
        var pushed = false
        var path: [Int] = []
        /// Moves the node before the last one on to its next arc, after the last turned out a dead end.
        func advanceParent() {
            guard let parent = path.last else { return }
            if parent < proposals {
                nextArcP[parent] += 1
            } else if parent < sinkNode {
                let j = parent - proposals
                if judgeTriedSink[j] { nextArcJ[j] += 1 } else { judgeTriedSink[j] = true }
            } else {
                nextJudgeOfSink += 1
            }
        }
        for start in 0..<proposals where levelP[start] == 0 {
            while assignedCount[start] < demand[start] && levelP[start] == 0 {
                path.removeAll(keepingCapacity: true)
                path.append(start)
                var found = false
                while !path.isEmpty && !found {
                    let node = path[path.count - 1]
                    var next = -1
                    if node < proposals {
                        // At a proposal: the next admissible judge one level up.
                        let p = node
                        while nextArcP[p] < arcs.proposalStart[p + 1] {
                            let j = Int(arcs.proposalJudge[nextArcP[p]])
                            if levelJ[j] == levelP[p] + 1 && !isAssigned(p, j) {
                                next = proposals + j
                                break
                            }
                            nextArcP[p] += 1
                        }
                        if next < 0 { levelP[p] = -1 }
                    } else if node < sinkNode {
                        // At a judge: the end if it owes a review; else the sink, or a proposal it reviews, one level up.
                        let j = node - proposals
                        if owesReview(j) || (levelJ[j] + 1 == levelT && tightToSink(j) && unmetDemand > totalDeficit && !judgeTriedSink[j]) {
                            found = true
                            if !owesReview(j) { path.append(sinkNode) }
                            break
                        }
                        if !judgeTriedSink[j] {
                            if levelJ[j] + 1 == levelT && tightToSink(j) && totalDeficit > 0 {
                                next = sinkNode
                            } else {
                                judgeTriedSink[j] = true
                            }
                        }
                        if next < 0 {
                            while nextArcJ[j] < arcs.judgeStart[j + 1] {
                                let p = Int(arcs.judgeProposal[nextArcJ[j]])
                                if levelP[p] == levelJ[j] + 1 && isAssigned(p, j) {
                                    next = p
                                    break
                                }
                                nextArcJ[j] += 1
                            }
                        }
                        if next < 0 { levelJ[j] = -1 }
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
                    if next < 0 {
                        path.removeLast()
                        advanceParent()
                    } else {
                        path.append(next)
                    }
                }
                guard found else { break }
                augment(path)
                pushed = true
            }
        }
        return pushed
    }

    /// Applies an augmenting path of proposals, judges and perhaps the sink: a proposal followed by
    /// a judge gains it, a judge followed by a proposal gives it up. Passing through the sink moves
    /// a review's room from one judge to another; a path ending at a judge pays back what it owes.
    mutating func augment(_ path: [Int]) {
        let sinkNode = proposals + judges
        for (from, to) in zip(path, path.dropFirst()) {
            if from < proposals {
                addPair(from, to - proposals)
            } else if from < sinkNode && to < proposals {
                removePair(to, from - proposals)
            }
        }
        if let last = path.last, last >= proposals && last < sinkNode, deficit[last - proposals] > 0 {
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
        return AssignmentSolution(judgesOfProposal: judgesOfProposal, objective: objective, shortfalls: shortfalls)
    }
}

/// A binary min-heap of node indices with decrease-key.
struct IndexedHeap {
    private var nodes: [Int] = []
    private var keys: [Int]
    private var position: [Int]

    init(capacity: Int) {
        keys = Array(repeating: 0, count: capacity)
        position = Array(repeating: -1, count: capacity)
    }

    /// Inserts `node`, or lowers its key.
    mutating func push(_ node: Int, key: Int) {
        if position[node] == -2 { return }  // settled
        keys[node] = key
        if position[node] < 0 {
            position[node] = nodes.count
            nodes.append(node)
        }
        siftUp(position[node])
    }

    func peekMin() -> (Int, Int)? {
        guard let first = nodes.first else { return nil }
        return (first, keys[first])
    }

    mutating func popMin() -> (Int, Int)? {
        guard let first = nodes.first else { return nil }
        let last = nodes.removeLast()
        position[first] = -2  // settled: never pushed again
        if !nodes.isEmpty {
            nodes[0] = last
            position[last] = 0
            siftDown(0)
        }
        return (first, keys[first])
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard less(nodes[index], nodes[parent]) else { break }
            swapNodes(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            let left = 2 * index + 1
            let right = left + 1
            var smallest = index
            if left < nodes.count && less(nodes[left], nodes[smallest]) { smallest = left }
            if right < nodes.count && less(nodes[right], nodes[smallest]) { smallest = right }
            guard smallest != index else { return }
            swapNodes(index, smallest)
            index = smallest
        }
    }

    /// Ties go to the lower index, so results do not depend on the heap's history.
    private func less(_ a: Int, _ b: Int) -> Bool { keys[a] < keys[b] || (keys[a] == keys[b] && a < b) }

    private mutating func swapNodes(_ a: Int, _ b: Int) {
        nodes.swapAt(a, b)
        position[nodes[a]] = a
        position[nodes[b]] = b
    }
}
