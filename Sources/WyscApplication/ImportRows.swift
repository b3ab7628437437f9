import WyscPostgres

/// What an import reads its rows from, once per attempt of its transaction: an array (rows built
/// in memory, as `team register` and the demo make them), or a file read as it goes. Its type (not
/// its rows) crosses into the transaction's closure, which runs on the pool's thread.
public protocol ImportRows<Element>: Sequence, SendableMetatype {
    /// Throws what stopped the reading early (a malformed file); called once every row was taken.
    func finishReading() throws(WyscError)
}

extension Array: ImportRows {
    public func finishReading() {}
}

/// The rows of a CSV file, read one at a time as they are taken: a file of any size is never held
/// whole. The header is read first (its required columns checked); each later row is made into a
/// `Row` by `make`. The first error stops the rows; `finishReading()` throws it.
public final class CSVRowStream<Row>: ImportRows, IteratorProtocol {
    private var cursor: CSVCursor
    /// The header's columns by name.
    public let columns: [String: Int]
    private let make: (borrowing CSVRecord, [String: Int]) throws(WyscError) -> Row
    private var error: WyscError?

    /// `anyOther`: every other column of the header is kept too (a scoring file's criteria).
    public init(
        _ reader: CSVReader, required: [String], optional: [String] = [], anyOther: Bool = false,
        make: @escaping (borrowing CSVRecord, _ columns: [String: Int]) throws(WyscError) -> Row
    ) throws(WyscError) {
        var cursor = try CSVCursor(reader)
        guard let header = try cursor.next() else { throw WyscError(.badInput, "\(reader.file): the file is empty; expected a header row") }
        let names = CSVHeader(header, file: reader.file)
        var columns = try names.columns(required: required, optional: optional)
        if anyOther {
            for (index, name) in names.names.enumerated() where columns[name] == nil && !name.isEmpty { columns[name] = index }
        }
        self.columns = columns
        self.cursor = cursor
        self.make = make
    }

    public func next() -> Row? {
        guard error == nil else { return nil }
        do {
            guard let record = try cursor.next() else { return nil }
            return try make(record, columns)
        } catch {
            self.error = error
            return nil
        }
    }

    public func finishReading() throws(WyscError) {
        if let error { throw error }
    }
}

/// Where an import stages its rows: a temporary table that lives until the transaction ends.
/// `name` and `columns` are constants of the program, never input; the first column is the row
/// number, which every set-based check returns as `row_number`.
struct StagingTable<Row>: Sendable {
    var name: String
    var columns: String
    /// A row's problems seen alone. A value over its length limit is marked `isTextLimit` and keeps
    /// the row out of staging.
    var check: @Sendable (Row) -> [RowProblems.Problem]
    /// The row's values for the table's columns, row number first.
    var values: @Sendable (Row) -> [String?]
}

/// The one shape of every import: rows are read one at a time, each checked on its own and copied
/// into a staging table as it is read (a file of any size is never held whole); the checks that
/// need the database then run once over the whole table; the caller writes from the staging table
/// only when no row has a problem, in the same transaction, so an import is all or nothing.
enum StagedImport {
    /// Stages every row; returns how many there were and their own problems.
    static func stage<Rows: ImportRows>(
        _ rows: Rows, into table: StagingTable<Rows.Element>, on connection: PostgresConnection,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        try connection.runScript("CREATE TEMP TABLE \(table.name) (\(table.columns)) ON COMMIT DROP")
        var problems: [RowProblems.Problem] = []
        var total = 0
        progress?(ImportProgress(stage: "reading", done: 0, total: 0))
        let copyRows = rows.lazy.compactMap { row -> [String?]? in
            total += 1
            if total % 1000 == 0 { progress?(ImportProgress(stage: "reading", done: total, total: 0)) }
            let rowProblems = table.check(row)
            problems += rowProblems
            // A value over its length limit is not copied anywhere, not even into the staging table.
            return rowProblems.contains(where: \.isTextLimit) ? nil : table.values(row)
        }
        try connection.copyFrom(SQLQuery(stringLiteral: "COPY \(table.name) FROM STDIN"), rows: copyRows)
        try rows.finishReading()
        progress?(ImportProgress(stage: "validating", done: total, total: total))
        return (total, problems)
    }

    /// Whether the set-based checks can be trusted: a row left out of staging (a value that cannot
    /// be stored) would make them misleading, so until every value can be stored only the rows' own
    /// problems are told.
    static func everyRowStaged(_ problems: [RowProblems.Problem]) -> Bool {
        !problems.contains(where: \.isTextLimit)
    }

    /// A set-based check: every row `query` returns is a problem of its `row_number`, told in the
    /// words of `message` (one language, written here from what the row holds).
    static func problems(
        _ query: SQLQuery, on connection: PostgresConnection, _ message: (PostgresRow) throws -> String
    ) throws -> [RowProblems.Problem] {
        try connection.query(query).rows.map { row in .init(row: try row.decode("row_number"), message: try message(row)) }
    }
}
