import Crypto
import Foundation
import WyscPostgres
import WyscWorkflow

/// A file a team attaches to a proposal version, inspected before anything is stored: its size,
/// its SHA-256 and its kind (read from the content). The bytes stay where they are (a file on
/// disk, or bytes in memory for generated documents) until they are stored, chunk by chunk.
public struct ProposalDocument: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case file(path: String)
        case bytes(Data)
    }

    /// The name the team gave it (the last component of its path).
    public var name: String
    public var size: Int
    public var sha256: Data
    /// nil when the content is of no kind wysc knows.
    public var type: DocumentType?
    public var source: Source

    /// Generated content (the demo's documents, tests).
    public init(name: String, bytes: Data) {
        self.name = name
        self.size = bytes.count
        self.sha256 = Data(SHA256.hash(data: bytes))
        self.type = DocumentSniffer.identify(size: bytes.count) { offset, count in
            Array(bytes[bytes.startIndex + offset..<bytes.startIndex + min(bytes.count, offset + count)])
        }
        self.source = .bytes(bytes)
    }

    /// Inspects a file on disk without holding it in memory. A file over `maxBytes` is not read at
    /// all: its size says enough. Throws `.badInput` naming the file when it cannot be read.
    public static func inspect(path: String, maxBytes: Int) throws(WyscError) -> ProposalDocument {
        let name = URL(fileURLWithPath: path).lastPathComponent
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw WyscError(.badInput, "file '\(path)' \(errno == ENOENT ? "does not exist" : "cannot be read: \(String(cString: strerror(errno)))")")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw WyscError(.badInput, "'\(path)' is not a regular file") }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            return ProposalDocument(name: name, size: size, sha256: Data(), type: nil, source: .file(path: path))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WyscError(.badInput, "file '\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        func read(_ offset: Int, _ count: Int) -> [UInt8] {
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: count) else { return [] }
            return Array(data)
        }
        let type = DocumentSniffer.identify(size: size, read: read)
        var hasher = SHA256()
        var total = 0
        try? handle.seek(toOffset: 0)
        while let chunk = try? handle.read(upToCount: DocumentStore.chunkSize), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += chunk.count
        }
        guard total == size else { throw WyscError(.badInput, "file '\(path)' changed while it was being read; try again") }
        return ProposalDocument(name: name, size: size, sha256: Data(hasher.finalize()), type: type, source: .file(path: path))
    }

    init(name: String, size: Int, sha256: Data, type: DocumentType?, source: Source) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.type = type
        self.source = source
    }

    /// What keeps this file out of a proposal under the workflow's rules, or nil.
    public func problem(_ rules: ProposalFileRules) -> String? {
        if let refusal = TextField.fileName.problem(name, field: "the file name \(quoted(name))") { return refusal }
        if size > rules.maxFileBytes {
            // Just over the limit rounds to the limit itself: then the bytes say it.
            let (shown, limit) =
                byteCountText(size) == byteCountText(rules.maxFileBytes)
                ? ("\(size) bytes", "\(rules.maxFileBytes) bytes") : (byteCountText(size), byteCountText(rules.maxFileBytes))
            return "file \(quoted(name)) is \(shown), over the limit of \(limit) per file"
        }
        if size == 0 { return "file \(quoted(name)) is empty" }
        guard let type else {
            return "file \(quoted(name)) is not a kind of document wysc recognizes (this competition accepts \(rules.allowedTypesText))"
        }
        guard rules.allowedTypes.contains(type) else {
            return "file \(quoted(name)) is \(type.description), which this competition does not accept (it accepts \(rules.allowedTypesText))"
        }
        return nil
    }

    /// Calls `body` with the content, `DocumentStore.chunkSize` bytes at a time.
    func forEachChunk(_ body: (Data) throws -> Void) throws {
        switch source {
        case .bytes(let bytes):
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + DocumentStore.chunkSize)
                try body(bytes.subdata(in: bytes.startIndex + offset..<bytes.startIndex + end))
                offset = end
            }
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw WyscError(.badInput, "file '\(path)' cannot be read: \(String(cString: strerror(errno)))")
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: DocumentStore.chunkSize), !chunk.isEmpty { try body(chunk) }
        }
    }
}

/// The SHA-256 of a download, computed as it arrives.
public struct DocumentDigest: Sendable {
    private var hasher = SHA256()
    public init() {}
    public mutating func update(_ bytes: Data) { hasher.update(data: bytes) }
    /// Lowercase hex, as `ProposalFile.sha256` gives it.
    public func finalize() -> String { WyscApplication.hexadecimal(hasher.finalize()) }
    public static func hexadecimal(_ digest: Data) -> String { WyscApplication.hexadecimal(digest) }
}

