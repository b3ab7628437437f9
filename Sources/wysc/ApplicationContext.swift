import ArgumentParser
import Foundation
import WyscApplication
import WyscPostgres

#if canImport(Glibc)
    import Glibc
#endif

extension DatabaseOptions {
    /// Runs `body` with the application on the selected database. The local cluster is started and
    /// migrated as needed; a configured database must already be migrated (`wysc db migrate`).
    func withApplication<R: Sendable>(_ body: (Application) async throws -> R) async throws -> R {
        try await withOpenedApplication(migrate: true) { application in
            try await application.requireCurrentSchema()
            return try await body(application)
        }
    }

    /// An import of `file`: refused at once when there is no such file; on a terminal, a progress
    /// bar that `body`'s import moves.
    func importing<R: Sendable>(
        _ file: String, _ body: (Application, @escaping @Sendable (ImportProgress) -> Void) async throws -> R
    ) async throws -> R {
        try InputFile.requireFile(file)
        return try await ProgressBar.around { progress in try await withApplication { try await body($0, progress) } }
    }
}

/// Which competition a command acts on: `--competition`, `WYSC_COMPETITION`, or the only one there is.
struct CompetitionOptions: ParsableArguments {
    @Option(
        name: .customLong("competition"),
        help: ArgumentHelp("The competition's slug (default: $WYSC_COMPETITION, or the only competition).", valueName: "slug"))
    var slug: String?

    func resolve(_ application: Application) async throws -> String {
        if let slug, !slug.isEmpty { return slug }
        if let slug = ProcessEnvironment.values["WYSC_COMPETITION"], !slug.isEmpty { return slug }
        return try await application.onlyCompetitionSlug()
    }
}

/// Who runs wysc in direct mode: whoever holds database credentials acts as an organizer, named
/// by WYSC_ACTOR or the login name, so that the audit log says who did what.
enum DirectModeActor {
    static var current: Actor {
        let environment = ProcessEnvironment.values
        if let name = environment["WYSC_ACTOR"], !name.isEmpty { return .organizer(name) }
        if let name = environment["USER"], !name.isEmpty { return .organizer(name) }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return .organizer(String(cString: name)) }
        return .organizer("uid\(geteuid())")
    }
}

/// Reads a UTF-8 text file named on the command line; problems are bad input (exit 65).
enum InputFile {
    /// Refuses a path that is missing or a directory, in words.
    static func requireFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure(message: "cannot read \(path): no such file", exitCode: CommandFailure.badInput)
        }
        guard !isDirectory.boolValue else {
            throw CommandFailure(message: "cannot read \(path): it is a directory", exitCode: CommandFailure.badInput)
        }
    }

    static func read(_ path: String) throws -> String {
        try requireFile(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read \(path): permission denied or unreadable", exitCode: CommandFailure.badInput)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandFailure(message: "cannot read \(path): it is not UTF-8 text", exitCode: CommandFailure.badInput)
        }
        return text
    }
}
