import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

/// How a read command prints its data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv.")
    var format: OutputFormat = .table
}

/// One cell of output, typed so that JSON keeps numbers and booleans as such.
enum Cell: Equatable {
    case text(String)
    case integer(Int)
    case bool(Bool)
    case null

    var plain: String {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .bool(let value): value ? "yes" : "no"
        case .null: ""
        }
    }
}

/// Rows with named columns, printable as an aligned table, JSON (an array of objects, keys in
/// column order) or CSV (RFC 4180).
struct DataTable {
    /// snake_case keys, used as JSON keys and CSV headers.
    var columns: [String]
    var rows: [[Cell]]

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: renderTable()
        case .json: renderJSON()
        case .csv: renderCSV()
        }
    }

    /// The widest a cell is shown in a table; JSON and CSV keep every value whole.
    static let maxCellWidth = 100

    func renderTable() -> String {
        let headers = columns.map { $0.replacingOccurrences(of: "_", with: " ").uppercased() }
        let texts = rows.map { $0.map { Self.tableCell($0.plain) } }
        var widths = headers.map(DisplayWidth.of)
        for row in texts {
            for (index, text) in row.enumerated() { widths[index] = max(widths[index], DisplayWidth.of(text)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, text in
                index == cells.count - 1 ? text : text + String(repeating: " ", count: widths[index] - DisplayWidth.of(text))
            }.joined(separator: "  ")
        }
        var lines = [line(headers)]
        lines += texts.map(line)
        return lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n") + "\n"
    }

    /// A cell as a table shows it: control characters (line breaks too) written out, and cut to
    /// `maxCellWidth` columns with an ellipsis, so a huge value costs no more than its first line.
    static func tableCell(_ text: String) -> String {
        var result = ""
        var width = 0
        var cut: String?  // the text that fits before an ellipsis
        for character in text {
            let shown =
                character.unicodeScalars.contains(where: { TextField.isControl($0) })
                ? Terminal.printable(String(character), keepingLineBreaks: false) : String(character)
            let characterWidth = shown.count == 1 ? DisplayWidth.of(character) : shown.count
            if cut == nil && width + characterWidth > maxCellWidth - 1 { cut = result }
            width += characterWidth
            if width > maxCellWidth { return cut! + "…" }
            result += shown
        }
        return result
    }

    func renderJSON() -> String {
        let objects = rows.map { row in
            "  {" + zip(columns, row).map { key, cell in "\(JSON.quote(key)): \(JSON.value(cell))" }.joined(separator: ", ") + "}"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    func renderCSV() -> String {
        var lines = [columns.map(CSV.field).joined(separator: ",")]
        for row in rows {
            lines.append(
                row.map { cell in
                    if case .text(let text) = cell { return CSV.field(CSV.defusingFormula(text)) }
                    return CSV.field(cell.plain)
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

enum JSON {
    static func quote(_ text: String) -> String { JSONValue.quote(text) }

    static func value(_ cell: Cell) -> String {
        switch cell {
        case .text(let text): quote(text)
        case .integer(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }
}

enum CSV {
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A spreadsheet would run a cell starting with = + - @ as a formula (OWASP "CSV injection").
    static func defusingFormula(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        // A negative number (a judge's bias) is no formula: a spreadsheet reads it as the number it is.
        if Double(text) != nil { return text }
        return "'" + text
    }
}

/// Terminal columns a string takes: East Asian wide characters (Chinese, Korean, Japanese) and
/// emoji take two, combining marks none.
enum DisplayWidth {
    static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    static func of(_ character: Character) -> Int {
        var width = 0
        for scalar in character.unicodeScalars {
            let properties = scalar.properties
            if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
                || scalar.value == 0x200D || (0xFE00...0xFE0F).contains(scalar.value)
            {
                continue
            }
            width = max(width, isWide(scalar) || properties.isEmojiPresentation ? 2 : 1)
        }
        return width
    }

    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            true
        default:
            false
        }
    }
}
