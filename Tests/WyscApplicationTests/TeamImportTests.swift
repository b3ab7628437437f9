import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

@Suite struct TeamImportTests {
    let organizer = TestApplication.organizer

    func importing(_ csv: String, into test: TestApplication) async throws -> TeamImportSummary {
        try await test.application.importTeams(
            reading: { try MemberRow.rows(of: CSVReader(text: csv, file: "teams.csv")) }, file: "teams.csv", competition: "wysc-2026",
            as: organizer)
    }

    @Test func everyBadRowIsReportedAndNothingIsWritten() async throws {
        let test = try await TestApplication()
        try await test.competition()
        _ = try await importing(
            """
            team,university,name,email,birth_date,role
            Existing Team,Seoul National University,김민준,minjun@snu.ac.kr,2002-03-14,leader
            Existing Team,Seoul National University,이서연,seoyeon@snu.ac.kr,2003-07-02,member
            """, into: test)
        let connection = try test.connect()
        let before = (
            try test.count("team", on: connection), try test.count("team_member", on: connection), try test.count("audit_log", on: connection)
        )

        let csv = """
            team,university,name,email,birth_date,role
            Good Team,Seoul National University,박지호,jiho@snu.ac.kr,2001-01-01,leader
            Good Team,Seoul National University,,nobody@snu.ac.kr,2001-01-01,member
            Good Team,Seoul National University,Old Timer,old@snu.ac.kr,1980-05-05,member
            Good Team,Seoul National University,Bad Date,date@snu.ac.kr,2001-13-45,member
            Good Team,Seoul National University,Bad Mail,not-an-email,2001-01-01,member
            Good Team,Seoul National University,Twice,jiho@snu.ac.kr,2001-01-01,member
            Lonely,Atlantis University,One Person,one@example.org,2001-01-01,captain
            Existing Team,Seoul National University,Dup Team,dup@snu.ac.kr,2001-01-01,leader
            Existing Team,Seoul National University,Dup Team2,dup2@snu.ac.kr,2001-01-01,member
            Split,Seoul National University,S One,s1@example.org,2001-01-01,leader
            Split,成都大学,S Two,s2@example.org,2001-01-01,member
            Taken,Seoul National University,Again,minjun@snu.ac.kr,2001-01-01,leader
            Taken,Seoul National University,Someone,someone@example.org,,member
            """
        let error = await #expect(throws: WyscError.self) { try await importing(csv, into: test) }
        #expect(error?.kind == .badInput)
        let message = error?.message ?? ""
        let expected = [
            "nothing was imported",
            "row 3: name is missing",
            "row 4: Old Timer is 46 on 2026-09-01; members must be under 35",
            "row 5: birth date '2001-13-45' is not a date written YYYY-MM-DD",
            "row 6: email 'not-an-email' is not an email address",
            "row 7: email jiho@snu.ac.kr is also on row 2",
            "row 8: unknown university 'Atlantis University'",
            "row 8: role 'captain' is neither leader nor member",
            "row 8: team 'Lonely' has 1 member(s); teams need 2 to 6",
            "row 9: team 'Existing Team' is already registered in competition wysc-2026",
            "row 12: team 'Split' is given university '成都大学' here but 'Seoul National University' on row 11",
            "row 13: email minjun@snu.ac.kr already belongs to a member of team 'Existing Team'",
            "row 14: birth date is missing",
            "row 2: ", "teams.csv:",
        ]
        for text in expected { #expect(message.contains(text), "missing: \(text)\n\(message)") }
        #expect(!message.contains("row 5: birth date is missing"), "a malformed date is not also called missing")
        let after = (
            try test.count("team", on: connection), try test.count("team_member", on: connection), try test.count("audit_log", on: connection)
        )
        #expect(before == after)
    }

    @Test func namesInEveryScriptAreKeptExactly() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let names = ["김민준", "王芳", "محمد العلي", "Zoë Müller", "Nguyễn Thị Mai", "José \"Pepe\" Álvarez, Jr."]
        var csv = "team,university,name,email,birth_date,role\n"
        for (index, name) in names.enumerated() {
            let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            csv += "成都智慧交通队,成都大学,\(quoted),m\(index)@cdu.edu.cn,2001-02-0\(index + 1),\(index == 0 ? "leader" : "member")\r\n"
        }
        let summary = try await importing(csv, into: test)
        #expect(summary == TeamImportSummary(teams: 1, members: 6))
        let teams = try await test.application.teams(competition: "wysc-2026", as: organizer)
        #expect(teams.map(\.name) == ["成都智慧交通队"])
        #expect(teams[0].university == "成都大学")
        #expect(Set(teams[0].members.map(\.name)) == Set(names))
        #expect(teams[0].members.first?.role == "leader")
        let audit = try await test.application.auditLog(AuditFilter(action: "team.register"), as: organizer)
        #expect(audit.map(\.subject) == ["team:成都智慧交通队"])
        #expect(audit[0].after?.contains("محمد العلي") == true)
    }

    @Test func tenThousandRowsImportInOneGo() async throws {
        let test = try await TestApplication()
        try await test.competition()
        var rows: [MemberRow] = []
        for team in 0..<2500 {
            for member in 0..<4 {
                rows.append(
                    MemberRow(
                        row: rows.count + 2, team: "Team \(team)", university: TestApplication.universities[team % 3].name,
                        name: "Member \(member) of \(team)",
                        email: "t\(team).m\(member)@example.org", birthDate: "2001-06-15", role: member == 0 ? "leader" : "member"))
            }
        }
        let summary = try await test.application.importTeams(rows, file: "big.csv", competition: "wysc-2026", as: organizer)
        #expect(summary == TeamImportSummary(teams: 2500, members: 10_000))
        let connection = try test.connect()
        #expect(try connection.query("SELECT count(*) AS n FROM audit_log WHERE action = 'team.register'").rows[0].decode("n", as: Int.self) == 2500)
    }

