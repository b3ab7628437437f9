/// The columns of a result: names and types, shared by its rows.
public struct PostgresColumns: Sendable, Hashable {
    public let names: [String]
    public let types: [PostgresType]
    let indexByName: [String: Int]

    init(names: [String], types: [PostgresType]) {
        self.names = names
        self.types = types
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.indexByName = index
    }
}

/// One row of a result, copied out of libpq: a plain value that outlives the query.
public struct PostgresRow: Sendable, Hashable {
    public let columns: PostgresColumns
    /// The raw text of each column, `nil` for NULL.
    public let values: [String?]

    /// Decodes a column by name. NULL decodes only into an Optional; any other mismatch
    /// throws an error that names the column.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let index = columns.indexByName[column] else {
            throw PostgresError(.decoding, message: "the result has no column \"\(column)\" (it has \(columns.names.joined(separator: ", ")))")
        }
        return try decode(at: index, as: type)
    }

    /// Decodes a column by position.
    public func decode<T: PostgresDecodable>(at index: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        let name = columns.names[index]
        do {
            guard let text = values[index] else { return try T.decodeNull() }
            return try T(postgresText: text, type: columns.types[index])
        } catch {
            throw PostgresError(.decoding, message: "column \"\(name)\": \(error.reason)", column: name)
        }
    }
}

/// The outcome of one statement: its rows (if any) and the number of rows it affected.
public struct QueryResult: Sendable {
    public let columns: PostgresColumns
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted, copied or selected, as the command tag reports.
    public let affectedRows: Int

    /// The only row, or nil when there is none; more than one row is an error.
    public func singleRow() throws(PostgresError) -> PostgresRow? {
        guard rows.count <= 1 else {
            throw PostgresError(.unexpectedResponse, message: "expected at most one row, got \(rows.count)")
        }
        return rows.first
    }
}
