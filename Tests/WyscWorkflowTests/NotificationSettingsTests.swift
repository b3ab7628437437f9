import Foundation
import Testing
import WyscWorkflow

@Suite struct NotificationSettingsTests {
    func load(_ text: String) throws -> WorkflowDefinition { try WorkflowLoader.load(text, file: "test.yaml") }

    func problems(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch let error as WorkflowInvalid {
            return error.problems.map { "\($0.location?.description ?? "-"): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    static func workflow(phaseExtra: String = "", notifications: String = "") -> String {
        """
        workflow: timed
        phases:
          - {id: open, allows: [register_team], deadline: "2026-05-01T00:00:00Z"\(phaseExtra)}
          - {id: judging, allows: [submit_score], deadline: "2026-06-01T00:00:00Z", at_deadline: notify}
          - {id: closed}
        transitions:
          - {from: open, to: judging}
          - {from: judging, to: closed}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        rounds:
          - {id: main, reviews_per_proposal: 1, phase: judging}
        \(notifications)
        """
    }

    @Test func theNotificationsSectionIsReadWithItsDefaults() throws {
        let plain = try load(Self.workflow())
        #expect(plain.notifications == .standard)
        #expect(NotificationEvent.allCases.allSatisfy(plain.notifications.isOn), "every event is on when the workflow says nothing")
        #expect(plain.phase("judging")?.atDeadline == .notify)
        #expect(plain.phase("open")?.atDeadline == nil)

        let settings = try load(
            Self.workflow(
                phaseExtra: ", at_deadline: advance",
                notifications: """
                    notifications:
                      sender: "WYSC Secretariat <wysc@wego.example.org>"
                      reply_to: help@wego.example.org
                      server: https://wysc.example.org
                      organizers: ["김민준 <minjun@example.org>", ana@example.org]
                      reminders: [48, 6]
                      events: {proposal_received: false, reminder: true}
                      templates:
                        judge_assigned:
                          subject: "{{count}} to review"
                          html: "<p>Dear {{recipient}}</p>"
                    """)
        ).notifications
        #expect(settings.sender == MailAddress(name: "WYSC Secretariat", email: "wysc@wego.example.org"))
        #expect(settings.replyTo == MailAddress(name: nil, email: "help@wego.example.org"))
        #expect(settings.server == "https://wysc.example.org")
        #expect(settings.organizers.map(\.email) == ["minjun@example.org", "ana@example.org"])
        #expect(settings.organizers[0].name == "김민준")
        #expect(settings.reminderHours == [48, 6])
        #expect(!settings.isOn(.proposalReceived) && settings.isOn(.reminder) && settings.isOn(.judgeAssigned))
        #expect(
            settings.templates[.judgeAssigned] == MailTemplateOverride(subject: "{{count}} to review", text: nil, html: "<p>Dear {{recipient}}</p>"))
    }

    @Test func mistakesAreNamedWithTheirLine() {
        let later = problems(Self.workflow(phaseExtra: ", at_deadline: later"))
        #expect(
            later.count == 1 && later[0].hasPrefix("3:") && later[0].hasSuffix(": at_deadline of phase 'open' must be advance or notify, not 'later'")
        )
        let noDeadline = Self.workflow().replacingOccurrences(of: #"{id: closed}"#, with: #"{id: closed, at_deadline: notify}"#)
        #expect(problems(noDeadline).contains { $0.hasSuffix("phase 'closed' has at_deadline but no deadline") })
        let branching = Self.workflow(phaseExtra: ", at_deadline: advance").replacingOccurrences(
            of: "  - {from: open, to: judging}", with: "  - {from: open, to: judging}\n  - {from: open, to: closed}")
        #expect(
            problems(branching).contains {
                $0.hasSuffix("phase 'open' advances at its deadline, so it needs exactly one transition out of it, not 2")
            })
        let bad = problems(
            Self.workflow(
                notifications: """
                    notifications:
                      sender: "nobody"
                      server: ftp://x
                      reminders: [0, 24, 24]
                      events: {judge_asigned: false}
                      templates:
                        reminder: {subject: "{{#open}} never closed"}
                    """))
        #expect(bad.contains { $0.contains("'nobody' in notifications is not a mail address") })
        #expect(bad.contains { $0.contains("'server' in notifications must be the http(s) URL") })
        #expect(bad.contains { $0.contains("a reminder is a whole number of hours before the deadline, 1 to 2160, not '0'") })
        #expect(bad.contains { $0.contains("the reminder 24 hours before the deadline appears twice") })
        #expect(bad.contains { $0.contains("unknown field 'judge_asigned'") })
        #expect(bad.contains { $0.contains("the template does not parse") })
        #expect(bad.allSatisfy { $0.first?.isNumber == true }, "every problem has its line: \(bad)")
    }

