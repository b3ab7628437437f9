import Foundation
import WyscPostgres
import WyscWorkflow

/// One member row of a team registration: a line of `team import`, or a `--member` of `team register`.
public struct MemberRow: Sendable, Hashable {
    /// Where the row came from (the spreadsheet row, or the member's position), for messages.
    public var row: Int
    public var team: String
    public var university: String
    public var name: String
    public var email: String
    /// YYYY-MM-DD, or empty.
    public var birthDate: String
    /// leader or member; empty means member.
    public var role: String

    public init(row: Int, team: String, university: String, name: String, email: String, birthDate: String, role: String) {
        self.row = row
        self.team = team
        self.university = university
        self.name = name
        self.email = email
        self.birthDate = birthDate
        self.role = role
    }

    /// The columns of a team import file, in order.
    public static let columns = ["team", "university", "name", "email", "birth_date", "role"]

    /// The rows of a team import file (columns `team,university,name,email,birth_date,role`), read
    /// as the import takes them.
    public static func rows(of reader: CSVReader) throws(WyscError) -> CSVRowStream<MemberRow> {
        let file = reader.file
        return try CSVRowStream(reader, required: ["team", "university", "name", "email"], optional: ["birth_date", "role"]) {
            (record, columns) throws(WyscError) in
            // Field by field (a nested function over the borrowed record crashes the 6.3 compiler).
            let team = try record.string(columns["team"], in: file)
            let university = try record.string(columns["university"], in: file)
            let name = try record.string(columns["name"], in: file)
            let email = try record.string(columns["email"], in: file)
            let birthDate = try record.string(columns["birth_date"], in: file)
            let role = try record.string(columns["role"], in: file).lowercased()
            return MemberRow(row: record.row, team: team, university: university, name: name, email: email, birthDate: birthDate, role: role)
        }
    }
}

/// How far an import has got, for a progress bar.
public struct ImportProgress: Sendable {
    public var stage: String
    public var done: Int
    public var total: Int
}

public struct TeamImportSummary: Sendable, Hashable {
    public var teams: Int
    public var members: Int

    public init(teams: Int, members: Int) {
        self.teams = teams
        self.members = members
    }
}

public struct TeamMember: Sendable, Hashable {
    public var name: String
    public var email: String
    public var birthDate: String?
    public var role: String
}

public struct Team: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var university: String
    public var city: String
    public var country: String
    public var registeredAt: Date
    public var members: [TeamMember]
}

/// A team's way through the competition, as its university sees it.
public struct TeamStatus: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public var step: String
        /// done, pending, no, or "not yet" for parts the competition has not reached.
        public var state: String
        public var detail: String
    }

    public var team: String
    public var university: String
    public var competition: String
    public var phase: String
    public var steps: [Step]
}

