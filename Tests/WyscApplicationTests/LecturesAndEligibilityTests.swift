import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

@Suite struct LecturesAndEligibilityTests {
    let organizer = TestApplication.organizer

    static func member(_ row: Int, _ team: String, _ university: String, _ name: String, _ email: String, leader: Bool = false) -> MemberRow {
        MemberRow(row: row, team: team, university: university, name: name, email: email, birthDate: "2002-02-02", role: leader ? "leader" : "member")
    }

    /// The WYSC competition in its lectures phase with three teams; "Ana Silva" is a name in two teams.
    func inLectures() async throws -> TestApplication {
        let test = try await TestApplication()
        try await test.competition()
        let rows = [
            Self.member(2, "Han River Movers", "Seoul National University", "김민준", "minjun@snu.ac.kr", leader: true),
            Self.member(3, "Han River Movers", "Seoul National University", "이서연", "seoyeon@snu.ac.kr"),
            Self.member(4, "Han River Movers", "Seoul National University", "Ana Silva", "ana.silva@snu.ac.kr"),
            Self.member(5, "成都智慧交通队", "成都大学", "王芳", "wangfang@cdu.edu.cn", leader: true),
            Self.member(6, "成都智慧交通队", "成都大学", "李伟", "liwei@cdu.edu.cn"),
            Self.member(7, "Bogotá Bikes", "Universidad de Bogotá", "Ana Silva", "ana@unibogota.edu.co", leader: true),
            Self.member(8, "Bogotá Bikes", "Universidad de Bogotá", "José Álvarez", "jose@unibogota.edu.co"),
        ]
        _ = try await test.application.importTeams(rows, file: "teams.csv", competition: "wysc-2026", as: organizer)
        _ = try await test.application.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        return test
    }

    func attendance(_ csv: String, _ test: TestApplication) async throws -> ImportSummary {
        try await test.application.importAttendance(
            reading: { try AttendanceRow.rows(of: CSVReader(text: csv, file: "attendance.csv")) }, file: "attendance.csv", competition: "wysc-2026",
            as: organizer)
    }

    /// Every member of the three teams at every lecture for `minutes`, with a quiz of 8.
    func fullAttendance(minutes: Int = 60) -> String {
        let emails = [
            "minjun@snu.ac.kr", "seoyeon@snu.ac.kr", "ana.silva@snu.ac.kr", "wangfang@cdu.edu.cn", "liwei@cdu.edu.cn", "ana@unibogota.edu.co",
            "jose@unibogota.edu.co",
        ]
        var csv = "email,lecture,minutes,quiz\n"
        for email in emails {
            for lecture in 1...6 { csv += "\(email),lecture-\(lecture),\(minutes),8\n" }
        }
        return csv
    }

    @Test func badAttendanceRowsAreAllReportedAndNothingIsWritten() async throws {
        let test = try await inLectures()
        let csv = """
            email,name,lecture,attended,minutes,quiz
            minjun@snu.ac.kr,,lecture-1,yes,60,8
            nobody@example.org,,lecture-1,yes,,
            seoyeon@snu.ac.kr,,lecture-9,yes,,
            wangfang@cdu.edu.cn,,lecture-2,yes,,11
            liwei@cdu.edu.cn,,lecture-2,,-5,
            ,Ana Silva,lecture-1,yes,,
            ,Nobody Here,lecture-1,yes,,
            minjun@snu.ac.kr,,lecture-1,yes,60,9
            jose@unibogota.edu.co,,lecture-3,maybe,,
            jose@unibogota.edu.co,,lecture-4,,,
            """
        let error = await #expect(throws: WyscError.self) { try await attendance(csv, test) }
        #expect(error?.kind == .badInput)
        let message = error?.message ?? ""
        for expected in [
            "attendance.csv: 9 problems; nothing was imported",
            "row 3: unknown participant nobody@example.org",
            "row 4: unknown lecture 'lecture-9' (the workflow has lecture-1, lecture-2, lecture-3, lecture-4, lecture-5, lecture-6)",
            "row 5: quiz score 11 is outside 0–10",
            "row 6: minutes present (-5) cannot be negative",
            "row 7: the name 'Ana Silva' matches 2 members (teams Bogotá Bikes, Han River Movers): give their email instead",
            "row 8: unknown participant 'Nobody Here'",
            "row 9: the same participant and lecture as row 2 with different values",
            "row 10: attended 'maybe' is neither yes nor no",
            "row 11: give attended (yes/no) or minutes present",
        ] {
            #expect(message.contains(expected), "missing \(expected) in\n\(message)")
        }
        let connection = try test.connect()
        #expect(try test.count("lecture_attendance", on: connection) == 0)
    }

