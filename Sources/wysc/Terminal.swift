import Foundation
import WyscApplication
import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#endif

/// Where messages go: data on stdout, everything else on stderr; colour only on a terminal
/// and never with NO_COLOR or TERM=dumb.
enum Terminal {
    nonisolated(unsafe) private(set) static var stderrUsesColor = false

    /// Decided once, before any concurrency starts.
    static func configure(environment: [String: String] = ProcessEnvironment.values) {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        stderrUsesColor = isatty(STDERR_FILENO) == 1 && !noColor && environment["TERM"] != "dumb"
    }

    /// Messages quote what people typed (names, reasons): their control characters are shown, not obeyed.
    static func message(_ text: String) {
        write(printable(text, keepingLineBreaks: true))
    }

    static func error(_ text: String) {
        write(paint("error:", code: "31;1") + " " + printable(text, keepingLineBreaks: true))
    }

    static func warning(_ text: String) {
        write(paint("warning:", code: "33;1") + " " + printable(text, keepingLineBreaks: true))
    }

    static func success(_ text: String) {
        write(paint("✓", code: "32") + " " + printable(text, keepingLineBreaks: true))
    }

    private static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func printable(_ text: String, keepingLineBreaks: Bool) -> String {
        TextField.escapingControlCharacters(text, keepingLineBreaks: keepingLineBreaks)
    }

    /// Writes data to stdout.
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes text for people to stdout (a status, a history): what others wrote in it (names,
    /// reasons, titles) shows its control characters instead of obeying them.
    static func outputText(_ text: String) {
        output(printable(text, keepingLineBreaks: true))
    }

    private static func paint(_ text: String, code: String) -> String {
        stderrUsesColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private var lastDrawn = Date.distantPast
    private var drawn = false

    init() {
        enabled = isatty(STDERR_FILENO) == 1
    }

    func update(_ stage: String, done: Int, total: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) > 0.05 || done == total else { return }
        lastDrawn = now
        let width = 30
        let line: String
        if total == 0 {
            // Rows read from a file whose length in rows is not known until its end.
            line = "\r\(stage.padding(toLength: 10, withPad: " ", startingAt: 0)) \(done) rows"
        } else {
            let filled = min(width, done * width / total)
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            line = "\r\(stage.padding(toLength: 10, withPad: " ", startingAt: 0)) \(bar) \(done)/\(total)"
        }
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    /// Runs `body` with a bar (on a terminal only) that its progress reports move, and clears the
    /// bar afterwards, whether `body` succeeded or not.
    static func around<T>(_ body: (@escaping @Sendable (ImportProgress) -> Void) async throws -> T) async throws -> T {
        let bar = ProgressBar()
        defer { bar.finish() }
        return try await body { progress in bar.update(progress.stage, done: progress.done, total: progress.total) }
    }

    /// Clears the bar so that the next message starts on a clean line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
    }
}
