import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program and waits for it, with posix_spawn and waitpid.
///
/// Foundation's `Process` can miss the exit of a child whose own child lives on (pg_ctl leaves
/// the PostgreSQL server running), so wysc and its tests start programs this way.
public enum ChildProcess {
    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `executable` with `arguments`; stdin, stdout and stderr come from and go to files
    /// (`nil` stdin reads /dev/null; the same path for stdout and stderr interleaves them).
    /// `environment` replaces the process environment when given. Returns the exit status,
    /// or 128 + the signal number when the program was killed.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdinPath: String? = nil,
        stdoutPath: String,
        stderrPath: String
    ) throws(SpawnError) -> Int32 {
        let pid = try start(executable, arguments, environment: environment, stdinPath: stdinPath, stdoutPath: stdoutPath, stderrPath: stderrPath)
        return try wait(pid, executable: executable)
    }

    /// Starts a program like `run` and returns its process id without waiting for it.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdinPath: String? = nil,
        stdoutPath: String,
        stderrPath: String
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        let environmentStrings = environment.map { $0.map { "\($0.key)=\($0.value)" }.sorted() }
        var pid = pid_t()
        let spawned: Int32 = withCStringArray([executable] + arguments) { argv in
            if let environmentStrings {
                return withCStringArray(environmentStrings) { envp in
                    posix_spawn(&pid, executable, &actions, nil, argv, envp)
                }
            }
            return posix_spawn(&pid, executable, &actions, nil, argv, environ)
        }
        guard spawned == 0 else {
            throw SpawnError(description: "could not start \(executable): \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    /// Waits for a started program and returns its exit status (128 + signal when killed).
    public static func wait(_ pid: pid_t, executable: String = "the program") throws(SpawnError) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SpawnError(description: "lost track of \(executable): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// NUL-terminated C strings for argv/envp, valid only inside `body`.
    private static func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var storage: [CChar] = []
        var offsets: [Int] = []
        for string in strings {
            offsets.append(storage.count)
            storage.append(contentsOf: string.utf8CString)
        }
        return storage.withUnsafeMutableBufferPointer { buffer in
            body(offsets.map { buffer.baseAddress! + $0 } + [nil])
        }
    }
}
