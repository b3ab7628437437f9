import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one CSV parser (RFC 4180, as spreadsheets and form tools write it), over bytes: a file is
/// read in chunks of a few megabytes and never held whole, and a field is a view of bytes until a
/// caller asks for a String. Quoted fields may hold commas, quotes ("") and line breaks; a UTF-8
/// byte order mark is ignored; rows holding nothing are skipped (they are not counted as rows).
public struct CSVReader: Sendable {
    public enum Source: Sendable {
        case path(String)
        case bytes([UInt8])
    }

    /// How the file is named in errors.
    public let file: String
    public let source: Source

    public init(path: String, file: String? = nil) {
        self.file = file ?? path
        source = .path(path)
    }

    public init(text: String, file: String) {
        self.file = file
        source = .bytes(Array(text.utf8))
    }

    public init(source: Source, file: String) {
        self.file = file
        self.source = source
    }

    /// No column takes more (the longest is an abstract): a longer field is refused while reading,
    /// so that a huge cell never reaches memory twice or an error message.
    public static let maxFieldCharacters = TextField.abstract.maxCharacters
    /// A row longer than this is refused rather than buffered.
    static let maxRecordBytes = 16 << 20
    static let chunkBytes = 4 << 20

    /// Calls `body` with each row that holds something, the header (row 1) first.
    public func forEachRecord(_ body: (borrowing CSVRecord) throws -> Void) throws {
        var cursor = try CSVCursor(self)
        while let record = try cursor.next() { try body(record) }
    }
}

/// Reads a CSV file row by row: `next()` gives the next row that holds something, whose fields stay
/// valid until the following call. No closure per row and no reference counting in the loop, so
/// that a file of millions of rows reads at the disk's speed.
public struct CSVCursor: ~Copyable {
    public let file: String
    private let descriptor: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var filled = 0
    private var start = 0
    private var atEnd: Bool
    private var begun = false
    private var parser: Parser

