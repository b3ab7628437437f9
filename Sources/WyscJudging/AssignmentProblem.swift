/// A judge assignment problem in index form: proposals 0..<P, judges 0..<J.
///
/// Every proposal needs exactly `perProposal` judges, judge `j` takes at most `capacity[j]`
/// proposals and at least `minimumLoad[j]` (so that every judge's leniency can be estimated),
/// forbidden pairs (conflicts of interest) are never used, and among all such assignments the
/// solver returns one with the highest total affinity.
public struct AssignmentProblem: Sendable {
    public let proposals: Int
    public let judges: Int
    public let perProposal: Int
    public var capacity: [Int]
    /// At least this many proposals per judge (never more than the judge's capacity); zeros by default.
    public var minimumLoad: [Int]
    /// Conflicts of interest, one bit per (proposal, judge).
    public private(set) var forbidden: PairSet
    public let affinity: Affinity

    public init(proposals: Int, judges: Int, perProposal: Int, capacity: [Int], affinity: Affinity) {
        precondition(capacity.count == judges, "one capacity per judge")
        self.proposals = proposals
        self.judges = judges
        self.perProposal = perProposal
        // A judge reviews each proposal at most once: a larger capacity means the same, and
        // bounding it keeps every sum of capacities far from overflow.
        self.capacity = capacity.map { min(max($0, 0), proposals) }
        self.minimumLoad = Array(repeating: 0, count: judges)
        self.forbidden = PairSet(proposals: proposals, judges: judges)
        self.affinity = affinity
    }

    public mutating func forbid(proposal: Int, judge: Int) {
        forbidden.insert(proposal: proposal, judge: judge)
    }

    /// The affinity of one pair.
    public func score(proposal: Int, judge: Int) -> Int {
        affinity.score(proposal: proposal, judge: judge)
    }
}

/// How well a judge fits a proposal: the number of shared topic tags, or a table of scores.
public enum Affinity: Sendable {
    /// Tags as bit sets: `words` 64-bit words per proposal and per judge, laid out flat.
    case sharedTags(proposalTags: [UInt64], judgeTags: [UInt64], words: Int)
    /// Explicit scores; pairs not listed score 0. Per proposal, (judge, score) sorted by judge.
    case table([[(judge: Int32, score: Int32)]])

    /// Builds tag bit sets from tag names; any number of distinct tags.
    public static func sharedTags(proposals: [[String]], judges: [[String]]) -> Affinity {
        var index: [String: Int] = [:]
        for tag in (proposals + judges).joined() where index[tag] == nil { index[tag] = index.count }
        let words = max(1, (index.count + 63) / 64)
        func bits(_ lists: [[String]]) -> [UInt64] {
            var flat = [UInt64](repeating: 0, count: lists.count * words)
            for (row, tags) in lists.enumerated() {
                for tag in tags {
                    let bit = index[tag]!
                    flat[row * words + bit / 64] |= 1 << UInt64(bit % 64)
                }
            }
            return flat
        }
        return .sharedTags(proposalTags: bits(proposals), judgeTags: bits(judges), words: words)
    }

    public func score(proposal: Int, judge: Int) -> Int {
        switch self {
        case .sharedTags(let proposalTags, let judgeTags, let words):
            var shared = 0
            for word in 0..<words { shared += (proposalTags[proposal * words + word] & judgeTags[judge * words + word]).nonzeroBitCount }
            return shared
        case .table(let rows):
            let row = rows[proposal]
            var low = 0
            var high = row.count
            while low < high {
                let middle = (low + high) / 2
                if Int(row[middle].judge) < judge { low = middle + 1 } else { high = middle }
            }
            return low < row.count && Int(row[low].judge) == judge ? Int(row[low].score) : 0
        }
    }

    /// The highest score any pair can have (for the solver's initial potentials).
    var maximum: Int {
        switch self {
        case .sharedTags(let proposalTags, let judgeTags, let words):
            guard words > 0, !proposalTags.isEmpty, !judgeTags.isEmpty else { return 0 }
            var best = 0
            // An upper bound is enough: the most tags any proposal has.
            for start in stride(from: 0, to: proposalTags.count, by: words) {
                var count = 0
                for word in 0..<words { count += proposalTags[start + word].nonzeroBitCount }
                best = max(best, count)
            }
            return best
        case .table(let rows):
            return max(0, rows.lazy.flatMap { $0.lazy.map { Int($0.score) } }.max() ?? 0)
        }
    }