    @Test func reimportingTheSameExportChangesNothingAndAChangeIsAudited() async throws {
        let test = try await inLectures()
        let csv = "name,email,lecture,attended,quiz\n김민준,minjun@snu.ac.kr,lecture-1,yes,7.5\n王芳,,lecture-1,yes,9\n王芳,,lecture-1,yes,9\n"
        #expect(try await attendance(csv, test) == ImportSummary(added: 2, changed: 0, unchanged: 0))
        let connection = try test.connect()
        let audits = try test.count("audit_log", on: connection)
        #expect(try await attendance(csv, test) == ImportSummary(added: 0, changed: 0, unchanged: 2))
        #expect(try test.count("audit_log", on: connection) == audits, "an unchanged re-import writes no audit row")

        let corrected = "email,lecture,attended,quiz\nminjun@snu.ac.kr,lecture-1,yes,8.5\n"
        #expect(try await attendance(corrected, test) == ImportSummary(added: 0, changed: 1, unchanged: 0))
        let change = try await test.application.auditLog(AuditFilter(action: "attendance.record"), as: organizer).last
        #expect(change?.subject == "member:minjun@snu.ac.kr/lecture-1")
        #expect(change?.before?.contains("7.5") == true)
        #expect(change?.after?.contains("8.5") == true)
        let lectures = try await test.application.lectures(competition: "wysc-2026")
        #expect(lectures[0].attended == 2)
        #expect(lectures[0].members == 7)
        #expect(lectures[0].averageQuiz == 8.75)
    }

