/// What an import reads its rows from, once per attempt of its transaction: an array (rows built
/// in memory, as `team register` and the demo make them), or a file read as it goes.
public protocol ImportRows<Element>: Sequence {
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
    private let columns: [String: Int]
    private let make: (borrowing CSVRecord, [String: Int]) throws(WyscError) -> Row
    private var error: WyscError?

    public init(
        _ reader: CSVReader, required: [String], optional: [String] = [],
        make: @escaping (borrowing CSVRecord, _ columns: [String: Int]) throws(WyscError) -> Row
    ) throws(WyscError) {
        var cursor = try CSVCursor(reader)
        guard let header = try cursor.next() else { throw WyscError(.badInput, "\(reader.file): the file is empty; expected a header row") }
        columns = try CSVHeader(header, file: reader.file).columns(required: required, optional: optional)
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