    public init(_ reader: CSVReader) throws(WyscError) {
        file = reader.file
        parser = Parser(file: reader.file)
        switch reader.source {
        case .bytes(let bytes):
            descriptor = -1
            capacity = max(bytes.count, 1)
            let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { if let base = $0.baseAddress { copy.initialize(from: base, count: $0.count) } }
            storage = copy
            filled = bytes.count
            atEnd = true
        case .path(let path):
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw WyscError(.badInput, "cannot read \(path): \(String(cString: strerror(errno)))") }
            capacity = CSVReader.chunkBytes
            storage = .allocate(capacity: capacity)
            atEnd = false
        }
    }

    deinit {
        storage.deallocate()
        if descriptor >= 0 { close(descriptor) }
    }

    /// The next row that holds something, or nil at the end of the file.
    public mutating func next() throws(WyscError) -> CSVRecord? {
        while true {
            if !begun {
                // The byte order mark is three bytes: wait for them unless the file is shorter.
                if filled < 3 && !atEnd {
                    try fill()
                    continue
                }
                start = filled >= 3 && storage[0] == 0xEF && storage[1] == 0xBB && storage[2] == 0xBF ? 3 : 0
                begun = true
            }
            if start < filled {
                let buffer = UnsafeBufferPointer(start: storage, count: filled)
                switch try parser.record(buffer, from: start, atEnd: atEnd) {
                case .row(let next):
                    start = next
                    return parser.current
                case .blank(let next):
                    start = next
                    continue
                case .needMore:
                    break
                }
            } else if atEnd {
                return nil
            }
            try fill()
        }
    }

    /// Keeps the unfinished row at the front of the buffer and reads more after it.
    private mutating func fill() throws(WyscError) {
        if start > 0 {
            if filled > start { UnsafeMutableRawPointer(storage).copyMemory(from: storage + start, byteCount: filled - start) }
            filled -= start
            start = 0
        }
        if filled == capacity {
            guard capacity < CSVReader.maxRecordBytes else {
                throw WyscError(
                    .badInput, "\(file), line \(parser.line): a row longer than \(CSVReader.maxRecordBytes >> 20) MB; no row takes that much")
            }
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            larger.initialize(from: storage, count: filled)
            storage.deallocate()
            storage = larger
            capacity *= 2
        }
        while !atEnd && filled < capacity {
            let count = read(descriptor, storage + filled, capacity - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw WyscError(.badInput, "cannot read \(file): \(String(cString: strerror(errno)))")
            }
            if count == 0 { atEnd = true } else { filled += count }
            if filled >= CSVReader.chunkBytes / 2 { break }
        }
    }

    /// What parsing from one position found.
    enum Outcome {
        case row(next: Int)
        case blank(next: Int)
        /// The buffer ends inside this row and more input may come.
        case needMore
    }

    /// The state that outlives one row: line and row numbers, and the scratch a row's fields are
    /// copied into (unquoted, with doubled quotes undone).
    struct Parser: ~Copyable {
        let file: String
        var line = 1
        var row = 0
        var rowLine = 1
        var fieldBytes = Scratch<UInt8>()
        var fieldEnds = Scratch<Int>()

        init(file: String) {
            self.file = file
        }

        var current: CSVRecord { CSVRecord(row: row, line: rowLine, bytes: fieldBytes.buffer, ends: fieldEnds.buffer) }

        /// Parses the row starting at `start`.
        mutating func record(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, atEnd: Bool) throws(WyscError) -> Outcome {
            let bytes = buffer.baseAddress!
            let end = buffer.count
            fieldBytes.removeAll()
            fieldEnds.removeAll()
            var index = start
            var lines = 0
            var inQuotes = false
            var quoted = false
            var atFieldStart = true
            var sawAnything = false
            while true {
                guard index < end else {
                    guard atEnd else { return .needMore }
                    if inQuotes { throw WyscError(.badInput, "\(file), line \(line): a quoted field is never closed") }
                    // The last row without a line break; nothing at all after the last break is no row.
                    guard sawAnything else { return .blank(next: index) }
                    fieldEnds.append(fieldBytes.count)
                    return finish(next: index, lines: lines)
                }
                let byte = bytes[index]
                sawAnything = true
                if inQuotes {
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 == end && !atEnd { return .needMore }
                        if index + 1 < end && bytes[index + 1] == UInt8(ascii: "\"") {
                            try append(bytes, index, index + 1, inQuotes: true)
                            index += 2
                        } else {
                            inQuotes = false
                            index += 1
                        }
                        continue
                    }
                    // A run of quoted text up to the next quote.
                    var stop = index
                    while stop < end && bytes[stop] != UInt8(ascii: "\"") {
                        if bytes[stop] == 0 { throw nul(lines) }
                        if bytes[stop] == UInt8(ascii: "\n") { lines += 1 }
                        stop += 1
                    }
                    try append(bytes, index, stop, inQuotes: true)
                    index = stop
                    continue
                }
                switch byte {
                case UInt8(ascii: ","):
                    fieldEnds.append(fieldBytes.count)
                    quoted = false
                    atFieldStart = true
                    index += 1
                case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                    if byte == UInt8(ascii: "\r") {
                        if index + 1 == end && !atEnd { return .needMore }
                        index += index + 1 < end && bytes[index + 1] == UInt8(ascii: "\n") ? 2 : 1
                    } else {
                        index += 1
                    }
                    fieldEnds.append(fieldBytes.count)
                    return finish(next: index, lines: lines + 1)
                case UInt8(ascii: "\""):
                    guard atFieldStart else {
                        throw WyscError(
                            .badInput,
                            "\(file), line \(line + lines): a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                    }
                    inQuotes = true
                    quoted = true
                    atFieldStart = false
                    index += 1
                case 0:
                    throw nul(lines)
                default:
                    if quoted {
                        guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else {
                            throw WyscError(
                                .badInput, "\(file), line \(line + lines): text after a closing quote; a quoted field must end at a comma or line end"
                            )
                        }
                        index += 1
                        continue
                    }
                    atFieldStart = false
                    // A run of plain text up to the next delimiter.
                    var stop = index + 1
                    while stop < end {
                        let next = bytes[stop]
                        if next == UInt8(ascii: ",") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") || next == UInt8(ascii: "\"")
                            || next == 0
                        {
                            break
                        }
                        stop += 1
                    }
                    try append(bytes, index, stop, inQuotes: false)
                    index = stop
                }
            }
        }

        /// Ends a row: a blank one (every field empty or spaces) is not counted.
        mutating func finish(next: Int, lines: Int) -> Outcome {
            let blank = fieldBytes.buffer.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            rowLine = line
            line += lines
            if blank { return .blank(next: next) }
            row += 1
            return .row(next: next)
        }

        /// Appends bytes[from..<to] to the field. Characters (bytes that do not continue one) are
        /// counted only once the field has more bytes than the limit has characters.
        mutating func append(_ bytes: UnsafePointer<UInt8>, _ from: Int, _ to: Int, inQuotes: Bool) throws(WyscError) {
            fieldBytes.append(bytes + from, count: to - from)
            let fieldStart = fieldEnds.count == 0 ? 0 : fieldEnds.buffer[fieldEnds.count - 1]
            guard fieldBytes.count - fieldStart > CSVReader.maxFieldCharacters else { return }
            let characters = UnsafeBufferPointer(rebasing: fieldBytes.buffer[fieldStart...]).reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
            guard characters > CSVReader.maxFieldCharacters else { return }
            throw WyscError(
                .badInput,
                "\(file), line \(line), column \(fieldEnds.count + 1): a field longer than \(CSVReader.maxFieldCharacters) characters; no column takes that much"
                    + (inQuotes ? " (is a closing quote missing?)" : ""))
        }

        func nul(_ lines: Int) -> WyscError { WyscError(.badInput, "\(file), line \(line + lines): a NUL character; a CSV file holds text only") }
    }
}