extension Application {
    /// Registers teams from member rows, all or nothing: every problem is reported with its row and
    /// nothing is written unless there is none. Only while the competition's phase allows registration.
    public func importTeams(
        _ rows: [MemberRow], file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> TeamImportSummary {
        try await importTeams(reading: { rows }, file: file, competition: slug, as: actor, progress: progress)
    }

    /// The same from rows read as they are taken (a team file streamed from disk): `rows` is called
    /// once per attempt of the transaction, so that a retried attempt reads the file again.
    public func importTeams<Rows: ImportRows<MemberRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> TeamImportSummary {
        try actor.requireOrganizer("register teams")
        let now = self.now()
        return try await transaction { connection in
            // FOR SHARE: a concurrent phase change waits until the import is done, or the import waits for it.
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            try competition.require(.registerTeam, "registering teams", now: now)
            if competition.rostersFrozenAt != nil {
                throw WyscError(.refused, "the rosters of competition '\(slug)' are frozen: teams can no longer be registered")
            }
            let (count, problems) = try TeamImport.stage(try rows(), competition: competition, on: connection, progress: progress)
            guard problems.isEmpty else {
                throw WyscError(.badInput, RowProblems(file: file, problems: problems).description)
            }
            progress?(ImportProgress(stage: "writing", done: 0, total: count))
            let summary = try TeamImport.write(competition: competition, actor: actor, on: connection)
            progress?(ImportProgress(stage: "writing", done: count, total: count))
            return summary
        }
    }

    /// The teams of a competition, optionally of one university. A university sees only its own.
    /// `window` is a slice of them in name order (a page), read as such from the database.
    public func teams(
        competition slug: String, university: String? = nil, team: String? = nil, window: Range<Int>? = nil, as actor: Actor
    ) async throws -> [Team] {
        let offset = window.map(\.lowerBound)
        let limit = window.map(\.count)
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let universityID = try Self.visibleUniversity(university, actor: actor, on: connection)
            let rows = try connection.query(
                """
                WITH chosen AS (  -- the page of teams first, so that only its members are gathered
                    SELECT t.id FROM team t
                    WHERE t.competition_id = \(competition.id)
                      AND (\(universityID)::bigint IS NULL OR t.university_id = \(universityID))
                      AND (\(team)::text IS NULL OR lower(t.name) = lower(\(team)))
                    ORDER BY t.name, t.id OFFSET coalesce(\(offset)::bigint, 0) LIMIT \(limit)::bigint
                )
                SELECT t.id, t.name, u.name AS university, u.city, u.country, t.registered_at,
                       coalesce(jsonb_agg(jsonb_build_object('name', m.name, 'email', m.email, 'birthDate', m.birth_date, 'role', m.role)
                                ORDER BY m.role <> 'leader', m.id) FILTER (WHERE m.id IS NOT NULL), '[]')::text AS members
                FROM chosen JOIN team t ON t.id = chosen.id JOIN university u ON u.id = t.university_id
                     LEFT JOIN team_member m ON m.team_id = t.id
                GROUP BY t.id, u.id ORDER BY t.name, t.id
                """
            ).rows
            if let team, rows.isEmpty {
                throw WyscError(
                    .notFound, "there is no team '\(team)' in competition '\(slug)'" + (actor.isOrganizer ? "" : " among your university's teams"))
            }
            return try rows.map { row in
                let members = try JSONDecoder().decode([MemberJSON].self, from: Data(try row.decode("members", as: String.self).utf8))
                return Team(
                    id: try row.decode("id"), name: try row.decode("name"), university: try row.decode("university"), city: try row.decode("city"),
                    country: try row.decode("country"), registeredAt: try row.decode("registered_at"),
                    members: members.map { TeamMember(name: $0.name, email: $0.email, birthDate: $0.birthDate, role: $0.role) })
            }
        }
    }

