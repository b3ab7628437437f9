import Foundation
import WyscPostgres
import WyscWorkflow

/// One message to write to the outbox: to whom, what its template is given, and, for what must be
/// said once, the key that makes a second writing a no-op.
struct OutgoingMail {
    var to: MailAddress
    /// What the template is given; nil values are left out, so `{{#deadline}}` sections skip them.
    var values: [String: Any]
    var onceKey: String?

    init(to: MailAddress, values: [String: Any?], onceKey: String? = nil) {
        self.to = to
        self.values = values.compactMapValues { $0 }
        self.onceKey = onceKey
    }
}

/// The transactional outbox: event writers call `write` in the transaction of the change they
/// report, so a message exists exactly when its change does.
enum Outbox {
    /// Renders and stores `mails` for `event`, unless the workflow turned the event off. Returns how
    /// many were written (a once-only message already written is skipped).
    @discardableResult
    static func write(
        _ event: NotificationEvent, _ mails: [OutgoingMail], competition: CompetitionRecord, on connection: PostgresConnection
    ) throws
        -> Int
    {
        let settings = competition.definition.notifications
        guard settings.isOn(event), !mails.isEmpty else { return 0 }
        var names: [String] = []
        var emails: [String] = []
        var onceKeys: [String] = []
        var subjects: [String] = []
        var texts: [String] = []
        var htmls: [String] = []
        for mail in mails {
            var values = mail.values
            values["competition"] = competition.title
            values["slug"] = competition.slug
            values["recipient"] = mail.to.name ?? mail.to.email
            let rendered = MailTemplates.render(event, settings: settings, values: values)
            names.append(mail.to.name ?? "")
            emails.append(mail.to.email)
            onceKeys.append(mail.onceKey ?? "")
            subjects.append(String(rendered.subject.prefix(TextField.title.maxCharacters)))
            texts.append(rendered.text)
            htmls.append(rendered.html ?? "")
        }
        return try connection.query(
            """
            INSERT INTO notification (competition_id, event, once_key, recipient_name, recipient_email, sender, reply_to, subject, text_body, html_body)
            SELECT \(competition.id), \(event.rawValue), NULLIF(m.once_key, ''), m.name, m.email, \(settings.sender.description),
                   \(settings.replyTo?.description), m.subject, m.text, NULLIF(m.html, '')
            FROM unnest(\(names)::text[], \(emails)::text[], \(onceKeys)::text[], \(subjects)::text[], \(texts)::text[], \(htmls)::text[])
                 AS m(name, email, once_key, subject, text, html)
            ON CONFLICT DO NOTHING
            """
        ).affectedRows
    }

    /// The competition's organizers: those the workflow names, then those added with `wysc organizer add`.
    static func organizers(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> [MailAddress] {
        var seen = Set<String>()
        var result: [MailAddress] = []
        let added = try connection.query("SELECT name, email FROM organizer WHERE competition_id = \(competition.id) ORDER BY id").rows.map {
            MailAddress(name: try $0.decode("name"), email: try $0.decode("email"))
        }
        for address in competition.definition.notifications.organizers + added where seen.insert(address.email.lowercased()).inserted {
            result.append(address)
        }
        return result
    }

    /// The same message to every organizer.
    static func toOrganizers(
        _ event: NotificationEvent, values: [String: Any?], onceKey: String? = nil, competition: CompetitionRecord, on connection: PostgresConnection
    ) throws -> Int {
        let mails = try organizers(competition, on: connection).map { OutgoingMail(to: $0, values: values, onceKey: onceKey) }
        return try write(event, mails, competition: competition, on: connection)
    }

    /// Each team's contact: its leader, or its first member.
    static func teamContacts(
        _ competition: CompetitionRecord, teamIDs: [Int]? = nil, on connection: PostgresConnection
    ) throws -> [Int: (
        team: String, contact: MailAddress
    )] {
        var contacts: [Int: (team: String, contact: MailAddress)] = [:]
        for row in try connection.query(
            """
            SELECT t.id, t.name, m.name AS contact_name, m.email AS contact_email
            FROM team t JOIN LATERAL (
                SELECT name, email FROM team_member m WHERE m.team_id = t.id ORDER BY m.role <> 'leader', m.id LIMIT 1) m ON true
            WHERE t.competition_id = \(competition.id) AND (\(teamIDs)::bigint[] IS NULL OR t.id = ANY(\(teamIDs)::bigint[]))
            """
        ).rows {
            contacts[try row.decode("id")] = (
                try row.decode("name"), MailAddress(name: try row.decode("contact_name"), email: try row.decode("contact_email"))
            )
        }
        return contacts
    }
}
