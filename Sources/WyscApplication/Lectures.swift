import Foundation
import WyscPostgres
import WyscWorkflow

/// A lecture of the series with its attendance so far.
public struct LectureSummary: Sendable, Hashable {
    public var lecture: Lecture
    /// Members who attended (by the workflow's rule: minutes over the threshold, or yes).
    public var attended: Int
    public var members: Int
    public var quizzesTaken: Int
    public var averageQuiz: Double?
}

public struct WorkshopSummary: Sendable, Hashable {
    public var workshop: Workshop
    public var teams: Int
}

/// One row of an attendance export: a participant (email or name), a lecture, and what they did.
public struct AttendanceRow: Sendable, Hashable {
    public var row: Int
    public var email: String
    public var name: String
    public var lecture: String
    /// yes/no as exported (yes, no, true, false, 1, 0, present, absent), or empty.
    public var attended: String
    /// Minutes present, or empty.
    public var minutes: String
    /// The quiz score, or empty.
    public var quiz: String

    public init(row: Int, email: String, name: String, lecture: String, attended: String, minutes: String, quiz: String) {
        self.row = row
        self.email = email
        self.name = name
        self.lecture = lecture
        self.attended = attended
        self.minutes = minutes
        self.quiz = quiz
    }

    /// The rows of an attendance export (`email` and/or `name`, `lecture`, `attended` and/or
    /// `minutes`, optional `quiz`), read as the import takes them.
    public static func rows(of reader: CSVReader) throws(WyscError) -> CSVRowStream<AttendanceRow> {
        let file = reader.file
        let stream = try CSVRowStream(reader, required: ["lecture"], optional: ["email", "name", "attended", "minutes", "quiz"]) {
            (record, columns) throws(WyscError) in
            // Field by field (a nested function over the borrowed record crashes the 6.3 compiler).
            let email = try record.string(columns["email"], in: file).trimmingCharacters(in: .whitespaces)
            let name = try record.string(columns["name"], in: file).trimmingCharacters(in: .whitespaces)
            let lecture = try record.string(columns["lecture"], in: file).trimmingCharacters(in: .whitespaces)
            let attended = try record.string(columns["attended"], in: file).trimmingCharacters(in: .whitespaces).lowercased()
            let minutes = try record.string(columns["minutes"], in: file).trimmingCharacters(in: .whitespaces)
            let quiz = try record.string(columns["quiz"], in: file).trimmingCharacters(in: .whitespaces)
            return AttendanceRow(row: record.row, email: email, name: name, lecture: lecture, attended: attended, minutes: minutes, quiz: quiz)
        }
        if stream.columns["email"] == nil && stream.columns["name"] == nil {
            throw WyscError(.badInput, "\(file): the header needs an email or a name column to say who took part")
        }
        if stream.columns["attended"] == nil && stream.columns["minutes"] == nil {
            throw WyscError(.badInput, "\(file): the header needs an attended (yes/no) or a minutes column")
        }
        return stream
    }

    static let yes: Set<String> = ["yes", "y", "true", "1", "present", "attended"]
    static let no: Set<String> = ["no", "n", "false", "0", "absent"]
}

