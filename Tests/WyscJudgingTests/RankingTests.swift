import Testing
import WyscJudging
import WyscWorkflow

@Suite struct RankingTests {
    /// Two judges: A is harsh (scores 4, 5, 6), B lenient (8, 9, 7) on proposals 1, 2, 3.
    ///
    /// By hand: A's mean 5, spread √(2/3) ≈ 0.8165; B's mean 8, spread 0.8165.
    /// z: P1 (A −1.2247, B 0) → −0.6124; P2 (A 0, B 1.2247) → 0.6124; P3 (A 1.2247, B −1.2247) → 0.
    /// Round: totals 4 5 6 8 9 7, mean 6.5, spread √(17.5/6) ≈ 1.7078.
    /// Normalized: P1 6.5 − 1.0458 = 5.4542; P2 7.5458; P3 6.5. Raw means: P1 6, P2 7, P3 6.5.
    let reviews = [
        ScoredReview(judge: 1, proposal: 1, total: 4, criteria: ["idea": 4]),
        ScoredReview(judge: 1, proposal: 2, total: 5, criteria: ["idea": 5]),
        ScoredReview(judge: 1, proposal: 3, total: 6, criteria: ["idea": 6]),
        ScoredReview(judge: 2, proposal: 1, total: 8, criteria: ["idea": 8]),
        ScoredReview(judge: 2, proposal: 2, total: 9, criteria: ["idea": 9]),
        ScoredReview(judge: 2, proposal: 3, total: 7, criteria: ["idea": 7]),
    ]

    @Test func zScoresMatchTheHandComputedExample() {
        let ranking = Ranking.rank(reviews, method: .zscore, tieBreak: [])
        #expect(ranking.proposals.map(\.proposal) == [2, 3, 1])
        #expect(ranking.proposals.map(\.rank) == [1, 2, 3])
        let scores = Dictionary(uniqueKeysWithValues: ranking.proposals.map { ($0.proposal, $0.score) })
        #expect(abs(scores[1]! - 5.4542) < 0.0001)
        #expect(abs(scores[2]! - 7.5458) < 0.0001)
        #expect(abs(scores[3]! - 6.5) < 0.0001)
        #expect(ranking.proposals.first { $0.proposal == 3 }?.rawMean == 6.5)
        #expect(ranking.judges.map(\.mean) == [5, 8])
        #expect(abs(ranking.judges[0].spread - 0.8165) < 0.0001)
    }

    @Test func aHarshJudgeDoesNotSinkATeamUnderZScoresButDoesUnderRawMeans() {
        // P4 is reviewed only by the harsh judge, who thinks it is their best (6.5); P5 only by the
        // lenient one, who thinks it is their worst (7.5).
        let extra =
            reviews + [
                ScoredReview(judge: 1, proposal: 4, total: 6.5, criteria: [:]),
                ScoredReview(judge: 2, proposal: 5, total: 6.5, criteria: [:]),
            ]
        let raw = Ranking.rank(extra, method: .raw, tieBreak: [])
        let normalized = Ranking.rank(extra, method: .zscore, tieBreak: [])
        func rank(_ ranking: RoundRanking, _ proposal: Int) -> Int { ranking.proposals.first { $0.proposal == proposal }!.rank }
        #expect(rank(raw, 4) == rank(raw, 5), "raw means see the same 6.5")
        #expect(rank(normalized, 4) < rank(normalized, 5), "the harsh judge's best beats the lenient judge's worst")
    }

    @Test func tiesAreBrokenByCriteriaThenRawMeanThenShared() {
        let tied = [
            ScoredReview(judge: 1, proposal: 1, total: 7, criteria: ["idea": 6, "plan": 8]),
            ScoredReview(judge: 1, proposal: 2, total: 7, criteria: ["idea": 8, "plan": 6]),
            ScoredReview(judge: 1, proposal: 3, total: 7, criteria: ["idea": 8, "plan": 6]),
            ScoredReview(judge: 1, proposal: 4, total: 5, criteria: ["idea": 5, "plan": 5]),
        ]
        let ranking = Ranking.rank(tied, method: .raw, tieBreak: ["idea"])
        #expect(ranking.proposals.map(\.proposal) == [2, 3, 1, 4])
        #expect(ranking.proposals.map(\.rank) == [1, 1, 3, 4])
        let byPlan = Ranking.rank(tied, method: .raw, tieBreak: ["plan"])
        #expect(byPlan.proposals.map(\.proposal) == [1, 2, 3, 4])
        #expect(byPlan.proposals.map(\.rank) == [1, 2, 2, 4])
    }

    @Test func theSameScorecardsGiveTheSameResultWhateverTheirOrder() {
        let first = Ranking.rank(reviews, method: .zscore, tieBreak: [])
        #expect(Ranking.rank(reviews.reversed(), method: .zscore, tieBreak: []) == first)
    }
}
