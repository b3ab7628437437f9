import Foundation
import WyscPostgres
import WyscWorkflow

/// The final ranking as anyone may see it, when the workflow makes it public: nothing but rank,
/// team, university, city and score.
public struct PublicResults: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public var rank: Int
        public var team: String
        public var university: String
        public var city: String
        public var score: Double
    }

    public var competition: String
    public var title: String
    public var round: String
    public var publishedAt: Date
    public var lines: [Line]
}

extension Application {
    /// Anyone may ask; the answer is "not found" unless the workflow says `results: {public: true}`
    /// and the results are published, so nothing tells an outsider more than that.
    public func publicResults(competition slug: String) async throws -> PublicResults {
        try await transaction { connection in
            let notPublic = WyscError(.notFound, "competition '\(slug)' has no public results")
            guard let competition = try? Competitions.find(slug, on: connection), competition.definition.publicResults,
                let last = competition.definition.rounds.last,
                let published = try connection.query("SELECT results_published_at FROM competition WHERE id = \(competition.id)").rows[0]
                    .decode("results_published_at", as: Date?.self)
            else { throw notPublic }
            let lines = try connection.query(
                """
                SELECT r.rank, t.name AS team, u.name AS university, u.city, r.score::float8 AS score
                FROM round_result r JOIN proposal p ON p.id = r.proposal_id JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
                WHERE r.competition_id = \(competition.id) AND r.round = \(last.id) ORDER BY r.rank, t.name
                """
            ).rows.map {
                PublicResults.Line(
                    rank: try $0.decode("rank"), team: try $0.decode("team"), university: try $0.decode("university"), city: try $0.decode("city"),
                    score: try $0.decode("score"))
            }
            return PublicResults(competition: competition.slug, title: competition.title, round: last.title, publishedAt: published, lines: lines)
        }
    }
}