    @Test func theReminderDueIsTheShortestLeadReachedBeforeTheDeadline() {
        let deadline = Date(timeIntervalSince1970: 1_800_000_000)
        func due(hoursBefore: Double) -> Int? {
            ReminderSchedule.due(leadHours: [72, 24], deadline: deadline, now: deadline.addingTimeInterval(-hoursBefore * 3600))
        }
        #expect(due(hoursBefore: 100) == nil)
        #expect(due(hoursBefore: 72) == 72)
        #expect(due(hoursBefore: 30) == 72)
        #expect(due(hoursBefore: 24) == 24, "a server down through the 72-hour moment sends the 24-hour reminder, not both")
        #expect(due(hoursBefore: 1) == 24)
        #expect(due(hoursBefore: 0) == nil, "after the deadline there is nothing to remind of")
        #expect(ReminderSchedule.due(leadHours: [], deadline: deadline, now: deadline.addingTimeInterval(-60)) == nil)
    }

    @Test func mailAddressesParse() {
        #expect(MailAddress(parsing: "Ana Kim <ana@example.org>") == MailAddress(name: "Ana Kim", email: "ana@example.org"))
        #expect(MailAddress(parsing: "\"Kim, Ana\" <ana@example.org>")?.name == "Kim, Ana")
        #expect(MailAddress(parsing: "ana@example.org") == MailAddress(name: nil, email: "ana@example.org"))
        #expect(MailAddress(parsing: "wysc@localhost") != nil)
        for wrong in [
            "ana", "ana@", "a,b@example.org", "@example.org", "a b@example.org", "Ana <ana@example.org", "ana@example.org>, bob@example.org",
            "ana@.org",
        ] {
            #expect(MailAddress(parsing: wrong) == nil, "\(wrong)")
        }
    }

    @Test func anEmailAddressIsOneAtWithADottedDomainAndNothingThatBreaksAHeader() {
        for address in ["ana@example.org", "김민준@대학교.kr", "a.b+tag@sub.example.org", "wysc@localhost", "o'neil@example.ie"] {
            #expect(MailAddress.isAddress(address), "\(address)")
        }
        for wrong in [
            "", "ana", "@example.org", "ana@", "ana@example", "ana@.example.org", "ana@example.org.", "a@b@example.org", "a b@example.org",
            "ana@example.org\r\nBcc: x@example.org", "a\tb@example.org", "a\u{A0}b@example.org", "a\u{85}b@example.org", "<a@example.org>",
            "a,b@example.org", "a;b@example.org", "a:b@example.org", "\"a\"@example.org", "a\\b@example.org", "a(b)@example.org",
            "a[b]@example.org", "a\u{7F}@example.org", "a b@localhost", String(repeating: "a", count: 250) + "@example.org",
        ] {
            #expect(!MailAddress.isAddress(wrong), "\(wrong)")
        }
        // The limit counts characters, not bytes.
        #expect(MailAddress.isAddress(String(repeating: "김", count: 100) + "@example.org"))
    }
}