/// Reads a document's kind from its content.
enum DocumentSniffer {
    /// `read(offset, count)` gives up to `count` bytes from `offset`.
    static func identify(size: Int, read: (Int, Int) -> [UInt8]) -> DocumentType? {
        let head = read(0, min(size, 1024))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        // PDF readers accept the header anywhere in the first kilobyte.
        let pdf = Array("%PDF-".utf8)
        if head.count >= pdf.count, (0...(head.count - pdf.count)).contains(where: { head[$0..<$0 + pdf.count].elementsEqual(pdf) }) {
            return .pdf
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return zipKind(size: size, head: head, read: read) }
        return nil
    }

    /// An OpenDocument file starts with an uncompressed `mimetype` entry; an Office Open XML file
    /// names its main part in the central directory at the end of the archive.
    static func zipKind(size: Int, head: [UInt8], read: (Int, Int) -> [UInt8]) -> DocumentType {
        let odt = Array("mimetypeapplication/vnd.oasis.opendocument.text".utf8)
        if head.count >= 30 + odt.count, head[30..<30 + odt.count].elementsEqual(odt) { return .odt }
        let tailLength = min(size, 22 + 65_535)
        let tail = read(size - tailLength, tailLength)
        guard tail.count >= 22 else { return .zip }
        func le16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func le32(_ bytes: [UInt8], _ at: Int) -> Int { le16(bytes, at) | le16(bytes, at + 2) << 16 }
        guard
            let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
                tail[$0] == 0x50 && tail[$0 + 1] == 0x4B && tail[$0 + 2] == 0x05 && tail[$0 + 3] == 0x06
            })
        else { return .zip }
        let directorySize = le32(tail, end + 12)
        let directoryOffset = le32(tail, end + 16)
        guard directorySize <= 4 << 20, directoryOffset + directorySize <= size else { return .zip }
        let directory = read(directoryOffset, directorySize)
        var position = 0
        while position + 46 <= directory.count, le32(directory, position) == 0x0201_4B50 {
            let nameLength = le16(directory, position + 28)
            let skip = 46 + nameLength + le16(directory, position + 30) + le16(directory, position + 32)
            guard position + 46 + nameLength <= directory.count else { break }
            switch String(decoding: directory[position + 46..<position + 46 + nameLength], as: UTF8.self) {
            case "word/document.xml": return .docx
            case "ppt/presentation.xml": return .pptx
            case "xl/workbook.xml": return .xlsx
            default: position += skip
            }
        }
        return .zip
    }
}

/// Documents in PostgreSQL: stored once per content, read chunk by chunk.
enum DocumentStore {
    static let chunkSize = 1 << 20

    /// Stores the document unless the same content is stored already. The content is hashed again
    /// as it is stored: a file that changed since it was inspected is refused, nothing stored.
    static func store(_ document: ProposalDocument, on connection: PostgresConnection) throws {
        guard let type = document.type else { throw WyscError(.badInput, "file \(quoted(document.name)) is of no known kind") }
        guard
            try connection.query(
                """
                INSERT INTO document (sha256, media_type, size, chunk_size) VALUES (\(document.sha256), \(type.mediaType), \(document.size), \(chunkSize))
                ON CONFLICT (sha256) DO NOTHING RETURNING size
                """
            ).singleRow() != nil
        else { return }
        var hasher = SHA256()
        var position = 0
        var total = 0
        try document.forEachChunk { chunk in
            hasher.update(data: chunk)
            try connection.query("INSERT INTO document_chunk (sha256, position, bytes) VALUES (\(document.sha256), \(position), \(chunk))")
            position += 1
            total += chunk.count
        }
        guard total == document.size, Data(hasher.finalize()) == document.sha256 else {
            throw WyscError(.badInput, "file \(quoted(document.name)) changed while it was being stored; nothing was stored, try again")
        }
    }

    /// The bytes of `range` of a document, in pieces of at most one chunk.
    static func read(
        sha256: Data, range: Range<Int>, chunk: Int = chunkSize, using application: Application, into body: (Data) async throws -> Void
    ) async throws {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let position = offset / chunk
            let bytes = try await application.transaction { connection in
                try connection.query("SELECT bytes FROM document_chunk WHERE sha256 = \(sha256) AND position = \(position)").singleRow()?
                    .decode("bytes", as: Data.self)
            }
            guard let bytes else { throw WyscError(.failure, "a stored document is missing its chunk \(position)") }
            let start = offset - position * chunk
            let end = min(bytes.count, range.upperBound - position * chunk)
            guard start < end else { throw WyscError(.failure, "a stored document is shorter than its recorded size") }
            try await body(bytes.subdata(in: bytes.startIndex + start..<bytes.startIndex + end))
            offset += end - start
        }
    }
}
