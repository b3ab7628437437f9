import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

/// The workflow actions of judging: compute_ranking, shortlist and publish_results.
extension Scoring {
    /// The compute_ranking action: stores the round's ranking as it stands.
    static func computeRanking(round id: String, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        let round = try Assignments.round(id, of: competition)
        let report = try results(round: round, method: .model, competition: competition, on: connection)
        guard !report.lines.isEmpty else { throw WyscError(.refused, "round '\(id)' has no submitted scorecards to rank") }
        try connection.query("DELETE FROM round_result WHERE competition_id = \(competition.id) AND round = \(id)")
        for line in report.lines {
            try connection.query(
                """
                INSERT INTO round_result (
                    competition_id, round, proposal_id, rank, score, raw_mean, judges, uncertain, method, top_probability, score_low, score_high, cut)
                VALUES (
                    \(competition.id), \(id), \(line.proposal), \(line.rank), \(line.score), \(line.rawMean), \(line.judges), \(line.uncertain),
                    \(report.method.rawValue), \(line.topProbability), \(line.low), \(line.high), \(report.cut))
                """)
        }
        let first = report.lines[0]
        try Audit.record(
            on: connection, actor: actor, action: "ranking.compute", subject: competition.subject, competitionID: competition.id,
            after: ["round": .string(id), "proposals": .integer(report.lines.count), "first": .string(first.team)])
        return
            "ranked \(report.lines.count) proposal(s) of round '\(id)' (judge model); first: \(first.team) (\(String(format: "%.2f", first.score)))"
    }

    /// The shortlist action: the top `size` of `from` (ties at the cut all go) move into `to`.
    static func shortlist(
        from: String, to: String, size: Int, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection
    ) throws -> String {
        var ranked = try connection.query(
            "SELECT proposal_id, rank FROM round_result WHERE competition_id = \(competition.id) AND round = \(from) ORDER BY rank, proposal_id"
        ).rows
        if ranked.isEmpty {
            _ = try computeRanking(round: from, competition: competition, actor: actor, on: connection)
            ranked = try connection.query(
                "SELECT proposal_id, rank FROM round_result WHERE competition_id = \(competition.id) AND round = \(from) ORDER BY rank, proposal_id"
            ).rows
        }
        let chosen = try ranked.filter { try $0.decode("rank", as: Int.self) <= size }
        try connection.query("DELETE FROM round_entry WHERE competition_id = \(competition.id) AND round = \(to)")
        for row in chosen {
            try connection.query(
                """
                INSERT INTO round_entry (competition_id, round, proposal_id, from_round, from_rank)
                VALUES (\(competition.id), \(to), \(try row.decode("proposal_id", as: Int.self)), \(from), \(try row.decode("rank", as: Int.self)))
                """)
        }
        try NotificationEvents.shortlistPublished(
            from: from, to: to, size: size, shortlisted: Set(try chosen.map { try $0.decode("proposal_id", as: Int.self) }),
            ranked: try ranked.map { try $0.decode("proposal_id", as: Int.self) }, competition: competition, on: connection)
        try Audit.record(
            on: connection, actor: actor, action: "shortlist", subject: competition.subject, competitionID: competition.id,
            after: ["from": .string(from), "to": .string(to), "size": .integer(size), "shortlisted": .integer(chosen.count)])
        let ties = chosen.count > size ? " (ties at the cut all go)" : ""
        return "shortlisted \(chosen.count) of \(ranked.count) proposal(s) of round '\(from)' for round '\(to)'\(ties)"
    }

    static func publish(_ competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> String {
        if try isPublished(competition, on: connection) { return "the results were already published" }
        // Publishing early would show every ranking computed afterwards (a screening round, the
        // finals in progress) to universities at once: only a final ranking is published.
        if let last = competition.definition.rounds.last,
            try connection.query("SELECT 1 FROM round_result WHERE competition_id = \(competition.id) AND round = \(last.id) LIMIT 1").rows.isEmpty
        {
            throw WyscError(
                .refused,
                "there is nothing to publish yet: the last round, '\(last.id)', has not been ranked (the workflow's compute_ranking action ranks it)")
        }
        try connection.query(
            "UPDATE competition SET results_published_at = now(), results_published_by = \(actor.description) WHERE id = \(competition.id)")
        try NotificationEvents.resultsPublished(competition, on: connection)
        try Audit.record(
            on: connection, actor: actor, action: "results.publish", subject: competition.subject, competitionID: competition.id,
            before: ["published": false], after: ["published": true])
        return "published the results: teams, universities and judges can see ranks now"
    }
}
