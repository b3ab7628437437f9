/// The exact judge assignment: a min-cost flow source → proposal (demand) → judge (1 per pair) →
/// sink (capacity), with cost −affinity on proposal → judge arcs.
///
/// It is solved by the primal-dual method: each phase runs Dijkstra on reduced costs (node
/// potentials keep them non-negative), raises the potentials, then pushes a maximum flow through
/// the arcs whose reduced cost is zero (Dinic's level graph). Affinities are small integers, so
/// there are few phases. The proposal → judge arcs are never stored: they are scanned densely, with
/// conflicts in a bit matrix, so 10,000 × 1,000 takes a few megabytes. Ties are broken by index,
/// so the same input always gives the same assignment.
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
    mutating func shortestPaths() -> Bool {
        let nodeCount = proposals + judges
        var distance = [Int](repeating: Self.infinity, count: nodeCount)
        var distanceT = Self.infinity
        var heap = IndexedHeap(capacity: nodeCount)
        for p in 0..<proposals where assignedCount[p] < demand[p] {
            distance[p] = -potentialP[p]
            heap.push(p, key: distance[p])
        }
        while let (node, d) = heap.popMin() {
            if d >= distanceT { break }
            if node < proposals {
                let p = node
                loadRow(p)
                markRow(p, true)
                let base = d + potentialP[p]
                for j in 0..<judges where !isAssignedToCurrent[j] && !problem.forbidden.contains(proposal: p, judge: j) {
                    let candidate = base - rowScores[j] - potentialJ[j]
                    if candidate < distance[proposals + j] {
                        distance[proposals + j] = candidate
                        heap.push(proposals + j, key: candidate)
                    }
                }
                markRow(p, false)
            } else {
                let j = node - proposals
                for proposal in proposalsOfJudge[j] {
                    let p = Int(proposal)
                    let candidate = d + score(p, j) + potentialJ[j] - potentialP[p]
                    if candidate < distance[p] {
                        distance[p] = candidate
                        heap.push(p, key: candidate)
                    }
                }
                if load[j] < capacity[j] {
                    distanceT = min(distanceT, d + potentialJ[j] - potentialT)
                }
            }
        }
        guard distanceT < Self.infinity else { return false }
        for p in 0..<proposals { potentialP[p] += min(distance[p], distanceT) }
        for j in 0..<judges { potentialJ[j] += min(distance[proposals + j], distanceT) }
        potentialT += distanceT
        return true
    }

    // MARK: Maximum flow on the zero-reduced-cost arcs (Dinic)

    mutating func augmentAlongZeroReducedCost() {
        var levelP = [Int](repeating: -1, count: proposals)
        var levelJ = [Int](repeating: -1, count: judges)
        while unmetDemand > 0 {
            // Breadth-first levels from the source over admissible residual arcs.
            for p in 0..<proposals { levelP[p] = -1 }
            for j in 0..<judges { levelJ[j] = -1 }
            var levelT = -1
            var queue: [Int] = []
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
                    loadRow(p)
                    markRow(p, true)
                    for j in 0..<judges
                    where levelJ[j] < 0 && !isAssignedToCurrent[j] && !problem.forbidden.contains(proposal: p, judge: j)
                        && potentialP[p] - rowScores[j] - potentialJ[j] == 0
                    {
                        levelJ[j] = levelP[p] + 1
                        queue.append(proposals + j)
                    }
                    markRow(p, false)
                } else {
                    let j = node - proposals
                    if levelT < 0 && load[j] < capacity[j] && potentialJ[j] == potentialT { levelT = levelJ[j] + 1 }
                    for proposal in proposalsOfJudge[j] {
                        let p = Int(proposal)
                        if levelP[p] < 0 && score(p, j) + potentialJ[j] - potentialP[p] == 0 {
                            levelP[p] = levelJ[j] + 1
                            queue.append(p)
                        }
                    }
                }
            }
            guard levelT >= 0 else { return }
            if !blockingFlow(levelP: &levelP, levelJ: &levelJ, levelT: levelT) { return }
        }
    }

    /// Sends flow along level-increasing admissible paths until none is left; false if none was found.
    mutating func blockingFlow(levelP: inout [Int], levelJ: inout [Int], levelT: Int) -> Bool {
        var nextJudge = [Int](repeating: 0, count: proposals)
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
                        if levelP[p] >= 0 {
                            loadRow(p)
                            var j = nextJudge[p]
                            while j < judges {
                                if levelJ[j] == levelP[p] + 1 && !isAssigned(p, j) && !problem.forbidden.contains(proposal: p, judge: j)
                                    && potentialP[p] - rowScores[j] - potentialJ[j] == 0
                                {
                                    chosen = j
                                    break
                                }
                                j += 1
                            }
                            nextJudge[p] = j
                        }
                        if chosen < 0 {
                            levelP[p] = -1  // dead end for this level graph
                            path.removeLast()
                            if !path.isEmpty { nextJudgeSkip(&nextJudge, path: path) }
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
                        if levelJ[j] >= 0 {
                            for proposal in proposalsOfJudge[j] {
                                let p = Int(proposal)
                                if levelP[p] == levelJ[j] + 1 && score(p, j) + potentialJ[j] - potentialP[p] == 0 {
                                    next = p
                                    break
                                }
                            }
                        }
                        if next < 0 {
                            levelJ[j] = -1
                            path.removeLast()
                            nextJudgeSkip(&nextJudge, path: path)
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

    /// After a judge turned out to be a dead end, its proposal moves on to the next judge.
    func nextJudgeSkip(_ nextJudge: inout [Int], path: [Int]) {
        guard let p = path.last, path.count % 2 == 1 else { return }
        nextJudge[p] += 1
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
