import Foundation
import WyscWorkflow

/// One mail as handed to the mail transfer agent: RFC 5322 headers (RFC 2047 encoded words for
/// anything but plain ASCII), a UTF-8 text part in quoted-printable and, when there is one, an
/// HTML alternative. Lines end in LF, as a local `sendmail -t` expects on its standard input.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String
    public var html: String?
    /// Without angle brackets; stable for a notification, so a retried delivery is recognizable.
    public var messageID: String
    public var date: Date
    /// Extra headers (already ASCII): the notification's id and event.
    public var extraHeaders: [(name: String, value: String)]

    public init(
        from: MailAddress, to: MailAddress, replyTo: MailAddress?, subject: String, text: String, html: String?, messageID: String, date: Date,
        extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
    }

    /// The message as text. The MIME boundary is derived from the Message-ID, so a message renders
    /// the same every time it is shown or retried.
    public func rendered() -> String {
        var lines = [
            "From: " + MailHeader.mailbox(from),
            "To: " + MailHeader.mailbox(to),
        ]
        if let replyTo { lines.append("Reply-To: " + MailHeader.mailbox(replyTo)) }
        lines += [
            "Subject: " + MailHeader.unstructured(subject, headerLength: "Subject: ".count),
            "Date: " + MailHeader.date(date),
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            // Automatic mail: vacation responders stay quiet (RFC 3834).
            "Auto-Submitted: auto-generated",
        ]
        lines += extraHeaders.map { "\($0.name): \($0.value)" }
        guard let html else {
            lines += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", "", QuotedPrintable.encode(text)]
            return lines.joined(separator: "\n") + "\n"
        }
        let boundary = "wysc-" + messageID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(String.init).joined()
        lines += [
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"", "",
            "--\(boundary)", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", "",
            QuotedPrintable.encode(text),
            "--\(boundary)", "Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", "",
            QuotedPrintable.encode(html),
            "--\(boundary)--",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

extension MailMessage {
    /// The message as a person reads it: the headers decoded, the text, then the HTML part if any.
    public func readable() -> String {
        var lines = ["From: \(from)", "To: \(to)"]
        if let replyTo { lines.append("Reply-To: \(replyTo)") }
        lines += ["Subject: \(subject)", "Date: \(MailHeader.date(date))", "Message-ID: <\(messageID)>", "", text]
        if let html { lines += ["--- HTML part ---", html] }
        return lines.joined(separator: "\n") + (lines.last?.hasSuffix("\n") == true ? "" : "\n")
    }
}

/// Header encodings: RFC 5322 mailboxes and dates, RFC 2047 encoded words.
public enum MailHeader {
    /// `Name <address>`, the name as an atom run, a quoted string or encoded words.
    public static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.email }
        return "\(phrase(name)) <\(address.email)>"
    }

    static func phrase(_ text: String) -> String {
        if isPlainASCII(text) {
            let specials = "()<>[]:;@\\,.\""
            guard text.contains(where: { specials.contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWords(text)
    }

    /// A free-text header (Subject): as it is when plain ASCII, folded at spaces past 78 columns;
    /// otherwise RFC 2047 encoded words.
    public static func unstructured(_ text: String, headerLength: Int) -> String {
        let line = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard isPlainASCII(line) else { return encodedWords(line) }
        var folded = ""
        var width = headerLength
        for (index, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index > 0 {
                if width + 1 + word.count > 78 && width > headerLength {
                    folded += "\n "
                    width = 1
                } else {
                    folded += " "
                    width += 1
                }
            }
            folded += word
            width += word.count
        }
        return folded
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters (never inside
    /// one), separated by folding whitespace, which decoders drop between encoded words.
    public static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\n ")
    }

    static func isPlainASCII(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f } && !text.contains("=?")
    }

    /// `Sun, 29 Nov 2026 07:30:37 +0000`.
    public static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// RFC 2045 quoted-printable over UTF-8, with LF line breaks and soft breaks before 76 columns.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        var output = ""
        for (index, line) in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { output += "\n" }
            let bytes = Array(line.utf8)
            var width = 0
            for (position, byte) in bytes.enumerated() {
                let last = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
                if width + piece.count > 75 {
                    output += "=\n"
                    width = 0
                }
                output += piece
                width += piece.count
            }
        }
        return output
    }

    public static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        let characters = Array(text.utf8)
        var index = 0
        while index < characters.count {
            let byte = characters[index]
            if byte == UInt8(ascii: "="), index + 1 < characters.count, characters[index + 1] == UInt8(ascii: "\n") {
                index += 2
            } else if byte == UInt8(ascii: "="), index + 2 < characters.count,
                let value = UInt8(String(decoding: characters[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
