import Foundation
import WyscPostgres
import WyscWorkflow

/// A personal token as listed (never the token itself).
public struct TokenInfo: Sendable, Hashable, Codable {
    public var id: Int
    public var role: String
    public var label: String
    public var competition: String?
    public var createdAt: Date
    public var createdBy: String
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

/// Who a valid token speaks for.
public struct Credential: Sendable, Hashable {
    public var actor: Actor
    /// Judge tokens belong to one competition.
    public var competition: String?
    public var label: String
}

public enum TokenRole: String, Sendable, CaseIterable {
    case organizer, judge, university
}

extension Application {
    /// Creates a token for an organizer (by name), a judge (by email, in a competition) or a
    /// university (by name). Returns the token, shown once: only its SHA-256 is stored.
    public func createToken(
        role: TokenRole, for subject: String, competition slug: String?, expires: Date?, as actor: Actor
    ) async throws -> (token: String, info: TokenInfo) {
        try actor.requireOrganizer("create tokens")
        try TextField.name.check(subject, field: "the token's holder")
        if let expires, expires <= now() {
            throw WyscError(.badInput, "the expiry \(expires.rfc3339) is in the past: a token that never works is useless")
        }
        let token = "wysc_" + Tokens.randomSecret()
        let hash = Tokens.hash(token)
        let info = try await transaction { connection in
            var competitionID: Int?
            if let slug { competitionID = try Competitions.find(slug, on: connection).id }
            let storedSubject: String
            let label: String
            switch role {
            case .organizer:
                guard !subject.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw WyscError(.badInput, "an organizer token needs the organizer's name", code: WyscError.Code.tokenSubjectRequired)
                }
                (storedSubject, label) = (subject, "organizer \(subject)")
            case .judge:
                guard let slug, competitionID != nil else {
                    throw WyscError(.badInput, "a judge token belongs to a competition: name it", code: WyscError.Code.tokenCompetitionRequired)
                }
                let judge = try Judges.find(subject, competition: try Competitions.find(slug, on: connection), on: connection)
                (storedSubject, label) = (String(judge.id), "judge \(judge.email)")
            case .university:
                guard let row = try connection.query("SELECT id, name FROM university WHERE lower(name) = lower(\(subject))").singleRow() else {
                    throw WyscError(.notFound, "there is no university '\(subject)'")
                }
                (storedSubject, label) = (String(try row.decode("id", as: Int.self)), "university \(try row.decode("name", as: String.self))")
            }
            let id: Int = try connection.query(
                """
                INSERT INTO api_token (token_hash, role, subject, label, competition_id, created_by, expires_at)
                VALUES (\(hash), \(role.rawValue), \(storedSubject), \(label), \(competitionID), \(actor.description), \(expires)) RETURNING id
                """
            ).rows[0].decode("id")
            try Audit.record(
                on: connection, actor: actor, action: "token.create", subject: "token:\(id)", competitionID: competitionID,
                after: ["role": .string(role.rawValue), "for": .string(label), "expires": expires.map { .string($0.rfc3339) } ?? .null])
            return try Tokens.list(id: id, on: connection)[0]
        }
        return (token, info)
    }

    public func tokens(as actor: Actor) async throws -> [TokenInfo] {
        try actor.requireOrganizer("list tokens")
        return try await transaction { connection in try Tokens.list(id: nil, on: connection) }
    }

    public func revokeToken(id: Int, as actor: Actor) async throws {
        try actor.requireOrganizer("revoke tokens")
        try await transaction { connection in
            let revoked = try connection.query("UPDATE api_token SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL").affectedRows
            guard revoked == 1 else { throw WyscError(.notFound, "there is no active token \(id)") }
            try Audit.record(
                on: connection, actor: actor, action: "token.revoke", subject: "token:\(id)", competitionID: nil, before: ["revoked": false],
                after: ["revoked": true])
        }
    }

    /// The credential a bearer token stands for, or nil when it is unknown, expired or revoked.
    public func authenticate(token: String) async throws -> Credential? {
        guard token.hasPrefix("wysc_"), token.count < 200 else { return nil }
        let hash = Tokens.hash(token)
        let now = self.now()
        return try await pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT t.id, t.token_hash, t.role, t.subject, t.label, c.slug, t.expires_at, t.revoked_at, t.last_used_at
                    FROM api_token t LEFT JOIN competition c ON c.id = t.competition_id WHERE t.token_hash = \(hash)
                    """
                ).singleRow()
            else { return nil }
            // The lookup was by hash; compare again in constant time so no timing depends on the stored value.
            guard constantTimeEqual(try row.decode("token_hash", as: String.self), hash) else { return nil }
            return try Tokens.credential(row, now: now, on: connection)
        }
    }
}

enum Tokens {
    static func hash(_ token: String) -> String { sha256Hexadecimal(token) }

    /// 256 random bits from the kernel's CSPRNG (getrandom on Linux), base64url without padding.
    static func randomSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The credential of a token row (id, role, subject, label, slug, expires_at, revoked_at,
    /// last_used_at), or nil when it is revoked or expired; notes the use at most once a minute.
    static func credential(_ row: PostgresRow, now: Date, on connection: PostgresConnection) throws -> Credential? {
        if try row.decode("revoked_at", as: Date?.self) != nil { return nil }
        if let expires: Date = try row.decode("expires_at"), expires <= now { return nil }
        let id: Int = try row.decode("id")
        let lastUsed: Date? = try row.decode("last_used_at")
        if lastUsed.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try connection.query("UPDATE api_token SET last_used_at = now() WHERE id = \(id)")
        }
        let subject: String = try row.decode("subject")
        let actor: Actor
        switch try row.decode("role", as: String.self) {
        case "judge": actor = .judge(Int(subject) ?? -1)
        case "university": actor = .university(Int(subject) ?? -1)
        default: actor = .organizer(subject)
        }
        return Credential(actor: actor, competition: try row.decode("slug"), label: try row.decode("label"))
    }

    static func list(id: Int?, on connection: PostgresConnection) throws -> [TokenInfo] {
        try connection.query(
            """
            SELECT t.id, t.role, t.label, c.slug, t.created_at, t.created_by, t.expires_at, t.revoked_at, t.last_used_at
            FROM api_token t LEFT JOIN competition c ON c.id = t.competition_id
            WHERE (\(id)::bigint IS NULL OR t.id = \(id)) ORDER BY t.id
            """
        ).rows.map { row in
            TokenInfo(
                id: try row.decode("id"), role: try row.decode("role"), label: try row.decode("label"), competition: try row.decode("slug"),
                createdAt: try row.decode("created_at"), createdBy: try row.decode("created_by"), expiresAt: try row.decode("expires_at"),
                revokedAt: try row.decode("revoked_at"), lastUsedAt: try row.decode("last_used_at"))
        }
    }
}

/// Whether two secrets are equal, in a time that depends only on their length.
public func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
}
