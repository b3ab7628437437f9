import Foundation
import Mustache

/// What someone should hear about. Each is on unless the workflow's `notifications.events` turns it off.
public enum NotificationEvent: String, Sendable, Hashable, CaseIterable, Codable {
    /// To a judge: their proposals for a round, and how to sign in.
    case judgeAssigned = "judge_assigned"
    /// To a judge with missing scorecards, a set time before the round's deadline.
    case reminder
    /// To the organizers: a conflict a judge declared, with the command that rebalances the round.
    case conflictDeclared = "conflict_declared"
    /// To each team's contact: may the team submit a proposal, and why.
    case eligibilityDecided = "eligibility_decided"
    /// To the team's contact: the receipt of a proposal version, with each file's SHA-256.
    case proposalReceived = "proposal_received"
    /// To each team of a round: whether it is in the shortlist.
    case shortlistPublished = "shortlist_published"
    /// To each team: its rank and, where the round shares it, the judges' feedback.
    case resultsPublished = "results_published"
    /// To the organizers: a phase that should advance at its deadline cannot, and why.
    case phaseBlocked = "phase_blocked"
    /// To the organizers: a phase's deadline passed (`at_deadline: notify`).
    case deadlinePassed = "deadline_passed"

    /// Whom the event is written to, for `notify preview --to` and the documentation.
    public var audience: String {
        switch self {
        case .judgeAssigned, .reminder: "judge"
        case .conflictDeclared, .phaseBlocked, .deadlinePassed: "organizers"
        case .eligibilityDecided, .proposalReceived, .shortlistPublished, .resultsPublished: "team contact"
        }
    }
}

/// A mailbox as written in a workflow file: `Name <address>` or a bare address.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    public var email: String

    public init(name: String?, email: String) {
        self.name = name
        self.email = email
    }

    /// `Ana Kim <ana@example.org>` or `ana@example.org`; nil when it is neither.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            guard Self.isAddress(email) else { return nil }
            self.init(name: name.isEmpty ? nil : name, email: email)
        } else {
            guard Self.isAddress(trimmed) else { return nil }
            self.init(name: nil, email: trimmed)
        }
    }

    /// One `@` with text on both sides, a dotted domain (or localhost), and nothing that would
    /// break a mail header (no space, comma, angle bracket or quote): the one test of an email
    /// address, for imports and for delivery. One pass over the bytes, as an import calls it per row.
    public static func isAddress(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return false }
        let domain = bytes[bytes.index(after: at)...]
        guard at != bytes.startIndex, !domain.contains(UInt8(ascii: "@")) else { return false }
        let dotted = domain.contains(UInt8(ascii: ".")) && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
        guard dotted || domain.elementsEqual("localhost".utf8) else { return false }
        // Bytes bound characters from above: count characters only when the bytes are many.
        guard bytes.count <= TextField.email.maxCharacters || text.count <= TextField.email.maxCharacters else { return false }
        return !text.unicodeScalars.contains(where: breaksHeader)
    }

    private static func breaksHeader(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "<", ">", "(", ")", "[", "]", ",", ";", ":", "\"", "\\": true
        case _ where scalar.isASCII: scalar.value <= 0x20 || scalar.value == 0x7F
        default: scalar.properties.isWhitespace || TextField.isControl(scalar)
        }
    }

    public var description: String { name.map { "\($0) <\(email)>" } ?? email }
}

/// A workflow's own wording for one event; what it leaves out comes from wysc's templates.
public struct MailTemplateOverride: Sendable, Hashable {
    public var subject: String?
    public var text: String?
    public var html: String?

    public init(subject: String? = nil, text: String? = nil, html: String? = nil) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// The workflow's `notifications` section: who sends, who organizes, which events are mailed,
/// when judges are reminded, and any templates of its own.
public struct NotificationSettings: Sendable, Hashable {
    /// The From of every message.
    public var sender: MailAddress
    public var replyTo: MailAddress?
    /// Organizers named in the workflow; `wysc organizer add` adds more per competition.
    public var organizers: [MailAddress]
    /// Events turned off: nothing is written for them.
    public var disabled: Set<NotificationEvent>
    /// Hours before a round's deadline at which judges with missing scorecards are reminded, once each.
    public var reminderHours: [Int]
    /// The server judges and universities sign in to (`wysc login --server URL`), told in their mails.
    public var server: String?
    public var templates: [NotificationEvent: MailTemplateOverride]

    public static let standard = NotificationSettings(
        sender: MailAddress(name: "wysc", email: "wysc@localhost"), replyTo: nil, organizers: [], disabled: [], reminderHours: [72, 24],
        server: nil, templates: [:])

    public func isOn(_ event: NotificationEvent) -> Bool { !disabled.contains(event) }
}

/// When reminders fall due: pure, so the scheduler's choice is tested without waiting.
public enum ReminderSchedule {
    /// The lead time (in hours) whose reminder is due at `now`: the shortest one whose moment has
    /// come, while the deadline is still ahead. A server that was down through the 72-hour moment
    /// and comes back 20 hours before the deadline sends the 24-hour reminder, not both.
    public static func due(leadHours: [Int], deadline: Date, now: Date) -> Int? {
        guard now < deadline else { return nil }
        return leadHours.sorted().first { now >= deadline.addingTimeInterval(-Double($0) * 3600) }
    }
}

/// Checks a Mustache template's syntax; the message says where it breaks.
public enum TemplateSyntax {
    public static func problem(_ text: String) -> String? {
        do {
            _ = try MustacheTemplate(string: text)
            return nil
        } catch let error as MustacheTemplate.ParserError {
            return "the template does not parse at its line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)"
        } catch {
            return "the template does not parse: \(error)"
        }
    }
}
