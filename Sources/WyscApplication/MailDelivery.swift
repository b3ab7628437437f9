import Foundation
import Logging
import WyscPostgres
import WyscWorkflow

/// Hands one message to a mail transfer agent; throws when the agent did not accept it.
public protocol MailTransport: Sendable {
    func send(_ message: MailMessage) throws
}

/// A sendmail-compatible command (`sendmail -t -i`, `msmtp -t`, …): the message on its standard
/// input, recipients read from the headers; exit status 0 means the agent took responsibility.
///
/// wysc delivers through a local agent rather than speaking SMTP itself: the agent owns TLS,
/// authentication and relays (and, for a queueing agent such as Postfix, its own retries), the
/// credentials never enter wysc's configuration, and msmtp or Postfix are already what a server
/// administrator configures and trusts.
public struct SendmailTransport: MailTransport {
    public let executable: String
    public let arguments: [String]

    /// `command` is split at spaces (no shell is involved); its program is looked up on PATH.
    public init(command: String) throws(WyscError) {
        let words = command.split(separator: " ").map(String.init)
        guard let program = words.first else { throw WyscError(.badInput, "the mail command is empty") }
        guard let executable = Self.resolve(program) else {
            throw WyscError(.badInput, "the mail command's program '\(program)' was not found (give a path, or install it: apt-get install msmtp)")
        }
        self.executable = executable
        self.arguments = Array(words.dropFirst())
    }

    static func resolve(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/lib"]
        return directories.map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func send(_ message: MailMessage) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wysc-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("message").path
        let output = directory.appendingPathComponent("output").path
        try Data(message.rendered().utf8).write(to: URL(fileURLWithPath: input))
        let status = try ChildProcess.run(executable, arguments, stdinPath: input, stdoutPath: output, stderrPath: output)
        guard status == 0 else {
            let said = (try? String(contentsOfFile: output, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw WyscError(
                .failure,
                "\(URL(fileURLWithPath: executable).lastPathComponent) exited with status \(status)"
                    + (said.isEmpty ? "" : ": \(String(said.suffix(500)))"))
        }
    }
}

/// What one delivery run did.
public struct DeliveryReport: Sendable, Hashable, Codable {
    public var sent: [Int] = []
    /// Failed this time and will be tried again later.
    public var deferred: [Int] = []
    /// Failed for the last time: marked failed, for an organizer to look at and retry.
    public var failed: [Int] = []
    public var lastError: String?
}

public enum MailDelivery {
    /// Attempts before a notification is marked failed; between them the wait doubles from a minute.
    public static let maxAttempts = 6

    public static func backoff(afterAttempt attempt: Int) -> TimeInterval {
        60 * pow(2, Double(max(0, attempt - 1)))
    }

    static func domain(of address: MailAddress) -> String {
        address.email.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    /// The message of a notification row (with its competition's `slug`).
    static func message(_ row: PostgresRow) throws -> MailMessage {
        let id: Int = try row.decode("id")
        let slug: String = try row.decode("slug")
        let senderText: String = try row.decode("sender")
        let sender = MailAddress(parsing: senderText) ?? MailAddress(name: nil, email: "wysc@localhost")
        let name: String = try row.decode("recipient_name")
        return MailMessage(
            from: sender, to: MailAddress(name: name.isEmpty ? nil : name, email: try row.decode("recipient_email")),
            replyTo: try row.decode("reply_to", as: String?.self).flatMap(MailAddress.init(parsing:)), subject: try row.decode("subject"),
            text: try row.decode("text_body"), html: try row.decode("html_body"),
            messageID: "wysc-notification-\(id).\(slug)@\(domain(of: sender))", date: try row.decode("created_at"),
            extraHeaders: [("X-Wysc-Notification", String(id)), ("X-Wysc-Event", try row.decode("event"))])
    }
}

extension Application {
    /// Delivers due notifications, one at a time, each in its own transaction that holds the row
    /// (FOR UPDATE SKIP LOCKED) while the transfer agent takes it and records it sent before
    /// committing. So several senders never take the same message, and a sender killed mid-batch
    /// leaves the message it was handing over pending, to go again: at least once, and twice only
    /// if the process dies between the agent's acceptance and the commit.
    /// `limit` bounds the run; `competition` restricts it to one competition.
    public func deliverNotifications(
        via transport: any MailTransport, competition slug: String? = nil, limit: Int = .max, as actor: Actor
    ) async throws -> DeliveryReport {
        try actor.requireOrganizer("send notifications")
        var report = DeliveryReport()
        while report.sent.count + report.deferred.count + report.failed.count < limit {
            let now = self.now()
            let outcome: (id: Int, status: String, error: String?)? = try await transaction { connection in
                guard
                    let row = try connection.query(
                        """
                        SELECT n.*, c.slug FROM notification n JOIN competition c ON c.id = n.competition_id
                        WHERE n.status = 'pending' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= \(now))
                          AND (\(slug)::text IS NULL OR c.slug = \(slug))
                        ORDER BY n.id LIMIT 1 FOR UPDATE OF n SKIP LOCKED
                        """
                    ).singleRow()
                else { return nil }
                let id: Int = try row.decode("id")
                let attempts: Int = try row.decode("attempts") + 1
                let recipient: String = try row.decode("recipient_email")
                guard MailAddress.isAddress(recipient) else {
                    // Retrying cannot help, and handing it to the agent could split it into other recipients.
                    let message = "'\(recipient)' is not a deliverable address"
                    try connection.query(
                        "UPDATE notification SET status = 'failed', attempts = \(attempts), last_error = \(message) WHERE id = \(id)")
                    return (id, "failed", message)
                }
                do {
                    try transport.send(try MailDelivery.message(row))
                    try connection.query(
                        "UPDATE notification SET status = 'sent', sent_at = now(), attempts = \(attempts), last_error = NULL WHERE id = \(id)")
                    return (id, "sent", nil)
                } catch {
                    let message = String("\(error)".prefix(2_000))
                    let final = attempts >= MailDelivery.maxAttempts
                    let next = now.addingTimeInterval(MailDelivery.backoff(afterAttempt: attempts))
                    try connection.query(
                        """
                        UPDATE notification SET status = \(final ? "failed" : "pending"), attempts = \(attempts), last_error = \(message),
                            next_attempt_at = \(final ? nil : next) WHERE id = \(id)
                        """)
                    return (id, final ? "failed" : "deferred", message)
                }
            }
            guard let outcome else { break }
            switch outcome.status {
            case "sent": report.sent.append(outcome.id)
            case "failed": report.failed.append(outcome.id)
            default: report.deferred.append(outcome.id)
            }
            if let error = outcome.error {
                report.lastError = error
                logger.warning("notification #\(outcome.id) was not delivered: \(error)")
            }
        }
        return report
    }

    /// The notifications a delivery run would send now, without sending.
    public func dueNotifications(competition slug: String? = nil, as actor: Actor) async throws -> [NotificationSummary] {
        try actor.requireOrganizer("read notifications")
        let now = self.now()
        return try await transaction { connection in
            try connection.query(
                """
                SELECT n.id, n.event, n.recipient_name, n.recipient_email, n.subject, n.status, n.attempts, n.created_at, n.sent_at,
                       n.next_attempt_at, n.last_error
                FROM notification n JOIN competition c ON c.id = n.competition_id
                WHERE n.status = 'pending' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= \(now)) AND (\(slug)::text IS NULL OR c.slug = \(slug))
                ORDER BY n.id
                """
            ).rows.map(Self.notificationSummary)
        }
    }
}
