/// How judges' totals are made comparable before ranking.
public enum NormalizationMethod: String, Sendable, Codable, CaseIterable {
    /// The judge model (`JudgeModel`): each proposal's quality estimated jointly with each judge's
    /// bias and scale, with how sure each estimate is. The default.
    case model
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
    /// The score ranked on, on the rubric's scale: the model's estimated quality, the normalized
    /// score, or the raw mean, by method.
    public var score: Double
    /// 1 is best; proposals tied on every tie-break share a rank (1, 2, 2, 4).
    public var rank: Int
    /// Population standard deviation of the judges' totals.
    public var spread: Double
    /// How sure the model is (nil for the other methods).
    public var confidence: Confidence?

    public struct JudgeTotal: Sendable, Hashable {
        public var judge: Int
        public var total: Double
    }

    public struct Confidence: Sendable, Hashable {
        /// The quality lies in low…high with 80% probability.
        public var low: Double
        public var high: Double
        /// The probability of being among the round's first `cut`.
        public var topProbability: Double
        /// The ranks it may have (80%).
        public var ranks: ClosedRange<Int>

        /// Neither surely in nor surely out of the first `cut`: one more scorecard may decide it.
        public var isUncertainAtCut: Bool { topProbability > 0.1 && topProbability < 0.9 }
    }
}

public struct JudgeStanding: Sendable, Hashable {
    public var judge: Int
    public var scorecards: Int
    public var mean: Double
    public var spread: Double
    /// The model's estimate of the judge's bias (points added to every total) and scale (1: as the panel).
    public var bias: Double?
    public var scale: Double?
}

public struct RoundRanking: Sendable, Hashable {
    public var method: NormalizationMethod
    /// How many proposals the round's cut keeps (its shortlist); `topProbability` is about it.
    public var cut: Int
    /// Groups of judges sharing no proposal with another group (1 when the panel is connected).
    public var judgeGroups: Int
    public var proposals: [ProposalStanding]
    public var judges: [JudgeStanding]
    /// The proposals uncertain at the cut where one more scorecard would help most, best first
    /// (the judge model only).
    public var suggested: [Int]
}

/// Turns scorecards into a ranking. Pure and deterministic: the same scorecards give the same result.
public enum Ranking {
    /// Ranks the proposals. Ties on the score are broken by the mean of each `tieBreak` criterion in
    /// order (higher first), then by the raw mean; proposals still equal share a rank. `cut` is how
    /// many proposals the round keeps, for the model's probability of being among them.
    public static func rank(
        _ reviews: [ScoredReview], method: NormalizationMethod, tieBreak: [String], cut: Int = 20
    ) -> RoundRanking {
        // Every sum in one order, whatever the order the scorecards came in.
        let reviews = reviews.sorted { ($0.proposal, $0.judge) < ($1.proposal, $1.judge) }
        let byJudge = Dictionary(grouping: reviews, by: \.judge)
        var judgeStats: [Int: (mean: Double, spread: Double)] = [:]
        for (judge, own) in byJudge {
            judgeStats[judge] = meanAndSpread(own.map(\.total))
        }
        let round = meanAndSpread(reviews.map(\.total))
        let byProposal = Dictionary(grouping: reviews, by: \.proposal)
        let model = method == .model ? JudgeModel.fit(reviews) : nil
        var confidence: [Int: ProposalStanding.Confidence] = [:]
        var quality: [Int: Double] = [:]
        if let model {
            let probabilities = RankConfidence.topProbabilities(model.qualities, cut: cut)
            let ranges = RankConfidence.rankRanges(model.qualities)
            for (index, estimate) in model.qualities.enumerated() {
                quality[estimate.proposal] = estimate.mean
                confidence[estimate.proposal] = .init(
                    low: estimate.mean - JudgeModel.z80 * estimate.sd, high: estimate.mean + JudgeModel.z80 * estimate.sd,
                    topProbability: probabilities[index], ranks: ranges[index])
            }
        }

        struct Candidate {
            var standing: ProposalStanding
            var keys: [Double]
        }
        var candidates: [Candidate] = byProposal.keys.sorted().map { proposal in
            let own = byProposal[proposal]!.sorted { $0.judge < $1.judge }
            let totals = own.map(\.total)
            let (rawMean, spread) = meanAndSpread(totals)
            let score: Double
            switch method {
            case .model: score = quality[proposal]!
            case .zscore:
                let zs = own.map { review -> Double in
                    let stats = judgeStats[review.judge]!
                    return stats.spread > 0 ? (review.total - stats.mean) / stats.spread : 0
                }
                score = round.mean + round.spread * (zs.reduce(0, +) / Double(zs.count))
            case .raw: score = rawMean
            }
            let criterionMeans = tieBreak.map { criterion in
                own.reduce(0) { $0 + ($1.criteria[criterion] ?? 0) } / Double(own.count)
            }
            let standing = ProposalStanding(
                proposal: proposal, totals: own.map { .init(judge: $0.judge, total: $0.total) }, rawMean: rawMean, score: score, rank: 0,
                spread: spread, confidence: confidence[proposal])
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
        let judgeModel = Dictionary(uniqueKeysWithValues: (model?.judges ?? []).map { ($0.judge, $0) })
        let judges = byJudge.keys.sorted().map { judge in
            JudgeStanding(
                judge: judge, scorecards: byJudge[judge]!.count, mean: judgeStats[judge]!.mean, spread: judgeStats[judge]!.spread,
                bias: judgeModel[judge]?.bias, scale: judgeModel[judge]?.scale)
        }
        return RoundRanking(
            method: method, cut: cut,
            judgeGroups: model?.judgeGroups ?? JudgeModel.judgeGroups(reviews),
            proposals: candidates.map(\.standing), judges: judges, suggested: model.map { RankConfidence.suggestions($0, cut: cut) } ?? [])
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
