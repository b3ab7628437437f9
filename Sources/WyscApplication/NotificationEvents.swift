import Foundation
import WyscPostgres
import WyscWorkflow

/// The writers of each notification event: each reads what its message needs, in the transaction
/// of the change it reports, and writes to the outbox.
enum NotificationEvents {
    /// When a round's scorecards are due: the deadline of the phase it is scored in.
    static func deadline(of round: JudgingRound, _ competition: CompetitionRecord) -> Date? {
        competition.definition.phase(round.phase)?.deadline
    }

    /// Judges who gained proposals in a round hear of their whole queue (`newPairs`: judge id → proposals gained).
    static func judgesAssigned(
        round: JudgingRound, newPairs: [Int: Int], competition: CompetitionRecord, on connection: PostgresConnection
    ) throws {
        guard !newPairs.isEmpty else { return }
        let queues = try queues(round: round, judges: Array(newPairs.keys), missingOnly: false, competition: competition, on: connection)
        let deadline = deadline(of: round, competition)?.rfc3339
        let mails = queues.map { judge in
            OutgoingMail(
                to: judge.address,
                values: [
                    "round": round.id, "round_title": round.title, "count": judge.proposals.count,
                    "new_count": newPairs[judge.id].flatMap { $0 > 0 && $0 < judge.proposals.count ? $0 : nil },
                    "proposals": judge.proposals, "deadline": deadline, "email": judge.address.email,
                ])
        }
        try Outbox.write(.judgeAssigned, mails, competition: competition, on: connection)
    }

