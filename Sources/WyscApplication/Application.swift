import WyscWorkflow
import Foundation
import Logging
import WyscPostgres

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
            throw Self.inputError(error) ?? error
        }
    }

    /// A refusal by the schema of a value a person sent (a backstop: the use cases check first),
    /// as bad input that names the field instead of a raw database error.
    static func inputError(_ error: PostgresError) -> WyscError? {
        guard error.sqlState == .checkViolation, let constraint = error.constraint else { return nil }
        if let stored = TextField.storedColumns.first(where: { "\($0.table)_\($0.column)_length" == constraint }) {
            return WyscError(
                .badInput,
                "the \(stored.column.replacingOccurrences(of: "_", with: " ")) of a \(stored.table.replacingOccurrences(of: "_", with: " ")) may have at most \(stored.field.maxCharacters) characters")
        }
        if constraint.hasSuffix("_count") {
            return WyscError(.badInput, "at most \(TextField.maxTags) tags are allowed")
        }
        return nil
    }
}
