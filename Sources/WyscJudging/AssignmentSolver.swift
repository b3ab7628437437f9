/// The exact judge assignment: a min-cost flow source → proposal (demand) → judge (1 per pair) →
/// sink (capacity), with cost −affinity on proposal → judge arcs.
///
/// It is solved by the primal-dual method: each phase runs Dijkstra on reduced costs (node
/// potentials keep them non-negative), raises the potentials, then pushes a maximum flow through
/// the arcs whose reduced cost is zero (Dinic, on those arcs gathered once per phase). There is a
/// phase per distinct shortest-path length, so whole-number affinities in a narrow range (shared
/// tags, scores 10–49) take tens of phases; real-valued similarities, nearly all distinct, take
/// hundreds. The proposal → judge arcs are never stored: they are scanned densely, with conflicts
/// in a bit matrix, so 10,000 × 1,000 takes a few megabytes. Ties are broken by index, so the same
/// input always gives the same assignment.
public enum AssignmentSolver {
    /// Solves `problem`. `demand` overrides `perProposal` for each proposal (for rebalancing);
    /// pairs in `preferred` get `preference` added to their affinity (for keeping assignments).
    public static func solve(_ problem: AssignmentProblem, demand: [Int]? = nil, preferred: PairSet? = nil, preference: Int = 0) -> AssignmentSolution
    {
        var flow = FlowSolver(
            problem: problem, demand: demand ?? Array(repeating: problem.perProposal, count: problem.proposals), preferred: preferred,
            preference: preference)
        flow.run()
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
    }

