import Foundation
import WyscJudging
import WyscPostgres
import WyscWorkflow

public struct JudgeInput: Sendable, Hashable {
    public var name: String
    public var email: String
    public var university: String
    public var city: String
    public var country: String
    public var expertise: [String]
    public var maxLoad: Int?

    public init(name: String, email: String, university: String, city: String, country: String, expertise: [String], maxLoad: Int?) {
        self.name = name
        self.email = email
        self.university = university
        self.city = city
        self.country = country
        self.expertise = expertise
        self.maxLoad = maxLoad
    }

    /// The rows of a judges file (name,email,university,city,country,expertise,max_load; expertise
    /// separated by ';'), read as the import takes them.
    public static func rows(of reader: CSVReader) throws(WyscError) -> CSVRowStream<JudgeRow> {
        let file = reader.file
        return try CSVRowStream(reader, required: ["name", "email"], optional: ["university", "city", "country", "expertise", "max_load"]) {
            (record, columns) throws(WyscError) in
            // Field by field (a nested function over the borrowed record crashes the 6.3 compiler).
            let name = try record.string(columns["name"], in: file).trimmingCharacters(in: .whitespaces)
            let email = try record.string(columns["email"], in: file).trimmingCharacters(in: .whitespaces)
            let university = try record.string(columns["university"], in: file).trimmingCharacters(in: .whitespaces)
            let city = try record.string(columns["city"], in: file).trimmingCharacters(in: .whitespaces)
            let country = try record.string(columns["country"], in: file).trimmingCharacters(in: .whitespaces)
            let expertise = try record.string(columns["expertise"], in: file)
            let load = try record.string(columns["max_load"], in: file).trimmingCharacters(in: .whitespaces)
            return JudgeRow(
                row: record.row,
                input: JudgeInput(
                    name: name, email: email, university: university, city: city, country: country,
                    expertise: ProposalInput.splitTags(expertise), maxLoad: Int(load)),
                maxLoadText: load)
        }
    }
}

/// One row of a judges import; `maxLoadText` is the load as written, for its message when it is not a number.
public struct JudgeRow: Sendable, Hashable {
    public var row: Int
    public var input: JudgeInput
    public var maxLoadText: String

    public init(row: Int, input: JudgeInput, maxLoadText: String) {
        self.row = row
        self.input = input
        self.maxLoadText = maxLoadText
    }
}

public struct Judge: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var email: String
    public var university: String
    public var city: String
    public var country: String
    public var expertise: [String]
    public var maxLoad: Int?
    public var withdrawnAt: Date?
    public var withdrawnReason: String?
    /// Assignments in every round.
    public var assignments: Int
}

/// A conflict of interest between a judge and a team, and where it comes from.
public struct ConflictRecord: Sendable, Hashable {
    public var judge: String
    public var judgeEmail: String
    public var team: String
    /// "declared" or an automatic rule: "same university", "same city".
    public var source: String
    public var reason: String
    public var declaredBy: String?
}

extension Application {
    /// Adds judges made in memory (`judge add`, the demo), all or nothing.
    public func addJudges(
        _ rows: [(row: Int, input: JudgeInput, maxLoadText: String)], file: String, competition slug: String, as actor: Actor
    ) async throws -> ImportSummary {
        let rows = rows.map { JudgeRow(row: $0.row, input: $0.input, maxLoadText: $0.maxLoadText) }
        return try await addJudges(reading: { rows }, file: file, competition: slug, as: actor)
    }

