import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

@Suite struct PhaseDriverTests {
    let organizer = TestApplication.organizer

    @Test func advancingChecksGuardsAgainstTheDatabaseAndPerformsActions() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application

        // No team yet: min_teams fails, and the rejection says how many.
        let blocked = await #expect(throws: WyscError.self) {
            try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        }
        #expect(blocked?.kind == .refused)
        #expect(blocked?.message.contains("0 team(s) registered, at least 1 needed") == true)
        #expect(try await app.phaseStatus(competition: "wysc-2026").phase == "registration")

        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연", "박지호"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        let check = try await app.checkTransition(competition: "wysc-2026", to: nil, as: organizer)
        #expect(check.canAdvance)
        #expect(check.actions == ["freeze_rosters: freeze the rosters of 1 team(s), 3 member(s)"])

        let record = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        #expect(record.from == "registration" && record.to == "lectures")
        #expect(record.performed == ["froze the rosters of 1 team(s), 3 member(s)"])

        let connection = try test.connect()
        let row = try connection.query("SELECT phase, version, rosters_frozen_at IS NOT NULL AS frozen FROM competition").rows[0]
        #expect(try row.decode("phase", as: String.self) == "lectures")
        #expect(try row.decode("version", as: Int.self) == 2)
        #expect(try row.decode("frozen", as: Bool.self))
        let audit = try connection.query(
            "SELECT actor, action, before::text AS before, after::text AS after FROM audit_log WHERE action LIKE 'phase.%'"
        ).rows
        #expect(audit.count == 1)
        #expect(try audit[0].decode("actor", as: String.self) == "organizer:ana")
        #expect(try audit[0].decode("before", as: String.self) == #"{"phase": "registration"}"#)
        #expect(try connection.query("SELECT count(*) AS n FROM audit_log WHERE action = 'rosters.freeze'").rows[0].decode("n", as: Int.self) == 1)

        let history = try await app.phaseHistory(competition: "wysc-2026")
        #expect(history.map(\.to) == ["lectures"])
    }

    @Test func teamsOutsideTheSizeLimitsAreNamed() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"])
                + TestApplication.team("Solo Act", members: ["Zoë Müller", "José Álvarez"], firstRow: 4),
            file: "t.csv", competition: "wysc-2026", as: organizer)
        // A member withdrew (removed by hand in the database): the team is now below the minimum.
        let connection = try test.connect()
        try connection.query("DELETE FROM team_member WHERE name = \("José Álvarez")")
        let check = try await app.checkTransition(competition: "wysc-2026", to: nil, as: organizer)
        #expect(!check.canAdvance)
        #expect(check.failures.map(\.description) == ["1 team(s) have a size outside 2–6 members: Solo Act (1)"])
    }

    @Test func forcingRecordsTheOverriddenGuardsAndTheReason() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        let record = try await app.advancePhase(
            competition: "wysc-2026", to: nil, expectedPhase: "registration", forceReason: "pilot run without teams", as: organizer)
        #expect(record.kind == "force")
        #expect(record.overriddenGuards == ["0 team(s) registered, at least 1 needed"])
        let history = try await app.phaseHistory(competition: "wysc-2026")
        #expect(history[0].reason == "pilot run without teams")
        #expect(history[0].overriddenGuards == ["0 team(s) registered, at least 1 needed"])
        let audit = try await app.auditLog(AuditFilter(action: "phase.force"), as: organizer)
        #expect(audit.count == 1)
        #expect(audit[0].reason == "pilot run without teams")
        #expect(audit[0].after?.contains("overridden_guards") == true)
    }

    @Test func reopeningGoesBackWithAReasonAndUnfreezesRosters() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        // Registration is closed: registering now names the phase.
        let refused = await #expect(throws: WyscError.self) {
            try await app.importTeams(TestApplication.team("Late", members: ["A B", "C D"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        }
        #expect(refused?.kind == .refused)
        #expect(refused?.message.contains("is in phase 'lectures'") == true)
        #expect(refused?.message.contains("allowed in phase 'registration'") == true)

        let missingReason = await #expect(throws: WyscError.self) {
            try await app.reopenPhase(competition: "wysc-2026", phase: "registration", reason: " ", as: organizer)
        }
        #expect(missingReason?.kind == .badInput)
        let laterPhase = await #expect(throws: WyscError.self) {
            try await app.reopenPhase(competition: "wysc-2026", phase: "workshops", reason: "why not", as: organizer)
        }
        #expect(laterPhase?.message.contains("does not come before") == true)

        _ = try await app.reopenPhase(competition: "wysc-2026", phase: "registration", reason: "one university's list arrived late", as: organizer)
        _ = try await app.importTeams(TestApplication.team("Late", members: ["A B", "C D"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        let history = try await app.phaseHistory(competition: "wysc-2026")
        #expect(history.map(\.kind) == ["advance", "reopen"])
        #expect(try await app.auditLog(AuditFilter(action: "phase.reopen"), as: organizer).first?.reason == "one university's list arrived late")
    }

    @Test func advancingFromAPhaseTheCompetitionHasLeftIsAConflict() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", forceReason: "test", as: organizer)
        let conflict = await #expect(throws: WyscError.self) {
            try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: .organizer("ben"))
        }
        #expect(conflict?.kind == .conflict)
        #expect(conflict?.message.contains("the phase already changed") == true)
        #expect(conflict?.message.contains("changed by organizer:ana") == true)
        #expect(try await app.phaseHistory(competition: "wysc-2026").count == 1)
    }

    /// Many organizers advance at once from the same phase: exactly one transition is recorded.
    @Test func concurrentAdvancesTakeOneTransition() async throws {
        let test = try await TestApplication(connections: 8)
        try await test.competition()
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        let outcomes = await withTaskGroup(of: WyscError.Kind?.self) { group in
            for index in 0..<16 {
                group.addTask {
                    do {
                        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: .organizer("o\(index)"))
                        return nil
                    } catch let error as WyscError {
                        return error.kind
                    } catch {
                        return .failure
                    }
                }
            }
            var kinds: [WyscError.Kind?] = []
            for await kind in group { kinds.append(kind) }
            return kinds
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .conflict }.count == 15)
        #expect(try await app.phaseHistory(competition: "wysc-2026").count == 1)
    }

    @Test func aFailingActionRollsTheWholeTransitionBack() async throws {
        let test = try await TestApplication()
        // freeze_rosters runs, then shortlist fails (there is no ranking to shortlist from).
        let workflow = BuiltInWorkflows.wysc.replacingOccurrences(
            of: "    actions:\n      - freeze_rosters\n",
            with: "    actions:\n      - freeze_rosters\n      - shortlist: {from: screening, to: finals, size: 5}\n")
        try await test.competition(workflow: workflow)
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        let connection = try test.connect()
        let auditBefore = try test.count("audit_log", on: connection)
        await #expect(throws: WyscError.self) {
            try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        }
        let row = try connection.query("SELECT phase, version, rosters_frozen_at IS NULL AS open FROM competition").rows[0]
        #expect(try row.decode("phase", as: String.self) == "registration")
        #expect(try row.decode("version", as: Int.self) == 1)
        #expect(try row.decode("open", as: Bool.self))
        #expect(try test.count("phase_transition", on: connection) == 0)
        #expect(try test.count("audit_log", on: connection) == auditBefore)
    }

    @Test func aPassedDeadlineIsRecordedOnceAndClosesItsOperations() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_780_000_000))  // 2026-05-28
        let test = try await TestApplication(clock: clock)
        let workflow = BuiltInWorkflows.wysc.replacingOccurrences(
            of: "    allows: [register_team]\n", with: "    allows: [register_team]\n    deadline: 2026-06-01T00:00:00Z\n")
        try await test.competition(workflow: workflow)
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        clock.set(Date(timeIntervalSince1970: 1_780_300_000))  // 2026-06-01T07:46Z
        let late = await #expect(throws: WyscError.self) {
            try await app.importTeams(TestApplication.team("Late", members: ["A B", "C D"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        }
        #expect(late?.message.contains("the deadline of phase 'registration' was 2026-06-01T00:00:00Z") == true)
        #expect(try await app.phaseStatus(competition: "wysc-2026").deadlinePassed)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        let history = try await app.phaseHistory(competition: "wysc-2026")
        #expect(history.map(\.kind) == ["deadline", "advance"])
        #expect(history[0].actor == "system")
    }

    @Test func onlyOrganizersChangePhasesOrReadTheAuditLog() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        for actor in [Actor.judge(1), .university(1)] {
            let advance = await #expect(throws: WyscError.self) {
                try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: nil, forceReason: "x", as: actor)
            }
            #expect(advance?.kind == .permissionDenied)
            let reopen = await #expect(throws: WyscError.self) {
                try await app.reopenPhase(competition: "wysc-2026", phase: "registration", reason: "x", as: actor)
            }
            #expect(reopen?.kind == .permissionDenied)
            let audit = await #expect(throws: WyscError.self) { try await app.auditLog(AuditFilter(), as: actor) }
            #expect(audit?.kind == .permissionDenied)
            let create = await #expect(throws: WyscError.self) {
                try await app.createCompetition(slug: "other", title: nil, workflowSource: BuiltInWorkflows.wysc, workflowFile: "w.yaml", as: actor)
            }
            #expect(create?.kind == .permissionDenied)
            let register = await #expect(throws: WyscError.self) {
                try await app.importTeams(TestApplication.team("X", members: ["A B", "C D"]), file: "t.csv", competition: "wysc-2026", as: actor)
            }
            #expect(register?.kind == .permissionDenied)
        }
        #expect(try await app.phaseStatus(competition: "wysc-2026").phase == "registration")
    }

    @Test func theStoredWorkflowGovernsAndSlugsAreChecked() async throws {
        let test = try await TestApplication()
        let created = try await test.competition()
        #expect(created.phase == "registration")
        let app = test.application
        let duplicate = await #expect(throws: WyscError.self) { try await test.competition() }
        #expect(duplicate?.kind == .conflict)
        let badSlug = await #expect(throws: WyscError.self) {
            try await app.createCompetition(
                slug: "WYSC 2026", title: nil, workflowSource: BuiltInWorkflows.wysc, workflowFile: "w.yaml", as: organizer)
        }
        #expect(badSlug?.kind == .badInput)
        let badWorkflow = await #expect(throws: WyscError.self) {
            try await app.createCompetition(
                slug: "broken", title: nil, workflowSource: "workflow: x\nphases: []\n", workflowFile: "broken.yaml", as: organizer)
        }
        #expect(badWorkflow?.kind == .badInput)
        #expect(badWorkflow?.message.contains("broken.yaml") == true)
        let unknown = await #expect(throws: WyscError.self) { try await app.phaseStatus(competition: "nope") }
        #expect(unknown?.kind == .notFound)
        #expect(unknown?.message.contains("there is: wysc-2026") == true)
        #expect(try await app.onlyCompetitionSlug() == "wysc-2026")
    }
}
