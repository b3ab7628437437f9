import Foundation
import Synchronization
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

/// The outbox is written with each change, deadlines act once across servers, and delivery retries.
@Suite struct NotificationTests {
    let organizer = TestApplication.organizer
    let slug = JudgingFixture.slug

    struct Row: Equatable {
        var event: String
        var to: String
        var subject: String
        var text: String
    }

    func outbox(_ test: TestApplication, event: String? = nil) throws -> [Row] {
        try test.connect().query(
            """
            SELECT event, recipient_email, subject, text_body FROM notification WHERE (\(event)::text IS NULL OR event = \(event)) ORDER BY id
            """
        ).rows.map {
            Row(
                event: try $0.decode("event"), to: try $0.decode("recipient_email"), subject: try $0.decode("subject"),
                text: try $0.decode("text_body"))
        }
    }

    @Test func everyEventWritesItsMessagesInTheTransactionOfItsChange() async throws {
        let setup = try await JudgingFixture.inScreening()
        let test = setup.test
        let app = setup.application
        try await app.addOrganizer(name: "Ana Kim", email: "ana@wego.example.org", competition: slug, as: organizer)

        // Proposal receipts to each team's leader, with each file's SHA-256.
        let receipts = try outbox(test, event: "proposal_received")
        #expect(receipts.map(\.to) == ["m0@example.org", "m1@example.org", "m2@example.org", "m3@example.org"])
        let sha = ProposalDocument(name: "x.pdf", bytes: JudgingFixture.plan(1)).sha256.map { String(format: "%02x", $0) }.joined()
        #expect(receipts[1].text.contains(sha) && receipts[1].text.contains("version 1 of your team's proposal #2"))

        // Each judge hears of their queue, by title only (the round is blind).
        let assigned = try outbox(test, event: "judge_assigned")
        #expect(Set(assigned.map(\.to)) == Set(setup.judges.keys))
        #expect(assigned.allSatisfy { $0.subject.hasSuffix(": 2 proposal(s) to review in screening") })
        #expect(!assigned.contains { $0.text.contains("Han River Movers") }, "a blind round's mail names no team")

        // A judge's conflict reaches the organizers with the command that mends it; a failed declaration writes nothing.
        let before = try outbox(test).count
        let amina = setup.judges["amina@example.org"]!
        await #expect(throws: WyscError.self) {
            try await app.declareConflict(judge: "amina@example.org", team: "No Such Team", reason: "r", competition: slug, as: .judge(amina))
        }
        #expect(try outbox(test).count == before, "a refused change leaves no message behind")
        let queue = try await app.judgeQueue(judge: nil, competition: slug, as: .judge(amina))
        let team = try test.connect().query("SELECT t.name FROM proposal p JOIN team t ON t.id = p.team_id WHERE p.id = \(queue[0].proposal)")
            .rows[0].decode("name", as: String.self)
        try await app.declareConflict(judge: "amina@example.org", team: team, reason: "my student", competition: slug, as: .judge(amina))
        let conflict = try outbox(test, event: "conflict_declared")
        #expect(conflict.map(\.to) == ["ana@wego.example.org"])
        #expect(conflict[0].text.contains("wysc assign --round screening --rebalance --competition \(slug)"))