/// A growable buffer the parser owns and reuses for every row: appending to it costs neither a
/// uniqueness check nor reference counting, unlike an Array's.
struct Scratch<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity = 256

    init() { base = .allocate(capacity: capacity) }
    deinit { base.deallocate() }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    mutating func removeAll() { count = 0 }

    private mutating func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        while capacity < needed { capacity *= 2 }
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        larger.initialize(from: base, count: count)
        base.deallocate()
        base = larger
    }

    mutating func append(_ element: Element) {
        reserve(count + 1)
        base[count] = element
        count += 1
    }

    mutating func append(_ elements: UnsafePointer<Element>, count added: Int) {
        reserve(count + added)
        (base + count).initialize(from: elements, count: added)
        count += added
    }
}

/// One row of a CSV file, valid until its cursor moves on: its fields are views of the cursor's bytes.
public struct CSVRecord: ~Copyable {
    /// The spreadsheet row: the header is row 1, the first record row 2.
    public let row: Int
    /// The line the row starts on (differs from `row` after a quoted line break or blank rows).
    public let line: Int
    let bytes: UnsafeBufferPointer<UInt8>
    let ends: UnsafeBufferPointer<Int>

    public var count: Int { ends.count }

    /// The bytes of field `column` without surrounding spaces and tabs; empty when the row is shorter.
    public func bytes(_ column: Int?) -> UnsafeBufferPointer<UInt8> {
        guard let column, column >= 0, column < ends.count, let base = bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        var low = column == 0 ? 0 : ends[column - 1]
        var high = ends[column]
        while low < high && (base[low] == UInt8(ascii: " ") || base[low] == UInt8(ascii: "\t")) { low += 1 }
        while high > low && (base[high - 1] == UInt8(ascii: " ") || base[high - 1] == UInt8(ascii: "\t")) { high -= 1 }
        return UnsafeBufferPointer(start: base + low, count: high - low)
    }

