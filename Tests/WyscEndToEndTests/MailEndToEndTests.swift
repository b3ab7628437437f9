import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Notifications leave through msmtp to a real SMTP server on loopback; the sink's Maildir is read
/// back with Python's email package, as a mail reader would.
@Suite struct MailEndToEndTests {
    struct Listed: Decodable {
        var id: Int
        var event: String
        var to: String
        var status: String
    }

    /// A new, migrated database.
    func database(_ label: String) throws -> String {
        let url = try TestDatabase.create(label: label).connectionString!
        let migrated = try WyscBinary.run(["db", "migrate", "--database-url", url])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        return url
    }

    func outbox(_ url: String) throws -> [Listed] {
        let listed = try WyscBinary.run(["notify", "list", "--competition", "demo", "--format", "json", "--database-url", url])
        #expect(listed.status == 0, "\(listed.stderr)")
        return try JSONDecoder().decode([Listed].self, from: Data(listed.stdout.utf8))
    }

    @Test func theDemoDeliversOneMessagePerNotificationThroughMsmtp() throws {
        let sink = try SMTPSink()
        let url = try database("mail")
        let demo = try WyscBinary.run(["demo", "--teams", "6", "--mail-command", sink.mailCommand, "--database-url", url])
        #expect(demo.status == 0, "\(demo.stderr)")
        let outbox = try outbox(url)
        #expect(demo.stderr.contains("Mail: \(outbox.count) notification(s) delivered through the mail command"), "\(demo.stderr)")
        #expect(outbox.allSatisfy { $0.status == "sent" })
        for event in [
            "judge_assigned", "reminder", "conflict_declared", "eligibility_decided", "proposal_received", "shortlist_published", "results_published",
        ] {
            #expect(outbox.contains { $0.event == event }, "the demo writes \(event)")
        }

        let received = try sink.messages()
        #expect(received.count == outbox.count, "one message per notification")
        #expect(Set(received.map(\.notification)) == Set(outbox.map(\.id)))
        #expect(Set(received.map(\.messageID)).count == received.count)
        for message in received {
            #expect(message.messageID == "<wysc-notification-\(message.notification).demo@localhost>")
            #expect(message.from == "wysc <wysc@localhost>")
            #expect(message.contentType == "text/plain")
            #expect(message.raw.contains("Content-Type: text/plain; charset=UTF-8"))
            #expect(message.raw.contains("Auto-Submitted: auto-generated"))
            let listed = outbox.first { $0.id == message.notification }
            #expect(listed?.event == message.event)
            #expect(listed?.to == message.to, "the recipient as decoded is the one stored")
        }
        // Names in Korean, Chinese, Spanish: encoded in the headers, whole in the body.
        let korean = try #require(received.first { $0.to.hasPrefix("이서연 <") || $0.to.hasPrefix("김민준 <") || $0.to.hasPrefix("박지호 <") })
        let name = String(korean.to.prefix { $0 != " " })
        #expect(korean.text.hasPrefix("Dear \(name),"))
        #expect(korean.raw.contains("To: =?UTF-8?B?"), "a non-ASCII name travels as an RFC 2047 encoded word")
        #expect(!korean.raw.contains(name), "no raw UTF-8 in the headers or the quoted-printable body")
        let judge = try #require(received.first { $0.event == "judge_assigned" })
        #expect(judge.subject.contains("proposal(s) to review in"))
        #expect(judge.text.contains("wysc score --next"))
        let conflict = try #require(received.first { $0.event == "conflict_declared" })
        #expect(conflict.to == "WeGO Secretariat <secretariat@wego.example.org>")
        let results = received.filter { $0.event == "results_published" }
        #expect(
            results.count == 6
                && results.allSatisfy { $0.text.contains("The results of World Youth Smart City Innovation Competition are published.") })
        let receipt = try #require(received.first { $0.event == "proposal_received" })
        #expect(receipt.text.range(of: #"[0-9a-f]{64}"#, options: .regularExpression) != nil, "the receipt carries each file's SHA-256")