    /// Each team's timeline: registered, members, lectures, workshops, eligibility, proposal, review,
    /// shortlist, rank. Parts the competition has not reached say "not yet".
    /// `window` limits the answer to that slice of the teams in name order (a page of them).
    public func teamStatus(
        competition slug: String, team: String?, university: String?, window: Range<Int>? = nil, as actor: Actor
    ) async throws -> [TeamStatus] {
        let teams = try await teams(competition: slug, university: university, team: team, window: window, as: actor)
        let universityOnly: Int? = if case .university(let own) = actor { own } else { nil }
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let participation = try EligibilityDecisions.participation(competition, teamIDs: teams.map(\.id), on: connection)
            var decisions: [String: TeamEligibility] = [:]
            for decision in try EligibilityDecisions.list(
                competition, team: team, universityID: universityOnly, teamIDs: teams.map(\.id), on: connection)
            {
                decisions[decision.team] = decision
            }
            let published = try Scoring.isPublished(competition, on: connection)
            var outcomes: [Int: TeamTimeline.Outcome] = [:]
            if published {
                for row in try connection.query(
                    """
                    WITH ranked AS (SELECT round, count(*) AS n FROM round_result WHERE competition_id = \(competition.id) GROUP BY round)
                    SELECT p.team_id,
                           (SELECT e.round || ' (rank ' || e.from_rank || ' in ' || e.from_round || ')' FROM round_entry e
                             WHERE e.proposal_id = p.id ORDER BY e.round DESC LIMIT 1) AS shortlisted,
                           EXISTS (SELECT 1 FROM round_entry e WHERE e.competition_id = p.competition_id) AS shortlisting_done,
                           r.rank, r.round, coalesce(ranked.n, 0) AS ranked
                    FROM proposal p LEFT JOIN LATERAL (
                        SELECT rank, round FROM round_result WHERE proposal_id = p.id ORDER BY computed_at DESC, round DESC LIMIT 1) r ON true
                    LEFT JOIN ranked ON ranked.round = r.round
                    WHERE p.competition_id = \(competition.id) AND p.team_id = ANY(\(teams.map(\.id)))
                    """
                ).rows {
                    outcomes[try row.decode("team_id")] = TeamTimeline.Outcome(
                        shortlisted: try row.decode("shortlisted"), shortlistingDone: try row.decode("shortlisting_done"),
                        rank: try row.decode("rank"),
                        round: try row.decode("round"), ranked: try row.decode("ranked"))
                }
            }
            var reviews: [Int: TeamTimeline.Review] = [:]
            let firstRound = competition.definition.rounds.first?.id ?? ""
            for row in try connection.query(
                """
                SELECT p.id, p.team_id, p.version, p.title, p.submitted_at,
                       (SELECT count(*) FROM proposal_file f WHERE f.proposal_id = p.id AND f.version = p.version) AS files,
                       (SELECT count(*) FROM assignment a WHERE a.proposal_id = p.id AND a.round = \(firstRound)) AS judges
                FROM proposal p WHERE p.competition_id = \(competition.id) AND p.team_id = ANY(\(teams.map(\.id)))
                """
            ).rows {
                reviews[try row.decode("team_id")] = TeamTimeline.Review(
                    proposal: try row.decode("id"), files: try row.decode("files"), title: try row.decode("title"),
                    version: try row.decode("version"), submittedAt: try row.decode("submitted_at"),
                    judges: try row.decode("judges"))
            }
            return teams.map { team in
                TeamStatus(
                    team: team.name, university: team.university, competition: slug, phase: competition.phase,
                    steps: TeamTimeline.steps(
                        team, participation: participation[team.id] ?? TeamParticipation(members: [], workshops: []),
                        decision: decisions[team.name], review: reviews[team.id],
                        outcome: published ? outcomes[team.id] ?? TeamTimeline.Outcome.none : nil,
                        competition: competition))
            }
        }
    }

    /// The university whose teams the actor may see: a university sees only its own, whatever it asks;
    /// judges see no team lists.
    static func visibleUniversity(_ name: String?, actor: Actor, on connection: PostgresConnection) throws -> Int? {
        switch actor {
        case .university(let id):
            if let name, try connection.query("SELECT 1 FROM university WHERE id = \(id) AND lower(name) = lower(\(name))").rows.isEmpty {
                throw WyscError(.permissionDenied, "a university sees only its own teams")
            }
            return id
        case .judge:
            throw WyscError(.permissionDenied, "judges cannot list teams")
        case .organizer, .system:
            guard let name else { return nil }
            guard let row = try connection.query("SELECT id FROM university WHERE lower(name) = lower(\(name))").singleRow() else {
                throw WyscError(.notFound, "there is no university \(quoted(name))")
            }
            return try row.decode("id")
        }
    }
}

private struct MemberJSON: Decodable {
    var name: String
    var email: String
    var birthDate: String?
    var role: String
}

/// Registering teams in bulk: each row is checked on its own in Swift as it is read and copied
/// into a staging table, where the checks that need the database (universities, duplicates, team
/// sizes, ages) run as set-based SQL. No file is held whole.
enum TeamImport {
    /// Problems visible in one row alone.
    static func check(_ row: MemberRow, rules: TeamRules) -> [RowProblems.Problem] {
        var problems: [RowProblems.Problem] = []
        func problem(_ message: String) { problems.append(.init(row: row.row, message: message)) }
        for (field, value) in [("team", row.team), ("university", row.university), ("name", row.name), ("email", row.email)] where value.isEmpty {
            problem("\(field) is missing")
        }
        let textProblems = TextField.problems([
            ("team", row.team, .name), ("university", row.university, .name), ("name", row.name, .name), ("email", row.email, .email),
        ])
        problems += textProblems.map { .init(row: row.row, message: $0, isTextLimit: true) }
        guard textProblems.isEmpty else { return problems }
        if !row.email.isEmpty && !MailAddress.isAddress(row.email) { problem("email \(quoted(row.email)) is not an email address") }
        if !row.birthDate.isEmpty && CalendarDate(row.birthDate) == nil {
            problem("birth date \(quoted(row.birthDate)) is not a date written YYYY-MM-DD")
        }
        if !["", "leader", "member"].contains(row.role) { problem("role \(quoted(row.role)) is neither leader nor member") }
        // A malformed birth date was reported above; only an empty one is missing.
        if row.birthDate.isEmpty, let maxAge = rules.maxAge, let reference = rules.ageReferenceDate {
            problem("birth date is missing; the workflow limits age (under \(maxAge) on \(reference))")
        }
        return problems
    }

