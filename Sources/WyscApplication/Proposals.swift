import Foundation
import Synchronization
import WyscPostgres
import WyscWorkflow

/// What a team submits: a project proposal.
public struct ProposalInput: Sendable, Hashable {
    public var team: String
    public var title: String
    public var abstract: String
    public var link: String?
    public var tags: [String]
    /// The version's files, in order; nil keeps the files of the version before (none for a first one).
    public var files: [ProposalDocument]?
    /// Files named in the input that could not be read: reported with the row's other problems.
    public var unreadableFiles: [String] = []

    public init(team: String, title: String, abstract: String, link: String?, tags: [String], files: [ProposalDocument]? = nil) {
        self.team = team
        self.title = title
        self.abstract = abstract
        self.link = link
        self.tags = tags
        self.files = files
    }

    /// The rows of a form export (team,title,abstract,link,tags,files; tags and files separated by
    /// ';'), read as the import takes them. File names are resolved in `filesDirectory` and may not
    /// leave it; each named file is inspected (size, kind, SHA-256) as its row is read, and its
    /// bytes are read again only when it is stored. An empty files cell keeps the files of the
    /// team's previous version.
    public static func rows(of reader: CSVReader, filesDirectory: String? = nil) throws(WyscError) -> CSVRowStream<ProposalRow> {
        let file = reader.file
        return try CSVRowStream(reader, required: ["team", "title", "abstract"], optional: ["link", "tags", "files"]) {
            (record, columns) throws(WyscError) in
            // Field by field (a nested function over the borrowed record crashes the 6.3 compiler).
            let team = try record.string(columns["team"], in: file).trimmingCharacters(in: .whitespaces)
            let title = try record.string(columns["title"], in: file)
            let abstract = try record.string(columns["abstract"], in: file)
            let link = try record.string(columns["link"], in: file).trimmingCharacters(in: .whitespaces)
            let tags = try record.string(columns["tags"], in: file)
            let files = try record.string(columns["files"], in: file)
            var input = ProposalInput(team: team, title: title, abstract: abstract, link: link.isEmpty ? nil : link, tags: splitTags(tags))
            input.attach(named: files, in: filesDirectory)
            return (record.row, input)
        }
    }

    /// Attaches the files a form's cell names (separated by ';'), found in `directory`; a name that
    /// cannot be attached is kept as the row's problem.
    mutating func attach(named cell: String, in directory: String?) {
        let names = cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { return }
        guard let directory else {
            unreadableFiles.append("files are named but no directory to find them in was given (--files DIR)")
            return
        }
        var files: [ProposalDocument] = []
        for name in names {
            let parts = name.split(separator: "/")
            guard !name.hasPrefix("/"), !parts.contains(".."), !name.contains("\\") else {
                unreadableFiles.append("file \(quoted(name)) must be a name inside \(directory), not a path out of it")
                continue
            }
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else {
                unreadableFiles.append("file \(quoted(name)) was not found in \(directory)")
                continue
            }
            // A symbolic link may not lead out of the directory either (to /etc/shadow, say).
            guard let root = Self.realPath(directory), Self.realPath(path)?.hasPrefix(root + "/") == true else {
                unreadableFiles.append("file \(quoted(name)) is a link to a file outside \(directory)")
                continue
            }
            do throws(WyscError) {
                files.append(try ProposalDocument.inspect(path: path, maxBytes: ProposalFileRules.largestFileBytes))
            } catch {
                unreadableFiles.append(error.message)
            }
        }
        self.files = files
    }

    /// The path with every symbolic link resolved (realpath(3)), or nil when it cannot be.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Tags as written in a CSV cell or an option: separated by ';' or ','.
    public static func splitTags(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Problems visible in the input alone, on `row`. A text that cannot be stored is marked so.
    func problems(row: Int) -> [RowProblems.Problem] {
        var problems: [RowProblems.Problem] = []
        func problem(_ message: String) { problems.append(.init(row: row, message: message)) }
        if team.isEmpty { problem("team is missing") }
        if title.trimmingCharacters(in: .whitespaces).isEmpty { problem("title is missing") }
        if abstract.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problem("abstract is missing") }
        let textProblems =
            TextField.problems([
                ("team", team, .name), ("title", title, .title), ("abstract", abstract, .abstract), ("link", link ?? "", .link),
            ]) + [TextField.tagsProblem(tags, field: "tags")].compactMap { $0 }
        problems += textProblems.map { .init(row: row, message: $0, isTextLimit: true) }
        unreadableFiles.forEach(problem)
        if textProblems.isEmpty, let link, !(link.hasPrefix("https://") || link.hasPrefix("http://")) || URL(string: link)?.host == nil {
            problem("link \(quoted(link)) is not an http(s) address")
        }
        return problems
    }

