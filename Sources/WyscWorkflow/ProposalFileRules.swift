/// The kinds of file a proposal may carry. A file's kind is read from its content (its magic
/// bytes and, for Office documents, the names inside the ZIP container), never from its name.
public enum DocumentType: String, Sendable, Hashable, CaseIterable, Codable {
    case pdf
    case png
    case jpeg
    case docx
    case pptx
    case xlsx
    case odt
    case zip

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .odt: "application/vnd.oasis.opendocument.text"
        case .zip: "application/zip"
        }
    }

    /// The extension a downloaded file gets.
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    /// In words, for messages: "a PDF document".
    public var description: String {
        switch self {
        case .pdf: "a PDF document"
        case .png: "a PNG image"
        case .jpeg: "a JPEG image"
        case .docx: "a Word document"
        case .pptx: "a PowerPoint presentation"
        case .xlsx: "an Excel workbook"
        case .odt: "an OpenDocument text"
        case .zip: "a ZIP archive"
        }
    }

    public init?(mediaType: String) {
        guard let type = Self.allCases.first(where: { $0.mediaType == mediaType }) else { return nil }
        self = type
    }
}

/// What files a proposal version may carry: the workflow's `proposal_files` section.
public struct ProposalFileRules: Sendable, Hashable {
    public var allowedTypes: [DocumentType]
    /// The largest file accepted, in bytes.
    public var maxFileBytes: Int
    /// How many files one version may carry.
    public var maxFiles: Int

    /// Without a `proposal_files` section: PDF only, 20 MB each, at most 5.
    public static let standard = ProposalFileRules(allowedTypes: [.pdf], maxFileBytes: 20 * 1_000_000, maxFiles: 5)
    /// The largest limit a workflow may set: files are stored in PostgreSQL.
    public static let largestFileBytes = 200 * 1_000_000

    public init(allowedTypes: [DocumentType], maxFileBytes: Int, maxFiles: Int) {
        self.allowedTypes = allowedTypes
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
    }

    /// "PDF or PNG": the allowed types for a message.
    public var allowedTypesText: String {
        let names = allowedTypes.map { $0.rawValue.uppercased() }
        guard names.count > 1 else { return names.first ?? "none" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}

/// A size in bytes as people read it: 950 B, 12.4 KB, 3.1 MB (decimal units, as file managers show them).
public func byteCountText(_ bytes: Int) -> String {
    switch bytes {
    case ..<1000: return "\(bytes) B"
    case ..<1_000_000: return oneDecimal(Double(bytes) / 1000) + " KB"
    case ..<1_000_000_000: return oneDecimal(Double(bytes) / 1_000_000) + " MB"
    default: return oneDecimal(Double(bytes) / 1_000_000_000) + " GB"
    }
}

private func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
}