    /// Where team rows are staged.
    static func table(_ rules: TeamRules) -> StagingTable<MemberRow> {
        StagingTable(
            name: "team_import",
            columns: """
                row_number integer NOT NULL, team text NOT NULL, university text NOT NULL, name text NOT NULL,
                email text NOT NULL, birth_date date, role text NOT NULL
                """,
            check: { check($0, rules: rules) },
            values: { row in
                let date = row.birthDate.isEmpty || CalendarDate(row.birthDate) == nil ? nil : row.birthDate
                return [String(row.row), row.team, row.university, row.name, row.email, date, row.role.isEmpty ? "member" : row.role]
            })
    }

    /// Stages the rows, then runs the checks that need the database; returns how many rows there
    /// were and every problem.
    static func stage<Rows: ImportRows<MemberRow>>(
        _ rows: Rows, competition: CompetitionRecord, on connection: PostgresConnection, progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        let rules = competition.definition.team
        let staged = try StagedImport.stage(rows, into: table(rules), on: connection, progress: progress)
        let total = staged.rows
        var problems = staged.problems
        guard StagedImport.everyRowStaged(problems) else { return (total, problems) }
        func each(_ query: SQLQuery, _ message: (PostgresRow) throws -> String) throws {
            problems += try StagedImport.problems(query, on: connection, message)
        }
        func text(_ row: PostgresRow, _ column: String) throws -> String { try row.decode(column, as: String.self) }
        try each(
            """
            SELECT s.row_number, s.university FROM team_import s
            WHERE s.university <> '' AND NOT EXISTS (SELECT 1 FROM university u WHERE lower(u.name) = lower(s.university))
            """
        ) { "unknown university '\(try text($0, "university"))' (add it first)" }
        // One pass over the teams: their size, their leaders, and whether their rows agree on the university.
        var mixedUniversities = false
        for row in try connection.query(
            """
            SELECT min(row_number) AS row_number, min(team) AS team, count(*) AS members, count(*) FILTER (WHERE role = 'leader') AS leaders,
                   min(lower(university)) <> max(lower(university)) AS mixed
            FROM team_import WHERE team <> '' GROUP BY lower(team)
            """
        ).rows {
            let (rowNumber, team): (Int, String) = (try row.decode("row_number"), try text(row, "team"))
            if let message = rules.sizeProblem(team: team, members: try row.decode("members")) {
                problems.append(.init(row: rowNumber, message: message))
            }
            let leaders: Int = try row.decode("leaders")
            if leaders > 1 { problems.append(.init(row: rowNumber, message: "team '\(team)' has \(leaders) leaders; at most one")) }
            if try row.decode("mixed", as: Bool.self) { mixedUniversities = true }
        }
        if mixedUniversities {
            try each(
                """
                SELECT row_number, team, university, first_university, first_row FROM (
                    SELECT row_number, team, university, first_value(university) OVER team_rows AS first_university,
                           first_value(row_number) OVER team_rows AS first_row
                    FROM team_import WHERE team <> '' WINDOW team_rows AS (PARTITION BY lower(team) ORDER BY row_number)
                ) s
                WHERE lower(university) <> lower(first_university)
                """
            ) { row in
                "team '\(try text(row, "team"))' is given university '\(try text(row, "university"))' here but '\(try text(row, "first_university"))' on row \(try row.decode("first_row", as: Int.self))"
            }
        }
        try each(
            """
            SELECT min(s.row_number) AS row_number, min(s.team) AS team
            FROM team_import s JOIN team t ON t.competition_id = \(competition.id) AND lower(t.name) = lower(s.team)
            GROUP BY lower(s.team)
            """
        ) { "team '\(try text($0, "team"))' is already registered in competition \(competition.slug)" }
        // Grouped by hash first: the rows of a repeated email are found only when there is one.
        try each(
            """
            WITH repeated AS (
                SELECT lower(email) AS email_key, min(row_number) AS first_row FROM team_import WHERE email <> '' GROUP BY lower(email) HAVING count(*) > 1
            )
            SELECT s.row_number, s.email, r.first_row FROM team_import s JOIN repeated r ON r.email_key = lower(s.email) WHERE s.row_number <> r.first_row
            """
        ) { "email \(try text($0, "email")) is also on row \(try $0.decode("first_row", as: Int.self)): one person is in one team" }
        try each(
            """
            SELECT s.row_number, s.email, t.name AS team
            FROM team_import s JOIN team_member m ON m.competition_id = \(competition.id) AND lower(m.email) = lower(s.email)
            JOIN team t ON t.id = m.team_id
            """
        ) { "email \(try text($0, "email")) already belongs to a member of team '\(try text($0, "team"))'" }
        if let maxAge = rules.maxAge, let reference = rules.ageReferenceDate {
            try each(
                """
                SELECT row_number, name, extract(year FROM age(\(reference)::date, birth_date))::int AS age
                FROM team_import WHERE birth_date IS NOT NULL AND birth_date + make_interval(years => \(maxAge)) <= \(reference)::date
                """
            ) { "\(try text($0, "name")) is \(try $0.decode("age", as: Int.self)) on \(reference); members must be under \(maxAge)" }
        }
        return (total, problems)
    }

