import Foundation
import WyscPostgres

/// A change to be made at most once per Idempotency-Key. The key's row, with the answer to replay,
/// is written in the change's own transaction: it exists if and only if the change committed. A
/// server killed mid-request, or a database that went away before the commit, leaves neither; a
/// retry then runs the change once. After the commit, every retry gets the stored answer.
public struct IdempotentRequest<Outcome: Sendable>: Sendable {
    public var key: String
    public var actor: Actor
    /// SHA-256 of what identifies the request (method, path, preconditions, body).
    public var requestHash: String
    /// The answer to store for replays, made from the outcome inside the transaction.
    public var answer: @Sendable (Outcome) throws -> StoredAnswer

    public init(key: String, actor: Actor, request: String, answer: @escaping @Sendable (Outcome) throws -> StoredAnswer) {
        self.key = key
        self.actor = actor
        self.requestHash = sha256Hexadecimal(request)
        self.answer = answer
    }
}

/// An answer as the API sent it: status and body.
public struct StoredAnswer: Sendable, Hashable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// What a key says about a request before it runs.
public enum IdempotencyState: Sendable, Equatable {
    /// Not answered yet (or its answer expired): run the change with the key.
    case proceed
    /// Answered: send this again.
    case replay(StoredAnswer)
    /// The key was used for a different request.
    case mismatch
}

/// Thrown from inside a change's transaction when another request with the same key committed
/// first (a retry racing the original): the change is rolled back; look the answer up.
public struct IdempotencyKeyAnswered: Error, Sendable {}

enum Idempotency {
    /// How long a key's answer is kept (the README and the OpenAPI document say 24 hours).
    static let retentionSeconds = 24 * 3600

    /// Takes the key for this transaction. If another transaction holds it, PostgreSQL makes this
    /// wait until that one ends: committed, this one stops with `IdempotencyKeyAnswered`; rolled
    /// back, this one goes ahead.
    static func claim<Outcome>(_ request: IdempotentRequest<Outcome>, on connection: PostgresConnection) throws {
        // The expired answer's removal travels with the claim (nothing reads it back).
        try connection.queue(
            """
            DELETE FROM idempotency_key WHERE actor = \(request.actor.description) AND key = \(request.key)
              AND created_at < now() - make_interval(secs => \(retentionSeconds))
            """)
        let claimed = try connection.query(
            """
            INSERT INTO idempotency_key (actor, key, request_hash, status, body)
            VALUES (\(request.actor.description), \(request.key), \(request.requestHash), 0, '')
            ON CONFLICT DO NOTHING
            """
        ).affectedRows
        if claimed == 0 { throw IdempotencyKeyAnswered() }
    }

    /// Stores the answer in the same transaction as the change.
    static func record<Outcome>(_ request: IdempotentRequest<Outcome>, _ outcome: Outcome, on connection: PostgresConnection) throws {
        let answer = try request.answer(outcome)
        // Travels with COMMIT.
        try connection.queue(
            """
            UPDATE idempotency_key SET status = \(answer.status), body = \(answer.body)
            WHERE actor = \(request.actor.description) AND key = \(request.key)
            """)
    }
}

extension Application {
    /// Runs `change` with the key claimed before it and the answer recorded after it, in one transaction.
    func idempotently<Outcome: Sendable>(
        _ request: IdempotentRequest<Outcome>?, on connection: PostgresConnection, _ change: () throws -> Outcome
    ) throws -> Outcome {
        guard let request else { return try change() }
        try Idempotency.claim(request, on: connection)
        let outcome = try change()
        try Idempotency.record(request, outcome, on: connection)
        return outcome
    }

    /// Whether `key` of `actor` was answered (and for the same request).
    public func idempotencyState(key: String, actor: Actor, requestHash: String) async throws -> IdempotencyState {
        try await pool.withConnection { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT request_hash, status, body FROM idempotency_key
                    WHERE actor = \(actor.description) AND key = \(key) AND created_at >= now() - make_interval(secs => \(Idempotency.retentionSeconds))
                    """
                ).singleRow()
            else { return .proceed }
            guard try row.decode("request_hash", as: String.self) == requestHash else { return .mismatch }
            return .replay(StoredAnswer(status: try row.decode("status"), body: try row.decode("body")))
        }
    }

    /// Stores a refusal as the answer to a key, so a retry gets the same refusal. Nothing was
    /// changed, so this needs no transaction with anything; if it is lost, a retry asks again.
    public func recordIdempotentRefusal<Outcome>(_ request: IdempotentRequest<Outcome>, _ answer: StoredAnswer) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                """
                INSERT INTO idempotency_key (actor, key, request_hash, status, body)
                VALUES (\(request.actor.description), \(request.key), \(request.requestHash), \(answer.status), \(answer.body))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// Forgets answers older than the retention period; returns how many.
    @discardableResult
    public func expireIdempotencyKeys() async throws -> Int {
        try await pool.withConnection { connection in
            try connection.query(
                "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => \(Idempotency.retentionSeconds))"
            ).affectedRows
        }
    }
}
