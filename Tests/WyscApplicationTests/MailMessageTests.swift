import Foundation
import Testing
import WyscApplication
import WyscWorkflow

/// Mail as the transfer agent gets it: headers in RFC 2047 where they are not plain ASCII, bodies in UTF-8.
@Suite struct MailMessageTests {
    func message(to name: String, subject: String, text: String = "Hello\n", html: String? = nil) -> MailMessage {
        MailMessage(
            from: MailAddress(name: "WYSC Secretariat", email: "wysc@wego.example.org"), to: MailAddress(name: name, email: "team@example.org"),
            replyTo: nil, subject: subject, text: text, html: html, messageID: "wysc-notification-7.demo@wego.example.org",
            date: Date(timeIntervalSince1970: 1_780_000_000))
    }

    /// Decodes `=?UTF-8?B?…?=` words the way a mail reader does (whitespace between words dropped).
    func decodeWords(_ header: String) -> String {
        let unfolded = header.replacingOccurrences(of: "\n ", with: " ")
        guard unfolded.contains("=?UTF-8?B?") else { return unfolded }
        var bytes = Data()
        for word in unfolded.split(separator: " ") {
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            bytes += Data(base64Encoded: String(payload))!
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func header(_ name: String, in text: String) -> String {
        var lines = text.components(separatedBy: "\n")[...]
        var value: String?
        while let line = lines.popFirst(), !line.isEmpty {
            if line.hasPrefix(name + ": ") {
                value = String(line.dropFirst(name.count + 2))
            } else if line.hasPrefix(" "), value != nil, !lines.isEmpty {
                value! += "\n" + line
                continue
            } else if value != nil {
                break
            }
        }
        return value ?? ""
    }

    @Test func namesInAnyScriptAreEncodedWordsThatDecodeBack() {
        for name in ["김민준", "成都智慧交通队 联系人", "محمد العلي", "María José Pérez"] {
            let rendered = message(to: name, subject: "결과: \(name) — الترتيب ١").rendered()
            let to = header("To", in: rendered)
            #expect(to.hasSuffix(" <team@example.org>"))
            #expect(decodeWords(String(to.dropLast(" <team@example.org>".count))) == name)
            let subject = header("Subject", in: rendered)
            #expect(decodeWords(subject) == "결과: \(name) — الترتيب ١")
            #expect(subject.components(separatedBy: "\n").allSatisfy { $0.count <= 76 }, "encoded words stay within 75 characters")
            #expect(rendered.unicodeScalars.allSatisfy { $0.isASCII }, "the message itself is 7-bit")
            #expect(message(to: name, subject: "s").readable().contains("To: \(name) <team@example.org>\n"), "organizers read it decoded")
        }
    }

    @Test func plainNamesStayReadableAndSpecialsAreQuoted() {
        let rendered = message(to: "Dr. Amina Yusuf", subject: "Your queue").rendered()
        #expect(header("To", in: rendered) == "\"Dr. Amina Yusuf\" <team@example.org>")
        #expect(header("From", in: rendered) == "WYSC Secretariat <wysc@wego.example.org>")
        #expect(header("Subject", in: rendered) == "Your queue")
        #expect(header("Message-ID", in: rendered) == "<wysc-notification-7.demo@wego.example.org>")
        #expect(header("Date", in: rendered) == "Thu, 28 May 2026 20:26:40 +0000")
        let injected = message(to: "x", subject: "Hi\nBcc: everyone@example.org").rendered()
        #expect(!injected.contains("\nBcc:"), "a line break in a subject never starts a header")
    }

    @Test func bodiesAreQuotedPrintableUTF8AndHTMLIsAnAlternative() {
        let text = "Dear 이서연,\n\nYour rank: 1 of 20. " + String(repeating: "long line ", count: 12) + "\nTrailing space \n"
        let rendered = message(to: "x", subject: "s", text: text, html: "<p>이서연</p>").rendered()
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"wysc-wyscnotification7demowegoexampleorg\""))
        let parts = rendered.components(separatedBy: "--wysc-wyscnotification7demowegoexampleorg")
        #expect(parts.count == 4, "preamble, text, html, closing")
        let plainBody = parts[1].components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
        #expect(QuotedPrintable.decode(plainBody).hasPrefix(text))
        #expect(plainBody.components(separatedBy: "\n").allSatisfy { $0.count <= 76 })
        #expect(parts[2].contains("Content-Type: text/html; charset=UTF-8"))
        #expect(
            message(to: "x", subject: "s", text: "t\n").rendered() == message(to: "x", subject: "s", text: "t\n").rendered(), "rendering is stable")
    }
}