    /// Adds judges, all or nothing, every problem told with its row. A judge already there with the
    /// same details is unchanged; with other details (a new city, more expertise) they are updated
    /// and the change is audited. `rows` is called once per attempt of the transaction.
    public func addJudges<Rows: ImportRows<JudgeRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try actor.requireOrganizer("add judges")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let (_, problems) = try JudgeImport.stage(try rows(), on: connection, progress: progress)
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return try JudgeImport.write(competition: competition, actor: actor, on: connection)
        }
    }

    /// The competition's judges (organizers only).
    public func judges(competition slug: String, as actor: Actor) async throws -> [Judge] {
        try actor.requireOrganizer("list judges")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            return try connection.query(
                """
                SELECT j.id, j.name, j.email, j.university, j.city, j.country, j.expertise, j.max_load, j.withdrawn_at, j.withdrawn_reason,
                       (SELECT count(*) FROM assignment a WHERE a.judge_id = j.id) AS assignments
                FROM judge j WHERE j.competition_id = \(competition.id) ORDER BY j.name, j.id
                """
            ).rows.map { row in
                Judge(
                    id: try row.decode("id"), name: try row.decode("name"), email: try row.decode("email"), university: try row.decode("university"),
                    city: try row.decode("city"), country: try row.decode("country"), expertise: try row.decode("expertise"),
                    maxLoad: try row.decode("max_load"), withdrawnAt: try row.decode("withdrawn_at"),
                    withdrawnReason: try row.decode("withdrawn_reason"),
                    assignments: try row.decode("assignments"))
            }
        }
    }

    /// A judge steps down: they get no new assignments, and `assign --rebalance` gives theirs to others.
    public func withdrawJudge(email: String, reason: String, competition slug: String, as actor: Actor) async throws {
        try actor.requireOrganizer("withdraw judges")
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WyscError(.badInput, "a withdrawal needs a reason") }
        try TextField.reason.check(reason, field: "the reason")
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let judge = try Judges.find(email, competition: competition, on: connection)
            try connection.query(
                "UPDATE judge SET withdrawn_at = now(), withdrawn_reason = \(reason) WHERE id = \(judge.id) AND withdrawn_at IS NULL")
            try Audit.record(
                on: connection, actor: actor, action: "judge.withdraw", subject: "judge:\(judge.email)", competitionID: competition.id,
                before: ["withdrawn": false], after: ["withdrawn": true], reason: reason)
        }
    }

    /// Declares a conflict of interest between a judge and a team: by the judge, while the phase
    /// allows `declare_conflict` (before its deadline); or by an organizer at any time, since
    /// organizers record known conflicts before judges are assigned.
    public func declareConflict(judge email: String, team: String, reason: String, competition slug: String, as actor: Actor) async throws {
        let now = self.now()
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WyscError(.badInput, "a conflict needs a reason") }
        try TextField.reason.check(reason, field: "the reason")
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let judge = try Judges.find(email, competition: competition, on: connection)
            switch actor {
            case .organizer, .system: break
            case .judge(let id) where id == judge.id:
                try competition.require(.declareConflict, "declaring a conflict of interest", now: now)
            default: throw WyscError(.permissionDenied, "a conflict is declared by the judge or by an organizer")
            }
            let teamID = try Judges.teamID(team, competition: competition, on: connection)
            let inserted = try connection.query(
                """
                INSERT INTO declared_conflict (judge_id, team_id, competition_id, reason, declared_by)
                VALUES (\(judge.id), \(teamID), \(competition.id), \(reason), \(actor.description)) ON CONFLICT DO NOTHING
                """
            ).affectedRows
            if inserted == 1 {
                try Audit.record(
                    on: connection, actor: actor, action: "conflict.declare", subject: "judge:\(judge.email)", competitionID: competition.id,
                    after: ["team": .string(team)], reason: reason)
                // Organizers know of the conflicts they record themselves; a judge's is news to them.
                if case .judge = actor {
                    try NotificationEvents.conflictDeclared(
                        judge: judge, team: team, teamID: teamID, reason: reason, competition: competition, on: connection)
                }
            }
        }
    }

    /// Removes a declared conflict (organizers only; audited).
    public func removeConflict(judge email: String, team: String, reason: String, competition slug: String, as actor: Actor) async throws {
        try actor.requireOrganizer("remove conflicts")
        try TextField.reason.check(reason, field: "the reason")
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            let judge = try Judges.find(email, competition: competition, on: connection)
            let teamID = try Judges.teamID(team, competition: competition, on: connection)
            let removed = try connection.query("DELETE FROM declared_conflict WHERE judge_id = \(judge.id) AND team_id = \(teamID) RETURNING reason")
                .rows
            guard let old = removed.first else {
                throw WyscError(.notFound, "there is no declared conflict between \(email) and team '\(team)'")
            }
            try Audit.record(
                on: connection, actor: actor, action: "conflict.remove", subject: "judge:\(judge.email)", competitionID: competition.id,
                before: ["team": .string(team), "reason": .string(try old.decode("reason"))], reason: reason)
        }
    }

    /// Every conflict: declared ones, and the automatic ones of a round's rules (default: the first round).
    public func conflicts(
        competition slug: String, round: String? = nil, declaredOnly: Bool = false, as actor: Actor
    ) async throws -> [ConflictRecord] {
        try actor.requireOrganizer("list conflicts")
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let rules = declaredOnly ? nil : try Assignments.round(round, of: competition)
            return try Judges.conflicts(competition, rules: rules, on: connection)
        }
    }
}

enum Judges {
    /// A judge's max_load: the same bounds as a round's max_load in a workflow file.
    static let loadRange = 0...100_000

    struct Reference {
        var id: Int
        var email: String
    }