    /// Field `column` untrimmed, as written.
    public func raw(_ column: Int) -> String {
        let low = column == 0 ? 0 : ends[column - 1]
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[low..<ends[column]]), as: UTF8.self)
    }

    /// Field `column`, trimmed; "" when the row is shorter. Bytes that are not UTF-8 are refused.
    public func string(_ column: Int?, in file: String) throws(WyscError) -> String {
        let field = bytes(column)
        // ASCII, as most fields are, needs no validation (which looks up generic metadata per field).
        if field.allSatisfy({ $0 < 0x80 }) { return String(decoding: field, as: UTF8.self) }
        guard let text = String(validating: field, as: UTF8.self) else {
            throw WyscError(.badInput, "\(file), row \(row), column \((column ?? 0) + 1): not UTF-8 text; save the file as UTF-8")
        }
        return text
    }

    /// Field `column` as a whole number written in ASCII digits with an optional sign, or nil.
    public func integer(_ column: Int?) -> Int? {
        let field = bytes(column)
        guard !field.isEmpty, field.count <= 18 else { return field.isEmpty ? nil : Int(String(decoding: field, as: UTF8.self)) }
        var index = 0
        var negative = false
        if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") {
            negative = field[0] == UInt8(ascii: "-")
            index = 1
            guard field.count > 1 else { return nil }
        }
        var value = 0
        while index < field.count {
            let digit = Int(field[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
            index += 1
        }
        return negative ? -value : value
    }

    /// The field for an error message: trimmed, at most 40 characters, not UTF-8 shown as such.
    public func shown(_ column: Int?) -> String {
        let text = String(decoding: bytes(column), as: UTF8.self)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

/// Names (as bytes) to indices, for files with millions of rows: a lookup hashes the field's bytes
/// where it lies, without making a String. Each slot holds a key's first 8 bytes and length, so
/// a short id (most are) is found with one memory access.
public struct ByteKeyIndex: Sendable {
    private struct Slot {
        var prefix: UInt64
        var length: Int32
        /// -1 when empty.
        var index: Int32
    }

    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var slots: [Slot]
    private var mask: Int

    public init(expectedCount: Int = 16) {
        var size = 16
        while size < expectedCount * 2 { size <<= 1 }
        slots = Array(repeating: Slot(prefix: 0, length: 0, index: -1), count: size)
        mask = size - 1
    }

    public var count: Int { keyStarts.count - 1 }

    /// The key's first 8 bytes as a word (zeros past its end).
    static func prefix(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var word: UInt64 = 0
        for offset in 0..<min(8, key.count) { word |= UInt64(key[offset]) << UInt64(8 * offset) }
        return word
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>, prefix: UInt64) -> Int {
        var value = (prefix ^ UInt64(key.count)) &* 0x9e37_79b9_7f4a_7c15
        if key.count > 8 {
            for byte in key[8...] { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        value ^= value >> 29
        value = value &* 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: value ^ (value >> 32))
    }

    /// Whether `key` is the key at `index` (false when there is no such index).
    public func matches(_ index: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard index >= 0 && index < count else { return false }
        let start = keyStarts[index]
        guard keyStarts[index + 1] - start == key.count else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            // Ids are short: a loop beats a call to memcmp.
            for offset in 0..<key.count where stored[start + offset] != key[offset] { return false }
            return true
        }
    }

    /// The index of `key`, or nil.
    public func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let prefix = Self.prefix(key)
        var slot = Self.hash(key, prefix: prefix) & mask
        while true {
            let entry = slots[slot]
            if entry.index < 0 { return nil }
            if entry.prefix == prefix && Int(entry.length) == key.count && (key.count <= 8 || matches(Int(entry.index), key)) {
                return Int(entry.index)
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `key` with the next index; returns the index it already had, if any.
    @discardableResult
    public mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (inserted: Bool, index: Int) {
        if let existing = index(of: key) { return (false, existing) }
        if (count + 1) * 2 > slots.count { grow() }
        let index = count
        keyBytes.append(contentsOf: key)
        keyStarts.append(keyBytes.count)
        place(key, index: index)
        return (true, index)
    }

    private mutating func place(_ key: UnsafeBufferPointer<UInt8>, index: Int) {
        let prefix = Self.prefix(key)
        var slot = Self.hash(key, prefix: prefix) & mask
        while slots[slot].index >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(prefix: prefix, length: Int32(key.count), index: Int32(index))
    }

    private mutating func grow() {
        slots = Array(repeating: Slot(prefix: 0, length: 0, index: -1), count: slots.count * 2)
        mask = slots.count - 1
        let stored = keyBytes
        stored.withUnsafeBufferPointer { stored in
            for index in 0..<count { place(UnsafeBufferPointer(rebasing: stored[keyStarts[index]..<keyStarts[index + 1]]), index: index) }
        }
    }
}
