/// A SQL statement whose values travel as parameters (`$1`, `$2`, …), never inside the SQL text.
///
/// Write queries as string literals and interpolate values; each interpolation becomes a parameter:
///
///     let query: SQLQuery = "SELECT id FROM team WHERE name = \(name) AND city = \(city)"
///     // sql: "SELECT id FROM team WHERE name = $1 AND city = $2", binds: [name, city]
///
/// Queries compose: interpolating one `SQLQuery` into another keeps its parameters as parameters.
/// Identifiers (a database name in an admin command) can be interpolated with `identifier:`, which
/// quotes them as PostgreSQL requires. There is deliberately no way to splice a raw value into the text.
public struct SQLQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Sendable, Hashable {
        case text(String)
        case parameter(Int)
    }

    private(set) var parts: [Part]
    /// The parameter values in text format, `nil` for SQL NULL.
    public private(set) var binds: [String?]

    public init(stringLiteral value: String) {
        self.parts = [.text(value)]
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.parts = stringInterpolation.parts
        self.binds = stringInterpolation.binds
    }

    /// The SQL text with `$n` placeholders.
    public var sql: String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .parameter(let index): "$\(index + 1)"
            }
        }.joined()
    }

    /// The SQL text only: values never appear in descriptions or logs.
    public var description: String { sql }

    /// Joins queries with a separator, renumbering their parameters.
    public static func joined(_ queries: [SQLQuery], separator: String) -> SQLQuery {
        var interpolation = StringInterpolation(literalCapacity: 0, interpolationCount: queries.count)
        for (index, query) in queries.enumerated() {
            if index > 0 { interpolation.appendLiteral(separator) }
            interpolation.appendInterpolation(query)
        }
        return SQLQuery(stringInterpolation: interpolation)
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        fileprivate(set) var parts: [Part] = []
        fileprivate(set) var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            guard !literal.isEmpty else { return }
            parts.append(.text(literal))
        }

        /// Binds a value as the next parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parts.append(.parameter(binds.count))
            binds.append(value.postgresText)
        }

        /// Binds a value, or SQL NULL for `nil`.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            parts.append(.parameter(binds.count))
            binds.append(value?.postgresText)
        }

        /// Embeds another query, keeping its values as parameters.
        public mutating func appendInterpolation(_ query: SQLQuery) {
            let offset = binds.count
            for part in query.parts {
                switch part {
                case .text(let text): parts.append(.text(text))
                case .parameter(let index): parts.append(.parameter(index + offset))
                }
            }
            binds.append(contentsOf: query.binds)
        }

        /// Embeds a quoted identifier (a table, role or database name), never a value.
        public mutating func appendInterpolation(identifier: String) {
            parts.append(.text("\"" + identifier.replacingAll("\"", with: "\"\"") + "\""))
        }
    }
}