        // Sending again sends nothing: what was recorded sent is never repeated.
        let again = try WyscBinary.run(["notify", "send", "--mail-command", sink.mailCommand, "--database-url", url])
        #expect(again.status == 0 && again.stderr.contains("0 sent."), "\(again.stderr)")
        #expect(sink.count == received.count)
    }

    @Test func aSenderKilledMidBatchDeliversTheRestAndRepeatsNothingItHadRecorded() throws {
        let sink = try SMTPSink()
        let url = try database("mailkill")
        let demo = try WyscBinary.run(["demo", "--teams", "6", "--database-url", url])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stderr.contains("Mail is off (no --mail-command or WYSC_MAIL_COMMAND)"))
        let total = try outbox(url).count
        #expect(total > 20)

        // A slow relay, so the kill lands in the middle of the batch.
        let slow = sink.directory.appendingPathComponent("slow-mail").path
        try "#!/bin/sh\nsleep 0.25\nexec \(sink.mailCommand) \"$@\"\n".write(toFile: slow, atomically: true, encoding: .utf8)
        chmod(slow, 0o755)
        let log = sink.directory.appendingPathComponent("send.log").path
        let pid = try ChildProcess.start(
            WyscBinary.path, ["notify", "send", "--mail-command", slow, "--database-url", url], environment: WyscBinary.environment(),
            stdoutPath: log,
            stderrPath: log)
        // Watched on this thread, not with Task.sleep: a busy cooperative pool could wake the test too late.
        let deadline = Date().addingTimeInterval(60)
        while sink.count < 8 && Date() < deadline { usleep(10_000) }
        kill(pid, SIGKILL)
        #expect(try ChildProcess.wait(pid) == 128 + SIGKILL)
        let recordedSent = Set(try outbox(url).filter { $0.status == "sent" }.map(\.id))
        #expect(recordedSent.count >= 7 && recordedSent.count < total, "killed mid-batch: \(recordedSent.count) of \(total)")

        let resumed = try WyscBinary.run(["notify", "send", "--mail-command", sink.mailCommand, "--database-url", url])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try outbox(url).allSatisfy { $0.status == "sent" }, "every pending message was delivered")
        let received = try sink.messages()
        var copies: [Int: Int] = [:]
        for message in received { copies[message.notification, default: 0] += 1 }
        #expect(copies.count == total, "every notification arrived")
        for id in recordedSent { #expect(copies[id] == 1, "notification #\(id) was recorded sent before the kill: never repeated") }
        #expect(received.count <= total + 1, "at most the one message in flight at the kill went twice")
    }

    @Test func twoSchedulersFireADeadlineOnce() async throws {
        let url = try database("tick")
        let workflow = Scratch.url("wysc-tick-\(UUID().uuidString).yaml").path
        try """
        workflow: ticking
        notifications: {organizers: ["Ana Kim <ana@example.org>"]}
        phases:
          - {id: registration, allows: [register_team], deadline: "2026-01-01T00:00:00Z", at_deadline: advance}
          - {id: proposals, allows: [submit_proposal], deadline: "2026-02-01T00:00:00Z", at_deadline: notify}
          - {id: closed}
        transitions:
          - {from: registration, to: proposals}
          - {from: proposals, to: closed}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        """.write(toFile: workflow, atomically: true, encoding: .utf8)
        let created = try WyscBinary.run(["competition", "create", "ticking", "--workflow", workflow, "--database-url", url])
        #expect(created.status == 0, "\(created.stderr)")

        let outcomes = try await withThrowingTaskGroup(of: WyscBinary.Outcome.self) { group in
            for _ in 0..<4 {
                group.addTask { try await runBlocking { try WyscBinary.run(["phase", "tick", "--format", "json", "--database-url", url]) } }
            }
            var outcomes: [WyscBinary.Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.allSatisfy { $0.status == 0 }, "\(outcomes.map(\.stderr))")
        let history = try WyscBinary.run(["phase", "history", "--competition", "ticking", "--format", "json", "--database-url", url])
        struct Step: Decodable {
            var from: String
            var to: String
            var kind: String
            var actor: String
        }
        let steps = try JSONDecoder().decode([Step].self, from: Data(history.stdout.utf8))
        #expect(
            steps.map { "\($0.kind) \($0.from)→\($0.to) \($0.actor)" } == [
                "deadline registration→registration system", "advance registration→proposals system", "deadline proposals→proposals system",
            ], "four schedulers at once fired each deadline once")
        let told = try WyscBinary.run([
            "notify", "list", "--competition", "ticking", "--event", "deadline_passed", "--format", "json", "--database-url", url,
        ])
        #expect(try JSONDecoder().decode([Listed].self, from: Data(told.stdout.utf8)).map(\.to) == ["Ana Kim <ana@example.org>"])
        let quiet = try WyscBinary.run(["phase", "tick", "--database-url", url])
        #expect(quiet.status == 0 && quiet.stderr.contains("Nothing was due."), "\(quiet.stderr)")
    }

    @Test func wyscServeActsOnDeadlinesAndDeliversByItself() async throws {
        let sink = try SMTPSink()
        let url = try database("serve")
        let workflow = Scratch.url("wysc-serve-\(UUID().uuidString).yaml").path
        try """
        workflow: served
        notifications: {sender: "WYSC <wysc@wego.example.org>", organizers: ["Ana Kim <ana@example.org>"]}
        phases:
          - {id: open, allows: [register_team], deadline: "2026-01-01T00:00:00Z", at_deadline: notify}
          - {id: closed}
        transitions:
          - {from: open, to: closed}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        """.write(toFile: workflow, atomically: true, encoding: .utf8)
        #expect(try WyscBinary.run(["competition", "create", "served", "--workflow", workflow, "--database-url", url]).status == 0)
        let server = try ServerProcess(["--scheduler-interval", "1", "--mail-command", sink.mailCommand, "--database-url", url])
        for _ in 0..<200 where sink.count == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try server.stop() == 0)
        let received = try sink.messages()
        #expect(received.map(\.event) == ["deadline_passed"], "\(server.log)")
        #expect(received.first?.to == "Ana Kim <ana@example.org>")
        #expect(received.first?.subject == "served: the deadline of 'open' passed")
        #expect(received.first?.messageID.hasSuffix(".served@wego.example.org>") == true)
    }
}
