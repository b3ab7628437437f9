import Foundation
import Testing
import WyscJudging

@Suite struct JudgeModelTests {
    /// Totals on a 1–10 rubric from judges who see every proposal: quality × scale + bias (no noise).
    static func panel(qualities: [Double], judges: [(bias: Double, scale: Double)]) -> [ScoredReview] {
        var reviews: [ScoredReview] = []
        for (judge, parameters) in judges.enumerated() {
            for (proposal, quality) in qualities.enumerated() {
                reviews.append(
                    ScoredReview(judge: judge + 1, proposal: proposal + 1, total: 5.5 + parameters.scale * quality + parameters.bias, criteria: [:]))
            }
        }
        return reviews
    }

    static let qualities = [-2.0, -1.2, -0.4, 0.4, 1.2, 2.0]

    @Test func aLenientJudgeIsReadAsLenientAndMovesNoProposal() throws {
        // Judge 3 adds 2 points to everything; judges 1 and 2 agree with each other.
        let model = JudgeModel.fit(Self.panel(qualities: Self.qualities, judges: [(0, 1), (0, 1), (2, 1)]))
        let bias = Dictionary(uniqueKeysWithValues: model.judges.map { ($0.judge, $0.bias) })
        #expect(abs(bias[3]! - bias[1]! - 2) < 0.1, "\(bias)")
        #expect(abs(bias[1]! - bias[2]!) < 1e-6)
        // Each quality is read back on the rubric's scale, about one point per point of truth (the
        // prior on quality shrinks it a little toward the round's mean).
        let means = model.qualities.map(\.mean)
        #expect(means == means.sorted())
        for index in 1..<means.count { #expect(abs((means[index] - means[index - 1]) - 0.8) < 0.1, "\(means)") }
        #expect(model.judgeGroups == 1)
    }

    @Test func aCompressedJudgeIsReadAsCompressed() {
        // Judge 3 puts every proposal within a point and a half; the others spread them over eight.
        let model = JudgeModel.fit(Self.panel(qualities: Self.qualities, judges: [(0, 2), (0, 2), (0, 0.4)]))
        let scale = Dictionary(uniqueKeysWithValues: model.judges.map { ($0.judge, $0.scale) })
        #expect(abs(scale[3]! / scale[1]! - 0.2) < 0.03, "\(scale)")
    }

    @Test func aJudgeWithOneScorecardIsNotCorrectedWildly() throws {
        // Four judges score twelve proposals with some noise; judge 5 scores them all three points
        // higher; judge 6 scores only proposal 6, also three points higher. Twelve totals show that
        // judge 5 is lenient; one total cannot tell judge 6's leniency from noise, so the model
        // pulls judge 6 toward the panel (z-scores would give the lone total z = 0 whatever it
        // was), and the proposal moves little.
        let qualities = (0..<12).map { Double($0) * 0.5 - 2.75 }
        let noise = [0.6, -0.4, 0.9, -0.8, 0.1, -0.5, 0.7, -0.2, 0.3, -0.9, 0.5, 0.0]
        var reviews: [ScoredReview] = []
        for judge in 1...5 {
            for (proposal, quality) in qualities.enumerated() {
                let total = 5.5 + quality + noise[(proposal + 3 * judge) % noise.count] + (judge == 5 ? 3 : 0)
                reviews.append(ScoredReview(judge: judge, proposal: proposal + 1, total: total, criteria: [:]))
            }
        }
        let withoutLone = Ranking.rank(reviews, method: .model, tieBreak: [], cut: 3)
        let others = reviews.filter { $0.proposal == 6 && $0.judge < 5 }.map(\.total)
        reviews.append(ScoredReview(judge: 6, proposal: 6, total: others.reduce(0, +) / 4 + 3, criteria: [:]))
        let model = JudgeModel.fit(reviews)
        let bias = Dictionary(uniqueKeysWithValues: model.judges.map { ($0.judge, $0.bias) })
        let panel = (1...4).map { bias[$0]! }.reduce(0, +) / 4
        #expect(abs(bias[5]! - panel - 3) < 0.3, "twelve scorecards: lenient by 3 points, \(bias)")
        #expect(bias[6]! - panel < 0.8 * 3, "one scorecard: pulled toward the panel, part of the 3 points read as noise, \(bias)")
        let ranking = Ranking.rank(reviews, method: .model, tieBreak: [], cut: 3)
        let before = try #require(withoutLone.proposals.first { $0.proposal == 6 }?.rank)
        let after = try #require(ranking.proposals.first { $0.proposal == 6 }?.rank)
        #expect(abs(after - before) <= 1, "rank \(before) → \(after)")
    }

    @Test func theSameScorecardsGiveTheSameModelWhateverTheirOrder() {
        var generator = SplitMix(seed: 7)
        var reviews: [ScoredReview] = []
        for proposal in 1...40 {
            for offset in 0..<3 {
                let judge = (proposal * 7 + offset * 5) % 12 + 1
                reviews.append(ScoredReview(judge: judge, proposal: proposal, total: Double(generator.next() % 10 + 1), criteria: [:]))
            }
        }
        let first = JudgeModel.fit(reviews)
        #expect(JudgeModel.fit(reviews.reversed()) == first)
        #expect(JudgeModel.fit(reviews.shuffled(using: &generator)) == first)
        #expect(Ranking.rank(reviews, method: .model, tieBreak: []) == Ranking.rank(reviews.reversed(), method: .model, tieBreak: []))
    }

    @Test func equalScoresGiveEqualQualityAndSharedRanks() {
        let reviews = (1...4).flatMap { proposal in (1...3).map { ScoredReview(judge: $0, proposal: proposal, total: 7, criteria: [:]) } }
        let model = JudgeModel.fit(reviews)
        #expect(model.qualities.allSatisfy { $0.mean == 7 && $0.sd == 0 })
        let ranking = Ranking.rank(reviews, method: .model, tieBreak: [], cut: 2)
        #expect(ranking.proposals.map(\.rank) == [1, 1, 1, 1])
        // Nothing tells them apart: each has the same chance of being in the top 2.
        for standing in ranking.proposals { #expect(abs(standing.confidence!.topProbability - 0.5) < 1e-6) }
    }

    @Test func aJudgeWhoGivesEveryoneTheSameScoreIsReadAsUninformative() {
        var reviews = Self.panel(qualities: Self.qualities, judges: [(0, 1), (0.5, 1)])
        reviews += (1...6).map { ScoredReview(judge: 3, proposal: $0, total: 6, criteria: [:]) }
        let model = JudgeModel.fit(reviews)
        let flat = model.judges.first { $0.judge == 3 }!
        #expect(abs(flat.scale) < 0.1, "\(flat.scale)")
        #expect(model.qualities.map(\.mean) == model.qualities.map(\.mean).sorted(), "the order comes from the judges who discriminate")
        #expect(model.qualities.allSatisfy { $0.mean.isFinite && $0.sd.isFinite })
    }

    @Test func aDisconnectedPanelIsReportedNotSilentlyCorrected() {
        // Judges 1–2 score proposals 1–3; judges 3–4 proposals 4–6: no proposal in common.
        let reviews =
            [1, 2].flatMap { judge in (1...3).map { ScoredReview(judge: judge, proposal: $0, total: Double(3 + $0), criteria: [:]) } }
            + [3, 4].flatMap { judge in (4...6).map { ScoredReview(judge: judge, proposal: $0, total: Double($0), criteria: [:]) } }
        #expect(JudgeModel.fit(reviews).judgeGroups == 2)
        let ranking = Ranking.rank(reviews, method: .model, tieBreak: [])
        #expect(ranking.judgeGroups == 2)
        #expect(ranking.proposals.allSatisfy { $0.score.isFinite })
        #expect(Ranking.rank(reviews, method: .zscore, tieBreak: []).judgeGroups == 2)
    }

    @Test func topProbabilitiesAddUpToTheCutAndRankRangesHoldTheRank() {
        var generator = SplitMix(seed: 11)
        var reviews: [ScoredReview] = []
        for proposal in 1...60 {
            for offset in 0..<3 {
                let judge = (proposal * 5 + offset * 7) % 15 + 1
                let quality = Double(proposal % 10)
                reviews.append(
                    ScoredReview(judge: judge, proposal: proposal, total: min(10, max(1, quality + Double(generator.next() % 3))), criteria: [:]))
            }
        }
        let ranking = Ranking.rank(reviews, method: .model, tieBreak: [], cut: 20)
        let total = ranking.proposals.reduce(0) { $0 + $1.confidence!.topProbability }
        #expect(abs(total - 20) < 1e-6)
        for standing in ranking.proposals {
            let confidence = standing.confidence!
            #expect(confidence.ranks.contains(standing.rank), "\(standing.proposal): rank \(standing.rank) in \(confidence.ranks)")
            #expect(confidence.low <= standing.score && standing.score <= confidence.high)
        }
        #expect(ranking.proposals.first!.confidence!.topProbability > ranking.proposals.last!.confidence!.topProbability)
    }

    @Test func suggestionsAreTheProposalsUncertainAtTheCut() {
        var generator = SplitMix(seed: 5)
        var reviews: [ScoredReview] = []
        for proposal in 1...40 {
            for offset in 0..<3 {
                let judge = (proposal * 3 + offset * 7) % 10 + 1
                let total = min(10, max(1, Double(proposal % 8) + 2 + Double(generator.next() % 3) - 1))
                reviews.append(ScoredReview(judge: judge, proposal: proposal, total: total, criteria: [:]))
            }
        }
        let ranking = Ranking.rank(reviews, method: .model, tieBreak: [], cut: 10)
        let confidence = Dictionary(uniqueKeysWithValues: ranking.proposals.map { ($0.proposal, $0.confidence!) })
        #expect(!ranking.suggested.isEmpty)
        #expect(Set(ranking.suggested) == Set(ranking.proposals.filter { $0.confidence!.isUncertainAtCut }.map(\.proposal)))
        // The first is among the nearest to an even chance.
        let first = confidence[ranking.suggested[0]]!.topProbability
        #expect(abs(first - 0.5) < 0.3, "\(first)")
        #expect(Ranking.rank(reviews, method: .model, tieBreak: [], cut: 40).suggested.isEmpty, "everyone makes a cut of all")
        #expect(Ranking.rank(reviews, method: .raw, tieBreak: []).suggested.isEmpty)
    }
}
