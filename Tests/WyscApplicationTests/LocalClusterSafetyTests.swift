import Foundation
import Testing
import WyscPostgres
import WyscTestSupport

@testable import WyscApplication

#if canImport(Glibc)
    import Glibc
#endif

/// `wysc local` on a shared machine: nothing it finds is trusted, nothing it is pointed at is given away.
@Suite(.serialized) struct LocalClusterSafetyTests {
    /// A data directory whose socket path is too long for the kernel, so the socket goes under /tmp.
    func longCluster() -> (LocalCluster, URL) {
        let home = Scratch.url(
            "wysc-long-\(UUID().uuidString)-" + String(repeating: "d", count: 60))
        return (LocalCluster(dataDirectory: home.appendingPathComponent("postgres")), home)
    }

    func owner(_ path: String) -> uid_t {
        var info = stat()
        lstat(path, &info)
        return info.st_uid
    }

    @Test func aPlantedSymlinkOrAnOpenDirectoryIsNotUsedForTheSocket() throws {
        let (cluster, home) = longCluster()
        defer { try? FileManager.default.removeItem(at: home) }
        let socket = cluster.socketDirectory
        #expect(socket.hasPrefix("/tmp/wysc-"))
        defer { try? FileManager.default.removeItem(atPath: socket) }

        // A symlink to a directory of someone else's: refused, and the target keeps its owner.
        let target = Scratch.url("wysc-target-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: target) }
        let targetOwner = owner(target)
        try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: target)
        let link = #expect(throws: WyscError.self) { try cluster.prepareSocketDirectory() }
        #expect(link?.kind == .refused)
        #expect(link?.message.contains("is not a directory wysc can trust") == true, "\(link?.message ?? "")")
        #expect(owner(target) == targetOwner)
        try FileManager.default.removeItem(atPath: socket)

        // A directory anyone may write to: another user could replace the socket.
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        chmod(socket, 0o777)
        let open = #expect(throws: WyscError.self) { try cluster.prepareSocketDirectory() }
        #expect(open?.message.contains("is open to other users (mode 777)") == true, "\(open?.message ?? "")")
        try FileManager.default.removeItem(atPath: socket)

        if geteuid() == 0 {
            // Root can make a directory that belongs to nobody: refused as someone else's.
            try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            chown(socket, 65534, 65534)
            let foreign = #expect(throws: WyscError.self) { try cluster.prepareSocketDirectory() }
            #expect(foreign?.message.contains("belongs to another user (uid 65534)") == true, "\(foreign?.message ?? "")")
            try FileManager.default.removeItem(atPath: socket)
        }

        // None there: wysc makes it, private to the server's user; a second look accepts it.
        try cluster.prepareSocketDirectory()
        var info = stat()
        #expect(lstat(socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(info.st_uid == (geteuid() == 0 ? getpwnam("postgres").pointee.pw_uid : geteuid()))
        try cluster.prepareSocketDirectory()
    }

    @Test func aNonEmptyDirectoryIsRefusedBeforeAnythingChanges() throws {
        let home = Scratch.url("wysc-full-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data("keep me".utf8).write(to: home.appendingPathComponent("notes.txt"))
        let before = owner(home.path)
        let error = #expect(throws: WyscError.self) { try LocalCluster(dataDirectory: home).start(logger: TestDatabase.logger) }
        #expect(error?.kind == .badInput)
        #expect(error?.message.contains("exists and is not empty, and holds no wysc cluster: nothing was changed") == true)
        #expect(owner(home.path) == before)
        #expect(try String(contentsOf: home.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")

        let link = home.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc")
        let linked = #expect(throws: WyscError.self) { try LocalCluster(dataDirectory: link).start(logger: TestDatabase.logger) }
        #expect(linked?.message.contains("is a symbolic link") == true)
        #expect(owner("/etc") == 0 || geteuid() != 0)
    }

    /// postgresql.conf reads backslashes as escapes: a path with one must still start and answer.
    @Test func aDataDirectoryWithABackslashWorks() async throws {
        let home = Scratch.url("wysc-back\\slash-\(UUID().uuidString.prefix(6))")
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = LocalCluster(dataDirectory: home.appendingPathComponent("pg"))
        defer { _ = try? cluster.stop() }
        #expect(try cluster.start(logger: TestDatabase.logger) == .createdAndStarted)
        let connection = try PostgresConnection.connect(cluster.configuration, logger: TestDatabase.logger)
        #expect(try connection.query("SELECT 1 AS one").rows[0].decode("one", as: Int.self) == 1)
        connection.close()
        #expect(LocalCluster.configurationString(#"/a\b'c"#) == #"/a\\b''c"#)
    }
}