    /// Inserts the staged teams and members, with one audit row per team, in one statement: the
    /// audit rows are made from the rows just inserted, not found again by name.
    static func write(competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> TeamImportSummary {
        let counts = try connection.query(
            """
            WITH new_team AS (
                INSERT INTO team (competition_id, name, university_id, registered_by)
                SELECT DISTINCT ON (lower(s.team)) \(competition.id), s.team, u.id, \(actor.description)
                FROM team_import s JOIN university u ON lower(u.name) = lower(s.university)
                ORDER BY lower(s.team), s.row_number
                RETURNING id, name, university_id
            ), new_member AS (
                INSERT INTO team_member (team_id, competition_id, name, email, birth_date, role)
                SELECT t.id, \(competition.id), s.name, s.email, s.birth_date, s.role
                FROM team_import s JOIN new_team t ON lower(t.name) = lower(s.team)
                ORDER BY s.row_number
                RETURNING id, team_id, name, email, role
            ), audit AS (
                INSERT INTO audit_log (actor, action, subject, after, competition_id)
                SELECT \(actor.description), 'team.register', 'team:' || t.name,
                       jsonb_build_object('university', u.name, 'members',
                           jsonb_agg(jsonb_build_object('name', m.name, 'email', m.email, 'role', m.role) ORDER BY m.id)),
                       \(competition.id)
                FROM new_team t JOIN university u ON u.id = t.university_id JOIN new_member m ON m.team_id = t.id
                GROUP BY t.id, t.name, u.name ORDER BY t.id
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM new_team) AS teams, (SELECT count(*) FROM new_member) AS members, (SELECT count(*) FROM audit) AS audited
            """
        ).rows
        guard let row = counts.first else { return TeamImportSummary(teams: 0, members: 0) }
        return TeamImportSummary(teams: try row.decode("teams"), members: try row.decode("members"))
    }
}

/// The steps of `team status`, from what is recorded and how far the competition has come.
enum TeamTimeline {
    /// A team's proposal and how many judges review it; never who they are.
    struct Review {
        var proposal: Int
        var files: Int
        var title: String
        var version: Int
        var submittedAt: Date
        var judges: Int
    }

    /// What the published results say about a team.
    struct Outcome {
        var shortlisted: String?
        var shortlistingDone: Bool
        var rank: Int?
        var round: String?
        var ranked: Int

        static let none = Outcome(shortlisted: nil, shortlistingDone: false, rank: nil, round: nil, ranked: 0)
    }

