import Foundation

/// A PostgreSQL SQLSTATE code. Match errors on it, never on message text:
/// `catch let error as PostgresError where error.sqlState == .uniqueViolation { … }`.
public struct SQLState: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The two-character class, e.g. "23" for integrity constraint violations.
    public var errorClass: Substring { rawValue.prefix(2) }
    public var description: String { rawValue }

    public static let uniqueViolation: SQLState = "23505"
    public static let foreignKeyViolation: SQLState = "23503"
    public static let notNullViolation: SQLState = "23502"
    public static let checkViolation: SQLState = "23514"
    public static let serializationFailure: SQLState = "40001"
    public static let deadlockDetected: SQLState = "40P01"
    public static let insufficientPrivilege: SQLState = "42501"
    public static let undefinedTable: SQLState = "42P01"
    public static let lockNotAvailable: SQLState = "55P03"
    /// "cached plan must not change result type": a prepared statement outlived a schema change.
    public static let featureNotSupported: SQLState = "0A000"
    public static let invalidStatementName: SQLState = "26000"
    /// A statement cancelled, by statement_timeout among others.
    public static let queryCanceled: SQLState = "57014"
    public static let adminShutdown: SQLState = "57P01"
    public static let raiseException: SQLState = "P0001"
}

/// An error from the PostgreSQL layer.
///
/// `description` never contains a bound parameter value: values are personal data (names, emails),
/// and errors end up in logs. The server's `detail` is kept as a property for code that needs it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Could not open a connection.
        case connectionFailed
        /// The connection broke while in use; the statement did not complete.
        case connectionLost
        /// The connection broke during COMMIT: the transaction may or may not have been applied.
        case transactionOutcomeUnknown
        /// The server rejected a statement; see `sqlState`.
        case server
        /// A column could not be decoded into the requested Swift type.
        case decoding
        /// A value could not be sent (e.g. text containing a NUL character).
        case encoding
        /// The pool was closed.
        case poolClosed
        /// No pooled connection became free within the pool's wait limit (the database is overloaded).
        case poolTimeout
        /// libpq answered something this layer did not expect.
        case unexpectedResponse
    }

    public var kind: Kind
    public var message: String
    public var sqlState: SQLState?
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    public var schema: String?

    public init(
        _ kind: Kind, message: String, sqlState: SQLState? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, table: String? = nil, column: String? = nil, schema: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.schema = schema
    }

    /// True for errors where running the same transaction again can succeed.
    public var isTransient: Bool {
        sqlState == .serializationFailure || sqlState == .deadlockDetected
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let constraint { text += " [constraint \(constraint)]" }
        if let hint { text += " Hint: \(hint)" }
        return text
    }

    /// Removes every bound value from the texts the server sent back, so that no value can
    /// reach a log through `description` or `detail`.
    func redacting(_ binds: [String?]) -> PostgresError {
        let secrets = binds.compactMap { $0 }.filter { $0.count >= 2 }.sorted { $0.count > $1.count }
        guard !secrets.isEmpty else { return self }
        func scrub(_ text: String?) -> String? {
            guard var text else { return nil }
            for secret in secrets { text = text.replacingAll(secret, with: "…") }
            return text
        }
        var copy = self
        copy.message = scrub(message) ?? message
        copy.detail = scrub(detail)
        copy.hint = scrub(hint)
        return copy
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
