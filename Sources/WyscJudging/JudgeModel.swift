import Foundation

/// A model of how judges score: each judge's total for a proposal is the proposal's quality times
/// the judge's scale, plus the judge's bias, plus noise. Fitted jointly, it tells a lenient judge
/// from a strong batch of proposals wherever judges share proposals, and a judge who spreads
/// scores widely from one who compresses them.
///
/// The fit is variational Bayes (mean field: each proposal's quality, and each judge's bias and
/// scale together, are Gaussian), with the priors' widths and the noise estimated from the round
/// itself. The priors pull a judge who scored few proposals toward the panel (bias 0, scale 1), so
/// two scorecards cannot make a judge look wildly lenient. Pure and deterministic: no sampling,
/// every sum in the order of the sorted ids, so the same scorecards always give the same result.
public struct JudgeModel: Sendable, Hashable {
    public struct Quality: Sendable, Hashable {
        public var proposal: Int
        /// The estimated quality and its uncertainty (a standard deviation), on the rubric's scale:
        /// what a typical judge of the panel would give the proposal.
        public var mean: Double
        public var sd: Double
    }

    public struct Judge: Sendable, Hashable {
        public var judge: Int
        /// Points the judge adds to every total (negative: harsh), on the rubric's scale.
        public var bias: Double
        /// How far apart the judge puts proposals, against the panel (1: as the panel does).
        public var scale: Double
    }

    /// By proposal.
    public var qualities: [Quality]
    /// By judge.
    public var judges: [Judge]
    /// Groups of judges (with their proposals) that share no proposal with another group. With more
    /// than one, a group's leniency cannot be told apart from its proposals' quality.
    public var judgeGroups: Int
    /// The noise of a single total, on the rubric's scale.
    public var noise: Double
    public var iterations: Int

    /// The shares of a standard normal distribution in a central interval: 80% lies within ±1.2816 sd.
    public static let z80 = 1.281_551_565_545

