/// How judges' totals are made comparable before ranking.
public enum NormalizationMethod: String, Sendable, Codable, CaseIterable {
    /// Each judge's totals become z-scores against that judge's own mean and spread, so a harsh or a
    /// lenient judge moves no team; a proposal's score is the mean of its z-scores, put back on the
    /// rubric's scale (round mean + round spread × mean z) so it reads like a score.
    case zscore
    /// The plain mean of the judges' weighted totals.
    case raw
}

/// One submitted scorecard, as the ranking needs it.
public struct ScoredReview: Sendable, Hashable {
    public var judge: Int
    public var proposal: Int
    public var total: Double
    public var criteria: [String: Double]

    public init(judge: Int, proposal: Int, total: Double, criteria: [String: Double]) {
        self.judge = judge
        self.proposal = proposal
        self.total = total
        self.criteria = criteria
    }
}

public struct ProposalStanding: Sendable, Hashable {
    public var proposal: Int
    /// (judge, weighted total), by judge.
    public var totals: [JudgeTotal]
    public var rawMean: Double
    /// The score ranked on: the normalized score, or the raw mean with `.raw`.
    public var score: Double
    /// 1 is best; proposals tied on every tie-break share a rank (1, 2, 2, 4).
    public var rank: Int
    /// Population standard deviation of the judges' totals.
    public var spread: Double
    /// The judges disagree strongly: their totals' spread is over a fifth of the scale's range.
    public var disagreement: Bool

    public struct JudgeTotal: Sendable, Hashable {
        public var judge: Int
        public var total: Double
    }
}

public struct JudgeStanding: Sendable, Hashable {
    public var judge: Int
    public var scorecards: Int
    public var mean: Double
    public var spread: Double
}

public struct RoundRanking: Sendable, Hashable {
    public var method: NormalizationMethod
    public var proposals: [ProposalStanding]
    public var judges: [JudgeStanding]
}

/// Turns scorecards into a ranking. Pure and deterministic: the same scorecards give the same result.
public enum Ranking {
    /// Ranks the proposals. Ties on the score are broken by the mean of each `tieBreak` criterion in
    /// order (higher first), then by the raw mean; proposals still equal share a rank.
    public static func rank(
        _ reviews: [ScoredReview], method: NormalizationMethod, tieBreak: [String], scaleMin: Int, scaleMax: Int
    ) -> RoundRanking {
        let byJudge = Dictionary(grouping: reviews, by: \.judge)
        var judgeStats: [Int: (mean: Double, spread: Double)] = [:]
        for (judge, own) in byJudge {
            judgeStats[judge] = meanAndSpread(own.map(\.total))
        }
        let round = meanAndSpread(reviews.map(\.total))
        let byProposal = Dictionary(grouping: reviews, by: \.proposal)
        let range = Double(scaleMax - scaleMin)

        struct Candidate {
            var standing: ProposalStanding
            var keys: [Double]
        }
        var candidates: [Candidate] = byProposal.keys.sorted().map { proposal in
            let own = byProposal[proposal]!.sorted { $0.judge < $1.judge }
            let totals = own.map(\.total)
            let (rawMean, spread) = meanAndSpread(totals)
            var score = rawMean
            if method == .zscore {
                let zs = own.map { review -> Double in
                    let stats = judgeStats[review.judge]!
                    return stats.spread > 0 ? (review.total - stats.mean) / stats.spread : 0
                }
                score = round.mean + round.spread * (zs.reduce(0, +) / Double(zs.count))
            }
            let criterionMeans = tieBreak.map { criterion in
                own.reduce(0) { $0 + ($1.criteria[criterion] ?? 0) } / Double(own.count)
            }
            let standing = ProposalStanding(
                proposal: proposal, totals: own.map { .init(judge: $0.judge, total: $0.total) }, rawMean: rawMean, score: score, rank: 0,
                spread: spread, disagreement: range > 0 && spread > 0.2 * range)
            return Candidate(standing: standing, keys: [rounded(score)] + criterionMeans.map(rounded) + [rounded(rawMean)])
        }
        candidates.sort { a, b in
            for (x, y) in zip(a.keys, b.keys) where x != y { return x > y }
            return a.standing.proposal < b.standing.proposal
        }
        for index in candidates.indices {
            if index > 0 && candidates[index].keys == candidates[index - 1].keys {
                candidates[index].standing.rank = candidates[index - 1].standing.rank
            } else {
                candidates[index].standing.rank = index + 1
            }
        }
        let judges = byJudge.keys.sorted().map { judge in
            JudgeStanding(judge: judge, scorecards: byJudge[judge]!.count, mean: judgeStats[judge]!.mean, spread: judgeStats[judge]!.spread)
        }
        return RoundRanking(method: method, proposals: candidates.map(\.standing), judges: judges)
    }

    /// Mean and population standard deviation.
    static func meanAndSpread(_ values: [Double]) -> (mean: Double, spread: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    /// Compared at 1e-9 so that floating-point noise never decides a rank.
    static func rounded(_ value: Double) -> Double { (value * 1e9).rounded() / 1e9 }
}
