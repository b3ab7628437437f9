/// Where a JSON text stops being JSON: the byte offset (from 0) and what was expected there.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public var description: String { "\(message) at byte \(offset + 1)" }
}

extension JSONValue {
    /// Nesting deeper than this is refused, so a hostile body cannot exhaust the stack.
    public static let maximumDepth = 64

    /// Parses one JSON text (RFC 8259) strictly: nothing but blanks after the value, no duplicate
    /// keys in an object, no lone surrogates. Whole numbers that fit are `.integer`, other numbers
    /// `.number`, so `1`, `1.0`, `true` and `"1"` stay apart.
    ///
    /// Written for the API's request bodies and stored scores: Foundation's decoder needs a type
    /// per value, and finding the type by trial throws an error per miss, which cost more than the
    /// rest of a request's work in the application.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var parser = Parser(bytes: Array(bytes))
        parser.skipBlanks()
        let value = try parser.value(depth: 0)
        parser.skipBlanks()
        guard parser.index == parser.bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try parse(Array(text.utf8)) }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func failure(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, message: message) }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipBlanks() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
            guard current == byte else { throw failure("expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            guard depth < JSONValue.maximumDepth else { throw failure("nested deeper than \(JSONValue.maximumDepth) levels") }
            switch current {
            case UInt8(ascii: "{")?: return try object(depth: depth)
            case UInt8(ascii: "[")?: return try array(depth: depth)
            case UInt8(ascii: "\"")?: return .string(try string())
            case UInt8(ascii: "t")?: return try literal("true", .bool(true))
            case UInt8(ascii: "f")?: return try literal("false", .bool(false))
            case UInt8(ascii: "n")?: return try literal("null", .null)
            case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): return try number()
            case nil: throw failure("expected a value, found the end")
            default: throw failure("expected a value")
            }
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
                throw failure("expected \(word)")
            }
            index += expected.count
            return value
        }

        mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            index += 1
            var members: [String: JSONValue] = [:]
            skipBlanks()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipBlanks()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes") }
                let keyOffset = index
                let key = try string()
                guard members[key] == nil else { throw JSONSyntaxError(offset: keyOffset, message: "the key \"\(key)\" appears twice") }
                skipBlanks()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipBlanks()
                members[key] = try value(depth: depth + 1)
                skipBlanks()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipBlanks()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipBlanks()
                elements.append(try value(depth: depth + 1))
                skipBlanks()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(elements)
            }
        }

        mutating func string() throws(JSONSyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            while true {
                guard let byte = current else { throw failure("the string has no closing quote") }
                switch byte {
                case UInt8(ascii: "\""):
                    try appendPlainBytes(from: runStart, to: &scalars)
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try appendPlainBytes(from: runStart, to: &scalars)
                    index += 1
                    scalars.append(try escape())
                    runStart = index
                case 0..<0x20:
                    throw failure("a control character must be escaped in a string")
                default:
                    index += 1
                }
            }
        }

        /// Copies the bytes from `start` up to here (no quote, backslash or control character) at once, checked as UTF-8.
        func appendPlainBytes(from start: Int, to scalars: inout String.UnicodeScalarView) throws(JSONSyntaxError) {
            guard start < index else { return }
            guard let text = String(validating: bytes[start..<index], as: UTF8.self) else {
                throw JSONSyntaxError(offset: start, message: "the string is not valid UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }

        mutating func escape() throws(JSONSyntaxError) -> Unicode.Scalar {
            guard let byte = current else { throw failure("the string has no closing quote") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let first = try hexQuad()
                if (0xD800..<0xDC00).contains(first) {
                    guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a high surrogate must be followed by a low one")
                    }
                    index += 2
                    let second = try hexQuad()
                    guard (0xDC00..<0xE000).contains(second) else { throw failure("a high surrogate must be followed by a low one") }
                    return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                }
                guard let scalar = Unicode.Scalar(first) else { throw failure("a low surrogate without a high one") }
                return scalar
            default:
                index -= 1
                throw failure("unknown escape")
            }
        }

        mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw failure("expected four hexadecimal digits") }
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure("expected four hexadecimal digits")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func number() throws(JSONSyntaxError) -> JSONValue {
            let start = index
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
            if current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { throw failure("expected a digit") }
            if current == UInt8(ascii: "0") {
                index += 1
                if isDigit(current) { throw failure("a number may not start with 0") }
            } else {
                while isDigit(current) { index += 1 }
            }
            var whole = true
            if current == UInt8(ascii: ".") {
                whole = false
                index += 1
                guard isDigit(current) else { throw failure("expected a digit after '.'") }
                while isDigit(current) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                whole = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard isDigit(current) else { throw failure("expected a digit in the exponent") }
                while isDigit(current) { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if whole, let integer = Int(text) { return .integer(integer) }
            guard let number = Double(text), number.isFinite else { throw JSONSyntaxError(offset: start, message: "the number is out of range") }
            return .number(number)
        }
    }
}
