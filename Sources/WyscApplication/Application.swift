import Foundation
import Logging
import WyscPostgres
import WyscWorkflow

/// The use cases of wysc for organizers, judges and universities, over one database.
///
/// Each use case runs in one transaction on the pool, checks who is asking, checks the phase, and
/// writes its audit rows in the same transaction as its change. The CLI (direct mode) and the HTTP
/// server call the same methods.
public struct Application: Sendable {
    public let pool: PostgresPool
    public let logger: Logger
    /// The clock: read here, in the application, never in the pure modules. Tests set it.
    public let now: @Sendable () -> Date
    let rememberedCompetitions = RememberedCompetitions()

    public init(pool: PostgresPool, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.pool = pool
        self.logger = logger
        self.now = now
    }

    /// Runs `body` in a transaction; wysc's errors pass through unchanged and roll it back.
    func transaction<R: Sendable>(
        isolation: IsolationLevel = .readCommitted, _ body: @escaping @Sendable (PostgresConnection) throws -> R
    ) async throws -> R {
        do {
            return try await pool.withTransaction(isolation: isolation, body)
        } catch let error as PostgresError {
            // A value the schema refused is the caller's bad input (a backstop: the use cases check first).
            let classified = WyscError(classifying: error)
            throw classified.kind == .badInput ? classified : error
        }
    }

    /// Runs `body`, one statement that is its own transaction (see `PostgresPool.withStatement`).
    func statement<R: Sendable>(repeatable: Bool, _ body: @escaping @Sendable (PostgresConnection) throws -> R) async throws -> R {
        do {
            return try await pool.withStatement(repeatable: repeatable, body)
        } catch let error as PostgresError {
            let classified = WyscError(classifying: error)
            throw classified.kind == .badInput ? classified : error
        }
    }

    /// Runs `query`, one statement that is its own transaction, in a pipeline with other callers'
    /// (see `PostgresPool.pipelined`).
    func pipelined(_ query: SQLQuery, repeatable: Bool) async throws -> QueryResult {
        do {
            return try await pool.pipelined(query, repeatable: repeatable)
        } catch let error as PostgresError {
            let classified = WyscError(classifying: error)
            throw classified.kind == .badInput ? classified : error
        }
    }

    /// The competition as last read by this process, or read now when it was not, or `fresh`.
    func rememberedCompetition(_ slug: String, fresh: Bool) async throws -> CompetitionRecord {
        if !fresh, let known = rememberedCompetitions.record(slug) { return known }
        let record = try await statement(repeatable: true) { connection in try Competitions.find(slug, on: connection) }
        rememberedCompetitions.remember(record)
        return record
    }
}