    /// A team file is read from disk as the import goes; a file that turns out malformed after
    /// thousands of good rows stops the import with its line, and nothing is written.
    @Test func aFileIsStreamedAndAMalformedEndWritesNothing() async throws {
        let test = try await TestApplication()
        try await test.competition()
        var csv = "team,university,name,email,birth_date,role\n"
        for team in 0..<1000 {
            for member in 0..<3 {
                csv += "Team \(team),\(TestApplication.universities[team % 3].name),M\(member),t\(team).m\(member)@example.org,2001-06-15,\n"
            }
        }
        let path = Scratch.url("teams-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (csv + "Last,Nowhere,\"unclosed,x@example.org,2001-01-01,\n").write(toFile: path, atomically: true, encoding: .utf8)
        let error = await #expect(throws: WyscError.self) {
            try await test.application.importTeams(
                reading: { try MemberRow.rows(of: CSVReader(path: path)) }, file: path, competition: "wysc-2026", as: organizer)
        }
        #expect(error?.message == "\(path), line 3002: a quoted field is never closed")
        let connection = try test.connect()
        #expect(try test.count("team", on: connection) == 0)

        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try await test.application.importTeams(
            reading: { try MemberRow.rows(of: CSVReader(path: path)) }, file: path, competition: "wysc-2026", as: organizer)
        #expect(summary == TeamImportSummary(teams: 1000, members: 3000))
    }

    /// A value that cannot be stored keeps its row out of staging; the checks on whole teams would
    /// then mislead (a team one member short), so only the rows' own problems are told.
    @Test func aValueOverItsLimitIsToldAloneAndNothingIsStaged() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let csv = """
            team,university,name,email,birth_date,role
            Long Names,Seoul National University,\(String(repeating: "x", count: 300)),a@snu.ac.kr,2001-01-01,leader
            Long Names,Seoul National University,Short,b@snu.ac.kr,2001-01-01,member
            """
        let error = await #expect(throws: WyscError.self) { try await importing(csv, into: test) }
        #expect(error?.message == "teams.csv: 1 problem; nothing was imported:\n  row 2: name is 300 characters long; at most 200 are allowed")
        #expect(try test.count("team", on: try test.connect()) == 0)
    }

    @Test func aUniversitySeesOnlyItsOwnTeamsAndJudgesSeeNone() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"])
                + TestApplication.team("成都智慧交通队", university: "成都大学", members: ["王芳", "李伟"], firstRow: 4),
            file: "t.csv", competition: "wysc-2026", as: organizer)
        let seoul = try await app.universities().first { $0.city == "Seoul" }!
        let chengdu = try await app.universities().first { $0.city == "Chengdu" }!
        let seen = try await app.teamStatus(competition: "wysc-2026", team: nil, university: nil, as: .university(seoul.id))
        #expect(seen.map(\.team) == ["Han River Movers"])
        #expect(
            seen[0].steps.map(\.step) == ["registered", "members", "lectures", "workshops", "eligible", "proposal", "review", "shortlist", "rank"])
        #expect(seen[0].steps.dropFirst(2).allSatisfy { $0.state == "not yet" })
        let other = await #expect(throws: WyscError.self) {
            try await app.teamStatus(competition: "wysc-2026", team: "成都智慧交通队", university: nil, as: .university(seoul.id))
        }
        #expect(other?.kind == .notFound)
        let otherUniversity = await #expect(throws: WyscError.self) {
            try await app.teams(competition: "wysc-2026", university: "成都大学", as: .university(seoul.id))
        }
        #expect(otherUniversity?.kind == .permissionDenied)
        #expect(try await app.teams(competition: "wysc-2026", as: .university(chengdu.id)).map(\.name) == ["成都智慧交通队"])
        let judge = await #expect(throws: WyscError.self) { try await app.teams(competition: "wysc-2026", as: .judge(1)) }
        #expect(judge?.kind == .permissionDenied)
        #expect(try await app.teams(competition: "wysc-2026", as: organizer).count == 2)
    }

    @Test func universitiesImportAllOrNothingAndAgainWithoutChange() async throws {
        let test = try await TestApplication()
        let app = test.application
        @Sendable func importing(_ text: String) async throws -> ImportSummary {
            try await app.importUniversities(
                reading: { try UniversityRow.rows(of: CSVReader(text: text, file: "u.csv")) }, file: "u.csv", as: organizer)
        }
        let csv = "name,city,country\nSeoul National University,Seoul,Republic of Korea\n成都大学,Chengdu,China\n"
        #expect(try await importing(csv) == ImportSummary(added: 2, unchanged: 0))
        #expect(try await importing(csv) == ImportSummary(added: 0, unchanged: 2))
        let bad = "name,city,country\nNew University,Accra,Ghana\n成都大学,Shanghai,China\n,Rabat,Morocco\nnew university , Kumasi,Ghana\n"
        let error = await #expect(throws: WyscError.self) { try await importing(bad) }
        // Every problem at once: a row's own, a repeat within the file, a clash with what is registered.
        #expect(error?.message.contains("row 4: name is missing") == true)
        #expect(error?.message.contains("row 5: university 'new university' appears again (first on row 2)") == true)
        #expect(error?.message.contains("row 3: university '成都大学' is already registered in Chengdu, China, not Shanghai, China") == true)
        let tooLong = await #expect(throws: WyscError.self) {
            try await importing("name,city,country\n\(String(repeating: "x", count: 5000)),Accra,Ghana\n")
        }
        #expect(tooLong?.message.contains("row 2: name") == true)
        #expect(try await app.universities().count == 2)
    }
}