    /// `outcome` is nil until the results are published: before that, no rank is shown to anyone.
    static func steps(
        _ team: Team, participation: TeamParticipation, decision: TeamEligibility?, review: Review?, outcome: Outcome?, competition: CompetitionRecord
    ) -> [TeamStatus.Step] {
        let definition = competition.definition
        let current = definition.phases.firstIndex { $0.id == competition.phase } ?? 0
        /// Where the phase allowing `operation` stands against the current one: before, during or after.
        func stage(_ operation: WyscWorkflow.Operation) -> Int? {
            guard let index = definition.phases.firstIndex(where: { $0.allows.contains(operation) }) else { return nil }
            return index < current ? 1 : index == current ? 0 : -1
        }
        let leader = team.members.first { $0.role == "leader" }?.name
        var steps = [
            TeamStatus.Step(step: "registered", state: "done", detail: team.registeredAt.rfc3339),
            TeamStatus.Step(step: "members", state: "done", detail: "\(team.members.count) member(s)" + (leader.map { ", led by \($0)" } ?? "")),
        ]
        let rules = definition.eligibility
        switch (stage(.recordAttendance) ?? -1, rules) {
        case (-1, _), (_, nil):
            steps.append(.init(step: "lectures", state: "not yet", detail: ""))
        case (let stage, let rules?):
            let lectures = definition.lectures
            var short: [String] = []
            var summaries: [String] = []
            for member in participation.members {
                let attended = lectures.filter { member.lectures[$0.id]?.attended(rules) ?? false }.count
                let scores = lectures.compactMap { member.lectures[$0.id]?.quizScore }
                let average = scores.isEmpty ? "no quiz" : "quiz average \(EligibilityRules.format(scores.reduce(0, +) / Double(scores.count)))"
                summaries.append("\(member.name) \(attended)/\(lectures.count), \(average)")
                if attended < rules.minLectures { short.append(member.name) }
            }
            let state = short.isEmpty ? "done" : stage == 0 ? "pending" : "no"
            steps.append(.init(step: "lectures", state: state, detail: summaries.joined(separator: "; ")))
        }
        let workshopStage = stage(.checkInWorkshop) ?? -1
        switch workshopStage {
        case -1:
            steps.append(.init(step: "workshops", state: "not yet", detail: ""))
        case let stage:
            let taken = definition.workshops.filter { participation.workshops.contains($0.id) }
                .map { $0.title + ($0.city.map { " (\($0))" } ?? " (online)") }
            let needed = rules?.minWorkshops ?? 1
            let state = taken.count >= needed ? "done" : stage == 0 ? "pending" : "no"
            steps.append(
                .init(step: "workshops", state: state, detail: taken.isEmpty ? (stage == 0 ? "none yet" : "none") : taken.joined(separator: ", ")))
        }
        if let decision, let eligible = decision.eligible {
            var detail = eligible ? "may submit a proposal" : decision.reasons.joined(separator: "; ")
            if let override = decision.override {
                detail =
                    (eligible ? "may submit a proposal" : "may not submit a proposal") + " (decided by \(override.decidedBy): \(override.reason))"
            }
            steps.append(.init(step: "eligible", state: eligible ? "done" : "no", detail: detail))
        } else {
            steps.append(.init(step: "eligible", state: "not yet", detail: ""))
        }
        let proposalStage = stage(.submitProposal) ?? -1
        if let review {
            steps.append(
                .init(
                    step: "proposal", state: "done",
                    detail:
                        "received: #\(review.proposal) '\(review.title)' (version \(review.version), \(review.submittedAt.rfc3339)"
                        + (review.files == 0 ? ")" : review.files == 1 ? ", 1 file)" : ", \(review.files) files)"))
            )
        } else if decision?.eligible == false && proposalStage >= 0 {
            steps.append(.init(step: "proposal", state: "no", detail: "not eligible to submit one"))
        } else if proposalStage == 0 {
            steps.append(.init(step: "proposal", state: "pending", detail: "not received yet"))
        } else {
            steps.append(.init(step: "proposal", state: proposalStage == 1 ? "no" : "not yet", detail: proposalStage == 1 ? "none received" : ""))
        }
        if let review, review.judges > 0 {
            // Once the first round's scoring phase is over, the review is done.
            let roundPhase = definition.rounds.first.flatMap { round in definition.phases.firstIndex { $0.id == round.phase } } ?? current
            steps.append(
                current > roundPhase
                    ? .init(step: "review", state: "done", detail: "reviewed by \(review.judges) judges")
                    : .init(step: "review", state: "pending", detail: "under review by \(review.judges) judges"))
        } else {
            steps.append(.init(step: "review", state: "not yet", detail: ""))
        }
        if let outcome, let shortlisted = outcome.shortlisted {
            steps.append(.init(step: "shortlist", state: "done", detail: "shortlisted for \(shortlisted)"))
        } else if let outcome, outcome.shortlistingDone, review != nil {
            steps.append(.init(step: "shortlist", state: "no", detail: "not shortlisted"))
        } else {
            steps.append(.init(step: "shortlist", state: "not yet", detail: ""))
        }
        if let outcome, let rank = outcome.rank, let round = outcome.round {
            steps.append(.init(step: "rank", state: "done", detail: "\(rank) of \(outcome.ranked) in round '\(round)'"))
        } else {
            steps.append(.init(step: "rank", state: "not yet", detail: ""))
        }
        return steps
    }
}
