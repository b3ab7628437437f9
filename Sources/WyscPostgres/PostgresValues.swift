import Foundation

/// A PostgreSQL type OID, as reported for each result column.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let char = PostgresType(rawValue: 18)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let unknown = PostgresType(rawValue: 705)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
    public static let int2Array = PostgresType(rawValue: 1005)
    public static let int4Array = PostgresType(rawValue: 1007)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let varcharArray = PostgresType(rawValue: 1015)
    public static let int8Array = PostgresType(rawValue: 1016)

    static let names: [UInt32: String] = [
        16: "boolean", 17: "bytea", 18: "char", 19: "name", 20: "bigint", 21: "smallint", 23: "integer",
        25: "text", 26: "oid", 114: "json", 700: "real", 701: "double precision", 705: "unknown",
        1042: "character", 1043: "character varying", 1082: "date", 1114: "timestamp",
        1184: "timestamp with time zone", 1700: "numeric", 2950: "uuid", 3802: "jsonb",
        1005: "smallint[]", 1007: "integer[]", 1009: "text[]", 1015: "character varying[]", 1016: "bigint[]",
    ]

    public var description: String { Self.names[rawValue] ?? "type oid \(rawValue)" }

    static let textLike: Set<PostgresType> = [.text, .varchar, .bpchar, .name, .char, .unknown]
    static let textOrJSON = textLike.union([.json, .jsonb])
    static let integers: Set<PostgresType> = [.int2, .int4, .int8, .oid]
    static let exactNumbers = integers.union([.numeric])
    static let numbers = integers.union([.float4, .float8, .numeric])
    static let jsonTypes: Set<PostgresType> = [.json, .jsonb]
}

/// A value that can be sent as a query parameter, in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

/// Why a column could not be decoded; `PostgresRow` adds the column name.
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A value that can be read from a result column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value.
    init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure)
    /// The value for SQL NULL; throws unless the type can represent it (`Optional` can).
    static func decodeNull() throws(PostgresDecodingFailure) -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self {
        throw PostgresDecodingFailure("unexpected NULL (decode as an Optional to accept NULL)")
    }
}

private func require(_ type: PostgresType, is expected: PostgresType, for swiftType: String) throws(PostgresDecodingFailure) {
    guard type == expected else { throw PostgresDecodingFailure("cannot decode a \(type) column as \(swiftType)") }
}

/// `swiftType` is only spelled out on failure: naming a type costs a runtime lookup on every decode.
private func require(_ type: PostgresType, in accepted: Set<PostgresType>, for swiftType: @autoclosure () -> String) throws(PostgresDecodingFailure) {
    guard accepted.contains(type) else {
        throw PostgresDecodingFailure("cannot decode a \(type) column as \(swiftType())")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        self = .some(try Wrapped(postgresText: text, type: type))
    }
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { nil }
}

// MARK: Text

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, in: PostgresType.textOrJSON, for: "String")
        self = text
    }
}

// MARK: Integers

/// Integers of every width share one text encoding; decoding checks that the value fits.
public protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public var postgresText: String { String(self) }

    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, in: PostgresType.integers, for: "\(Self.self)")
        guard let value = Self(text) else { throw PostgresDecodingFailure("\(text.prefix(30)) does not fit in \(Self.self)") }
        self = value
    }
}

extension Int: PostgresInteger {}
extension Int64: PostgresInteger {}
extension Int32: PostgresInteger {}
extension Int16: PostgresInteger {}

// MARK: Bool, Double, Decimal

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, is: .bool, for: "Bool")
        switch text {
        case "t": self = true
        case "f": self = false
        default: throw PostgresDecodingFailure("invalid boolean")
        }
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, in: PostgresType.numbers, for: "Double")
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw PostgresDecodingFailure("invalid number") }
            self = value
        }
    }
}

extension Decimal: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { "\(self)" }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, in: PostgresType.exactNumbers, for: "Decimal")
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresDecodingFailure("\(text.prefix(30)) is not a decimal number Decimal can hold")
        }
        self = value
    }
}

// MARK: Dates

/// A calendar date without a time or time zone (PostgreSQL `date`), e.g. a birth date.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Creates a date, or returns nil when the day does not exist (2026-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ description: String) {
        let fields = description.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
            let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension CalendarDate: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { description }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, is: .date, for: "CalendarDate")
        guard let date = CalendarDate(text) else { throw PostgresDecodingFailure("unsupported date \(text) (expected YYYY-MM-DD)") }
        self = date
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    /// ISO 8601 in UTC with microseconds, which PostgreSQL reads exactly.
    public var postgresText: String { TimestampFormat.format(self) }

    /// Reads `timestamptz` as the server prints it with `DateStyle = ISO` (set on every connection).
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, is: .timestamptz, for: "Date")
        guard let date = TimestampFormat.parse(text) else { throw PostgresDecodingFailure("unsupported timestamp \(text)") }
        self = date
    }
}

