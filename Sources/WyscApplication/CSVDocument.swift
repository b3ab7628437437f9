import Foundation
import WyscWorkflow

/// A CSV file as spreadsheets and form tools write it (RFC 4180): a header row, then records.
/// Quoted fields may hold commas, quotes ("") and line breaks; a UTF-8 byte order mark is ignored.
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
        var rows = try Self.parse(text, file: file)
        // Lines holding nothing are not records (a trailing blank line, a spreadsheet's empty rows).
        rows.removeAll { $0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        guard let first = rows.first else { throw WyscError(.badInput, "\(file): the file is empty; expected a header row") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "_") }
        records = rows.dropFirst().enumerated().map { index, row in Record(row: index + 2, line: row.line, fields: row.fields) }
    }

    /// The column positions of `required` (and of `optional` where present), or an error listing what is missing.
    public func columns(required: [String], optional: [String] = []) throws(WyscError) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, name) in header.enumerated() where positions[name] == nil { positions[name] = index }
        let missing = required.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw WyscError(
                .badInput,
                "\(file): the header lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); expected \((required + optional).joined(separator: ","))"
            )
        }
        return positions.filter { required.contains($0.key) || optional.contains($0.key) }
    }

    /// No column takes more (the longest is an abstract): a longer field is refused while reading,
    /// so that a huge cell never reaches memory twice or an error message.
    public static let maxFieldCharacters = TextField.abstract.maxCharacters

    private static func parse(_ text: String, file: String) throws(WyscError) -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var fieldLength = 0
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var quotedField = false
        var atFieldStart = true
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        func endRecord() {
            fields.append(field)
            rows.append((rowLine, fields))
            fields = []
            field = ""
            fieldLength = 0
            quotedField = false
            atFieldStart = true
        }
        while let scalar = pending {
            pending = iterator.next()
            if scalar.value == 0 {
                throw WyscError(.badInput, "\(file), line \(line): a NUL character; a CSV file holds text only")
            }
            fieldLength += 1
            if fieldLength > maxFieldCharacters {
                throw WyscError(
                    .badInput,
                    "\(file), line \(rowLine), column \(fields.count + 1): a field longer than \(maxFieldCharacters) characters; no column takes that much"
                        + (inQuotes ? " (is a closing quote missing?)" : ""))
            }
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field)
                field = ""
                fieldLength = 0
                quotedField = false
                atFieldStart = true
            case "\r" where pending == "\n":
                continue
            case "\n", "\r":
                endRecord()
                line += 1
                rowLine = line
            case "\"" where atFieldStart:
                inQuotes = true
                quotedField = true
                atFieldStart = false
            case "\"":
                throw WyscError(
                    .badInput, "\(file), line \(line): a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
            default:
                if quotedField {
                    if scalar == " " || scalar == "\t" { continue }
                    throw WyscError(.badInput, "\(file), line \(line): text after a closing quote; a quoted field must end at a comma or line end")
                }
                atFieldStart = false
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw WyscError(.badInput, "\(file), line \(rowLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return rows
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
