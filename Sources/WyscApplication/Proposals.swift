import Foundation
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

    /// The rows of a form export: team,title,abstract,link,tags,files (tags and files separated by
    /// ';'). File names are resolved in `filesDirectory` and may not leave it; an empty files cell
    /// keeps the files of the team's previous version.
    public static func rows(of document: CSVDocument, filesDirectory: String? = nil) throws(WyscError) -> [(row: Int, input: ProposalInput)] {
        let columns = try document.columns(required: ["team", "title", "abstract"], optional: ["link", "tags", "files"])
        return document.records.map { record in
            let link = record.value(columns["link"])
            var input = ProposalInput(
                team: record.value(columns["team"]), title: record.value(columns["title"]), abstract: record.value(columns["abstract"]),
                link: link.isEmpty ? nil : link, tags: splitTags(record.value(columns["tags"])))
            let names = record.value(columns["files"]).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { return (record.row, input) }
            guard let filesDirectory else {
                input.unreadableFiles.append("files are named but no directory to find them in was given (--files DIR)")
                return (record.row, input)
            }
            var files: [ProposalDocument] = []
            for name in names {
                let parts = name.split(separator: "/")
                guard !name.hasPrefix("/"), !parts.contains(".."), !name.contains("\\") else {
                    input.unreadableFiles.append("file \(quoted(name)) must be a name inside \(filesDirectory), not a path out of it")
                    continue
                }
                let path = URL(fileURLWithPath: filesDirectory).appendingPathComponent(name).path
                guard FileManager.default.fileExists(atPath: path) else {
                    input.unreadableFiles.append("file \(quoted(name)) was not found in \(filesDirectory)")
                    continue
                }
                // A symbolic link may not lead out of the directory either (to /etc/shadow, say).
                guard let root = Self.realPath(filesDirectory), Self.realPath(path)?.hasPrefix(root + "/") == true else {
                    input.unreadableFiles.append("file \(quoted(name)) is a link to a file outside \(filesDirectory)")
                    continue
                }
                do throws(WyscError) {
                    files.append(try ProposalDocument.inspect(path: path, maxBytes: ProposalFileRules.largestFileBytes))
                } catch {
                    input.unreadableFiles.append(error.message)
                }
            }
            input.files = files
            return (record.row, input)
        }
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

    /// Problems visible in the input alone.
    func problems() -> [String] {
        var problems: [String] = []
        if team.isEmpty { problems.append("team is missing") }
        if title.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("title is missing") }
        if abstract.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("abstract is missing") }
        let textProblems =
            TextField.problems([
                ("team", team, .name), ("title", title, .title), ("abstract", abstract, .abstract), ("link", link ?? "", .link),
            ]) + [TextField.tagsProblem(tags, field: "tags")].compactMap { $0 }
        problems += textProblems + unreadableFiles
        if textProblems.isEmpty, let link, !(link.hasPrefix("https://") || link.hasPrefix("http://")) || URL(string: link)?.host == nil {
            problems.append("link \(quoted(link)) is not an http(s) address")
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
        return (proposal, summary)
    }

    /// Submits proposals from a form export, all or nothing, with every bad row reported.
    public func importProposals(
        _ rows: [(row: Int, input: ProposalInput)], file: String, competition slug: String, as actor: Actor
    ) async throws -> ImportSummary {
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            try competition.require(.submitProposal, "submitting a proposal", now: now)
            var problems: [RowProblems.Problem] = []
            var seen: [String: Int] = [:]
            var resolved: [(row: Int, teamID: Int, teamName: String, input: ProposalInput)] = []
            for (row, input) in rows {
                for message in input.problems() + input.fileProblems(competition.definition.proposalFiles) {
                    problems.append(.init(row: row, message: message))
                }
                guard !input.team.isEmpty else { continue }
                if let first = seen[input.team.lowercased()] {
                    problems.append(.init(row: row, message: "team \(quoted(input.team)) appears again (first on row \(first))"))
                    continue
                }
                seen[input.team.lowercased()] = row
                guard
                    let team = try connection.query(
                        "SELECT id, name, university_id FROM team WHERE competition_id = \(competition.id) AND lower(name) = lower(\(input.team))"
                    ).singleRow()
                else {
                    problems.append(.init(row: row, message: "unknown team \(quoted(input.team))"))
                    continue
                }
                let teamID: Int = try team.decode("id")
                if case .university(let own) = actor, try team.decode("university_id", as: Int.self) != own {
                    throw WyscError(.permissionDenied, "a university submits proposals only for its own teams")
                }
                if case .judge = actor { throw WyscError(.permissionDenied, "judges do not submit proposals") }
                if let reason = try EligibilityDecisions.ineligibility(teamID: teamID, competition: competition, on: connection) {
                    problems.append(.init(row: row, message: "team \(quoted(input.team)) may not submit a proposal: \(reason)"))
                    continue
                }
                resolved.append((row, teamID, try team.decode("name"), input))
            }
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            var summary = ImportSummary(added: 0, unchanged: 0)
            for entry in resolved {
                summary =
                    summary
                    + (try ProposalStore.store(
                        entry.input, teamID: entry.teamID, teamName: entry.teamName, competition: competition, actor: actor, on: connection))
            }
            return summary
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
    /// Why a team may not submit a proposal, or nil when it may. Without eligibility rules every team may.
    static func ineligibility(teamID: Int, competition: CompetitionRecord, on connection: PostgresConnection) throws -> String? {
        guard competition.definition.eligibility != nil else { return nil }
        let row = try connection.query(
            """
            SELECT e.eligible AS computed, coalesce(e.reasons, '[]')::text AS reasons, o.eligible AS override
            FROM team t LEFT JOIN team_eligibility e ON e.team_id = t.id LEFT JOIN eligibility_override o ON o.team_id = t.id
            WHERE t.id = \(teamID)
            """
        ).rows[0]
        let override: Bool? = try row.decode("override")
        let computed: Bool? = try row.decode("computed")
        switch override ?? computed {
        case true?: return nil
        case false?:
            if override == false { return "an organizer decided it is not eligible" }
            let reasons = try JSONValue.strings(fromArray: try row.decode("reasons"))
            return reasons.joined(separator: "; ")
        case nil: return "its eligibility has not been decided yet (the compute_eligibility action decides it)"
        }
    }
}