    public static func fit(_ reviews: [ScoredReview], maxIterations: Int = 2_000, tolerance: Double = 1e-9) -> JudgeModel {
        let reviews = reviews.sorted { ($0.proposal, $0.judge) < ($1.proposal, $1.judge) }
        let proposalIDs = Array(Set(reviews.map(\.proposal))).sorted()
        let judgeIDs = Array(Set(reviews.map(\.judge))).sorted()
        let proposalIndex = Dictionary(uniqueKeysWithValues: proposalIDs.enumerated().map { ($1, $0) })
        let judgeIndex = Dictionary(uniqueKeysWithValues: judgeIDs.enumerated().map { ($1, $0) })
        let proposalOf = reviews.map { proposalIndex[$0.proposal]! }
        let judgeOf = reviews.map { judgeIndex[$0.judge]! }
        let groups = Self.judgeGroups(reviews)

        let totals = reviews.map(\.total)
        let count = Double(totals.count)
        let center = totals.isEmpty ? 0 : totals.reduce(0, +) / count
        let spread = totals.isEmpty ? 0 : (totals.reduce(0) { $0 + ($1 - center) * ($1 - center) } / count).squareRoot()
        guard spread > 1e-9 * max(1, abs(center)) else {
            // Every total is the same: there is nothing to tell apart.
            return JudgeModel(
                qualities: proposalIDs.map { Quality(proposal: $0, mean: center, sd: 0) },
                judges: judgeIDs.map { Judge(judge: $0, bias: 0, scale: 1) }, judgeGroups: groups, noise: 0, iterations: 0)
        }
        // Fitted on standardized totals, so that the priors below mean the same on any rubric.
        let z = totals.map { ($0 - center) / spread }
        var state = State(proposals: proposalIDs.count, judges: judgeIDs.count)
        var sums = [Double](repeating: 0, count: proposalIDs.count)
        var counts = [Double](repeating: 0, count: proposalIDs.count)
        for (review, value) in zip(proposalOf, z) {
            sums[review] += value
            counts[review] += 1
        }
        for index in state.quality.indices { state.quality[index] = sums[index] / counts[index] }
        var reviewsOfJudge = [[Int]](repeating: [], count: judgeIDs.count)
        for (review, judge) in judgeOf.enumerated() { reviewsOfJudge[judge].append(review) }

        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let previous = state
            state.updateJudges(z: z, proposalOf: proposalOf, reviewsOfJudge: reviewsOfJudge)
            state.updateProposals(z: z, proposalOf: proposalOf, judgeOf: judgeOf)
            state.updatePriors(z: z, proposalOf: proposalOf, judgeOf: judgeOf)
            if state.distance(to: previous) < tolerance { break }
        }
        return JudgeModel(
            qualities: proposalIDs.indices.map { index in
                Quality(
                    proposal: proposalIDs[index], mean: center + spread * state.quality[index],
                    sd: spread * state.qualityVariance[index].squareRoot())
            },
            judges: judgeIDs.indices.map { Judge(judge: judgeIDs[$0], bias: spread * state.bias[$0], scale: state.scale[$0]) },
            judgeGroups: groups, noise: spread * state.noiseVariance.squareRoot(), iterations: iterations)
    }

    /// The variational posterior and the estimated prior widths, on the standardized scale.
    struct State: Equatable {
        var quality: [Double]
        var qualityVariance: [Double]
        var bias: [Double]
        var scale: [Double]
        /// Each judge's posterior covariance of (bias, scale).
        var biasVariance: [Double]
        var scaleVariance: [Double]
        var biasScaleCovariance: [Double]
        var qualityPrior = 1.0
        var biasPrior = 0.3
        var scalePrior = 0.05
        var noiseVariance = 0.5

        init(proposals: Int, judges: Int) {
            quality = Array(repeating: 0, count: proposals)
            qualityVariance = Array(repeating: 1, count: proposals)
            bias = Array(repeating: 0, count: judges)
            scale = Array(repeating: 1, count: judges)
            biasVariance = Array(repeating: 0.01, count: judges)
            scaleVariance = Array(repeating: 0.01, count: judges)
            biasScaleCovariance = Array(repeating: 0, count: judges)
        }

        func expectedScaleSquared(_ judge: Int) -> Double { scale[judge] * scale[judge] + scaleVariance[judge] }
        func expectedBiasTimesScale(_ judge: Int) -> Double { bias[judge] * scale[judge] + biasScaleCovariance[judge] }
        func expectedBiasSquared(_ judge: Int) -> Double { bias[judge] * bias[judge] + biasVariance[judge] }

        /// Each judge's (bias, scale): a Bayesian linear regression of their totals on the
        /// qualities of their proposals, with the prior (0, 1).
        mutating func updateJudges(z: [Double], proposalOf: [Int], reviewsOfJudge: [[Int]]) {
            for (judge, reviews) in reviewsOfJudge.enumerated() {
                var (n, sumQuality, sumQualitySquared, sumZ, sumQualityZ) = (0.0, 0.0, 0.0, 0.0, 0.0)
                for review in reviews {
                    let proposal = proposalOf[review]
                    let mean = quality[proposal]
                    n += 1
                    sumQuality += mean
                    sumQualitySquared += mean * mean + qualityVariance[proposal]
                    sumZ += z[review]
                    sumQualityZ += mean * z[review]
                }
                // Precision matrix [[a, c], [c, d]] and its inverse.
                let a = 1 / biasPrior + n / noiseVariance
                let c = sumQuality / noiseVariance
                let d = 1 / scalePrior + sumQualitySquared / noiseVariance
                let determinant = a * d - c * c
                let (va, vb, vab) = (d / determinant, a / determinant, -c / determinant)
                let (ea, eb) = (sumZ / noiseVariance, 1 / scalePrior + sumQualityZ / noiseVariance)
                bias[judge] = va * ea + vab * eb
                scale[judge] = vab * ea + vb * eb
                biasVariance[judge] = va
                scaleVariance[judge] = vb
                biasScaleCovariance[judge] = vab
            }
        }

        mutating func updateProposals(z: [Double], proposalOf: [Int], judgeOf: [Int]) {
            var precision = [Double](repeating: 1 / qualityPrior, count: quality.count)
            var weighted = [Double](repeating: 0, count: quality.count)
            for review in z.indices {
                let (proposal, judge) = (proposalOf[review], judgeOf[review])
                precision[proposal] += expectedScaleSquared(judge) / noiseVariance
                weighted[proposal] += (scale[judge] * z[review] - expectedBiasTimesScale(judge)) / noiseVariance
            }
            for proposal in quality.indices {
                qualityVariance[proposal] = 1 / precision[proposal]
                quality[proposal] = weighted[proposal] / precision[proposal]
            }
        }

        /// The prior widths and the noise that make the round most likely (variational EM), each
        /// with a weak prior of its own so that a small round cannot drive one to zero.
        mutating func updatePriors(z: [Double], proposalOf: [Int], judgeOf: [Int]) {
            var residual = 0.0
            for review in z.indices {
                let (proposal, judge) = (proposalOf[review], judgeOf[review])
                let mean = quality[proposal]
                residual +=
                    z[review] * z[review] - 2 * z[review] * (bias[judge] + scale[judge] * mean) + expectedBiasSquared(judge)
                    + 2 * expectedBiasTimesScale(judge) * mean + expectedScaleSquared(judge) * (mean * mean + qualityVariance[proposal])
            }
            noiseVariance = max((residual + 0.1) / (Double(z.count) + 2), 1e-3)
            let qualitySpread = quality.indices.reduce(0) { $0 + quality[$1] * quality[$1] + qualityVariance[$1] }
            qualityPrior = max((qualitySpread + 0.1) / (Double(quality.count) + 2), 1e-3)
            let judges = Double(bias.count)
            let biasSpread = bias.indices.reduce(0) { $0 + expectedBiasSquared($1) }
            biasPrior = max((biasSpread + 0.1) / (judges + 6), 1e-3)
            let scaleSpread = scale.indices.reduce(0) { $0 + (scale[$1] - 1) * (scale[$1] - 1) + scaleVariance[$1] }
            // Judges do use the scale differently: a prior narrower than ±0.2 would assume they do
            // not, and lets a small panel explain a judge who gives everyone the same score as noise.
            scalePrior = max((scaleSpread + 0.04) / (judges + 6), 0.04)
        }

        /// The largest change of any estimate, the priors and the noise included: EM can creep for a
        /// long time on a prior's width while the means barely move.
        func distance(to other: State) -> Double {
            var largest = max(
                abs(noiseVariance - other.noiseVariance), abs(qualityPrior - other.qualityPrior), abs(biasPrior - other.biasPrior),
                abs(scalePrior - other.scalePrior))
            for index in quality.indices { largest = max(largest, abs(quality[index] - other.quality[index])) }
            for index in bias.indices {
                largest = max(largest, abs(bias[index] - other.bias[index]), abs(scale[index] - other.scale[index]))
            }
            return largest
        }
    }

    /// Connected groups of the graph whose edges are scorecards between judges and proposals.
    public static func judgeGroups(_ reviews: [ScoredReview]) -> Int {
        PanelGraph.judgeGroups(reviews.map { (judge: $0.judge, proposal: $0.proposal) })
    }
}

