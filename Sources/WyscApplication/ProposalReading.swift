import Foundation
import WyscPostgres
import WyscWorkflow

/// Which proposal: its number (what judges see) or its team's name (organizers and universities).
public enum ProposalReference: Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case team(String)

    /// `17` or `#17` is a number; anything else a team's name.
    public init(parsing text: String) {
        let digits = text.hasPrefix("#") ? String(text.dropFirst()) : text
        if let number = Int(digits), number > 0, digits.allSatisfy(\.isASCII) { self = .number(number) } else { self = .team(text) }
    }

    public var description: String {
        switch self {
        case .number(let number): "proposal #\(number)"
        case .team(let name): "the proposal of team \(quoted(name))"
        }
    }
}

/// A file of a proposal version, as its reader may see it.
public struct ProposalFile: Sendable, Hashable, Codable {
    /// 1, 2, …: how `proposal get --file` and the download route name it.
    public var number: Int
    /// The name to save it under: the team's own name, or a neutral one (`proposal-17-plan.pdf`) in a blind round.
    public var name: String
    public var mediaType: String
    public var size: Int
    /// Lowercase hex.
    public var sha256: String
}

/// One version of a proposal as a reader may see it: in a blind round, nothing names the team.
public struct ProposalView: Sendable, Hashable, Codable {
    public var proposal: Int
    public var version: Int
    public var title: String
    public var abstract: String
    public var link: String?
    public var tags: [String]
    public var submittedAt: Date
    /// Who submitted it (organizers only).
    public var submittedBy: String?
    /// nil when the reader judges it blind.
    public var team: String?
    public var university: String?
    public var blind: Bool
    public var files: [ProposalFile]
}

extension Application {
    /// A proposal's current version (or every version, oldest first) for its reader. Organizers see
    /// everything; a university its own teams'; a judge only what is assigned to them in a round
    /// that has begun and that they have no conflict with, without the team in a blind round.
    /// An organizer naming a `judge` sees what that judge sees.
    public func readProposal(
        _ reference: ProposalReference, allVersions: Bool = false, judge: String? = nil, competition slug: String, as actor: Actor
    ) async throws -> [ProposalView] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let actor = try ProposalAccess.reader(actor, judge: judge, competition: competition, on: connection)
            let access = try ProposalAccess.check(reference, competition: competition, actor: actor, on: connection)
            return try ProposalAccess.views([access], allVersions: allVersions, organizer: actor.isOrganizer, on: connection)
        }
    }

    /// A file of a proposal's current version, checked as `readProposal` checks; a judge's download is
    /// remembered (their queue shows what they opened).
    public func proposalFile(
        proposal: Int, file number: Int, judge: String? = nil, competition slug: String, as actor: Actor
    ) async throws -> ProposalFile {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let reader = try ProposalAccess.reader(actor, judge: judge, competition: competition, on: connection)
            let access = try ProposalAccess.check(.number(proposal), competition: competition, actor: reader, on: connection)
            let view = try ProposalAccess.views([access], allVersions: false, organizer: reader.isOrganizer, on: connection)[0]
            guard let file = view.files.first(where: { $0.number == number }) else {
                throw WyscError(
                    .notFound,
                    view.files.isEmpty
                        ? "proposal #\(proposal) has no files" : "proposal #\(proposal) has no file \(number) (it has \(view.files.count))")
            }
            // Only the judge's own download counts as opened, not an organizer's preview as them.
            if case .judge(let judgeID) = actor {
                try connection.query(
                    """
                    INSERT INTO proposal_file_read (judge_id, proposal_id, sha256) VALUES (\(judgeID), \(proposal), \(try Hexadecimal.data(file.sha256)))
                    ON CONFLICT DO NOTHING
                    """)
            }
            return file
        }
    }

    /// The bytes of `range` of a file that `proposalFile` gave, in pieces of at most 1 MiB.
    public func readProposalFile(_ file: ProposalFile, range: Range<Int>, into body: (Data) async throws -> Void) async throws {
        guard range.lowerBound >= 0, range.upperBound <= file.size else { throw WyscError(.badInput, "the range is outside the file") }
        try await DocumentStore.read(sha256: try Hexadecimal.data(file.sha256), range: range, using: self, into: body)
    }
}

enum ProposalAccess {
    struct Granted {
        var proposal: Int
        var currentVersion: Int
        var team: String
        var university: String
        var blind: Bool
    }

    /// Who reads: the actor, or the judge an organizer names (a judge may name only themselves).
    static func reader(_ actor: Actor, judge email: String?, competition: CompetitionRecord, on connection: PostgresConnection) throws -> Actor {
        guard let email else { return actor }
        return .judge(try Scoring.actingJudge(email, actor: actor, competition: competition, on: connection).id)
    }