    /// Why the files may not be attached under the workflow's rules.
    func fileProblems(_ rules: ProposalFileRules) -> [String] {
        guard let files else { return [] }
        var problems = files.compactMap { $0.problem(rules) }
        if files.count > rules.maxFiles {
            problems.append("\(files.count) files given; a proposal may carry at most \(rules.maxFiles)")
        }
        var names: Set<String> = []
        for file in files where !names.insert(file.name.lowercased()).inserted {
            problems.append("file \(quoted(file.name)) is given twice")
        }
        return problems
    }
}

extension Application {
    /// Submits a team's proposal, or a new version of it, while the phase allows it and before its
    /// deadline (plus grace). Sending the same proposal again (a retry) changes nothing.
    public func submitProposal(
        _ input: ProposalInput, competition slug: String, as actor: Actor
    ) async throws -> (proposal: ProposalView, outcome: ImportSummary) {
        let summary = try await importProposals([(1, input)], file: "the proposal", competition: slug, as: actor)
        let proposal = try await proposals(competition: slug, team: input.team, as: actor)[0]
        return (proposal, summary.proposals)
    }

    /// Submits proposals made in memory (the demo, a single submission), all or nothing.
    public func importProposals(
        _ rows: [ProposalRow], file: String, competition slug: String, as actor: Actor
    ) async throws -> ProposalImportSummary {
        try await importProposals(reading: { rows }, file: file, competition: slug, as: actor)
    }

    /// Submits proposals from a form export, all or nothing, with every bad row reported. `rows` is
    /// called once per attempt of the transaction.
    public func importProposals<Rows: ImportRows<ProposalRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ProposalImportSummary {
        if case .judge = actor { throw WyscError(.permissionDenied, "judges do not submit proposals") }
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            try competition.require(.submitProposal, "submitting a proposal", now: now)
            let generated = ProposalImport.GeneratedDocuments()
            let problems = try ProposalImport.stage(
                try rows(), generated: generated, competition: competition, actor: actor, on: connection, progress: progress)
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return try ProposalImport.write(generated: generated, competition: competition, actor: actor, on: connection, progress: progress)
        }
    }

    /// The current proposals (with their files), or one team's. A university sees its own teams' only;
    /// judges use their queue.
    public func proposals(competition slug: String, team: String? = nil, as actor: Actor) async throws -> [ProposalView] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let universityID = try Self.visibleUniversity(nil, actor: actor, on: connection)
            let rows = try connection.query(
                """
                SELECT p.id, p.version, t.name AS team, u.name AS university
                FROM proposal p JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
                WHERE p.competition_id = \(competition.id) AND (\(team)::text IS NULL OR lower(t.name) = lower(\(team)))
                  AND (\(universityID)::bigint IS NULL OR t.university_id = \(universityID))
                ORDER BY t.name
                """
            ).rows
            if let team, rows.isEmpty { throw WyscError(.notFound, "team '\(team)' has no proposal in competition '\(slug)'") }
            return try ProposalAccess.views(
                try rows.map { try ProposalAccess.granted($0, blind: false) }, allVersions: false, organizer: actor.isOrganizer, on: connection)
        }
    }
}

extension ImportSummary {
    static func + (lhs: ImportSummary, rhs: ImportSummary) -> ImportSummary {
        ImportSummary(added: lhs.added + rhs.added, changed: lhs.changed + rhs.changed, unchanged: lhs.unchanged + rhs.unchanged)
    }
}

/// A form export's row: its number and what it submits.
public typealias ProposalRow = (row: Int, input: ProposalInput)

public struct ProposalImportSummary: Sendable, Hashable {
    public var proposals: ImportSummary
    /// How many files the rows named (each inspected, and stored unless its content already was).
    public var files: Int
}

