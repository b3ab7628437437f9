import Foundation
import Synchronization
import WyscPostgres
import WyscWorkflow

/// A competition as listed.
public struct CompetitionSummary: Sendable, Hashable, Codable {
    public var slug: String
    public var title: String
    /// Where the workflow was read from on the organizer's machine: organizers only (nil for others).
    public var workflowFile: String?
    public var phase: String
    public var phaseTitle: String
    public var phaseEnteredAt: Date
    public var teams: Int
    public var createdAt: Date
    public var createdBy: String
}

/// A competition row with its stored workflow, as the use cases need it.
struct CompetitionRecord: Sendable {
    var id: Int
    var slug: String
    var title: String
    var phase: String
    var phaseEnteredAt: Date
    var deadlinePassed: Bool
    var version: Int
    var rostersFrozenAt: Date?
    var workflowFile: String
    var definition: WorkflowDefinition
    /// The definition of `phase` (checked when the record is read).
    var currentPhase: Phase

    var state: PhaseState { PhaseState(phase: phase, deadlinePassed: deadlinePassed) }
    var subject: String { "competition:\(slug)" }

    /// Refuses an operation the current phase does not allow, or whose deadline has passed,
    /// naming the phase and the date.
    func require(_ operation: WyscWorkflow.Operation, _ what: String, now: Date) throws(WyscError) {
        let current = currentPhase
        guard current.allows.contains(operation) else {
            let open = definition.phases.filter { $0.allows.contains(operation) }.map { "'\($0.id)'" }
            throw WyscError(
                .refused,
                "\(what) is not possible now: competition '\(slug)' is in phase '\(phase)' (\(current.title)) since \(phaseEnteredAt.rfc3339)"
                    + (open.isEmpty ? "; no phase of its workflow allows it" : "; it is allowed in phase \(open.joined(separator: " and "))")
            )
        }
        if let deadline = current.deadline, let closes = current.closesAt, now >= closes {
            let grace = current.graceMinutes > 0 ? " (with a grace period of \(current.graceMinutes) minutes, until \(closes.rfc3339))" : ""
            throw WyscError(.refused, "\(what) is no longer possible: the deadline of phase '\(phase)' was \(deadline.rfc3339)\(grace)")
        }
    }
}

/// Stored workflows, parsed once per process: a competition's text never changes, so its text is the key.
enum ParsedWorkflows {
    private static let cache = Mutex<[String: WorkflowDefinition]>([:])

    static func definition(of source: String, file: String) throws(WorkflowInvalid) -> WorkflowDefinition {
        if let known = cache.withLock({ $0[source] }) { return known }
        let definition = try WorkflowLoader.load(source, file: file)
        cache.withLock { cache in
            if cache.count > 64 { cache.removeAll() }  // a bound, for a server that sees many competitions
            cache[source] = definition
        }
        return definition
    }
}

/// Competitions as last read, by slug, for the paths that run one statement (a scorecard): the
/// statement carries the version it was checked against and the database refuses a stale one,
/// so a record remembered here only ever saves a read, never decides alone.
final class RememberedCompetitions: Sendable {
    private let records = Mutex<[String: CompetitionRecord]>([:])

    func record(_ slug: String) -> CompetitionRecord? { records.withLock { $0[slug] } }

    func remember(_ record: CompetitionRecord) {
        records.withLock { records in
            if records.count > 64 { records.removeAll() }  // a bound, for a server that sees many competitions
            records[record.slug] = record
        }
    }
}

enum Competitions {
    enum Lock { case none, share, update }

    static func find(_ slug: String, on connection: PostgresConnection, lock: Lock = .none) throws -> CompetitionRecord {
        try record(try connection.query(query(slug, lock: lock)).singleRow(), slug: slug, on: connection)
    }

