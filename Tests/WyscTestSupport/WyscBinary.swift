import Foundation
import WyscApplication

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `wysc` executable as a user would, and captures what it printed.
public enum WyscBinary {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The `wysc` binary beside the test bundle in the build directory.
    public static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var directory = bundle
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("wysc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/wysc")
        return fallback.standardizedFileURL.path
    }

    /// The environment a test runs wysc in: this process's, without any database settings
    /// (so a test says exactly which database it means), without colour, plus `extra`.
    public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "WYSC_HOME", "WYSC_TEST_DATABASE_URL"] + [
            "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGPASSWORD",
        ] {
            environment.removeValue(forKey: key)
        }
        environment["NO_COLOR"] = "1"
        environment["TMPDIR"] = childTemporaryDirectory.path
        return environment.merging(extra) { $1 }
    }

    /// The temporary directory of every wysc a test starts: removed with the test process, so
    /// that a wysc killed mid-work (a fault test) leaves nothing behind either.
    static let childTemporaryDirectory: URL = {
        let url = Scratch.url("wysc-children-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Runs `wysc` with `arguments` in `directory`, feeding it `stdin`.
    public static func run(
        _ arguments: [String], environment: [String: String] = WyscBinary.environment(), directory: String? = nil, stdin: String? = nil
    ) throws -> Outcome {
        let scratch = Scratch.url("wysc-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stdoutPath = scratch.appendingPathComponent("stdout").path
        let stderrPath = scratch.appendingPathComponent("stderr").path
        var stdinPath: String?
        if let stdin {
            stdinPath = scratch.appendingPathComponent("stdin").path
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: stdinPath!))
        }
        var arguments = arguments
        var executable = path
        if let directory {
            // posix_spawn has no portable chdir: go through env(1)'s -C.
            arguments = ["-C", directory, executable] + arguments
            executable = "/usr/bin/env"
        }
        let status = try ChildProcess.run(
            executable, arguments, environment: environment, stdinPath: stdinPath, stdoutPath: stdoutPath, stderrPath: stderrPath)
        return Outcome(
            status: status,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        )
    }
}

/// `wysc serve` started from the built binary on a free port, as an operator would run it.
public final class ServerProcess: @unchecked Sendable {
    public let pid: pid_t
    public let url: String
    public let logPath: String

    /// Starts `wysc serve --port 0` with `arguments` and waits until it says where it listens.
    public init(_ arguments: [String], environment: [String: String] = WyscBinary.environment()) throws {
        let directory = Scratch.url("wysc-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logPath = directory.appendingPathComponent("serve.log").path
        pid = try ChildProcess.start(
            WyscBinary.path, ["serve", "--port", "0"] + arguments, environment: environment, stdoutPath: logPath, stderrPath: logPath)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: "wysc serve: listening on "), let end = log[range.upperBound...].firstIndex(of: " ") {
                url = String(log[range.upperBound..<end])
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(pid, SIGKILL)
        throw ChildProcess.SpawnError(description: "wysc serve did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
    }

    /// Sends SIGTERM and returns the exit status.
    public func stop() throws -> Int32 {
        kill(pid, SIGTERM)
        return try ChildProcess.wait(pid)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
