import Foundation
import WyscPostgres
import WyscWorkflow

/// A notification as organizers list it.
public struct NotificationSummary: Sendable, Hashable, Codable {
    public var id: Int
    public var event: String
    public var recipient: String
    public var subject: String
    /// pending, sent or failed.
    public var status: String
    public var attempts: Int
    public var createdAt: Date
    public var sentAt: Date?
    public var nextAttemptAt: Date?
    public var lastError: String?
}

/// An organizer who is told what concerns organizers (conflicts, blocked phases).
public struct OrganizerContact: Sendable, Hashable, Codable {
    public var name: String
    public var email: String
    /// workflow (named in its notifications section) or added (by `wysc organizer add`).
    public var source: String
}

extension Application {
    // MARK: Organizers

    public func addOrganizer(name: String, email: String, competition slug: String, as actor: Actor) async throws {
        try actor.requireOrganizer("add organizers")
        let problems = TextField.problems([("the name", name, .name), ("the email", email, .email)])
        if let problem = problems.first { throw WyscError(.badInput, problem) }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw WyscError(.badInput, "an organizer needs a name") }
        guard MailAddress.isAddress(email) else { throw WyscError(.badInput, "\(quoted(email)) is not an email address such as ana@example.org") }
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let inserted = try connection.query(
                """
                INSERT INTO organizer (competition_id, name, email, added_by) VALUES (\(competition.id), \(name), \(email), \(actor.description))
                ON CONFLICT DO NOTHING
                """
            ).affectedRows
            guard inserted == 1 else { throw WyscError(.conflict, "\(email) is already an organizer of '\(slug)'") }
            try Audit.record(
                on: connection, actor: actor, action: "organizer.add", subject: "organizer:\(email)", competitionID: competition.id,
                after: ["name": .string(name), "email": .string(email)])
        }
    }

    public func removeOrganizer(email: String, competition slug: String, as actor: Actor) async throws {
        try actor.requireOrganizer("remove organizers")
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            guard
                let removed = try connection.query(
                    "DELETE FROM organizer WHERE competition_id = \(competition.id) AND lower(email) = lower(\(email)) RETURNING name, email"
                ).singleRow()
            else {
                let named = competition.definition.notifications.organizers.contains { $0.email.lowercased() == email.lowercased() }
                throw WyscError(
                    .notFound,
                    named
                        ? "\(email) is named in the workflow's notifications section; it stays an organizer of '\(slug)'"
                        : "\(email) is not an organizer of '\(slug)'")
            }
            try Audit.record(
                on: connection, actor: actor, action: "organizer.remove", subject: "organizer:\(email)", competitionID: competition.id,
                before: ["name": .string(try removed.decode("name")), "email": .string(try removed.decode("email"))])
        }
    }

    public func organizers(competition slug: String, as actor: Actor) async throws -> [OrganizerContact] {
        try actor.requireOrganizer("list organizers")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let named = Set(competition.definition.notifications.organizers.map { $0.email.lowercased() })
            return try Outbox.organizers(competition, on: connection).map {
                OrganizerContact(name: $0.name ?? "", email: $0.email, source: named.contains($0.email.lowercased()) ? "workflow" : "added")
            }
        }
    }

    // MARK: The outbox, for organizers

    public func notifications(
        competition slug: String, status: String?, event: NotificationEvent?, limit: Int = 1_000, as actor: Actor
    ) async throws -> [NotificationSummary] {
        try actor.requireOrganizer("read notifications")
        if let status, !["pending", "sent", "failed"].contains(status) {
            throw WyscError(.badInput, "a notification's status is pending, sent or failed, not \(quoted(status))")
        }
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            return try connection.query(
                """
                SELECT id, event, recipient_name, recipient_email, subject, status, attempts, created_at, sent_at, next_attempt_at, last_error
                FROM notification WHERE competition_id = \(competition.id)
                  AND (\(status)::text IS NULL OR status = \(status)) AND (\(event?.rawValue)::text IS NULL OR event = \(event?.rawValue))
                ORDER BY id LIMIT \(limit)
                """
            ).rows.map(Self.notificationSummary)
        }
    }

    static func notificationSummary(_ row: PostgresRow) throws -> NotificationSummary {
        let name: String = try row.decode("recipient_name")
        let email: String = try row.decode("recipient_email")
        return NotificationSummary(
            id: try row.decode("id"), event: try row.decode("event"),
            recipient: MailAddress(name: name.isEmpty ? nil : name, email: email).description,
            subject: try row.decode("subject"), status: try row.decode("status"), attempts: try row.decode("attempts"),
            createdAt: try row.decode("created_at"), sentAt: try row.decode("sent_at"), nextAttemptAt: try row.decode("next_attempt_at"),
            lastError: try row.decode("last_error"))
    }

    /// The whole message of notification `id`, as it will be (or was) handed to the mail transfer agent.
    public func notificationMessage(id: Int, competition slug: String, as actor: Actor) async throws -> (NotificationSummary, MailMessage) {
        try actor.requireOrganizer("read notifications")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            guard
                let row = try connection.query(
                    "SELECT n.*, c.slug FROM notification n JOIN competition c ON c.id = n.competition_id WHERE n.id = \(id) AND n.competition_id = \(competition.id)"
                ).singleRow()
            else { throw WyscError(.notFound, "there is no notification #\(id) in '\(slug)'") }
            return (try Self.notificationSummary(row), try MailDelivery.message(row))
        }
    }

    /// Renders `event` for one recipient with example values, writing nothing: to read a template
    /// (the workflow's or wysc's) before it is sent to anyone.
    public func previewNotification(
        _ event: NotificationEvent, to recipient: String, competition slug: String, as actor: Actor
    ) async throws
        -> MailMessage
    {
        try actor.requireOrganizer("preview notifications")
        guard let address = MailAddress(parsing: recipient) else {
            throw WyscError(.badInput, "the recipient must be a mail address such as 'Ana Kim <ana@example.org>', not \(quoted(recipient))")
        }
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            var values = NotificationExamples.values(for: event, competition: competition)
            values["competition"] = competition.title
            values["slug"] = competition.slug
            values["recipient"] = address.name ?? address.email
            let rendered = MailTemplates.render(event, settings: competition.definition.notifications, values: values)
            let settings = competition.definition.notifications
            return MailMessage(
                from: settings.sender, to: address, replyTo: settings.replyTo, subject: rendered.subject, text: rendered.text, html: rendered.html,
                messageID: "wysc-preview.\(competition.slug)@\(MailDelivery.domain(of: settings.sender))", date: now,
                extraHeaders: [("X-Wysc-Event", event.rawValue)])
        }
    }

    /// Makes a failed (or waiting) notification due again now. Audited.
    public func retryNotification(id: Int, competition slug: String, as actor: Actor) async throws {
        try actor.requireOrganizer("retry notifications")
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            guard
                let row = try connection.query(
                    "SELECT status, attempts FROM notification WHERE id = \(id) AND competition_id = \(competition.id) FOR UPDATE"
                ).singleRow()
            else { throw WyscError(.notFound, "there is no notification #\(id) in '\(slug)'") }
            let status: String = try row.decode("status")
            guard status != "sent" else {
                throw WyscError(.refused, "notification #\(id) was already sent; sending it again would give its recipient two copies")
            }
            try connection.query(
                "UPDATE notification SET status = 'pending', attempts = 0, next_attempt_at = NULL WHERE id = \(id)")
            try Audit.record(
                on: connection, actor: actor, action: "notification.retry", subject: "notification:\(id)", competitionID: competition.id,
                before: ["status": .string(status), "attempts": .integer(try row.decode("attempts"))], after: ["status": "pending"])
        }
    }

    /// Reminds judges with missing scorecards in a round now (an organizer's nudge; the scheduler's
    /// reminders go out by themselves before the deadline). Returns how many judges were written to.
    public func remindJudges(round: String?, competition slug: String, as actor: Actor) async throws -> Int {
        try actor.requireOrganizer("remind judges")
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let rules = try Assignments.round(round, of: competition)
            guard competition.definition.notifications.isOn(.reminder) else {
                throw WyscError(.refused, "the workflow of '\(slug)' turns reminders off (notifications.events.reminder)")
            }
            let written = try NotificationEvents.reminders(round: rules, leadHours: nil, now: now, competition: competition, on: connection)
            try Audit.record(
                on: connection, actor: actor, action: "notification.remind", subject: competition.subject, competitionID: competition.id,
                after: ["round": .string(rules.id), "judges": .integer(written)])
            return written
        }
    }
}

