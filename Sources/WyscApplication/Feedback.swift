import Foundation
import WyscPostgres
import WyscWorkflow

/// What a team hears from the judges of a round that sends feedback: each judge's feedback,
/// unsigned ("Judge A", "Judge B"), and its criterion averages against the round's.
public struct TeamFeedback: Sendable, Hashable, Codable {
    public struct Review: Sendable, Hashable, Codable {
        /// "Judge A", "Judge B", …: the same judge keeps a letter within one team's feedback only.
        public var judge: String
        public var total: Double
        public var feedback: String
    }

    public struct CriterionAverage: Sendable, Hashable, Codable {
        public var criterion: String
        public var title: String
        public var team: Double
        public var round: Double
    }

    public var team: String
    public var university: String
    /// The team's contact (its leader's email); organizers only, for mailing the feedback out.
    public var contact: String?
    public var round: String
    public var proposal: Int
    public var reviews: [Review]
    public var criteria: [CriterionAverage]
}

extension Application {
    /// The judges' feedback to teams in rounds with `feedback_to_teams`. Organizers read it at any
    /// time (to check it, to mail it out); a university only its own teams', once results are published.
    public func teamFeedback(team: String? = nil, competition slug: String, as actor: Actor) async throws -> [TeamFeedback] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            var universityID: Int?
            switch actor {
            case .organizer, .system: break
            case .university(let own):
                guard try Scoring.isPublished(competition, on: connection) else {
                    throw WyscError(.permissionDenied, "the judges' feedback is shown once the results of '\(slug)' are published")
                }
                universityID = own
            case .judge: throw WyscError(.permissionDenied, "judges do not read other judges' feedback")
            }
            let rounds = competition.definition.rounds.filter(\.feedbackToTeams)
            guard !rounds.isEmpty else {
                throw WyscError(.notFound, "no round of '\(slug)' sends feedback to teams (a round's feedback_to_teams)")
            }
            let criteria = competition.definition.rubric.criteria
            var result: [TeamFeedback] = []
            for round in rounds {
                let rows = try connection.query(
                    """
                    SELECT p.id AS proposal, t.name AS team, u.name AS university, s.judge_id, s.total::float8 AS total, s.feedback,
                           s.scores::text AS scores,
                           (SELECT m.email FROM team_member m WHERE m.team_id = t.id ORDER BY m.role <> 'leader', m.id LIMIT 1) AS contact
                    FROM scorecard s JOIN proposal p ON p.id = s.proposal_id JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
                    WHERE s.competition_id = \(competition.id) AND s.round = \(round.id) AND s.submitted
                      AND (\(team)::text IS NULL OR lower(t.name) = lower(\(team)))
                      AND (\(universityID)::bigint IS NULL OR t.university_id = \(universityID))
                    ORDER BY t.name, p.id, s.judge_id
                    """
                ).rows
                let roundAverages = try Self.criterionAverages(
                    round: round.id, competition: competition, criteria: criteria.map(\.id), on: connection)
                var byProposal: [(proposal: Int, rows: [PostgresRow])] = []
                for row in rows {
                    let proposal: Int = try row.decode("proposal")
                    if byProposal.last?.proposal == proposal {
                        byProposal[byProposal.count - 1].rows.append(row)
                    } else {
                        byProposal.append((proposal, [row]))
                    }
                }
                for (proposal, cards) in byProposal {
                    let first = cards[0]
                    let scores = try cards.map(Scoring.storedScores)
                    result.append(
                        TeamFeedback(
                            team: try first.decode("team"), university: try first.decode("university"),
                            contact: actor.isOrganizer ? try first.decode("contact") : nil, round: round.id, proposal: proposal,
                            reviews: try cards.enumerated().map { index, card in
                                TeamFeedback.Review(
                                    judge: Self.judgeLabel(index), total: try card.decode("total"), feedback: try card.decode("feedback"))
                            },
                            criteria: criteria.map { criterion in
                                let values = scores.compactMap { $0[criterion.id] }
                                return TeamFeedback.CriterionAverage(
                                    criterion: criterion.id, title: criterion.title,
                                    team: values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count), round: roundAverages[criterion.id] ?? 0)
                            }))
                }
            }
            if let team, result.isEmpty {
                throw WyscError(.notFound, "there is no feedback for team '\(team)'" + (universityID != nil ? " among your university's teams" : ""))
            }
            return result
        }
    }

    /// "Judge A" … "Judge Z", then "Judge 27", …
    static func judgeLabel(_ index: Int) -> String {
        index < 26 ? "Judge \(Character(UnicodeScalar(UInt8(65 + index))))" : "Judge \(index + 1)"
    }

    /// Each criterion's mean over every submitted scorecard of the round.
    static func criterionAverages(
        round: String, competition: CompetitionRecord, criteria: [String], on connection: PostgresConnection
    ) throws -> [String: Double] {
        var averages: [String: Double] = [:]
        for row in try connection.query(
            """
            SELECT key, avg(value::text::float8) AS mean FROM scorecard s, jsonb_each(s.scores)
            WHERE s.competition_id = \(competition.id) AND s.round = \(round) AND s.submitted GROUP BY key
            """
        ).rows {
            averages[try row.decode("key")] = try row.decode("mean")
        }
        return averages.filter { criteria.contains($0.key) }
    }
}