    @Test func attendanceAfterTheLecturesIsRefusedUntilTheyAreReopened() async throws {
        let test = try await inLectures()
        let app = test.application
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "lectures", as: organizer)
        let late = await #expect(throws: WyscError.self) { try await attendance("email,lecture,minutes\nminjun@snu.ac.kr,lecture-6,60\n", test) }
        #expect(late?.kind == .refused)
        #expect(late?.message.contains("is in phase 'workshops'") == true)
        #expect(late?.message.contains("allowed in phase 'lectures'") == true)
        _ = try await app.reopenPhase(competition: "wysc-2026", phase: "lectures", reason: "lecture 6 export arrived late", as: organizer)
        #expect(try await attendance("email,lecture,minutes\nminjun@snu.ac.kr,lecture-6,60\n", test).added == 1)
        #expect(try await app.auditLog(AuditFilter(action: "phase.reopen"), as: organizer).first?.reason == "lecture 6 export arrived late")
    }

    @Test func eligibilityIsComputedWhenTheWorkshopsEndAndExplainedToUniversities() async throws {
        let test = try await inLectures()
        let app = test.application
        var csv = fullAttendance()
        // 이서연 is present exactly 45 minutes (the threshold) at four lectures and misses two: eligible.
        csv = csv.replacingOccurrences(of: "seoyeon@snu.ac.kr,lecture-5,60,8\n", with: "").replacingOccurrences(
            of: "seoyeon@snu.ac.kr,lecture-6,60,8\n", with: "")
        for lecture in 1...4 {
            csv = csv.replacingOccurrences(of: "seoyeon@snu.ac.kr,lecture-\(lecture),60,8", with: "seoyeon@snu.ac.kr,lecture-\(lecture),45,8")
        }
        // 李伟 was there only 44 minutes at three lectures: one ineligible member makes 成都智慧交通队 ineligible.
        for lecture in 1...3 {
            csv = csv.replacingOccurrences(of: "liwei@cdu.edu.cn,lecture-\(lecture),60,8", with: "liwei@cdu.edu.cn,lecture-\(lecture),44,8")
        }
        _ = try await attendance(csv, test)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "lectures", as: organizer)
        // Bogotá Bikes takes part in no workshop.
        let checkin = try await app.checkInWorkshop(
            "seoul-lab", teams: ["Han River Movers", "成都智慧交通队"], note: "strong prototype", competition: "wysc-2026", as: organizer)
        #expect(checkin == ImportSummary(added: 2, unchanged: 0))
        #expect(
            try await app.checkInWorkshop("seoul-lab", teams: ["Han River Movers"], note: nil, competition: "wysc-2026", as: organizer).unchanged == 1
        )
        let unknownTeam = await #expect(throws: WyscError.self) {
            try await app.checkInWorkshop("seoul-lab", teams: ["Bogotá Bikes", "Ghost Team"], note: nil, competition: "wysc-2026", as: organizer)
        }
        #expect(unknownTeam?.message.contains("'Ghost Team'") == true)
        let unknownWorkshop = await #expect(throws: WyscError.self) {
            try await app.checkInWorkshop("paris-lab", teams: ["Bogotá Bikes"], note: nil, competition: "wysc-2026", as: organizer)
        }
        #expect(unknownWorkshop?.kind == .badInput)
        #expect(try await app.workshops(competition: "wysc-2026").first { $0.workshop.id == "seoul-lab" }?.teams == 2)

        let check = try await app.checkTransition(competition: "wysc-2026", to: nil, as: organizer)
        #expect(check.actions == ["compute_eligibility: 1 of 3 team(s) meet the participation rules today"])
        let record = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "workshops", as: organizer)
        #expect(record.performed == ["1 of 3 team(s) may submit a proposal"])

        let decisions = try await app.eligibility(competition: "wysc-2026", as: organizer)
        #expect(decisions.map(\.team) == ["Bogotá Bikes", "Han River Movers", "成都智慧交通队"])
        #expect(decisions.map(\.eligible) == [false, true, false])
        #expect(decisions[0].reasons == ["the team took part in no workshop; 1 needed"])
        #expect(decisions[2].reasons == ["李伟 attended 3 of 6 lectures (missed lecture-1, lecture-2, lecture-3); 4 needed"])

        let chengdu = try await app.universities().first { $0.city == "Chengdu" }!
        let status = try await app.teamStatus(competition: "wysc-2026", team: nil, university: nil, as: .university(chengdu.id))
        #expect(status.count == 1)
        let steps = Dictionary(uniqueKeysWithValues: status[0].steps.map { ($0.step, $0) })
        #expect(steps["lectures"]?.state == "no")
        #expect(steps["lectures"]?.detail.contains("李伟 3/6") == true)
        #expect(steps["workshops"]?.detail == "Seoul Living Lab workshop (Seoul)")
        #expect(steps["eligible"]?.state == "no")
        #expect(steps["eligible"]?.detail.contains("missed lecture-1, lecture-2, lecture-3") == true)
        #expect(steps["proposal"]?.state == "no")
        #expect(steps["proposal"]?.detail == "not eligible to submit one")

        // An organizer lets Bogotá Bikes go on; a university cannot.
        let refused = await #expect(throws: WyscError.self) {
            try await app.overrideEligibility(
                competition: "wysc-2026", team: "Bogotá Bikes", eligible: true, reason: "x", as: .university(chengdu.id))
        }
        #expect(refused?.kind == .permissionDenied)
        let noReason = await #expect(throws: WyscError.self) {
            try await app.overrideEligibility(competition: "wysc-2026", team: "Bogotá Bikes", eligible: true, reason: "  ", as: organizer)
        }
        #expect(noReason?.kind == .badInput)
        let pardoned = try await app.overrideEligibility(
            competition: "wysc-2026", team: "Bogotá Bikes", eligible: true, reason: "workshop cancelled by the host", as: organizer)
        #expect(pardoned.eligible == true)
        #expect(pardoned.computed == false)
        let audit = try await app.auditLog(AuditFilter(action: "eligibility.override"), as: organizer)
        #expect(audit.map(\.subject) == ["team:Bogotá Bikes"])
        #expect(audit[0].before == #"{"eligible": false}"#)
        #expect(audit[0].after == #"{"eligible": true}"#)
        #expect(audit[0].reason == "workshop cancelled by the host")
    }

    @Test func teamStatusShowsLectureProgressDuringTheLectures() async throws {
        let test = try await inLectures()
        _ = try await attendance("email,lecture,minutes,quiz\nminjun@snu.ac.kr,lecture-1,60,9\nseoyeon@snu.ac.kr,lecture-1,20,\n", test)
        let status = try await test.application.teamStatus(competition: "wysc-2026", team: "Han River Movers", university: nil, as: organizer)
        let lectures = status[0].steps.first { $0.step == "lectures" }
        #expect(lectures?.state == "pending")
        #expect(lectures?.detail == "김민준 1/6, quiz average 9; 이서연 0/6, no quiz; Ana Silva 0/6, no quiz")
        #expect(status[0].steps.first { $0.step == "workshops" }?.state == "not yet")
    }
}
