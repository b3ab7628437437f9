import Foundation
import WyscPostgres
import WyscWorkflow

/// A signed-in browser: who it speaks for, and the token its forms must carry.
public struct WebSession: Sendable, Hashable {
    public var credential: Credential
    public var csrf: String
}

extension Application {
    /// How long a browser stays signed in without signing in again.
    public static let webSessionLifetime: TimeInterval = 12 * 3600
    /// How long a one-time sign-in link works.
    public static let signInLinkLifetime: TimeInterval = 15 * 60

    /// Opens a session for a valid personal token; returns the cookie value (shown once, stored
    /// hashed) and the session, or nil when the token is unknown, expired or revoked.
    public func signIn(token: String) async throws -> (cookie: String, session: WebSession)? {
        guard let credential = try await authenticate(token: token) else { return nil }
        let hash = Tokens.hash(token)
        let now = self.now()
        return try await transaction { connection in
            let tokenID: Int = try connection.query("SELECT id FROM api_token WHERE token_hash = \(hash)").rows[0].decode("id")
            return try Self.openSession(tokenID: tokenID, credential: credential, now: now, on: connection)
        }
    }

    static func openSession(
        tokenID: Int, credential: Credential, now: Date, on connection: PostgresConnection
    ) throws -> (
        cookie: String, session: WebSession
    ) {
        let cookie = Tokens.randomSecret()
        let csrf = Tokens.randomSecret()
        try connection.query(
            """
            INSERT INTO web_session (id_hash, token_id, csrf, expires_at)
            VALUES (\(Tokens.hash(cookie)), \(tokenID), \(csrf), \(now.addingTimeInterval(webSessionLifetime)))
            """)
        return (cookie, WebSession(credential: credential, csrf: csrf))
    }

    /// The session a cookie stands for, while the session and its token are both valid.
    public func session(cookie: String) async throws -> WebSession? {
        guard !cookie.isEmpty, cookie.count < 200 else { return nil }
        let now = self.now()
        return try await pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT s.csrf, c.* FROM web_session s CROSS JOIN LATERAL token_credential(NULL, s.token_id, \(now)) c
                    WHERE s.id_hash = \(Tokens.hash(cookie)) AND s.ended_at IS NULL AND s.expires_at > \(now)
                    """
                ).singleRow(),
                let credential = try Tokens.credential(row)
            else { return nil }
            return WebSession(credential: credential, csrf: try row.decode("csrf"))
        }
    }

    /// Ends a session (signing out).
    public func signOut(cookie: String) async throws {
        try await transaction { connection in
            _ = try connection.query("UPDATE web_session SET ended_at = now() WHERE id_hash = \(Tokens.hash(cookie)) AND ended_at IS NULL")
        }
    }

    /// A one-time sign-in code for token `tokenID`: it works once, within `signInLinkLifetime`. Audited.
    public func createSignInCode(tokenID: Int, as actor: Actor) async throws -> String {
        try actor.requireOrganizer("create sign-in links")
        let code = Tokens.randomSecret()
        let now = self.now()
        try await transaction { connection in
            try connection.query(
                """
                INSERT INTO sign_in_link (code_hash, token_id, expires_at)
                VALUES (\(Tokens.hash(code)), \(tokenID), \(now.addingTimeInterval(Self.signInLinkLifetime)))
                """)
            try Audit.record(
                on: connection, actor: actor, action: "token.link", subject: "token:\(tokenID)", competitionID: nil,
                after: ["expires": .string(now.addingTimeInterval(Self.signInLinkLifetime).rfc3339)])
        }
        return code
    }

    /// Opens a session with a one-time code, which is spent whether or not its token still works.
    public func signIn(code: String) async throws -> (cookie: String, session: WebSession)? {
        guard !code.isEmpty, code.count < 200 else { return nil }
        let now = self.now()
        return try await transaction { connection in
            guard
                let link = try connection.query(
                    """
                    UPDATE sign_in_link SET used_at = now()
                    WHERE code_hash = \(Tokens.hash(code)) AND used_at IS NULL AND expires_at > \(now) RETURNING token_id
                    """
                ).singleRow()
            else { return nil }
            let tokenID: Int = try link.decode("token_id")
            guard let credential = try Tokens.credential(try connection.query("SELECT * FROM token_credential(NULL, \(tokenID), \(now))").rows[0])
            else { return nil }
            return try Self.openSession(tokenID: tokenID, credential: credential, now: now, on: connection)
        }
    }
}
