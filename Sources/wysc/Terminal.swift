import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where messages go: data on stdout, everything else on stderr; colour only on a terminal
/// and never with NO_COLOR or TERM=dumb.
enum Terminal {
    nonisolated(unsafe) private(set) static var stderrUsesColor = false

    /// Decided once, before any concurrency starts.
    static func configure(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        stderrUsesColor = isatty(STDERR_FILENO) == 1 && !noColor && environment["TERM"] != "dumb"
    }

    static func message(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        message(paint("error:", code: "31;1") + " " + text)
    }

    static func warning(_ text: String) {
        message(paint("warning:", code: "33;1") + " " + text)
    }

    static func success(_ text: String) {
        message(paint("✓", code: "32") + " " + text)
    }

    /// Writes data to stdout.
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private static func paint(_ text: String, code: String) -> String {
        stderrUsesColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