/// Proposal imports: rows checked alone (texts, link, the files' kinds and sizes) as they are
/// staged, then set-based against the competition's teams; each staged row is then stored as a new
/// proposal or version, its files read from disk as they are stored.
enum ProposalImport {
    /// Documents made in memory (the demo's, a test's) have no path to read them again from; their
    /// bytes are kept by digest until they are stored.
    final class GeneratedDocuments: Sendable {
        private let bytes = Mutex<[Data: Data]>([:])
        func keep(_ document: ProposalDocument) {
            if case .bytes(let data) = document.source { bytes.withLock { $0[document.sha256] = data } }
        }
        func bytes(_ sha256: Data) -> Data? { bytes.withLock { $0[sha256] } }
    }

    static func table(_ rules: ProposalFileRules, generated: GeneratedDocuments) -> StagingTable<ProposalRow> {
        StagingTable(
            name: "proposal_import",
            columns: """
                row_number integer NOT NULL, team text NOT NULL, title text NOT NULL, abstract text NOT NULL, link text,
                tags jsonb NOT NULL, files jsonb
                """,
            check: { row in row.input.problems(row: row.row) + row.input.fileProblems(rules).map { .init(row: row.row, message: $0) } },
            values: { row in
                let input = row.input
                for document in input.files ?? [] { generated.keep(document) }
                return [
                    String(row.row), input.team, input.title.trimmingCharacters(in: .whitespaces),
                    input.abstract.trimmingCharacters(in: .whitespacesAndNewlines), input.link,
                    JSONValue.array(input.tags.map(JSONValue.string)).encoded, input.files.map { JSONValue.array($0.map(stagedEntry)).encoded },
                ]
            })
    }

    /// A file as staged: what was found when it was inspected, and where to read it again.
    static func stagedEntry(_ document: ProposalDocument) -> JSONValue {
        var path = JSONValue.null
        if case .file(let file) = document.source { path = .string(file) }
        return .object([
            "name": .string(document.name), "size": .integer(document.size), "sha256": .string(hexadecimal(document.sha256)),
            "type": .optional(document.type?.rawValue), "path": path,
        ])
    }

    static func document(_ entry: JSONValue, generated: GeneratedDocuments) throws -> ProposalDocument {
        guard case .object(let fields) = entry, case .string(let name) = fields["name"], case .integer(let size) = fields["size"],
            case .string(let digest) = fields["sha256"]
        else { throw WyscError(.failure, "a staged proposal file is malformed") }
        let sha256 = try Hexadecimal.data(digest)
        var type: DocumentType?
        if case .string(let kind) = fields["type"] { type = DocumentType(rawValue: kind) }
        let source: ProposalDocument.Source
        if case .string(let path) = fields["path"] {
            source = .file(path: path)
        } else if let bytes = generated.bytes(sha256) {
            source = .bytes(bytes)
        } else {
            throw WyscError(.failure, "the content of file \(quoted(name)) was not kept")
        }
        return ProposalDocument(name: name, size: size, sha256: sha256, type: type, source: source)
    }

