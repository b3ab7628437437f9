import ArgumentParser
import Foundation
import WyscApplication
import WyscHTTP
import WyscJudging
import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#endif

/// What the commands that judges and universities use need, in direct mode (the database) or in
/// remote mode (`wysc serve` with a personal token). Both give the same values, so the output is the same.
protocol CompetitionService: Sendable {
    func onlyCompetition() async throws -> String
    func phaseStatus(_ slug: String) async throws -> PhaseStatus
    func checkTransition(_ slug: String, to: String?) async throws -> TransitionCheck
    func advancePhase(_ slug: String, to: String?, from: String?, forceReason: String?) async throws -> TransitionRecord
    func teamStatus(_ slug: String, team: String?, university: String?) async throws -> [TeamStatus]
    func judgeQueue(_ slug: String, judge: String?) async throws -> [QueueItem]
    func rubric(_ slug: String) async throws -> Rubric
    func submitScorecard(
        _ slug: String, proposal: Int, values: [String: String], comment: String?, feedback: String?, draft: Bool, judge: String?
    ) async throws -> ScorecardOutcome
    func results(_ slug: String, round: String?, method: NormalizationMethod) async throws -> ResultsReport
    func readProposal(_ slug: String, _ reference: ProposalReference, allVersions: Bool, judge: String?) async throws -> [ProposalView]
    func teamFeedback(_ slug: String, team: String?) async throws -> [TeamFeedback]
    /// The judge a token speaks for (remote), or nil (direct mode acts for the judge named with --judge).
    func tokenJudge() async throws -> String?
    /// Reads a file of a proposal from `offset` to its end, a piece at a time.
    func downloadProposalFile(
        _ slug: String, proposal: Int, file: ProposalFile, from offset: Int, judge: String?, into body: (Data) async throws -> Void
    ) async throws
}

struct DirectService: CompetitionService {
    let application: Application
    let actor: Actor

    func onlyCompetition() async throws -> String { try await application.onlyCompetitionSlug() }
    func phaseStatus(_ slug: String) async throws -> PhaseStatus { try await application.phaseStatus(competition: slug) }
    func checkTransition(_ slug: String, to: String?) async throws -> TransitionCheck {
        try await application.checkTransition(competition: slug, to: to, as: actor)
    }
    func advancePhase(_ slug: String, to: String?, from: String?, forceReason: String?) async throws -> TransitionRecord {
        try await application.advancePhase(competition: slug, to: to, expectedPhase: from, forceReason: forceReason, as: actor)
    }
    func teamStatus(_ slug: String, team: String?, university: String?) async throws -> [TeamStatus] {
        try await application.teamStatus(competition: slug, team: team, university: university, as: actor)
    }
    func judgeQueue(_ slug: String, judge: String?) async throws -> [QueueItem] {
        try await application.judgeQueue(judge: judge, competition: slug, as: actor)
    }
    func rubric(_ slug: String) async throws -> Rubric { try await application.rubric(competition: slug) }
    func submitScorecard(
        _ slug: String, proposal: Int, values: [String: String], comment: String?, feedback: String?, draft: Bool, judge: String?
    ) async throws -> ScorecardOutcome {
        try await application.submitScorecard(
            proposal: proposal, values: values, comment: comment, feedback: feedback, draft: draft, judge: judge, competition: slug, as: actor)
    }
    func results(_ slug: String, round: String?, method: NormalizationMethod) async throws -> ResultsReport {
        try await application.results(round: round, method: method, competition: slug, as: actor)
    }
    func teamFeedback(_ slug: String, team: String?) async throws -> [TeamFeedback] {
        try await application.teamFeedback(team: team, competition: slug, as: actor)
    }
    func tokenJudge() async throws -> String? { nil }
    func readProposal(_ slug: String, _ reference: ProposalReference, allVersions: Bool, judge: String?) async throws -> [ProposalView] {
        try await application.readProposal(reference, allVersions: allVersions, judge: judge, competition: slug, as: actor)
    }
    func downloadProposalFile(
        _ slug: String, proposal: Int, file: ProposalFile, from offset: Int, judge: String?, into body: (Data) async throws -> Void
    ) async throws {
        let current = try await application.proposalFile(proposal: proposal, file: file.number, judge: judge, competition: slug, as: actor)
        guard current.sha256 == file.sha256 else {
            throw WyscError(.stale, "file \(file.number) of proposal #\(proposal) changed meanwhile: download it again")
        }
        try await application.readProposalFile(current, range: offset..<current.size, into: body)
    }
}

struct RemoteService: CompetitionService {
    let client: APIClient