    /// The statement `find` runs, for callers that send it together with others.
    static func query(_ slug: String, lock: Lock = .none) -> SQLQuery {
        let clause: SQLQuery =
            switch lock {
            case .none: ""
            case .share: " FOR SHARE"
            case .update: " FOR UPDATE"
            }
        return """
            SELECT id, slug, title, phase, phase_entered_at, deadline_passed, version, rosters_frozen_at, workflow_file, workflow_source
            FROM competition WHERE slug = \(slug)\(clause)
            """
    }

    /// The competition from the row `query` found, or the refusal that names the competitions there are.
    static func record(_ row: PostgresRow?, slug: String, on connection: PostgresConnection) throws -> CompetitionRecord {
        guard let row else {
            let known = try connection.query("SELECT slug FROM competition ORDER BY slug").rows.map { try $0.decode("slug", as: String.self) }
            throw WyscError(
                .notFound,
                "there is no competition '\(slug)'" + (known.isEmpty ? " (there is none yet)" : " (there is: \(known.joined(separator: ", ")))"),
                code: known.isEmpty ? WyscError.Code.noCompetition : nil)
        }
        let file: String = try row.decode("workflow_file")
        let definition: WorkflowDefinition
        do {
            definition = try ParsedWorkflows.definition(of: try row.decode("workflow_source"), file: file)
        } catch {
            throw WyscError(.failure, "the workflow stored with competition '\(slug)' no longer loads in this wysc:\n\(error)")
        }
        let phase: String = try row.decode("phase")
        guard let currentPhase = definition.phase(phase) else {
            throw WyscError(.failure, "competition '\(slug)' is in phase '\(phase)', which its stored workflow does not declare")
        }
        return CompetitionRecord(
            id: try row.decode("id"), slug: try row.decode("slug"), title: try row.decode("title"), phase: phase,
            phaseEnteredAt: try row.decode("phase_entered_at"), deadlinePassed: try row.decode("deadline_passed"),
            version: try row.decode("version"), rostersFrozenAt: try row.decode("rosters_frozen_at"), workflowFile: file,
            definition: definition, currentPhase: currentPhase
        )
    }

    static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.unicodeScalars.first, slug.unicodeScalars.count <= 63 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-".unicodeScalars)
        return first != "-" && slug.unicodeScalars.allSatisfy(allowed.contains)
    }
}