    /// Stages the rows, then runs the checks that need the database: every problem, by row.
    static func stage<Rows: ImportRows<ProposalRow>>(
        _ rows: Rows, generated: GeneratedDocuments, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> [RowProblems.Problem] {
        let staged = try StagedImport.stage(
            rows, into: table(competition.definition.proposalFiles, generated: generated), on: connection, progress: progress)
        var problems = staged.problems
        guard StagedImport.everyRowStaged(problems) else { return problems }
        if case .university(let own) = actor,
            try connection.query(
                """
                SELECT 1 FROM proposal_import s JOIN team t ON t.competition_id = \(competition.id) AND lower(t.name) = lower(s.team)
                WHERE t.university_id <> \(own) LIMIT 1
                """
            ).singleRow() != nil
        {
            throw WyscError(.permissionDenied, "a university submits proposals only for its own teams")
        }
        func text(_ row: PostgresRow, _ column: String) throws -> String { try row.decode(column, as: String.self) }
        problems += try StagedImport.problems(
            """
            SELECT s.row_number, s.team FROM proposal_import s
            WHERE s.team <> '' AND NOT EXISTS (SELECT 1 FROM team t WHERE t.competition_id = \(competition.id) AND lower(t.name) = lower(s.team))
            """, on: connection
        ) { "unknown team \(quoted(try text($0, "team")))" }
        problems += try StagedImport.problems(
            """
            SELECT row_number, team, first_row
            FROM (SELECT row_number, team, min(row_number) OVER (PARTITION BY lower(team)) AS first_row FROM proposal_import WHERE team <> '') s
            WHERE row_number <> first_row
            """, on: connection
        ) { "team \(quoted(try text($0, "team"))) appears again (first on row \(try $0.decode("first_row", as: Int.self)))" }
        if competition.definition.eligibility != nil {
            problems += try StagedImport.problems(
                """
                SELECT s.row_number, s.team, e.eligible AS computed, coalesce(e.reasons, '[]')::text AS reasons, o.eligible AS override
                FROM proposal_import s JOIN team t ON t.competition_id = \(competition.id) AND lower(t.name) = lower(s.team)
                LEFT JOIN team_eligibility e ON e.team_id = t.id LEFT JOIN eligibility_override o ON o.team_id = t.id
                WHERE coalesce(o.eligible, e.eligible) IS NOT TRUE
                """, on: connection
            ) { row in
                let reason = try EligibilityDecisions.ineligibility(
                    override: try row.decode("override"), computed: try row.decode("computed"), reasons: try row.decode("reasons"))
                return "team \(quoted(try text(row, "team"))) may not submit a proposal: \(reason ?? "it is not eligible")"
            }
        }
        return problems
    }

    /// How many staged rows are stored per query: the rows are read back a batch at a time, so that
    /// an import of any size holds one batch.
    static let batchSize = 200

    /// Stores each staged row as a new proposal or a new version (an identical one changes nothing).
    static func write(
        generated: GeneratedDocuments, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> ProposalImportSummary {
        let total: Int = try connection.query("SELECT count(*) AS n FROM proposal_import").rows[0].decode("n")
        var summary = ProposalImportSummary(proposals: ImportSummary(added: 0, unchanged: 0), files: 0)
        var done = 0
        var after = 0
        while true {
            let batch = try connection.query(
                """
                SELECT s.row_number, t.id AS team_id, t.name AS team_name, s.title, s.abstract, s.link,
                       ARRAY(SELECT jsonb_array_elements_text(s.tags)) AS tags, s.files::text AS files
                FROM proposal_import s JOIN team t ON t.competition_id = \(competition.id) AND lower(t.name) = lower(s.team)
                WHERE s.row_number > \(after) ORDER BY s.row_number LIMIT \(batchSize)
                """
            ).rows
            guard let last = batch.last else { break }
            after = try last.decode("row_number")
            for row in batch {
                let teamName: String = try row.decode("team_name")
                var input = ProposalInput(
                    team: teamName, title: try row.decode("title"), abstract: try row.decode("abstract"), link: try row.decode("link"),
                    tags: try row.decode("tags"))
                if let files: String = try row.decode("files") {
                    guard case .array(let entries) = try JSONValue.parse(files) else {
                        throw WyscError(.failure, "staged proposal files are malformed")
                    }
                    input.files = try entries.map { try document($0, generated: generated) }
                    summary.files += entries.count
                }
                summary.proposals =
                    summary.proposals
                    + (try ProposalStore.store(
                        input, teamID: try row.decode("team_id"), teamName: teamName, competition: competition, actor: actor, on: connection))
            }
            done += batch.count
            progress?(ImportProgress(stage: "storing", done: done, total: total))
        }
        return summary
    }
}

enum ProposalStore {
    /// Writes a new proposal or a new version; an identical resubmission changes nothing.
    static func store(
        _ input: ProposalInput, teamID: Int, teamName: String, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection
    ) throws -> ImportSummary {
        let title = input.title.trimmingCharacters(in: .whitespaces)
        let abstract = input.abstract.trimmingCharacters(in: .whitespacesAndNewlines)
        let current = try connection.query(
            "SELECT id, version, title, abstract, link, tags FROM proposal WHERE team_id = \(teamID) FOR UPDATE"
        ).singleRow()
        var after: [String: JSONValue] = [
            "title": .string(title), "link": .optional(input.link), "tags": .array(input.tags.map(JSONValue.string)),
        ]
        if let files = input.files { after["files"] = .array(files.map(auditEntry)) }
        if let current {
            let id: Int = try current.decode("id")
            let version: Int = try current.decode("version")
            let previousFiles = try fileKeys(proposal: id, version: version, on: connection)
            let same =
                try current.decode("title", as: String.self) == title && current.decode("abstract", as: String.self) == abstract
                && current.decode("link", as: String?.self) == input.link && current.decode("tags", as: [String].self) == input.tags
                && (input.files == nil || input.files!.map { FileKey(name: $0.name, sha256: $0.sha256) } == previousFiles)
            if same { return ImportSummary(added: 0, unchanged: 1) }
            try connection.query(
                """
                UPDATE proposal SET version = \(version + 1), title = \(title), abstract = \(abstract), link = \(input.link), tags = \(input.tags),
                    submitted_at = now(), submitted_by = \(actor.description)
                WHERE id = \(id)
                """)
            try recordVersion(id, on: connection)
            try storeFiles(input.files, proposal: id, version: version + 1, previous: previousFiles, on: connection)
            try NotificationEvents.proposalReceived(proposal: id, teamID: teamID, competition: competition, on: connection)
            try Audit.record(
                on: connection, actor: actor, action: "proposal.submit", subject: "team:\(teamName)", competitionID: competition.id,
                before: ["version": .integer(version), "title": .string(try current.decode("title"))],
                after: after.merging(["version": .integer(version + 1)]) { $1 })
            return ImportSummary(added: 0, changed: 1, unchanged: 0)
        }
        // A concurrent first submission for the same team may insert first: then this is a new version of it.
        guard
            let inserted = try connection.query(
                """
                INSERT INTO proposal (competition_id, team_id, title, abstract, link, tags, submitted_by)
                VALUES (\(competition.id), \(teamID), \(title), \(abstract), \(input.link), \(input.tags), \(actor.description))
                ON CONFLICT (team_id) DO NOTHING RETURNING id
                """
            ).singleRow()
        else {
            return try store(input, teamID: teamID, teamName: teamName, competition: competition, actor: actor, on: connection)
        }
        let id: Int = try inserted.decode("id")
        try recordVersion(id, on: connection)
        try storeFiles(input.files, proposal: id, version: 1, previous: [], on: connection)
        try NotificationEvents.proposalReceived(proposal: id, teamID: teamID, competition: competition, on: connection)
        try Audit.record(
            on: connection, actor: actor, action: "proposal.submit", subject: "team:\(teamName)", competitionID: competition.id,
            after: after.merging(["version": 1]) { $1 })
        return ImportSummary(added: 1, unchanged: 0)
    }

    struct FileKey: Hashable {
        var name: String
        var sha256: Data
    }

    static func fileKeys(proposal: Int, version: Int, on connection: PostgresConnection) throws -> [FileKey] {
        try connection.query(
            "SELECT name, sha256 FROM proposal_file WHERE proposal_id = \(proposal) AND version = \(version) ORDER BY number"
        ).rows.map { FileKey(name: try $0.decode("name"), sha256: try $0.decode("sha256")) }
    }

    /// The version's files: those given, or (nil) the previous version's again.
    static func storeFiles(
        _ files: [ProposalDocument]?, proposal: Int, version: Int, previous: [FileKey], on connection: PostgresConnection
    ) throws {
        let keys = files?.map { FileKey(name: $0.name, sha256: $0.sha256) } ?? previous
        for document in files ?? [] { try DocumentStore.store(document, on: connection) }
        for (index, key) in keys.enumerated() {
            try connection.query(
                """
                INSERT INTO proposal_file (proposal_id, version, number, name, sha256)
                VALUES (\(proposal), \(version), \(index + 1), \(key.name), \(key.sha256))
                """)
        }
    }

    static func auditEntry(_ document: ProposalDocument) -> JSONValue {
        .object(["name": .string(document.name), "sha256": .string(hexadecimal(document.sha256)), "size": .integer(document.size)])
    }

    static func recordVersion(_ id: Int, on connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO proposal_version (proposal_id, version, title, abstract, link, tags, submitted_at, submitted_by)
            SELECT id, version, title, abstract, link, tags, submitted_at, submitted_by FROM proposal WHERE id = \(id)
            """)
    }
}

extension EligibilityDecisions {
    /// Why a team may not submit a proposal, or nil when it may: an organizer's decision
    /// (`override`) stands over the computed one; `reasons` is the computed decision's JSON array.
    static func ineligibility(override: Bool?, computed: Bool?, reasons: String) throws -> String? {
        switch override ?? computed {
        case true?: return nil
        case false?:
            if override == false { return "an organizer decided it is not eligible" }
            return try JSONValue.strings(fromArray: reasons).joined(separator: "; ")
        case nil: return "its eligibility has not been decided yet (the compute_eligibility action decides it)"
        }
    }
}
