import Foundation
import Synchronization

/// Paths in the temporary directory for one test process, removed when the process exits: a test
/// run leaves nothing behind, even from a test that fails before its own clean-up.
public enum Scratch {
    private static let paths = Mutex<[String]>([])
    private static let removalAtExit: Void = {
        atexit { Scratch.removeAll() }
    }()

    /// The temporary directory's `name` (created by the caller, as a file or a directory), removed
    /// at exit with everything in it.
    public static func url(_ name: String) -> URL {
        _ = removalAtExit
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(name)
        paths.withLock { $0.append(url.path) }
        return url
    }

    static func removeAll() {
        for path in paths.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
