import Foundation
import WyscApplication

/// Headless Chromium driven through the DevTools protocol by Scripts/lib/browser.py: each run is a
/// fresh browser profile that follows a list of steps (go to, fill, submit, read the text, audit).
public enum HeadlessBrowser {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/lib/browser.py")
        .standardizedFileURL.path

    public static var isInstalled: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the steps (see Scripts/lib/browser.py) and returns one JSON value per step.
    public static func run(_ steps: [[String: Any]]) throws -> [Any] {
        guard isInstalled else {
            throw Problem(description: "chromium is not installed (apt-get install -y chromium; Scripts/test installs it as root)")
        }
        let directory = Scratch.url("wysc-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("steps.json").path
        let output = directory.appendingPathComponent("out.json").path
        let errors = directory.appendingPathComponent("err.txt").path
        try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: input))
        let status = try ChildProcess.run("/usr/bin/python3", [script], stdinPath: input, stdoutPath: output, stderrPath: errors)
        guard status == 0 else {
            throw Problem(description: "the browser run failed (\(status)): \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        }
        guard let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [Any] else {
            throw Problem(description: "the browser printed no results")
        }
        return results
    }
}