    func onlyCompetition() async throws -> String {
        let all = try await client.competitions()
        guard all.count == 1 else {
            throw WyscError(
                .badInput,
                all.isEmpty
                    ? "the server has no competition you can see"
                    : "there are \(all.count) competitions (\(all.map(\.slug).joined(separator: ", "))): say which with --competition SLUG")
        }
        return all[0].slug
    }
    func phaseStatus(_ slug: String) async throws -> PhaseStatus { try await client.phaseStatus(slug) }
    func checkTransition(_ slug: String, to: String?) async throws -> TransitionCheck { try await client.checkTransition(slug, to: to) }
    func advancePhase(_ slug: String, to: String?, from: String?, forceReason: String?) async throws -> TransitionRecord {
        try await client.advancePhase(slug, to: to, from: from, forceReason: forceReason)
    }
    func teamStatus(_ slug: String, team: String?, university: String?) async throws -> [TeamStatus] {
        try await client.teamStatus(slug, team: team, university: university)
    }
    func judgeQueue(_ slug: String, judge: String?) async throws -> [QueueItem] { try await client.queue(slug, judge: judge) }
    func rubric(_ slug: String) async throws -> Rubric { try await client.rubric(slug) }
    /// Reads the scorecard's revision first and sends the change over it: if someone changed it in
    /// between (the same judge in another terminal), the server refuses with 412 instead of overwriting.
    func submitScorecard(
        _ slug: String, proposal: Int, values: [String: String], comment: String?, feedback: String?, draft: Bool, judge: String?
    ) async throws -> ScorecardOutcome {
        let revision = try await client.scorecard(slug, proposal: proposal, judge: judge)?.revision ?? 0
        return try await client.submitScorecard(
            slug, proposal: proposal, values: values, comment: comment, feedback: feedback, draft: draft, judge: judge, revision: revision)
    }
    func results(_ slug: String, round: String?, method: NormalizationMethod) async throws -> ResultsReport {
        try await client.results(slug, round: round, method: method)
    }
    func teamFeedback(_ slug: String, team: String?) async throws -> [TeamFeedback] { try await client.feedback(slug, team: team) }
    func tokenJudge() async throws -> String? {
        let caller = try await client.whoami()
        // A judge token's label is "judge EMAIL" (see createToken).
        guard caller.role == "judge" else { return nil }
        return caller.label.hasPrefix("judge ") ? String(caller.label.dropFirst("judge ".count)) : caller.label
    }
    func readProposal(_ slug: String, _ reference: ProposalReference, allVersions: Bool, judge: String?) async throws -> [ProposalView] {
        guard case .number(let number) = reference else {
            throw WyscError(.badInput, "through a server, name the proposal by its number (wysc judge queue or wysc team status shows it)")
        }
        return try await client.proposal(slug, number: number, allVersions: allVersions, judge: judge)
    }
    /// Range requests of 1 MiB: memory stays bounded and an interrupted download resumes where it stopped.
    func downloadProposalFile(
        _ slug: String, proposal: Int, file: ProposalFile, from offset: Int, judge: String?, into body: (Data) async throws -> Void
    ) async throws {
        var position = offset
        while position < file.size {
            let end = min(file.size, position + (1 << 20))
            try await body(try await client.proposalFilePiece(slug, proposal: proposal, file: file, range: position..<end, judge: judge))
            position = end
        }
    }
}

/// Where the remote-capable commands go: `--server`/`WYSC_SERVER`, or the server of `wysc login`
/// when no database is configured; otherwise the database (direct mode).
struct ServiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A wysc server to work through, with the token of wysc login (default: $WYSC_SERVER).", valueName: "url"))
    var server: String?
    @OptionGroup var database: DatabaseOptions

    func withService<R: Sendable>(_ body: (any CompetitionService) async throws -> R) async throws -> R {
        if let client = try remoteClient() { return try await body(RemoteService(client: client)) }
        return try await database.withApplication { application in
            try await body(DirectService(application: application, actor: DirectModeActor.current))
        }
    }

    func remoteClient() throws -> APIClient? {
        let environment = ProcessEnvironment.values
        let named = server ?? environment["WYSC_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
        let stored = LoginStore.load()
        let databaseConfigured =
            database.databaseURL != nil
            || !(environment["DATABASE_URL"] ?? "").isEmpty
            || DatabaseSource.configuringVariables.contains { !(environment[$0] ?? "").isEmpty }
        guard let address = named ?? (databaseConfigured ? nil : stored?.server) else { return nil }
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CommandFailure(message: "'\(address)' is not a server address such as https://wysc.example.org", exitCode: CommandFailure.usage)
        }
        let token = environment["WYSC_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? (stored?.server == address ? stored?.token : nil)
        guard let token else {
            throw CommandFailure(message: "no token for \(address): run wysc login --server \(address)", exitCode: CommandFailure.permissionDenied)
        }
        return APIClient(server: url, token: token, newerServer: NewerServerWarning.once)
    }
}

extension CompetitionOptions {
    func resolve(_ service: any CompetitionService) async throws -> String {
        if let slug, !slug.isEmpty { return slug }
        if let slug = ProcessEnvironment.values["WYSC_COMPETITION"], !slug.isEmpty { return slug }
        return try await service.onlyCompetition()
    }
}

/// Said once per command: this wysc is older than the server it talks to.
enum NewerServerWarning {
    private static let warned = NSLock()
    nonisolated(unsafe) private static var done = false

    @Sendable static func once(_ version: Int) {
        warned.lock()
        defer { warned.unlock() }
        guard !done else { return }
        done = true
        Terminal.warning(
            "the server speaks API version \(version) and this wysc \(Wysc.version) knows version \(WyscAPI.version): it may lack commands the server offers; install the newer wysc (see the README's \"For judges and universities\")"
        )
    }
}

/// The token of `wysc login`, in the user's config directory, readable by the user only.
enum LoginStore {
    struct Login: Codable {
        var server: String
        var token: String
    }

    /// Plain paths: every command asks for the file (to know whether it works remotely), and
    /// building a URL for it cost a one-shot command more than reading the file.
    static var directory: String {
        let environment = ProcessEnvironment.values
        let configuration =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return configuration + "/wysc"
    }

    static var path: String { directory + "/login.json" }

    static func load() -> Login? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Login.self, from: data)
    }

    static func save(_ login: Login) throws {
        let path = self.path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try JSONEncoder().encode(login)
        // Created 0600 before anything is written, so the token is never readable by others.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(message: "cannot write \(path): \(String(cString: strerror(errno)))", exitCode: CommandFailure.failure)
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw CommandFailure(message: "cannot write \(path)", exitCode: CommandFailure.failure) }
    }

    static func remove() -> Bool {
        (try? FileManager.default.removeItem(atPath: path)) != nil
    }
}