/// Times as text in UTC, computed by hand: a page or a query lists hundreds of them, and a
/// Foundation formatter costs tens of microseconds to create.
public enum TimestampFormat {
    /// With microseconds, as PostgreSQL takes them.
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((totalMicros / 1_000_000).rounded(.down))
        return utc(seconds) + "." + pad(Int64(totalMicros) - seconds * 1_000_000, 6) + "Z"
    }

    /// RFC 3339 to the second (a fraction is dropped), as people read them.
    public static func rfc3339(_ date: Date) -> String {
        utc(Int64(date.timeIntervalSince1970.rounded(.down))) + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS` of seconds since 1970.
    private static func utc(_ since1970: Int64) -> String {
        let days = since1970 >= 0 ? since1970 / 86_400 : (since1970 - 86_399) / 86_400
        let seconds = since1970 - days * 86_400
        let (year, month, day) = civilFromDays(days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds % 3600 / 60, 2)):\(pad(seconds % 60, 2))"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 22, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in digits..<6 where digits < 6 { micros *= 10 }
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return nil }
        let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
        index += 1
        guard let offsetHours = number(index..<index + 2) else { return nil }
        var offset = offsetHours * 3600
        index += 2
        if index < bytes.count, bytes[index] == UInt8(ascii: ":"), let minutes = number(index + 1..<index + 3) {
            offset += minutes * 60
            index += 3
            if index < bytes.count, bytes[index] == UInt8(ascii: ":"), let seconds = number(index + 1..<index + 3) {
                offset += seconds
                index += 3
            }
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - sign * offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian calendar.
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

// MARK: UUID, bytea, JSON

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { uuidString.lowercased() }
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, is: .uuid, for: "UUID")
        guard let value = UUID(uuidString: text) else { throw PostgresDecodingFailure("invalid uuid") }
        self = value
    }
}

extension Data: PostgresEncodable, PostgresDecodable {
    /// bytea in hex format: `\x0a1b…`.
    public var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8](repeating: 0, count: 2 + count * 2)
        text[0] = UInt8(ascii: "\\")
        text[1] = UInt8(ascii: "x")
        for (offset, byte) in enumerated() {
            text[2 + offset * 2] = digits[Int(byte >> 4)]
            text[3 + offset * 2] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: text, as: UTF8.self)
    }

    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, is: .bytea, for: "Data")
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw PostgresDecodingFailure("bytea is not in hex format")
        }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 97...102: byte - 87
            case 65...70: byte - 55
            default: nil
            }
        }
        var data = Data(capacity: (bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else {
                throw PostgresDecodingFailure("bytea has a non-hex digit")
            }
            data.append(high << 4 | low)
            index += 2
        }
        self = data
    }
}

/// A `json`/`jsonb` value, kept as its JSON text. Bind it with a cast: `\(json)::jsonb`.
public struct PostgresJSON: Hashable, Sendable, PostgresEncodable, PostgresDecodable {
    public var text: String

    public init(text: String) { self.text = text }

    /// Encodes a value with sorted keys, so the same value always gives the same text.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public var postgresText: String { text }

    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        try require(type, in: PostgresType.jsonTypes, for: "PostgresJSON")
        self.text = text
    }
}

// MARK: Arrays

/// Element types that can travel inside a PostgreSQL array literal.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The array column types this element decodes from, and the element type to decode each entry as.
    static var arrayTypes: [PostgresType: PostgresType] { get }
}

extension String: PostgresArrayElement {
    public static var arrayTypes: [PostgresType: PostgresType] { [.textArray: .text, .varcharArray: .varchar] }
}
extension Int: PostgresArrayElement {
    public static var arrayTypes: [PostgresType: PostgresType] { [.int2Array: .int2, .int4Array: .int4, .int8Array: .int8] }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// An array literal, every element quoted: `{"a","b \"c\"",NULL}`.
    public var postgresText: String {
        "{"
            + map { element in
                "\"" + element.postgresText.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
            }.joined(separator: ",") + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init(postgresText text: String, type: PostgresType) throws(PostgresDecodingFailure) {
        guard let elementType = Element.arrayTypes[type] else {
            throw PostgresDecodingFailure("cannot decode a \(type) column as [\(Element.self)]")
        }
        var elements: [Element] = []
        for item in try ArrayLiteral.parse(text) {
            guard let item else { throw PostgresDecodingFailure("the array has a NULL element") }
            elements.append(try Element(postgresText: item, type: elementType))
        }
        self = elements
    }
}

enum ArrayLiteral {
    /// Parses a one-dimensional array literal as PostgreSQL prints it.
    static func parse(_ text: String) throws(PostgresDecodingFailure) -> [String?] {
        var scalars = Array(text.unicodeScalars)[...]
        if scalars.first == "[" {  // explicit bounds, "[0:1]={…}"
            guard let equals = scalars.firstIndex(of: "=") else { throw PostgresDecodingFailure("malformed array") }
            scalars = scalars[(equals + 1)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { throw PostgresDecodingFailure("malformed array") }
        scalars = scalars.dropFirst().dropLast()
        var items: [String?] = []
        guard !scalars.isEmpty else { return items }
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaped = false
        for scalar in scalars {
            if escaped {
                current.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "{" && !quoted {
                throw PostgresDecodingFailure("multi-dimensional arrays are not supported")
            } else if scalar == "," && !quoted {
                let item = String(current)
                items.append(!wasQuoted && item == "NULL" ? nil : item)
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else {
                current.append(scalar)
            }
        }
        let item = String(current)
        items.append(!wasQuoted && item == "NULL" ? nil : item)
        return items
    }
}
