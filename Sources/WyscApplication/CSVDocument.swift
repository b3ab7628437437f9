import Foundation
import WyscWorkflow

/// A small CSV file in memory, read by `CSVReader`: a header row, then records as strings.
public struct CSVDocument: Sendable {
    public struct Record: Sendable, Hashable {
        /// The spreadsheet row: the header is row 1, the first record row 2.
        public var row: Int
        /// The line the record starts on (differs from `row` after a quoted line break).
        public var line: Int
        public var fields: [String]
    }

    public var file: String
    /// Header names, trimmed and lowercased, spaces as '_'.
    public var header: [String]
    public var records: [Record]

    /// Parses `text`; `file` names it in errors.
    public init(_ text: String, file: String) throws(WyscError) {
        self.file = file
        var header: [String]?
        var records: [Record] = []
        do {
            try CSVReader(text: text, file: file).forEachRecord { record in
                let fields = (0..<record.count).map { record.raw($0) }
                if header == nil {
                    header = fields.map(CSVHeader.normalized)
                } else {
                    records.append(Record(row: record.row, line: record.line, fields: fields))
                }
            }
        } catch let error as WyscError {
            throw error
        } catch {
            throw WyscError(.failure, "\(file): \(error)")
        }
        guard let header else { throw WyscError(.badInput, "\(file): the file is empty; expected a header row") }
        self.header = header
        self.records = records
    }

    /// The column positions of `required` (and of `optional` where present), or an error listing what is missing.
    public func columns(required: [String], optional: [String] = []) throws(WyscError) -> [String: Int] {
        try CSVHeader(names: header, file: file).columns(required: required, optional: optional)
    }

    /// No column takes more (the longest is an abstract).
    public static let maxFieldCharacters = CSVReader.maxFieldCharacters
}

/// A header row: names trimmed and lowercased, spaces as '_', and the positions of the columns a reader needs.
public struct CSVHeader: Sendable {
    public var names: [String]
    public var file: String

    public init(names: [String], file: String) {
        self.names = names
        self.file = file
    }

    /// The header of `file` from its first row.
    public init(_ record: borrowing CSVRecord, file: String) {
        names = (0..<record.count).map { Self.normalized(record.raw($0)) }
        self.file = file
    }

    static func normalized(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "_")
    }

    /// The column positions of `required` (and of `optional` where present), or an error listing what is missing.
    public func columns(required: [String], optional: [String] = []) throws(WyscError) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        let missing = required.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw WyscError(
                .badInput,
                "\(file): the header lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); expected \((required + optional).joined(separator: ","))"
            )
        }
        return positions.filter { required.contains($0.key) || optional.contains($0.key) }
    }
}

extension CSVDocument.Record {
    /// The trimmed field at `column`, or "" when the row is shorter.
    public func value(_ column: Int?) -> String {
        guard let column, column < fields.count else { return "" }
        return fields[column].trimmingCharacters(in: .whitespaces)
    }
}

/// Problems found in one input file, each with its row; imports report all of them and write nothing.
public struct RowProblems: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, Comparable {
        public var row: Int
        public var message: String
        /// A value over its length limit or with a character that cannot be stored: such a row is
        /// not staged in the database for the other checks.
        public var isTextLimit = false

        public init(row: Int, message: String, isTextLimit: Bool = false) {
            self.row = row
            self.message = message
            self.isTextLimit = isTextLimit
        }
        public static func < (lhs: Problem, rhs: Problem) -> Bool { (lhs.row, lhs.message) < (rhs.row, rhs.message) }
    }

    public var file: String
    public var problems: [Problem]
    /// How many are printed before "and N more".
    static let shown = 50

    public var description: String {
        let sorted = problems.sorted()
        var lines = ["\(file): \(sorted.count) problem\(sorted.count == 1 ? "" : "s"); nothing was imported:"]
        lines += sorted.prefix(Self.shown).map { "  row \($0.row): \($0.message)" }
        if sorted.count > Self.shown { lines.append("  … and \(sorted.count - Self.shown) more") }
        return lines.joined(separator: "\n")
    }
}