/// Judges and proposals joined by reviews: judges who share proposals, directly or through other
/// judges, can be compared; a group that shares none with the rest cannot.
public enum PanelGraph {
    /// How many groups the judges of `pairs` form.
    public static func judgeGroups(_ pairs: [(judge: Int, proposal: Int)]) -> Int {
        var judgeIndex: [Int: Int] = [:]
        var proposalIndex: [Int: Int] = [:]
        var judgesOf: [[Int]] = []
        for pair in pairs {
            let judge = judgeIndex[pair.judge] ?? judgeIndex.count
            judgeIndex[pair.judge] = judge
            let proposal = proposalIndex[pair.proposal] ?? judgesOf.count
            if proposal == judgesOf.count {
                proposalIndex[pair.proposal] = proposal
                judgesOf.append([])
            }
            judgesOf[proposal].append(judge)
        }
        return Set(groupOfEachJudge(judgesOf, judges: judgeIndex.count).filter { $0 >= 0 }).count
    }

    /// Each judge's group (the smallest judge index in it), or -1 for a judge without proposals;
    /// `judgesOf[p]` are the judges (0..<judges) of proposal p.
    public static func groupOfEachJudge(_ judgesOf: [[Int]], judges: Int) -> [Int] {
        var parent = Array(0..<judges)
        func root(_ j: Int) -> Int {
            var j = j
            while parent[j] != j {
                parent[j] = parent[parent[j]]
                j = parent[j]
            }
            return j
        }
        var reviews = Array(repeating: false, count: judges)
        for judges in judgesOf {
            guard let first = judges.first else { continue }
            reviews[first] = true
            for other in judges.dropFirst() {
                reviews[other] = true
                let (a, b) = (root(first), root(other))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        return (0..<judges).map { reviews[$0] ? root($0) : -1 }
    }
}

/// What the model says about the top of a round: for each proposal, the probability of being among
/// the first `cut`, and the range its rank lies in (80%).
public enum RankConfidence {
    /// P(quality ≥ c) summed over the proposals is the expected number above c; the cut is the c
    /// where that number is `cut`, and each proposal's probability is its chance of being above it.
    /// (Exact enough when a round has more than a handful of proposals; no sampling.)
    public static func topProbabilities(_ qualities: [JudgeModel.Quality], cut: Int) -> [Double] {
        guard let threshold = cutQuality(qualities, cut: cut) else { return qualities.map { _ in 1 } }
        let floor = sdFloor(qualities)
        return qualities.map { upperTail((threshold - $0.mean) / max($0.sd, floor)) }
    }

    /// The quality where the expected number of proposals above it is `cut`; nil when every
    /// proposal makes the cut.
    static func cutQuality(_ qualities: [JudgeModel.Quality], cut: Int) -> Double? {
        guard cut < qualities.count else { return nil }
        let floor = sdFloor(qualities)
        let sds = qualities.map { max($0.sd, floor) }
        var low = qualities.map(\.mean).min()! - 10 * sds.max()!
        var high = qualities.map(\.mean).max()! + 10 * sds.max()!
        // Halving until the bracket is a millionth of the narrowest uncertainty (a few dozen steps),
        // or as narrow as doubles tell apart.
        let precision = 1e-6 * sds.min()!
        for _ in 0..<200 where high - low > precision {
            let middle = (low + high) / 2
            let expected = zip(qualities, sds).reduce(0) { $0 + upperTail((middle - $1.0.mean) / $1.1) }
            if expected > Double(cut) { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// Equal estimates with no uncertainty still split their chances evenly.
    static func sdFloor(_ qualities: [JudgeModel.Quality]) -> Double {
        1e-9 * max(1, qualities.map { abs($0.mean) }.max() ?? 1)
    }

    /// The proposals uncertain at the cut (0.1 < P < 0.9) where one more scorecard would help
    /// most, best first: the closer a proposal is to the cut (the density of its quality there),
    /// and the more one more typical judge would narrow its interval, the more it helps.
    public static func suggestions(_ model: JudgeModel, cut: Int) -> [Int] {
        guard let threshold = cutQuality(model.qualities, cut: cut), model.noise > 0, !model.judges.isEmpty else { return [] }
        let scale = model.judges.reduce(0) { $0 + $1.scale } / Double(model.judges.count)
        let added = scale * scale / (model.noise * model.noise)
        var helps: [(proposal: Int, gain: Double)] = []
        for quality in model.qualities where quality.sd > 0 {
            let z = (quality.mean - threshold) / quality.sd
            let probability = upperTail(-z)
            guard probability > 0.1 && probability < 0.9 else { continue }
            let narrower = 1 / (1 / (quality.sd * quality.sd) + added).squareRoot()
            helps.append((quality.proposal, exp(-z * z / 2) * (1 - narrower / quality.sd)))
        }
        return helps.sorted { ($0.gain, $1.proposal) > ($1.gain, $0.proposal) }.map(\.proposal)
    }

    /// For each proposal, the best and worst rank it may have (80%): its quality at the top and at
    /// the bottom of its 80% interval, and for each the expected number of other proposals above it.
    /// (The proposal's own uncertainty moves its rank most; the others' is averaged over.)
    public static func rankRanges(_ qualities: [JudgeModel.Quality]) -> [ClosedRange<Int>] {
        qualities.indices.map { index in
            let estimate = qualities[index]
            func expectedAbove(_ quality: Double) -> Double {
                var count = 0.0
                for other in qualities.indices where other != index {
                    let difference = qualities[other].mean - quality
                    let sd = qualities[other].sd
                    // Beyond 9 sd the chance is 1 or 0 to within 1e-19: no need to compute it.
                    if sd == 0 || abs(difference) > 9 * sd {
                        count += difference > 0 ? 1 : 0
                    } else {
                        count += upperTail(-difference / sd)
                    }
                }
                return count
            }
            let best = 1 + Int(expectedAbove(estimate.mean + JudgeModel.z80 * estimate.sd).rounded())
            let worst = 1 + Int(expectedAbove(estimate.mean - JudgeModel.z80 * estimate.sd).rounded())
            return best...max(best, worst)
        }
    }

    /// P(X > x) for a standard normal X.
    static func upperTail(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }
}