    func score(_ p: Int, _ j: Int) -> Int {
        if ignoreCosts { return 0 }
        var value = problem.affinity.score(proposal: p, judge: j)
        if let preferred, preferred.contains(proposal: p, judge: j) { value += preference }
        return value
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

    /// Returns false when the sink cannot be reached (no more flow can be sent).
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
            distanceP[p] = -potentialP[p]
            heap.push(p, key: distanceP[p])
        }
        while true {
            let top = heap.peekMin()
            let judgeFirst: Bool
            if nearestJ >= 0, let (_, key) = top {
                judgeFirst = distanceJ[nearestJ] < key
            } else {
                judgeFirst = nearestJ >= 0
            }
            if judgeFirst {
                let j = nearestJ
                let d = distanceJ[j]
                if d > distanceT { break }
                settledJ[j] = true
                for proposal in proposalsOfJudge[j] {
                    let p = Int(proposal)
                    let candidate = d + score(p, j) + potentialJ[j] - potentialP[p]
                    if candidate < distanceP[p] {
                        distanceP[p] = candidate
                        heap.push(p, key: candidate)
                    }
                }
                if load[j] < capacity[j] { distanceT = min(distanceT, d + potentialJ[j] - potentialT) }
                nearestJ = -1
                for other in 0..<judges where !settledJ[other] && distanceJ[other] < Self.infinity {
                    if nearestJ < 0 || distanceJ[other] < distanceJ[nearestJ] { nearestJ = other }
                }
                continue
            }
            guard let (p, d) = heap.popMin(), d <= distanceT else { break }
            loadRow(p)
            markRow(p, true)
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
        guard distanceT < Self.infinity else { return false }
        // Only proposals this close can lie on a shortest path: the next max flow looks at no other.
        for p in 0..<proposals { onShortestPaths[p] = distanceP[p] <= distanceT }
        for p in 0..<proposals { potentialP[p] += min(distanceP[p], distanceT) }
        for j in 0..<judges { potentialJ[j] += min(distanceJ[j], distanceT) }
        potentialT += distanceT
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
        while unmetDemand > 0 {
            // Breadth-first levels from the source over admissible residual arcs.
            for p in 0..<proposals { levelP[p] = -1 }
            for j in 0..<judges { levelJ[j] = -1 }
            var levelT = -1
            queue.removeAll(keepingCapacity: true)
            for p in 0..<proposals where assignedCount[p] < demand[p] && potentialP[p] == 0 {
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
                } else {
                    let j = node - proposals
                    if levelT < 0 && load[j] < capacity[j] && potentialJ[j] == potentialT { levelT = levelJ[j] + 1 }
                    // Past the sink's level nothing leads to it.
                    if levelT >= 0 && levelJ[j] + 1 >= levelT { continue }
                    for arc in judgeArcStart[j]..<judgeArcStart[j + 1] {
                        let p = Int(judgeArcProposal[arc])
                        if levelP[p] < 0 && isAssigned(p, j) {
                            levelP[p] = levelJ[j] + 1
                            queue.append(p)
                        }
                    }
                }
            }
            guard levelT >= 0 else { return }
            let arcs = ZeroArcs(
                proposalStart: proposalArcStart, proposalJudge: proposalArcJudge, judgeStart: judgeArcStart, judgeProposal: judgeArcProposal)
            if !blockingFlow(arcs, levelP: &levelP, levelJ: &levelJ, levelT: levelT) { return }
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
    mutating func blockingFlow(_ arcs: ZeroArcs, levelP: inout [Int], levelJ: inout [Int], levelT: Int) -> Bool {
        // The next arc to try at each node (Dinic's current arc).
        var nextArcP = Array(arcs.proposalStart.dropLast())
        var nextArcJ = Array(arcs.judgeStart.dropLast())
        var pushed = false
        var path: [Int] = []  // p0, j0, p1, j1, …: proposals and judges alternate
        for start in 0..<proposals where levelP[start] == 0 {
            while assignedCount[start] < demand[start] && levelP[start] == 0 {
                path.removeAll(keepingCapacity: true)
                path.append(start)
                var found = false
                while !path.isEmpty && !found {
                    if path.count % 2 == 1 {
                        // At a proposal: the next admissible judge one level up.
                        let p = path[path.count - 1]
                        var chosen = -1
                        while nextArcP[p] < arcs.proposalStart[p + 1] {
                            let j = Int(arcs.proposalJudge[nextArcP[p]])
                            if levelJ[j] == levelP[p] + 1 && !isAssigned(p, j) {
                                chosen = j
                                break
                            }
                            nextArcP[p] += 1
                        }
                        if chosen < 0 {
                            levelP[p] = -1  // dead end for this level graph
                            path.removeLast()
                            if let j = path.last { nextArcJ[j] += 1 }
                        } else {
                            path.append(chosen)
                        }
                    } else {
                        // At a judge: the sink, or a proposal it reviews, one level up.
                        let j = path[path.count - 1]
                        if levelJ[j] + 1 == levelT && load[j] < capacity[j] && potentialJ[j] == potentialT {
                            found = true
                            break
                        }
                        var next = -1
                        while nextArcJ[j] < arcs.judgeStart[j + 1] {
                            let p = Int(arcs.judgeProposal[nextArcJ[j]])
                            if levelP[p] == levelJ[j] + 1 && isAssigned(p, j) {
                                next = p
                                break
                            }
                            nextArcJ[j] += 1
                        }
                        if next < 0 {
                            levelJ[j] = -1
                            path.removeLast()
                            if let p = path.last { nextArcP[p] += 1 }
                        } else {
                            path.append(next)
                        }
                    }
                }
                guard found else { break }
                augment(path)
                pushed = true
            }
        }
        return pushed
    }

    /// Applies an augmenting path p0 → j0 → p1 → j1 → … → jm → sink: each p_i gains j_i, and for
    /// i ≥ 1, p_i gives up j_(i−1) (which went to p_(i−1)).
    mutating func augment(_ path: [Int]) {
        var index = 0
        while index + 1 < path.count {
            let p = path[index]
            let j = path[index + 1]
            if index >= 2 { removePair(p, path[index - 1]) }
            addPair(p, j)
            index += 2
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