/// Values that make every template readable in a preview.
enum NotificationExamples {
    static func values(for event: NotificationEvent, competition: CompetitionRecord) -> [String: Any] {
        let round = competition.definition.rounds.first
        let proposals: [[String: Any]] = [["number": 17, "title": "Sensors for safer school routes"], ["number": 42, "title": "한강 수질 모니터링"]]
        switch event {
        case .judgeAssigned:
            return [
                "round": round?.id ?? "screening", "round_title": round?.title ?? "Screening", "count": 2, "proposals": proposals,
                "deadline": "2026-07-15T23:59:00Z", "email": "judge@example.org",
            ]
        case .reminder:
            return [
                "round": round?.id ?? "screening", "round_title": round?.title ?? "Screening", "missing": 2, "proposals": proposals,
                "deadline": "2026-07-15T23:59:00Z", "hours": 24, "email": "judge@example.org",
            ]
        case .conflictDeclared:
            return [
                "judge": "Dr. Amina Yusuf", "judge_email": "amina@example.org", "team": "Han River Movers", "reason": "supervised the team leader",
                "assigned": true, "round": round?.id ?? "screening",
            ]
        case .eligibilityDecided:
            return [
                "team": "Han River Movers", "eligible": false, "has_reasons": true, "reasons": [["text": "박지민 attended 3 of 6 lectures; 4 needed"]],
            ]
        case .proposalReceived:
            return [
                "team": "Han River Movers", "number": 17, "version": 2, "title": "Sensors for safer school routes",
                "submitted_at": "2026-05-30T10:00:00Z",
                "has_files": true,
                "files": [["name": "plan.pdf", "size": "1.2 MB", "sha256": String(repeating: "ab", count: 32)]],
            ]
        case .shortlistPublished:
            return ["team": "Han River Movers", "shortlisted": true, "size": 20, "from_round": "Screening", "to_round": "Finals"]
        case .resultsPublished:
            return [
                "team": "Han River Movers", "rank": 3, "ranked": 20, "round_title": "Finals", "has_feedback": true,
                "feedback": [["round": "Screening", "text": "A clear plan; show the pilot's cost."]],
            ]
        case .phaseBlocked:
            return [
                "phase": competition.phase, "phase_title": competition.currentPhase.title, "to": "next", "deadline": "2026-07-15T23:59:00Z",
                "failures": [["text": "3 scorecard(s) of round 'screening' missing"]],
            ]
        case .deadlinePassed:
            return ["phase": competition.phase, "phase_title": competition.currentPhase.title, "deadline": "2026-07-15T23:59:00Z", "next": "next"]
        }
    }
}