    static func check(
        _ reference: ProposalReference, competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection
    ) throws -> Granted {
        var number: Int?
        var teamName: String?
        switch reference {
        case .number(let value): number = value
        case .team(let name):
            if case .judge = actor { throw WyscError(.badInput, "a judge opens a proposal by its number (wysc judge queue lists them)") }
            teamName = name
        }
        let row = try connection.query(
            """
            SELECT p.id, p.version, t.id AS team_id, t.name AS team, t.university_id, u.name AS university
            FROM proposal p JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
            WHERE p.competition_id = \(competition.id) AND (p.id = \(number) OR lower(t.name) = lower(\(teamName)))
            """
        ).singleRow()
        switch actor {
        case .organizer, .system:
            guard let row else {
                let missing =
                    switch reference {
                    case .number(let number): "there is no proposal #\(number) in competition '\(competition.slug)'"
                    case .team(let name): "team \(quoted(name)) has no proposal in competition '\(competition.slug)'"
                    }
                throw WyscError(.notFound, missing)
            }
            return try granted(row, blind: false)
        case .university(let own):
            guard let row, try row.decode("university_id", as: Int.self) == own else {
                throw WyscError(.permissionDenied, "a university sees only its own teams' proposals")
            }
            return try granted(row, blind: false)
        case .judge(let judge):
            // The same answer whether the proposal exists or not: a judge learns nothing of others.
            let refusal = WyscError(.permissionDenied, "\(reference) is not assigned to you")
            guard let row else { throw refusal }
            let proposal: Int = try row.decode("id")
            let assigned = try connection.query(
                "SELECT round FROM assignment WHERE competition_id = \(competition.id) AND judge_id = \(judge) AND proposal_id = \(proposal)"
            ).rows.map { try $0.decode("round", as: String.self) }
            let phases = competition.definition.phases.map(\.id)
            let reached = phases.firstIndex(of: competition.phase) ?? phases.count
            let rounds = competition.definition.rounds.filter { round in
                assigned.contains(round.id) && (phases.firstIndex(of: round.phase) ?? Int.max) <= reached
            }
            guard !rounds.isEmpty else { throw refusal }
            let team: Int = try row.decode("team_id")
            if try connection.query("SELECT 1 FROM declared_conflict WHERE judge_id = \(judge) AND team_id = \(team)").singleRow() != nil {
                throw WyscError(.permissionDenied, "you declared a conflict with \(reference): it is no longer yours to read or score")
            }
            return try granted(row, blind: rounds.allSatisfy(\.blindReview))
        }
    }

    static func granted(_ row: PostgresRow, blind: Bool) throws -> Granted {
        Granted(
            proposal: try row.decode("id"), currentVersion: try row.decode("version"), team: try row.decode("team"),
            university: try row.decode("university"), blind: blind)
    }

    /// The proposals' current versions (or every version), in the order of `grants`, oldest version first.
    static func views(_ grants: [Granted], allVersions: Bool, organizer: Bool, on connection: PostgresConnection) throws -> [ProposalView] {
        guard !grants.isEmpty else { return [] }
        let ids = grants.map(\.proposal)
        let blind = Dictionary(uniqueKeysWithValues: grants.map { ($0.proposal, $0.blind) })
        var files: [Int: [(version: Int, file: ProposalFile)]] = [:]
        for row in try connection.query(
            """
            SELECT f.proposal_id, f.version, f.number, f.name, d.media_type, d.size, f.sha256
            FROM proposal_file f JOIN document d ON d.sha256 = f.sha256 JOIN proposal p ON p.id = f.proposal_id
            WHERE f.proposal_id = ANY(\(ids)) AND (\(allVersions) OR f.version = p.version)
            ORDER BY f.version, f.number
            """
        ).rows {
            let proposal: Int = try row.decode("proposal_id")
            let number: Int = try row.decode("number")
            let mediaType: String = try row.decode("media_type")
            let neutral = neutralName(proposal: proposal, file: number, type: DocumentType(mediaType: mediaType))
            let file = ProposalFile(
                number: number, name: blind[proposal] == true ? neutral : safeFileName(try row.decode("name"), fallback: neutral),
                mediaType: mediaType, size: try row.decode("size"), sha256: hexadecimal(try row.decode("sha256", as: Data.self)))
            files[proposal, default: []].append((try row.decode("version"), file))
        }
        var versions: [Int: [PostgresRow]] = [:]
        for row in try connection.query(
            """
            SELECT v.proposal_id, v.version, v.title, v.abstract, v.link, v.tags, v.submitted_at, v.submitted_by
            FROM proposal_version v JOIN proposal p ON p.id = v.proposal_id
            WHERE v.proposal_id = ANY(\(ids)) AND (\(allVersions) OR v.version = p.version) ORDER BY v.version
            """
        ).rows {
            versions[try row.decode("proposal_id"), default: []].append(row)
        }
        return try grants.flatMap { access in
            try (versions[access.proposal] ?? []).map { row in
                let version: Int = try row.decode("version")
                return ProposalView(
                    proposal: access.proposal, version: version, title: try row.decode("title"), abstract: try row.decode("abstract"),
                    link: try row.decode("link"), tags: try row.decode("tags"), submittedAt: try row.decode("submitted_at"),
                    submittedBy: organizer ? try row.decode("submitted_by") : nil, team: access.blind ? nil : access.team,
                    university: access.blind ? nil : access.university, blind: access.blind,
                    files: (files[access.proposal] ?? []).filter { $0.version == version }.map(\.file))
            }
        }
    }

    /// `proposal-17-plan.pdf` for the first file, `proposal-17-file-2.png` for the others.
    static func neutralName(proposal: Int, file: Int, type: DocumentType?) -> String {
        "proposal-\(proposal)-\(file == 1 ? "plan" : "file-\(file)").\(type?.fileExtension ?? "bin")"
    }

    /// A name safe to create in any directory: no path separators, no control characters, not hidden.
    static func safeFileName(_ name: String, fallback: String) -> String {
        let cleaned = String(
            name.unicodeScalars.map { scalar -> Character in
                TextField.isControl(scalar) || scalar == "/" || scalar == "\\" ? "_" : Character(scalar)
            })
        let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: ". ").union(.whitespaces))
        return trimmed.isEmpty ? fallback : trimmed
    }
}