    static func find(_ email: String, competition: CompetitionRecord, on connection: PostgresConnection) throws -> Reference {
        guard
            let row = try connection.query(
                "SELECT id, email FROM judge WHERE competition_id = \(competition.id) AND lower(email) = lower(\(email))"
            ).singleRow()
        else {
            throw WyscError(.notFound, "there is no judge \(email) in competition '\(competition.slug)'")
        }
        return Reference(id: try row.decode("id"), email: try row.decode("email"))
    }

    static func teamID(_ team: String, competition: CompetitionRecord, on connection: PostgresConnection) throws -> Int {
        guard
            let row = try connection.query(
                "SELECT id FROM team WHERE competition_id = \(competition.id) AND lower(name) = lower(\(team))"
            ).singleRow()
        else {
            throw WyscError(.notFound, "there is no team '\(team)' in competition '\(competition.slug)'")
        }
        return try row.decode("id")
    }

    /// Declared conflicts, plus the round's automatic ones when `rules` is given.
    static func conflicts(_ competition: CompetitionRecord, rules round: JudgingRound?, on connection: PostgresConnection) throws -> [ConflictRecord]
    {
        let rules = round.map(ConflictRules.init) ?? .declaredOnly
        let facts = try ConflictFacts.load(competition, on: connection)
        var records: [ConflictRecord] = []
        for pair in rules.pairs(judges: facts.judgeAffiliations, teams: facts.teamAffiliations, declared: Set(facts.declared.keys)) {
            guard let judge = facts.judges[pair.judge], let team = facts.teams[pair.team] else { continue }
            for reason in pair.reasons {
                let declared = facts.declared[ConflictRules.Declared(judge: pair.judge, team: pair.team)]
                let why =
                    switch reason {
                    case .declared: declared?.reason ?? ""
                    case .sameUniversity: "\(judge.name) is from \(team.affiliation.university)"
                    case .sameCity: "\(judge.name) and the team are both in \(team.affiliation.city)"
                    }
                records.append(
                    ConflictRecord(
                        judge: judge.name, judgeEmail: judge.email, team: team.name, source: reason.rawValue, reason: why,
                        declaredBy: reason == .declared ? declared?.declaredBy : nil))
            }
        }
        return records.sorted { ($0.judge, $0.team, $0.source) < ($1.judge, $1.team, $1.source) }
    }
}

/// What the conflict rules look at, read from the database in three queries.
struct ConflictFacts {
    struct Judge {
        var name: String
        var email: String
        var affiliation: ConflictRules.Affiliation
    }

    struct Team {
        var name: String
        var affiliation: ConflictRules.Affiliation
    }

    var judges: [Int: Judge] = [:]
    var teams: [Int: Team] = [:]
    var declared: [ConflictRules.Declared: (reason: String, declaredBy: String)] = [:]

    var judgeAffiliations: [(id: Int, affiliation: ConflictRules.Affiliation)] { judges.map { ($0.key, $0.value.affiliation) } }
    var teamAffiliations: [(id: Int, affiliation: ConflictRules.Affiliation)] { teams.map { ($0.key, $0.value.affiliation) } }

    static func load(_ competition: CompetitionRecord, on connection: PostgresConnection) throws -> ConflictFacts {
        var facts = ConflictFacts()
        for row in try connection.query("SELECT id, name, email, university, city FROM judge WHERE competition_id = \(competition.id)").rows {
            facts.judges[try row.decode("id")] = Judge(
                name: try row.decode("name"), email: try row.decode("email"),
                affiliation: .init(university: try row.decode("university"), city: try row.decode("city")))
        }
        for row in try connection.query(
            """
            SELECT t.id, t.name, u.name AS university, u.city FROM team t JOIN university u ON u.id = t.university_id
            WHERE t.competition_id = \(competition.id)
            """
        ).rows {
            facts.teams[try row.decode("id")] = Team(
                name: try row.decode("name"), affiliation: .init(university: try row.decode("university"), city: try row.decode("city")))
        }
        for row in try connection.query(
            "SELECT judge_id, team_id, reason, declared_by FROM declared_conflict WHERE competition_id = \(competition.id)"
        ).rows {
            facts.declared[.init(judge: try row.decode("judge_id"), team: try row.decode("team_id"))] =
                (try row.decode("reason"), try row.decode("declared_by"))
        }
        return facts
    }
}

