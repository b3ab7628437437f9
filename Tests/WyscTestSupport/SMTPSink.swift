import Foundation
import WyscApplication

#if canImport(Glibc)
    import Glibc
#endif

/// A real SMTP server on loopback (Debian's python3-aiosmtpd) that files what it accepts in a
/// Maildir, and the msmtp command that delivers to it: what a test delivers through is what an
/// operator's relay would see.
public final class SMTPSink: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    let pid: pid_t
    static let python = "/usr/bin/python3"

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// One message as a mail reader decodes it (Python's email package, RFC 2047 and quoted-printable undone).
    public struct Received: Sendable, Decodable {
        public var messageID: String
        public var notification: Int
        public var event: String
        public var from: String
        /// `Display Name <address>`, the name decoded and unquoted.
        public var to: String
        public var subject: String
        public var contentType: String
        public var text: String
        public var html: String?
        public var raw: String

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case notification, event, from, to, subject, text, html, raw
            case contentType = "content_type"
        }
    }

    public init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/msmtp") else {
            throw Problem(description: "msmtp is not installed (apt-get install -y msmtp; Scripts/test installs it when run as root)")
        }
        directory = Scratch.url("wysc-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let log = directory.appendingPathComponent("sink.log").path
        pid = try ChildProcess.start(
            Self.python,
            ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", directory.appendingPathComponent("Maildir").path],
            stdoutPath: log, stderrPath: log)
        for _ in 0..<100 {
            if Self.accepts(port) { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        _ = try? ChildProcess.wait(pid)
        throw Problem(
            description: "the SMTP sink did not start (python3-aiosmtpd installed?): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    deinit {
        // aiosmtpd's loop does not stop on SIGTERM; the sink keeps nothing worth a clean exit.
        kill(pid, SIGKILL)
        _ = try? ChildProcess.wait(pid)
        try? FileManager.default.removeItem(at: directory)
    }

    /// `msmtp` delivering to this sink over plain SMTP on loopback, envelope sender from the From header.
    public var mailCommand: String {
        "/usr/bin/msmtp -C /dev/null --host=127.0.0.1 --port=\(port) --auth=off --tls=off --read-envelope-from -t"
    }

    /// How many messages have arrived.
    public var count: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("Maildir/new").path).count) ?? 0
    }

    /// Every message that arrived, decoded by Python's email package.
    public func messages() throws -> [Received] {
        let script = """
            import email, email.policy, json, mailbox, sys
            box = mailbox.Maildir(sys.argv[1], create=False)
            out = []
            for key, msg in box.items():
                raw = msg.as_bytes()
                m = email.message_from_bytes(raw, policy=email.policy.default)
                text = m.get_body(preferencelist=('plain',))
                html = m.get_body(preferencelist=('html',))
                def mailbox(header):
                    a = header.addresses[0]
                    return f"{a.display_name} <{a.addr_spec}>" if a.display_name else a.addr_spec
                out.append({"message_id": str(m['Message-ID']), "notification": int(m['X-Wysc-Notification']), "event": str(m['X-Wysc-Event']),
                            "from": mailbox(m['From']), "to": mailbox(m['To']), "subject": str(m['Subject']), "content_type": m.get_content_type(),
                            "text": text.get_content() if text else "", "html": html.get_content() if html else None,
                            "raw": raw.decode('ascii', 'replace')})
            json.dump(out, sys.stdout)
            """
        let scratch = directory.appendingPathComponent("read-\(UUID().uuidString)")
        try Data(script.utf8).write(to: scratch.appendingPathExtension("py"))
        let output = scratch.appendingPathExtension("json").path
        let errors = scratch.appendingPathExtension("err").path
        let status = try ChildProcess.run(
            Self.python, [scratch.appendingPathExtension("py").path, directory.appendingPathComponent("Maildir").path], stdoutPath: output,
            stderrPath: errors)
        guard status == 0 else { throw Problem(description: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "reading the Maildir failed") }
        return try JSONDecoder().decode([Received].self, from: Data(contentsOf: URL(fileURLWithPath: output)))
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Problem(description: "no free port on loopback") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
