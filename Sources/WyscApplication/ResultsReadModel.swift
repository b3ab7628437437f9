import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// Results as read from the stored scorecards: recomputed on every read, so reproducible.
extension Scoring {
    static func isPublished(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT results_published_at IS NOT NULL AS published FROM competition WHERE id = \(competition.id)").rows[0].decode(
            "published")
    }

    /// Ranks a round from its submitted scorecards of current assignments.
    static func results(
        round: JudgingRound, method: NormalizationMethod, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> ResultsReport {
        let rows = try connection.query(
            """
            SELECT s.judge_id, s.proposal_id, s.total::float8 AS total, s.scores::text AS scores, j.name AS judge, j.email,
                   t.name AS team, u.name AS university, p.title
            FROM scorecard s JOIN assignment a ON a.competition_id = s.competition_id AND a.round = s.round AND a.judge_id = s.judge_id AND a.proposal_id = s.proposal_id
            JOIN judge j ON j.id = s.judge_id JOIN proposal p ON p.id = s.proposal_id JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE s.competition_id = \(competition.id) AND s.round = \(round.id) AND s.submitted
            """
        ).rows
        var reviews: [ScoredReview] = []
        var judgeNames: [Int: (String, String)] = [:]
        var proposalInfo: [Int: (team: String, university: String, title: String)] = [:]
        for row in rows {
            let judge: Int = try row.decode("judge_id")
            let proposal: Int = try row.decode("proposal_id")
            let scores = try Scoring.storedScores(row)
            reviews.append(ScoredReview(judge: judge, proposal: proposal, total: try row.decode("total"), criteria: scores))
            judgeNames[judge] = (try row.decode("judge"), try row.decode("email"))
            proposalInfo[proposal] = (try row.decode("team"), try row.decode("university"), try row.decode("title"))
        }
        let ranking = Ranking.rank(
            reviews, method: method, tieBreak: competition.definition.rubric.tieBreak, cut: competition.definition.cut(of: round.id))
        let missing = try missing(round: round.id, competition: competition, on: connection).count
        return ResultsReport(
            round: round.id, method: method, cut: ranking.cut, judgeGroups: ranking.judgeGroups, published: false,
            lines: ranking.proposals.map { standing in
                let info = proposalInfo[standing.proposal]!
                let confidence = standing.confidence
                return ResultsReport.Line(
                    rank: standing.rank, proposal: standing.proposal, team: info.team, university: info.university, title: info.title,
                    score: standing.score, rawMean: standing.rawMean,
                    judgeTotals: standing.totals.map { ResultsReport.JudgeTotal(judge: judgeNames[$0.judge]!.0, total: $0.total) },
                    judges: standing.totals.count, spread: standing.spread, low: confidence?.low, high: confidence?.high,
                    topProbability: confidence?.topProbability, bestRank: confidence?.ranks.lowerBound, worstRank: confidence?.ranks.upperBound,
                    uncertain: confidence?.isUncertainAtCut ?? false)
            },
            judges: ranking.judges.map {
                ResultsReport.JudgeSummary(
                    judge: judgeNames[$0.judge]!.0, email: judgeNames[$0.judge]!.1, scorecards: $0.scorecards, mean: $0.mean, spread: $0.spread,
                    bias: $0.bias, scale: $0.scale)
            },
            suggested: ranking.suggested, missingScorecards: missing)
    }
}