extension Application {
    public func lectures(competition slug: String) async throws -> [LectureSummary] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            let threshold = competition.definition.eligibility?.attendanceMinutes
            let members: Int = try connection.query("SELECT count(*) AS n FROM team_member WHERE competition_id = \(competition.id)").rows[0].decode(
                "n")
            let rows = try connection.query(
                """
                SELECT lecture,
                       count(*) FILTER (WHERE CASE WHEN minutes IS NOT NULL AND \(threshold)::int IS NOT NULL THEN minutes >= \(threshold)
                                                   ELSE coalesce(present, minutes > 0) END) AS attended,
                       count(quiz_score) AS quizzes, avg(quiz_score)::float8 AS average
                FROM lecture_attendance WHERE competition_id = \(competition.id) GROUP BY lecture
                """
            ).rows
            var byLecture: [String: PostgresRow] = [:]
            for row in rows { byLecture[try row.decode("lecture")] = row }
            return try competition.definition.lectures.map { lecture in
                let row = byLecture[lecture.id]
                return LectureSummary(
                    lecture: lecture, attended: try row?.decode("attended") ?? 0, members: members, quizzesTaken: try row?.decode("quizzes") ?? 0,
                    averageQuiz: try row?.decode("average", as: Double?.self))
            }
        }
    }

    public func workshops(competition slug: String) async throws -> [WorkshopSummary] {
        try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection)
            var teams: [String: Int] = [:]
            for row in try connection.query(
                "SELECT workshop, count(*) AS teams FROM workshop_checkin WHERE competition_id = \(competition.id) GROUP BY workshop"
            ).rows {
                teams[try row.decode("workshop")] = try row.decode("teams")
            }
            return competition.definition.workshops.map { WorkshopSummary(workshop: $0, teams: teams[$0.id] ?? 0) }
        }
    }

    /// Records attendance rows made in memory (the demo), all or nothing.
    public func importAttendance(_ rows: [AttendanceRow], file: String, competition slug: String, as actor: Actor) async throws -> ImportSummary {
        try await importAttendance(reading: { rows }, file: file, competition: slug, as: actor)
    }

    /// Records lecture attendance and quiz scores from an export, all or nothing. Importing the same
    /// file again changes nothing; a row whose values differ from what is stored updates it (audited).
    /// `rows` is called once per attempt of the transaction.
    public func importAttendance<Rows: ImportRows<AttendanceRow>>(
        reading rows: @escaping @Sendable () throws -> Rows, file: String, competition slug: String, as actor: Actor,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try actor.requireOrganizer("record attendance")
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            try competition.require(.recordAttendance, "recording lecture attendance", now: now)
            let (_, problems) = try AttendanceImport.stage(try rows(), competition: competition, on: connection, progress: progress)
            guard problems.isEmpty else { throw WyscError(.badInput, RowProblems(file: file, problems: problems).description) }
            return try AttendanceImport.write(competition: competition, actor: actor, on: connection)
        }
    }

    /// Records that teams took part in a workshop, with an optional mentor note. All or nothing;
    /// checking a team in again with the same note changes nothing.
    public func checkInWorkshop(
        _ workshop: String, teams: [String], note: String?, competition slug: String, as actor: Actor
    ) async throws -> ImportSummary {
        try actor.requireOrganizer("record workshop participation")
        try TextField.note.check(note, field: "the note")
        for team in teams { try TextField.name.check(team, field: "a team name") }
        let now = self.now()
        return try await transaction { connection in
            let competition = try Competitions.find(slug, on: connection, lock: .share)
            try competition.require(.checkInWorkshop, "checking teams in to a workshop", now: now)
            guard competition.definition.workshop(workshop) != nil else {
                let known = competition.definition.workshops.map(\.id)
                throw WyscError(
                    .badInput,
                    "unknown workshop '\(workshop)'"
                        + (known.isEmpty ? "; the workflow declares none" : " (the workflow has \(known.joined(separator: ", ")))"))
            }
            var summary = ImportSummary(added: 0, unchanged: 0)
            var unknown: [String] = []
            for team in teams {
                guard
                    let row = try connection.query(
                        "SELECT id, name FROM team WHERE competition_id = \(competition.id) AND lower(name) = lower(\(team))"
                    ).singleRow()
                else {
                    unknown.append(team)
                    continue
                }
                let teamID: Int = try row.decode("id")
                let teamName: String = try row.decode("name")
                let existing = try connection.query(
                    "SELECT mentor_note FROM workshop_checkin WHERE team_id = \(teamID) AND workshop = \(workshop)"
                ).singleRow()
                if let existing {
                    let previous: String? = try existing.decode("mentor_note")
                    if previous == note || note == nil {
                        summary.unchanged += 1
                        continue
                    }
                    try connection.query(
                        "UPDATE workshop_checkin SET mentor_note = \(note), recorded_at = now(), recorded_by = \(actor.description) WHERE team_id = \(teamID) AND workshop = \(workshop)"
                    )
                    try Audit.record(
                        on: connection, actor: actor, action: "workshop.checkin", subject: "team:\(teamName)", competitionID: competition.id,
                        before: ["workshop": .string(workshop), "mentor_note": .optional(previous)],
                        after: ["workshop": .string(workshop), "mentor_note": .optional(note)])
                    summary.changed += 1
                    continue
                }
                try connection.query(
                    """
                    INSERT INTO workshop_checkin (competition_id, team_id, workshop, mentor_note, recorded_by)
                    VALUES (\(competition.id), \(teamID), \(workshop), \(note), \(actor.description))
                    """)
                try Audit.record(
                    on: connection, actor: actor, action: "workshop.checkin", subject: "team:\(teamName)", competitionID: competition.id,
                    after: ["workshop": .string(workshop), "mentor_note": .optional(note)])
                summary.added += 1
            }
            guard unknown.isEmpty else {
                throw WyscError(
                    .notFound, "no team \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in competition '\(slug)'; nobody was checked in")
            }
            return summary
        }
    }
}