    var minimum: Int {
        switch self {
        case .sharedTags: return 0
        case .table(let rows): return min(0, rows.lazy.flatMap { $0.lazy.map { Int($0.score) } }.min() ?? 0)
        }
    }
}

/// A set of (proposal, judge) pairs as a bit matrix: 10,000 × 1,000 pairs take 1.25 MB.
public struct PairSet: Sendable {
    let judges: Int
    private(set) var bits: [UInt64]
    public private(set) var count = 0

    public init(proposals: Int, judges: Int) {
        self.judges = judges
        bits = [UInt64](repeating: 0, count: (proposals * judges + 63) / 64)
    }

    public mutating func insert(proposal: Int, judge: Int) {
        let index = proposal * judges + judge
        let mask: UInt64 = 1 << UInt64(index % 64)
        if bits[index / 64] & mask == 0 {
            bits[index / 64] |= mask
            count += 1
        }
    }

    public func contains(proposal: Int, judge: Int) -> Bool {
        let index = proposal * judges + judge
        return bits[index / 64] & (1 << UInt64(index % 64)) != 0
    }
}

/// The solver's answer.
public struct AssignmentSolution: Sendable, Equatable {
    /// The judges of each proposal, sorted.
    public var judgesOfProposal: [[Int]]
    /// The total affinity of all pairs.
    public var objective: Int
    /// Proposals that could not get all their judges, with how many are missing.
    public var shortfalls: [Shortfall]
    /// Judges left under their minimum load, with how many proposals they lack.
    public var underloaded: [(judge: Int, missing: Int)]

    public struct Shortfall: Sendable, Equatable {
        public var proposal: Int
        public var missing: Int
        /// Judges that have no conflict with the proposal and any capacity at all.
        public var eligibleJudges: Int

        public init(proposal: Int, missing: Int, eligibleJudges: Int) {
            self.proposal = proposal
            self.missing = missing
            self.eligibleJudges = eligibleJudges
        }
    }

    public var isComplete: Bool { shortfalls.isEmpty && underloaded.isEmpty }

    public init(judgesOfProposal: [[Int]], objective: Int, shortfalls: [Shortfall], underloaded: [(judge: Int, missing: Int)] = []) {
        self.judgesOfProposal = judgesOfProposal
        self.objective = objective
        self.shortfalls = shortfalls
        self.underloaded = underloaded
    }

    public static func == (a: AssignmentSolution, b: AssignmentSolution) -> Bool {
        a.judgesOfProposal == b.judgesOfProposal && a.objective == b.objective && a.shortfalls == b.shortfalls
            && a.underloaded.elementsEqual(b.underloaded, by: { $0 == $1 })
    }

    /// Why proposals fall short, one line each (the first `limit`), plus the capacity shortfall if any.
    public func explanation(
        _ problem: AssignmentProblem, name: (Int) -> String, judgeName: (Int) -> String = { "judge \($0 + 1)" }, limit: Int = 20
    ) -> [String] {
        var lines: [String] = []
        for shortfall in shortfalls.prefix(limit) {
            let why =
                shortfall.eligibleJudges < problem.perProposal
                ? "too many conflicts: only \(shortfall.eligibleJudges) judge(s) without a conflict"
                : "too little capacity: the \(shortfall.eligibleJudges) judges without a conflict are full"
            lines.append("  \(name(shortfall.proposal)): \(shortfall.missing) judge(s) missing (\(why))")
        }
        if shortfalls.count > limit { lines.append("  … and \(shortfalls.count - limit) more") }
        for judge in underloaded.prefix(limit) {
            lines.append("  \(judgeName(judge.judge)): \(judge.missing) proposal(s) under the minimum load (conflicts leave too few)")
        }
        let demand = problem.proposals * problem.perProposal
        let capacity = problem.capacity.reduce(0, +)
        if capacity < demand { lines.append("The judges can take \(capacity) reviews in all; \(demand) are needed: add judges or raise max_load.") }
        return lines
    }

    /// (judge, proposal) pairs ordered by proposal, then judge.
    public var pairs: [(judge: Int, proposal: Int)] {
        judgesOfProposal.enumerated().flatMap { proposal, judges in judges.map { (judge: $0, proposal: proposal) } }
    }
}
