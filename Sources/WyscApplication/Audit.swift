import Foundation
import WyscPostgres

/// One row of the audit log.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var id: Int
    public var occurredAt: Date
    public var actor: String
    public var action: String
    public var subject: String
    public var before: String?
    public var after: String?
    public var reason: String?
    public var competition: String?
}

/// What to list from the audit log.
public struct AuditFilter: Sendable {
    public var competition: String?
    public var since: Date?
    public var actor: String?
    /// An action, or a prefix ending in '.' (`team.` lists every team action).
    public var action: String?
    public var limit: Int

    /// How many entries a read returns at most, whatever was asked.
    public static let limits = 1...10_000

    /// `limit` is brought within `limits`.
    public init(competition: String? = nil, since: Date? = nil, actor: String? = nil, action: String? = nil, limit: Int = 1000) {
        self.competition = competition
        self.since = since
        self.actor = actor
        self.action = action
        self.limit = min(max(limit, Self.limits.lowerBound), Self.limits.upperBound)
    }

    /// A `since` as people write it: a day (2026-05-01, from its start in UTC) or a time
    /// (2026-05-01T09:00:00Z); nil when it is neither.
    /// A day (2026-05-01) or an RFC 3339 time, with or without fractions of a second.
    public static func since(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if text.utf8.count == 10 {
            formatter.formatOptions = [.withFullDate]
            return formatter.date(from: text)
        }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

enum Audit {
    /// Writes one audit row in the caller's transaction. `before` and `after` are JSON objects.
    static func record(
        on connection: PostgresConnection, actor: Actor, action: String, subject: String, competitionID: Int?,
        before: [String: JSONValue]? = nil, after: [String: JSONValue]? = nil, reason: String? = nil
    ) throws {
        let beforeJSON = before.map { PostgresJSON(text: JSONValue.object($0).encoded) }
        let afterJSON = after.map { PostgresJSON(text: JSONValue.object($0).encoded) }
        // Nothing is read back: the row travels with the next statement (or COMMIT), not in a round trip of its own.
        try connection.queue(
            """
            INSERT INTO audit_log (actor, action, subject, before, after, reason, competition_id)
            VALUES (\(actor.description), \(action), \(subject), \(beforeJSON)::jsonb, \(afterJSON)::jsonb, \(reason), \(competitionID))
            """
        )
    }
}

extension Application {
    /// The audit log, newest last. Organizers only.
    public func auditLog(_ filter: AuditFilter, as actor: Actor) async throws -> [AuditEntry] {
        try actor.requireOrganizer("read the audit log")
        return try await transaction { connection in
            var competitionID: Int?
            if let slug = filter.competition { competitionID = try Competitions.find(slug, on: connection).id }
            let actionPattern: String? = filter.action.map { $0.hasSuffix(".") ? $0 + "%" : $0 }
            let rows = try connection.query(
                """
                SELECT * FROM (
                    SELECT a.id, a.occurred_at, a.actor, a.action, a.subject, a.before::text AS before,
                           a.after::text AS after, a.reason, c.slug
                    FROM audit_log a LEFT JOIN competition c ON c.id = a.competition_id
                    WHERE (\(competitionID)::bigint IS NULL OR a.competition_id = \(competitionID))
                      AND (\(filter.since)::timestamptz IS NULL OR a.occurred_at >= \(filter.since))
                      AND (\(filter.actor)::text IS NULL OR a.actor = \(filter.actor))
                      AND (\(actionPattern)::text IS NULL OR a.action LIKE \(actionPattern))
                    ORDER BY a.id DESC LIMIT \(filter.limit)
                ) newest ORDER BY id
                """
            ).rows
            return try rows.map { row in
                AuditEntry(
                    id: try row.decode("id"), occurredAt: try row.decode("occurred_at"), actor: try row.decode("actor"),
                    action: try row.decode("action"), subject: try row.decode("subject"), before: try row.decode("before"),
                    after: try row.decode("after"), reason: try row.decode("reason"), competition: try row.decode("slug")
                )
            }
        }
    }
}