/// Attendance exports: rows checked alone, then matched to members in SQL (by email, or by a name
/// that must name exactly one member), then upserted with an audit row for each added or changed record.
enum AttendanceImport {
    static func table(_ definition: WorkflowDefinition) -> StagingTable<AttendanceRow> {
        StagingTable(
            name: "attendance_import",
            columns: """
                row_number integer NOT NULL, email text NOT NULL, name text NOT NULL, lecture text NOT NULL,
                present boolean, minutes integer, quiz_score numeric, member_id bigint
                """,
            check: { check($0, definition: definition) },
            values: { row in
                let present: String? = AttendanceRow.yes.contains(row.attended) ? "t" : AttendanceRow.no.contains(row.attended) ? "f" : nil
                let minutes = Int(row.minutes).map { String(max($0, 0)) }
                let quiz = Double(row.quiz).flatMap { $0.isFinite ? row.quiz : nil }
                // member_id is found below, from the email or the name.
                return [String(row.row), row.email, row.name, row.lecture, present, minutes, quiz, nil]
            })
    }

    /// A row's problems seen alone.
    static func check(_ row: AttendanceRow, definition: WorkflowDefinition) -> [RowProblems.Problem] {
        var problems: [RowProblems.Problem] = []
        let quizMax = definition.eligibility?.quizMax
        func problem(_ message: String) { problems.append(.init(row: row.row, message: message)) }
        if row.email.isEmpty && row.name.isEmpty { problem("the participant is missing: give an email or a name") }
        problems += TextField.problems([("email", row.email, .email), ("name", row.name, .name), ("lecture", row.lecture, .name)])
            .map { .init(row: row.row, message: $0, isTextLimit: true) }
        if row.lecture.isEmpty {
            problem("lecture is missing")
        } else if definition.lecture(row.lecture) == nil {
            problem("unknown lecture \(quoted(row.lecture)) (the workflow has \(definition.lectures.map(\.id).joined(separator: ", ")))")
        }
        if !row.attended.isEmpty && !AttendanceRow.yes.contains(row.attended) && !AttendanceRow.no.contains(row.attended) {
            problem("attended \(quoted(row.attended)) is neither yes nor no")
        }
        if !row.minutes.isEmpty {
            if let minutes = Int(row.minutes) {
                if minutes < 0 { problem("minutes present (\(minutes)) cannot be negative") }
            } else {
                problem("minutes present \(quoted(row.minutes)) is not a whole number")
            }
        }
        if row.attended.isEmpty && row.minutes.isEmpty { problem("give attended (yes/no) or minutes present") }
        if !row.quiz.isEmpty {
            if let score = Double(row.quiz), score.isFinite {
                if score < 0 || (quizMax.map { score > $0 } ?? false) {
                    problem("quiz score \(row.quiz) is outside 0–\(quizMax.map(EligibilityRules.format) ?? "∞")")
                }
            } else {
                problem("quiz score \(quoted(row.quiz)) is not a number")
            }
        }
        return problems
    }