    /// Judges with missing scorecards in `round`. `leadHours` makes it the scheduler's reminder,
    /// once per judge and lead time; without it, an organizer's nudge, sent every time it is asked.
    @discardableResult
    static func reminders(
        round: JudgingRound, leadHours: Int?, now: Date, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> Int {
        let queues = try queues(round: round, judges: nil, missingOnly: true, competition: competition, on: connection)
        let deadline = deadline(of: round, competition)
        let hours = deadline.map { max(0, Int(($0.timeIntervalSince(now) / 3600).rounded())) }
        let mails = queues.map { judge in
            OutgoingMail(
                to: judge.address,
                values: [
                    "round": round.id, "round_title": round.title, "missing": judge.proposals.count, "proposals": judge.proposals,
                    "deadline": deadline?.rfc3339, "hours": hours, "email": judge.address.email,
                ],
                onceKey: leadHours.map { "reminder:\(round.id):\($0)h" })
        }
        return try Outbox.write(.reminder, mails, competition: competition, on: connection)
    }

    struct JudgeQueue {
        var id: Int
        var address: MailAddress
        var proposals: [[String: Any]]
    }

    /// Each judge's proposals in a round (all, or those still missing a submitted scorecard), in order.
    static func queues(
        round: JudgingRound, judges: [Int]?, missingOnly: Bool, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> [JudgeQueue] {
        var result: [JudgeQueue] = []
        for row in try connection.query(
            """
            SELECT j.id, j.name, j.email, a.proposal_id, p.title
            FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
            LEFT JOIN scorecard s ON s.competition_id = a.competition_id AND s.round = a.round AND s.judge_id = a.judge_id AND s.proposal_id = a.proposal_id
            WHERE a.competition_id = \(competition.id) AND a.round = \(round.id) AND j.withdrawn_at IS NULL
              AND (\(judges)::bigint[] IS NULL OR j.id = ANY(\(judges)::bigint[]))
              AND (NOT \(missingOnly) OR NOT coalesce(s.submitted, false))
            ORDER BY j.id, a.proposal_id
            """
        ).rows {
            let id: Int = try row.decode("id")
            let proposal: [String: Any] = ["number": try row.decode("proposal_id", as: Int.self), "title": try row.decode("title", as: String.self)]
            if result.last?.id == id {
                result[result.count - 1].proposals.append(proposal)
            } else {
                result.append(
                    JudgeQueue(id: id, address: MailAddress(name: try row.decode("name"), email: try row.decode("email")), proposals: [proposal]))
            }
        }
        return result
    }

    /// A judge declared a conflict: the organizers hear of it, with the command that mends the assignment.
    static func conflictDeclared(
        judge: Judges.Reference, team: String, teamID: Int, reason: String, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws {
        let judgeName: String = try connection.query("SELECT name FROM judge WHERE id = \(judge.id)").rows[0].decode("name")
        let assignedRound: String? = try connection.query(
            """
            SELECT a.round FROM assignment a JOIN proposal p ON p.id = a.proposal_id
            WHERE a.judge_id = \(judge.id) AND p.team_id = \(teamID) ORDER BY a.assigned_at DESC LIMIT 1
            """
        ).singleRow()?.decode("round")
        _ = try Outbox.toOrganizers(
            .conflictDeclared,
            values: [
                "judge": judgeName, "judge_email": judge.email, "team": team, "reason": reason, "assigned": assignedRound != nil,
                "round": assignedRound,
            ], competition: competition, on: connection)
    }

    /// Each team's contact hears whether the team may submit, and why.
    static func eligibilityDecided(_ competition: CompetitionRecord, on connection: PostgresConnection) throws {
        let contacts = try Outbox.teamContacts(competition, on: connection)
        let byName = Dictionary(contacts.values.map { ($0.team, $0.contact) }, uniquingKeysWith: { first, _ in first })
        var mails: [OutgoingMail] = []
        for decision in try EligibilityDecisions.list(competition, team: nil, universityID: nil, on: connection) {
            guard let contact = byName[decision.team], let eligible = decision.eligible else { continue }
            var reasons = decision.reasons
            if let override = decision.override { reasons.append("decided by the organizers: \(override.reason)") }
            mails.append(
                OutgoingMail(
                    to: contact,
                    values: [
                        "team": decision.team, "eligible": eligible, "has_reasons": !reasons.isEmpty,
                        "reasons": reasons.map { ["text": $0] },
                    ]))
        }
        try Outbox.write(.eligibilityDecided, mails, competition: competition, on: connection)
    }

    /// The receipt of a proposal version, with each file's SHA-256, to the team's contact.
    static func proposalReceived(proposal: Int, teamID: Int, competition: CompetitionRecord, on connection: PostgresConnection) throws {
        guard let contact = try Outbox.teamContacts(competition, teamIDs: [teamID], on: connection)[teamID],
            let row = try connection.query("SELECT version, title, submitted_at FROM proposal WHERE id = \(proposal)").singleRow()
        else { return }
        let version: Int = try row.decode("version")
        let files: [[String: Any]] = try connection.query(
            """
            SELECT f.name, f.sha256, d.size FROM proposal_file f JOIN document d ON d.sha256 = f.sha256
            WHERE f.proposal_id = \(proposal) AND f.version = \(version) ORDER BY f.number
            """
        ).rows.map {
            [
                "name": try $0.decode("name", as: String.self), "sha256": hexadecimal(try $0.decode("sha256", as: Data.self)),
                "size": byteCountText(try $0.decode("size", as: Int.self)),
            ]
        }
        try Outbox.write(
            .proposalReceived,
            [
                OutgoingMail(
                    to: contact.contact,
                    values: [
                        "team": contact.team, "number": proposal, "version": version, "title": try row.decode("title", as: String.self),
                        "submitted_at": try row.decode("submitted_at", as: Date.self).rfc3339, "files": files, "has_files": !files.isEmpty,
                    ])
            ], competition: competition, on: connection)
    }

    /// Every team ranked in `from` hears whether it goes on to `to`.
    static func shortlistPublished(
        from: String, to: String, size: Int, shortlisted: Set<Int>, ranked: [Int], competition: CompetitionRecord, on connection: PostgresConnection
    ) throws {
        let teams = try connection.query("SELECT id, team_id FROM proposal WHERE id = ANY(\(ranked))").rows.map {
            (proposal: try $0.decode("id", as: Int.self), team: try $0.decode("team_id", as: Int.self))
        }
        let contacts = try Outbox.teamContacts(competition, teamIDs: teams.map(\.team), on: connection)
        let title = { (id: String) in competition.definition.rounds.first { $0.id == id }?.title ?? id }
        let mails = teams.sorted { $0.proposal < $1.proposal }.compactMap { entry -> OutgoingMail? in
            guard let contact = contacts[entry.team] else { return nil }
            return OutgoingMail(
                to: contact.contact,
                values: [
                    "team": contact.team, "shortlisted": shortlisted.contains(entry.proposal), "size": size, "from_round": title(from),
                    "to_round": title(to),
                ])
        }
        try Outbox.write(.shortlistPublished, mails, competition: competition, on: connection)
    }

    /// Every team with a proposal hears its rank and, where a round shares it, the judges' feedback.
    static func resultsPublished(_ competition: CompetitionRecord, on connection: PostgresConnection) throws {
        let rounds = competition.definition.rounds
        guard let last = rounds.last else { return }
        let feedbackRounds = rounds.filter(\.feedbackToTeams).map(\.id)
        let title = { (id: String) in rounds.first { $0.id == id }?.title ?? id }
        var feedback: [Int: [[String: Any]]] = [:]
        for row in try connection.query(
            """
            SELECT p.team_id, s.round, s.feedback FROM scorecard s JOIN proposal p ON p.id = s.proposal_id
            WHERE s.competition_id = \(competition.id) AND s.submitted AND s.round = ANY(\(feedbackRounds)) AND btrim(s.feedback) <> ''
            ORDER BY p.team_id, s.round, s.judge_id
            """
        ).rows {
            feedback[try row.decode("team_id"), default: []].append([
                "round": title(try row.decode("round")), "text": try row.decode("feedback", as: String.self),
            ])
        }
        let rows = try connection.query(
            """
            SELECT p.team_id,
                   (SELECT rank FROM round_result r WHERE r.proposal_id = p.id AND r.round = \(last.id)) AS rank,
                   (SELECT count(*) FROM round_result r WHERE r.competition_id = p.competition_id AND r.round = \(last.id)) AS ranked,
                   (SELECT r.rank FROM round_result r WHERE r.proposal_id = p.id AND r.round = \(rounds[0].id)) AS first_rank
            FROM proposal p WHERE p.competition_id = \(competition.id) ORDER BY p.id
            """
        ).rows
        let contacts = try Outbox.teamContacts(competition, on: connection)
        var mails: [OutgoingMail] = []
        for row in rows {
            let teamID: Int = try row.decode("team_id")
            guard let contact = contacts[teamID] else { continue }
            let rank: Int? = try row.decode("rank")
            let firstRank: Int? = try row.decode("first_rank")
            let notes = feedback[teamID] ?? []
            mails.append(
                OutgoingMail(
                    to: contact.contact,
                    values: [
                        "team": contact.team, "rank": rank, "ranked": try row.decode("ranked", as: Int.self), "round_title": last.title,
                        "screening_rank": rounds.count > 1 ? firstRank : nil, "screening_round": rounds[0].title,
                        "has_feedback": !notes.isEmpty, "feedback": notes,
                    ]))
        }
        try Outbox.write(.resultsPublished, mails, competition: competition, on: connection)
    }
}
