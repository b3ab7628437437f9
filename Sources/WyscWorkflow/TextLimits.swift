/// Every kind of text a person can send, and the most characters (Unicode code points, as
/// PostgreSQL's `char_length` counts them) it may have. This table is the one definition: the use
/// cases check it before anything is written, migration V0007's CHECK constraints repeat it (a test
/// proves they agree), and the README lists it.
public enum TextField: String, Sendable, CaseIterable {
    /// Names of people, teams, universities; cities and countries.
    case name
    case email
    /// Titles of competitions and proposals.
    case title
    /// Topic tags and expertise, each.
    case tag
    case link
    /// A scorecard's comment (private to organizers) or its feedback (for the team).
    case comment
    /// Why something was done: a conflict, a withdrawal, an override, a forced or reopened phase.
    case reason
    /// A workshop mentor's note.
    case note
    case abstract
    /// The name of a file a team uploads with its proposal.
    case fileName

    public var maxCharacters: Int {
        switch self {
        case .name: 200
        case .email: 254  // RFC 5321's limit on a path
        case .title: 300
        case .tag: 100
        case .link: 2_000
        case .comment: 10_000
        case .reason: 2_000
        case .note: 2_000
        case .abstract: 20_000
        case .fileName: 255
        }
    }

    /// Multi-line texts may hold line breaks and tabs; the others no control character at all.
    public var multiline: Bool {
        switch self {
        case .comment, .reason, .note, .abstract: true
        case .name, .email, .title, .tag, .link, .fileName: false
        }
    }

    /// The most tags a proposal or a judge may have.
    public static let maxTags = 10

    /// The columns that store each kind of text: migration V0007 bounds each of them with a CHECK
    /// constraint named `<table>_<column>_length`.
    public static let storedColumns: [(table: String, column: String, field: TextField)] = [
        ("university", "name", .name), ("university", "city", .name), ("university", "country", .name),
        ("competition", "title", .title), ("phase_transition", "reason", .reason),
        ("team", "name", .name), ("team_member", "name", .name), ("team_member", "email", .email),
        ("workshop_checkin", "mentor_note", .note), ("eligibility_override", "reason", .reason),
        ("proposal", "title", .title), ("proposal", "abstract", .abstract), ("proposal", "link", .link),
        ("proposal_version", "title", .title), ("proposal_version", "abstract", .abstract), ("proposal_version", "link", .link),
        ("judge", "name", .name), ("judge", "email", .email), ("judge", "university", .name), ("judge", "city", .name),
        ("judge", "country", .name), ("judge", "withdrawn_reason", .reason), ("declared_conflict", "reason", .reason),
        ("scorecard", "comment", .comment), ("scorecard", "feedback", .comment), ("audit_log", "reason", .reason),
        ("proposal_file", "name", .fileName), ("organizer", "name", .name), ("organizer", "email", .email),
    ]
}

extension TextField {
    /// What is wrong with `value`, or nil.
    public func problem(_ value: String, field: String) -> String? {
        var count = 0
        // Printable ASCII, the common case (a whole import file of it), is one character per byte
        // and holds nothing to refuse: no need to decode it.
        let printableASCII = { (byte: UInt8) in 0x20..<0x7F ~= byte }
        if value.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(printableASCII) }) ?? value.utf8.allSatisfy(printableASCII) {
            count = value.utf8.count
        } else {
            for scalar in value.unicodeScalars {
                count += 1
                if scalar.value == 0 {
                    return "\(field) contains a NUL character (at character \(count)), which cannot be stored"
                }
                if Self.isControl(scalar) && !(multiline && (scalar == "\n" || scalar == "\r" || scalar == "\t")) {
                    let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4, with: "0")
                    return "\(field) contains the control character \(code) (at character \(count))"
                        + (multiline ? "" : "; it must be one line of text")
                }
            }
        }
        if count > maxCharacters {
            return "\(field) is \(count) characters long; at most \(maxCharacters) are allowed"
        }
        return nil
    }

    /// C0 and C1 control characters and DEL: what a terminal may take as the start of an escape.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The problems of several fields of one row (field name, value, kind), in order.
    public static func problems(_ fields: [(String, String, TextField)]) -> [String] {
        fields.compactMap { name, value, kind in kind.problem(value, field: name) }
    }

    /// What is wrong with a list of tags, or nil.
    public static func tagsProblem(_ tags: [String], field: String) -> String? {
        if tags.count > maxTags { return "\(field) has \(tags.count) tags; at most \(maxTags) are allowed" }
        return tags.lazy.compactMap { TextField.tag.problem($0, field: "a tag of \(field)") }.first
    }
}

extension TextField {
    /// `text` with every control character written out as `\u{1b}`, so that text from someone else
    /// shown on a terminal cannot move the cursor, retitle the window or hide what precedes it.
    public static func escapingControlCharacters(_ text: String, keepingLineBreaks: Bool) -> String {
        func kept(_ scalar: Unicode.Scalar) -> Bool {
            !isControl(scalar) || (keepingLineBreaks && (scalar == "\n" || scalar == "\t"))
        }
        guard !text.unicodeScalars.allSatisfy(kept) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if kept(scalar) {
                result.append(scalar)
            } else {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            }
        }
        return String(result)
    }
}

/// A value quoted in an error message: at most a short prefix, control characters written out,
/// so that a bad 5 MB field makes a one-line message.
public func quoted(_ value: String, limit: Int = 60) -> String {
    let scalars = value.unicodeScalars
    let prefix = String(String.UnicodeScalarView(scalars.prefix(limit)))
    let text = TextField.escapingControlCharacters(prefix, keepingLineBreaks: false)
    return "'" + text + (scalars.count > limit ? "…" : "") + "'"
}

extension String {
    /// The text right-aligned in `width` characters.
    public func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