    /// Stages the rows, finds each participant, and runs the checks that need the database.
    static func stage<Rows: ImportRows<AttendanceRow>>(
        _ rows: Rows, competition: CompetitionRecord, on connection: PostgresConnection, progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> (rows: Int, problems: [RowProblems.Problem]) {
        let staged = try StagedImport.stage(rows, into: table(competition.definition), on: connection, progress: progress)
        guard StagedImport.everyRowStaged(staged.problems) else { return staged }
        // Match by email first; a name is used only when no email is given, and must be unique.
        try connection.query(
            """
            UPDATE attendance_import s SET member_id = m.id FROM team_member m
            WHERE s.email <> '' AND m.competition_id = \(competition.id) AND lower(m.email) = lower(s.email)
            """)
        try connection.query(
            """
            UPDATE attendance_import s SET member_id = (SELECT m.id FROM team_member m WHERE m.competition_id = \(competition.id) AND m.name = s.name)
            WHERE s.email = '' AND s.name <> ''
              AND (SELECT count(*) FROM team_member m WHERE m.competition_id = \(competition.id) AND m.name = s.name) = 1
            """)
        var problems = staged.problems
        func collect(_ query: SQLQuery) throws {
            problems += try StagedImport.problems(query, on: connection) { try $0.decode("message") }
        }
        try collect(
            """
            SELECT row_number, 'unknown participant ' || email || ': no member of a team in competition ' || \(competition.slug) || ' has this email' AS message
            FROM attendance_import WHERE email <> '' AND member_id IS NULL
            """)
        try collect(
            """
            SELECT s.row_number,
                   CASE WHEN count(m.id) = 0 THEN 'unknown participant ''' || s.name || ''': no team member has this name'
                        ELSE 'the name ''' || s.name || ''' matches ' || count(m.id) || ' members (teams '
                             || string_agg(t.name, ', ' ORDER BY t.name) || '): give their email instead' END AS message
            FROM attendance_import s
            LEFT JOIN team_member m ON m.competition_id = \(competition.id) AND m.name = s.name
            LEFT JOIN team t ON t.id = m.team_id
            WHERE s.email = '' AND s.name <> '' AND s.member_id IS NULL
            GROUP BY s.row_number, s.name
            """)
        try collect(
            """
            SELECT s.row_number, 'the same participant and lecture as row ' || f.row_number || ' with different values' AS message
            FROM attendance_import s JOIN attendance_import f
              ON f.member_id = s.member_id AND f.lecture = s.lecture AND f.row_number < s.row_number
            WHERE (f.present, f.minutes, f.quiz_score) IS DISTINCT FROM (s.present, s.minutes, s.quiz_score)
              AND NOT EXISTS (SELECT 1 FROM attendance_import e WHERE e.member_id = s.member_id AND e.lecture = s.lecture AND e.row_number < f.row_number)
            """)
        return (staged.rows, problems)
    }

    static func write(competition: CompetitionRecord, actor: Actor, on connection: PostgresConnection) throws -> ImportSummary {
        // One record per participant and lecture (identical repeats were allowed above).
        try connection.runScript(
            """
            CREATE TEMP TABLE attendance_final ON COMMIT DROP AS
            SELECT DISTINCT ON (member_id, lecture) member_id, lecture, present, minutes, quiz_score
            FROM attendance_import ORDER BY member_id, lecture, row_number
            """)
        let counts = try connection.query(
            """
            SELECT count(*) FILTER (WHERE a.member_id IS NULL) AS added,
                   count(*) FILTER (WHERE a.member_id IS NOT NULL AND (a.present, a.minutes, a.quiz_score) IS DISTINCT FROM (f.present, f.minutes, f.quiz_score)) AS changed,
                   count(*) FILTER (WHERE a.member_id IS NOT NULL AND (a.present, a.minutes, a.quiz_score) IS NOT DISTINCT FROM (f.present, f.minutes, f.quiz_score)) AS unchanged
            FROM attendance_final f LEFT JOIN lecture_attendance a ON a.member_id = f.member_id AND a.lecture = f.lecture
            """
        ).rows[0]
        try connection.query(
            """
            INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
            SELECT \(actor.description), 'attendance.record', 'member:' || m.email || '/' || f.lecture,
                   CASE WHEN a.member_id IS NULL THEN NULL ELSE jsonb_build_object('present', a.present, 'minutes', a.minutes, 'quiz_score', a.quiz_score) END,
                   jsonb_build_object('present', f.present, 'minutes', f.minutes, 'quiz_score', f.quiz_score), \(competition.id)
            FROM attendance_final f JOIN team_member m ON m.id = f.member_id
            LEFT JOIN lecture_attendance a ON a.member_id = f.member_id AND a.lecture = f.lecture
            WHERE a.member_id IS NULL OR (a.present, a.minutes, a.quiz_score) IS DISTINCT FROM (f.present, f.minutes, f.quiz_score)
            ORDER BY m.id, f.lecture
            """)
        try connection.query(
            """
            INSERT INTO lecture_attendance (competition_id, member_id, lecture, present, minutes, quiz_score, recorded_by)
            SELECT \(competition.id), member_id, lecture, present, minutes, quiz_score, \(actor.description) FROM attendance_final
            ON CONFLICT (member_id, lecture) DO UPDATE
              SET present = EXCLUDED.present, minutes = EXCLUDED.minutes, quiz_score = EXCLUDED.quiz_score,
                  recorded_at = now(), recorded_by = EXCLUDED.recorded_by
              WHERE (lecture_attendance.present, lecture_attendance.minutes, lecture_attendance.quiz_score)
                    IS DISTINCT FROM (EXCLUDED.present, EXCLUDED.minutes, EXCLUDED.quiz_score)
            """)
        return ImportSummary(added: try counts.decode("added"), changed: try counts.decode("changed"), unchanged: try counts.decode("unchanged"))
    }
}