        // Shortlist and results: every team hears, with its rank and the judges' feedback once published.
        _ = try await app.assignJudges(round: "screening", dryRun: false, rebalance: true, competition: slug, as: organizer)
        try await JudgingFixture.scoreEverything(setup, round: "screening")
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "screening", as: organizer)
        let shortlist = try outbox(test, event: "shortlist_published")
        #expect(shortlist.count == 4)
        #expect(shortlist.filter { $0.subject.hasSuffix("is in the shortlist") }.count == 2)
        try await JudgingFixture.scoreEverything(setup, round: "finals")
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "finals", as: organizer)
        #expect(try outbox(test, event: "results_published").isEmpty, "nothing is told before publication")
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "results", as: organizer)
        let results = try outbox(test, event: "results_published")
        #expect(results.count == 4)
        #expect(results.filter { $0.text.contains("is ranked") }.count == 2, "the two finalists have a final rank")
        #expect(results.allSatisfy { $0.text.contains("Feedback from judge") }, "screening sends feedback to teams")
    }

    @Test func turnedOffEventsWriteNothing() async throws {
        let test = try await TestApplication()
        let workflow = TestWorkflows.proposalsAndScreeningWithoutDeadline + "\nnotifications: {events: {proposal_received: false}}\n"
        try await test.competition(workflow: workflow)
        _ = try await test.application.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        _ = try await test.application.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        _ = try await test.application.submitProposal(
            ProposalInput(team: "Han River Movers", title: "T", abstract: "A", link: nil, tags: []), competition: "wysc-2026", as: organizer)
        #expect(try outbox(test).isEmpty)
    }

    /// registration (deadline, advances) → proposals (deadline, advances) → screening (deadline, tells the organizers) → closed.
    static let timed = """
        workflow: timed
        notifications:
          sender: "WYSC <wysc@wego.example.org>"
          organizers: ["Ana Kim <ana@wego.example.org>"]
          reminders: [72, 24]
        phases:
          - {id: registration, allows: [register_team], deadline: "2026-06-01T00:00:00Z", at_deadline: advance}
          - {id: proposals, allows: [submit_proposal], deadline: "2026-06-10T00:00:00Z", grace_minutes: 30, at_deadline: advance}
          - {id: screening, allows: [submit_score], deadline: "2026-06-20T00:00:00Z", at_deadline: notify}
          - {id: closed}
        transitions:
          - {from: registration, to: proposals, guards: [{min_teams: {count: 1}}]}
          - {from: proposals, to: screening, guards: [{min_proposals: {count: 1}}], actions: [{assign_judges: {round: screening}}]}
          - {from: screening, to: closed}
        team: {min_members: 1, max_members: 5}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        rounds:
          - {id: screening, reviews_per_proposal: 1, conflicts: {same_university: false, same_city: false}}
        """

    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func aBlockedDeadlineTellsTheOrganizersOncePerVisitAndIsTriedAgainEveryTick() async throws {
        let clock = TestClock(Self.at("2026-05-31T23:00:00Z"))
        let test = try await TestApplication(clock: clock)
        try await test.competition(workflow: Self.timed)
        let app = test.application
        #expect(try await app.schedulerTick().isEmpty, "nothing is due before the deadline")
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        clock.set(Self.at("2026-06-01T00:00:00Z"))
        #expect(try await app.schedulerTick().map(\.kind) == ["advanced"])

        // No proposal by the proposals deadline (and its grace): blocked, the organizers told once however often it is tried.
        clock.set(Self.at("2026-06-10T00:31:00Z"))
        let blocked = try await app.schedulerTick()
        #expect(blocked.map(\.kind) == ["blocked"])
        #expect(blocked[0].detail.contains("0 proposal(s) submitted, at least 1 needed"))
        for _ in 0..<3 {
            clock.advance(by: 3600)
            #expect(try await app.schedulerTick().map(\.kind) == ["blocked"], "tried again at every tick")
        }
        let told = try outbox(test, event: "phase_blocked")
        #expect(told.map(\.to) == ["ana@wego.example.org"])
        #expect(told[0].subject.contains("'proposals' could not advance at its deadline"))
        #expect(told[0].text.contains("0 proposal(s) submitted, at least 1 needed"))
        #expect(try await app.phaseStatus(competition: "wysc-2026").phase == "proposals")

        // An organizer goes back to registration: its deadline has passed, so the next tick advances again and meets
        // the same blockage on a new visit of the phase, which is news again.
        _ = try await app.reopenPhase(competition: "wysc-2026", phase: "registration", reason: "one more team", as: organizer)
        #expect(try await app.schedulerTick().map(\.kind) == ["advanced", "blocked"])
        #expect(try outbox(test, event: "phase_blocked").count == 2)
    }

    @Test func aPhaseAdvancesAtItsDeadlineOnceAcrossTwoServersAndRemindersGoOncePerLeadTime() async throws {
        let clock = TestClock(Self.at("2026-05-20T00:00:00Z"))
        let test = try await TestApplication(clock: clock)
        try await test.competition(workflow: Self.timed)
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준"]) + TestApplication.team("Seoul Sparks", members: ["이서연"], firstRow: 3),
            file: "t.csv", competition: "wysc-2026", as: organizer)
        _ = try await app.addJudges(
            [
                (
                    2,
                    JudgeInput(name: "Amina Yusuf", email: "amina@example.org", university: "", city: "", country: "", expertise: [], maxLoad: nil),
                    ""
                )
            ],
            file: "j.csv", competition: "wysc-2026", as: organizer)

        // A second server: its own pool and connections, the same database and time.
        let other = try await TestApplication(configuration: test.configuration, clock: clock)
        clock.set(Self.at("2026-06-01T00:00:00Z"))
        async let first = app.schedulerTick()
        async let second = other.application.schedulerTick()
        async let third = app.schedulerTick()
        let steps = try await first + second + third
        #expect(steps.filter { $0.kind == "advanced" }.count == 1, "\(steps)")
        let connection = try test.connect()
        let history = try connection.query("SELECT kind, from_phase, to_phase, actor FROM phase_transition ORDER BY id").rows.map {
            "\(try $0.decode("kind", as: String.self)) \(try $0.decode("from_phase", as: String.self))→\(try $0.decode("to_phase", as: String.self)) \(try $0.decode("actor", as: String.self))"
        }
        #expect(history == ["deadline registration→registration system", "advance registration→proposals system"])

        // The proposals deadline has 30 minutes' grace: the phase stays open through it, then advances and assigns.
        _ = try await app.submitProposal(
            ProposalInput(team: "Han River Movers", title: "Safer school routes", abstract: "A", link: nil, tags: []), competition: "wysc-2026",
            as: organizer)
        clock.set(Self.at("2026-06-10T00:20:00Z"))
        #expect(try await app.schedulerTick().isEmpty)
        clock.set(Self.at("2026-06-10T00:31:00Z"))
        async let a = app.schedulerTick()
        async let b = other.application.schedulerTick()
        let advanced = try await a + b
        #expect(advanced.filter { $0.kind == "advanced" }.map(\.detail).first?.contains("assigned 1 judges") == true)
        #expect(try await app.phaseStatus(competition: "wysc-2026").phase == "screening")
        #expect(try outbox(test, event: "judge_assigned").map(\.to) == ["amina@example.org"])

        // Reminders: the 72-hour one once, then the 24-hour one once, then the deadline tells the organizers.
        clock.set(Self.at("2026-06-16T00:00:00Z"))
        #expect(try await app.schedulerTick().isEmpty, "96 hours before: no reminder yet")
        clock.set(Self.at("2026-06-17T01:00:00Z"))
        async let r1 = app.schedulerTick()
        async let r2 = other.application.schedulerTick()
        _ = try await r1 + r2
        _ = try await app.schedulerTick()
        var reminders = try outbox(test, event: "reminder")
        #expect(reminders.count == 1)
        #expect(reminders[0].text.contains("Safer school routes") && reminders[0].text.contains("2026-06-20T00:00:00Z"))
        clock.set(Self.at("2026-06-19T01:00:00Z"))
        _ = try await app.schedulerTick()
        _ = try await other.application.schedulerTick()
        reminders = try outbox(test, event: "reminder")
        #expect(reminders.count == 2, "the 24-hour reminder, once")
        #expect(reminders[1].text.contains("in about 23 hours"))

        clock.set(Self.at("2026-06-20T00:00:01Z"))
        _ = try await app.schedulerTick()
        _ = try await other.application.schedulerTick()
        #expect(try outbox(test, event: "deadline_passed").map(\.to) == ["ana@wego.example.org"])
        #expect(try outbox(test, event: "reminder").count == 2, "no reminder after the deadline")
        #expect(try await app.phaseStatus(competition: "wysc-2026").phase == "screening", "notify only tells; the organizers move on")
        await other.application.close()
    }

    /// A transport that refuses its first `failures` messages, then records what it accepts.
    final class RecordingTransport: MailTransport, Sendable {
        let failures: Int
        let state = Mutex<(attempts: Int, accepted: [MailMessage])>((0, []))
        init(failures: Int = 0) { self.failures = failures }
        var accepted: [MailMessage] { state.withLock { $0.accepted } }
        func send(_ message: MailMessage) throws {
            try state.withLock { state in
                state.attempts += 1
                if state.attempts <= failures { throw WyscError(.failure, "relay refused: 451 try later") }
                state.accepted.append(message)
            }
        }
    }

    @Test func aFailingDeliveryIsRetriedWithBackoffThenMarkedFailedAndRetriedByAnOrganizer() async throws {
        let clock = TestClock(Self.at("2026-05-20T00:00:00Z"))
        let test = try await TestApplication(clock: clock)
        try await test.competition(workflow: Self.timed)
        let app = test.application
        try await app.addOrganizer(name: "Bo Lee", email: "bo@example.org", competition: "wysc-2026", as: organizer)
        clock.set(Self.at("2026-06-01T00:00:01Z"))
        _ = try await app.schedulerTick()  // blocked: one message to each of two organizers
        let refusing = RecordingTransport(failures: 100)
        var report = try await app.deliverNotifications(via: refusing, as: organizer)
        #expect(report.deferred.count == 2 && report.sent.isEmpty)
        #expect(try await app.deliverNotifications(via: refusing, as: organizer).deferred.isEmpty, "not due again before the backoff")
        for attempt in 2...MailDelivery.maxAttempts {
            clock.advance(by: MailDelivery.backoff(afterAttempt: attempt - 1) + 1)
            report = try await app.deliverNotifications(via: refusing, as: organizer)
        }
        #expect(report.failed.count == 2)
        let failed = try await app.notifications(competition: "wysc-2026", status: "failed", event: nil, as: organizer)
        #expect(failed.count == 2 && failed.allSatisfy { $0.lastError?.contains("451 try later") == true && $0.attempts == MailDelivery.maxAttempts })

        let judge = await #expect(throws: WyscError.self) {
            try await app.retryNotification(id: failed[0].id, competition: "wysc-2026", as: .judge(1))
        }
        #expect(judge?.kind == .permissionDenied)
        try await app.retryNotification(id: failed[0].id, competition: "wysc-2026", as: organizer)
        let working = RecordingTransport()
        #expect(try await app.deliverNotifications(via: working, as: organizer).sent == [failed[0].id])
        #expect(working.accepted.map(\.messageID) == ["wysc-notification-\(failed[0].id).wysc-2026@wego.example.org"])
        let sent = await #expect(throws: WyscError.self) {
            try await app.retryNotification(id: failed[0].id, competition: "wysc-2026", as: organizer)
        }
        #expect(sent?.message.contains("already sent") == true)
        #expect(try await app.deliverNotifications(via: working, as: organizer).sent.isEmpty, "a sent message is never sent again")
        let audit = try test.connect().query("SELECT count(*) AS n FROM audit_log WHERE action = 'notification.retry'").rows[0].decode(
            "n", as: Int.self)
        #expect(audit == 1)
    }

    @Test func twoSendersNeverSendOneMessageTwice() async throws {
        let setup = try await JudgingFixture.inScreening()
        let other = try await TestApplication(configuration: setup.test.configuration, clock: setup.test.clock)
        let total = try outbox(setup.test).count
        let one = RecordingTransport()
        let two = RecordingTransport()
        async let a = setup.application.deliverNotifications(via: one, as: organizer)
        async let b = other.application.deliverNotifications(via: two, as: organizer)
        let reports = try await [a, b]
        let ids = (one.accepted + two.accepted).map(\.messageID)
        #expect(ids.count == total && Set(ids).count == total)
        #expect(reports.map(\.sent.count).reduce(0, +) == total)
        await other.application.close()
    }

    @Test func onlyOrganizersReadTheOutbox() async throws {
        let setup = try await JudgingFixture.inScreening()
        for actor in [Actor.judge(setup.judges["amina@example.org"]!), .university(1)] {
            let denied = await #expect(throws: WyscError.self) {
                try await setup.application.notifications(competition: slug, status: nil, event: nil, as: actor)
            }
            #expect(denied?.kind == .permissionDenied)
            await #expect(throws: WyscError.self) { try await setup.application.schedulerTick(as: actor) }
            await #expect(throws: WyscError.self) {
                try await setup.application.addOrganizer(name: "X", email: "x@example.org", competition: slug, as: actor)
            }
        }
        let preview = try await setup.application.previewNotification(
            .resultsPublished, to: "이서연 <lee@example.org>", competition: slug, as: organizer)
        #expect(preview.text.contains("Dear 이서연,"))
        #expect(try outbox(setup.test, event: "results_published").isEmpty, "a preview writes nothing")
    }
}
