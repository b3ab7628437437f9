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

/// A bearer token that is unknown, expired or revoked (HTTP answers 401, slowly when repeated).
public struct TokenRefused: Error, Sendable {
    public init() {}
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
        guard let hash = Tokens.bearerHash(token) else { return nil }
        return try await authenticate(hash: hash)
    }

    func authenticate(hash: String) async throws -> Credential? {
        let now = self.now()
        return try await pool.withConnection { connection in
            try Tokens.credential(try connection.query("SELECT * FROM token_credential(\(hash), NULL, \(now))").rows[0])
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

    /// The hash a bearer token is stored under; nil for what cannot be one of ours.
    static func bearerHash(_ token: String) -> String? {
        guard token.hasPrefix("wysc_"), token.count < 200 else { return nil }
        return hash(token)
    }

    /// The credential of a row of `token_credential` (migration V0015, where a token's validity
    /// is checked and its use noted), or nil when it refused the token.
    static func credential(_ row: PostgresRow) throws -> Credential? {
        guard try row.decode("token_id", as: Int?.self) != nil else { return nil }
        return Credential(
            actor: actor(role: try row.decode("role"), subject: try row.decode("subject")), competition: try row.decode("competition_slug"),
            label: try row.decode("label"))
    }

    static func actor(role: String, subject: String) -> Actor {
        switch role {
        case "judge": .judge(Int(subject) ?? -1)
        case "university": .university(Int(subject) ?? -1)
        default: .organizer(subject)
        }
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