extension Application {
    /// Creates a competition from a workflow file's text; the text is stored with it.
    public func createCompetition(
        slug: String, title: String?, workflowSource: String, workflowFile: String, as actor: Actor
    ) async throws -> CompetitionSummary {
        try actor.requireOrganizer("create competitions")
        try TextField.title.check(title, field: "the title")
        guard Competitions.isValidSlug(slug) else {
            throw WyscError(
                .badInput, "'\(slug)' is not a valid competition slug: use lowercase letters, digits and '-' (at most 63), e.g. wysc-2026")
        }
        let definition: WorkflowDefinition
        do {
            definition = try WorkflowLoader.load(workflowSource, file: workflowFile)
        } catch {
            throw WyscError(.badInput, "\(workflowFile) is not a valid workflow (\(error.problems.count) problem(s)):\n\(error)")
        }
        let title = title ?? definition.title
        let initial = PhaseMachine(definition: definition).initialState.phase
        return try await transaction { connection in
            do {
                try connection.query(
                    """
                    INSERT INTO competition (slug, title, workflow_file, workflow_source, phase, created_by)
                    VALUES (\(slug), \(title), \(workflowFile), \(workflowSource), \(initial), \(actor.description))
                    """
                )
            } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                throw WyscError(.conflict, "a competition '\(slug)' already exists")
            }
            let record = try Competitions.find(slug, on: connection)
            try Audit.record(
                on: connection, actor: actor, action: "competition.create", subject: record.subject, competitionID: record.id,
                after: [
                    "title": .string(title), "workflow": .string(definition.id), "workflow_file": .string(workflowFile), "phase": .string(initial),
                ]
            )
            return try Self.summaries(on: connection, slug: slug)[0]
        }
    }

    /// Every competition, oldest first.
    public func competitions() async throws -> [CompetitionSummary] {
        try await transaction { connection in try Self.summaries(on: connection, slug: nil) }
    }

    /// The competition to act on when none is named: the only one there is.
    /// The workflow a competition runs (as stored when it was created).
    public func workflow(competition slug: String) async throws -> WorkflowDefinition {
        try await transaction { connection in try Competitions.find(slug, on: connection).definition }
    }

    /// How many universities, teams and members a competition has, and how eligibility came out
    /// (an override counts over the rules' verdict). Organizers.
    public func registrationCounts(competition slug: String, as actor: Actor) async throws -> RegistrationCounts {
        try actor.requireOrganizer("count registrations")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let row = try connection.query(
                """
                SELECT count(DISTINCT t.university_id) AS universities, count(*) AS teams,
                       coalesce(sum((SELECT count(*) FROM team_member m WHERE m.team_id = t.id)), 0)::bigint AS members,
                       count(*) FILTER (WHERE coalesce(o.eligible, e.eligible) IS TRUE) AS eligible,
                       count(*) FILTER (WHERE coalesce(o.eligible, e.eligible) IS FALSE) AS ineligible
                FROM team t LEFT JOIN team_eligibility e ON e.team_id = t.id LEFT JOIN eligibility_override o ON o.team_id = t.id
                WHERE t.competition_id = \(competition.id)
                """
            ).rows[0]
            let teams: Int = try row.decode("teams")
            let eligible: Int = try row.decode("eligible")
            let ineligible: Int = try row.decode("ineligible")
            return RegistrationCounts(
                universities: try row.decode("universities"), teams: teams, members: try row.decode("members"), eligible: eligible,
                ineligible: ineligible, undecided: teams - eligible - ineligible)
        }
    }

    /// Whether a competition's results are published.
    public func isPublished(competition slug: String) async throws -> Bool {
        try await transaction { connection in try Scoring.isPublished(try Competitions.find(slug, on: connection), on: connection) }
    }

    public func onlyCompetitionSlug() async throws -> String {
        let all = try await competitions()
        switch all.count {
        case 0: throw WyscError(.notFound, "there is no competition yet", code: WyscError.Code.noCompetition)
        case 1: return all[0].slug
        default:
            throw WyscError(
                .badInput,
                "there are \(all.count) competitions (\(all.map(\.slug).joined(separator: ", "))): say which",
                code: WyscError.Code.competitionRequired)
        }
    }

    static func summaries(on connection: PostgresConnection, slug: String?) throws -> [CompetitionSummary] {
        let rows = try connection.query(
            """
            SELECT c.slug, c.title, c.workflow_file, c.workflow_source, c.phase, c.phase_entered_at, c.created_at, c.created_by,
                   (SELECT count(*) FROM team t WHERE t.competition_id = c.id) AS teams
            FROM competition c WHERE (\(slug)::text IS NULL OR c.slug = \(slug)) ORDER BY c.created_at, c.id
            """
        ).rows
        return try rows.map { row in
            let phase: String = try row.decode("phase")
            let source: String = try row.decode("workflow_source")
            let title = (try? ParsedWorkflows.definition(of: source, file: "stored"))?.phase(phase)?.title ?? phase
            return CompetitionSummary(
                slug: try row.decode("slug"), title: try row.decode("title"), workflowFile: try row.decode("workflow_file"), phase: phase,
                phaseTitle: title, phaseEnteredAt: try row.decode("phase_entered_at"), teams: try row.decode("teams"),
                createdAt: try row.decode("created_at"), createdBy: try row.decode("created_by")
            )
        }
    }
}

extension Date {
    /// RFC 3339 in UTC, seconds precision: how messages and outputs show times.
    public var rfc3339: String { TimestampFormat.rfc3339(self) }
}

/// A competition's registration and eligibility in numbers.
public struct RegistrationCounts: Sendable, Hashable {
    public var universities: Int
    public var teams: Int
    public var members: Int
    public var eligible: Int
    public var ineligible: Int
    public var undecided: Int
}