/// A judges import: staged, checked set-based, written (added, updated, audited) in one statement.
enum JudgeImport {
    static let table = StagingTable<JudgeRow>(
        name: "judge_import",
        columns: """
            row_number integer NOT NULL, name text NOT NULL, email text NOT NULL, university text NOT NULL, city text NOT NULL,
            country text NOT NULL, expertise text[] NOT NULL, max_load integer
            """,
        check: { row in
            let input = row.input
            var problems: [RowProblems.Problem] = []
            func problem(_ message: String, isTextLimit: Bool = false) {
                problems.append(.init(row: row.row, message: message, isTextLimit: isTextLimit))
            }
            if input.name.isEmpty { problem("name is missing") }
            let textProblems =
                TextField.problems([
                    ("name", input.name, .name), ("email", input.email, .email), ("university", input.university, .name),
                    ("city", input.city, .name), ("country", input.country, .name),
                ]) + [TextField.tagsProblem(input.expertise, field: "expertise")].compactMap { $0 }
            for message in textProblems { problem(message, isTextLimit: true) }
            if input.email.isEmpty {
                problem("email is missing")
            } else if textProblems.isEmpty && !MailAddress.isAddress(input.email) {
                problem("email \(quoted(input.email)) is not an email address")
            }
            if !row.maxLoadText.isEmpty && (input.maxLoad.map { !Judges.loadRange.contains($0) } ?? true) {
                problem(
                    "max_load \(quoted(row.maxLoadText)) is not a whole number of proposals from \(Judges.loadRange.lowerBound) to \(Judges.loadRange.upperBound)"
                )
            }
            return problems
        },
        values: { row in
            let input = row.input
            return [
                String(row.row), input.name, input.email, input.university, input.city, input.country, input.expertise.postgresText,
                // A load out of range is a problem of its row already; staged as none, it cannot overflow the column.
                input.maxLoad.flatMap { Judges.loadRange.contains($0) ? String($0) : nil },
            ]
        })

    static func stage<Rows: ImportRows<JudgeRow>>(
        _ rows: Rows, on connection: PostgresConnection, progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        let staged = try StagedImport.stage(rows, into: table, on: connection, progress: progress)
        guard StagedImport.everyRowStaged(staged.problems) else { return staged }
        let repeated = try StagedImport.problems(
            """
            SELECT row_number, email, first_row FROM (
                SELECT row_number, email, min(row_number) OVER (PARTITION BY lower(email)) AS first_row FROM judge_import WHERE email <> ''
            ) s
            WHERE row_number <> first_row
            """, on: connection
        ) { "email \(try $0.decode("email", as: String.self)) is also on row \(try $0.decode("first_row", as: Int.self))" }
        return (staged.rows, staged.problems + repeated)
    }

    /// Adds the new judges and updates the changed ones, each with its audit row, in one statement.
    static func write(competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> ImportSummary {
        let counts = try connection.query(
            """
            WITH incoming AS (
                SELECT s.*, j.id AS existing_id, j.name AS old_name, j.city AS old_city, j.expertise AS old_expertise,
                       j.id IS NOT NULL AND (j.name, j.university, j.city, j.country, j.expertise, j.max_load)
                           IS NOT DISTINCT FROM (s.name, s.university, s.city, s.country, s.expertise, s.max_load) AS same
                FROM judge_import s LEFT JOIN judge j ON j.competition_id = \(competition.id) AND lower(j.email) = lower(s.email)
            ), added AS (
                INSERT INTO judge (competition_id, name, email, university, city, country, expertise, max_load)
                SELECT \(competition.id), name, email, university, city, country, expertise, max_load FROM incoming
                WHERE existing_id IS NULL ORDER BY row_number
                RETURNING 1
            ), updated AS (
                UPDATE judge j SET name = i.name, university = i.university, city = i.city, country = i.country, expertise = i.expertise,
                    max_load = i.max_load
                FROM incoming i WHERE j.id = i.existing_id AND NOT i.same
                RETURNING 1
            ), audit AS (
                INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
                SELECT \(actor.description), CASE WHEN existing_id IS NULL THEN 'judge.add' ELSE 'judge.update' END, 'judge:' || email,
                       CASE WHEN existing_id IS NOT NULL THEN jsonb_build_object('name', old_name, 'city', old_city, 'expertise', to_jsonb(old_expertise)) END,
                       jsonb_build_object('name', name, 'university', university, 'city', city, 'country', country,
                           'expertise', to_jsonb(expertise), 'max_load', max_load),
                       \(competition.id)
                FROM incoming WHERE NOT same ORDER BY row_number
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM added) AS added, (SELECT count(*) FROM updated) AS changed,
                   (SELECT count(*) FROM incoming WHERE same) AS unchanged, (SELECT count(*) FROM audit) AS audited
            """
        ).rows[0]
        return ImportSummary(added: try counts.decode("added"), changed: try counts.decode("changed"), unchanged: try counts.decode("unchanged"))
    }
}
