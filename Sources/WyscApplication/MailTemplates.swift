import Foundation
import Mustache
import WyscWorkflow

/// A notification's texts, rendered when it is written to the outbox, so that what
/// `wysc notify show` prints is what will be sent.
public struct RenderedMail: Sendable, Hashable {
    public var subject: String
    public var text: String
    public var html: String?
}

/// wysc's own wording of every notification, and its rendering with Mustache. A workflow may
/// replace the subject, the text or add an HTML part per event (`notifications.templates`).
/// Subject and text are plain text (nothing escaped); the HTML part escapes what it is given.
public enum MailTemplates {
    public struct Template: Sendable {
        public var subject: String
        public var text: String
    }

    /// What every template may use: `competition`, `slug`, `recipient`, `server` (when the workflow names one).
    public static func render(
        _ event: NotificationEvent, settings: NotificationSettings, values: [String: Any]
    ) -> RenderedMail {
        let override = settings.templates[event]
        let standard = standardTemplates[event]!
        var values = values
        if let server = settings.server { values["server"] = server }
        let subject = renderText(override?.subject ?? standard.subject, values)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        var text = renderText(override?.text ?? standard.text, values)
        if !text.hasSuffix("\n") { text += "\n" }
        let html = override?.html.map { renderHTML($0, values) }
        return RenderedMail(subject: subject, text: text, html: html)
    }

    static func renderText(_ template: String, _ values: [String: Any]) -> String {
        // The pragma makes {{name}} insert text as it is; the templates were checked when the workflow was loaded.
        guard let parsed = try? MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template) else { return template }
        return parsed.render(values)
    }

    static func renderHTML(_ template: String, _ values: [String: Any]) -> String {
        guard let parsed = try? MustacheTemplate(string: template) else { return template }
        return parsed.render(values)
    }

    static let signIn = """
        {{#server}}
        Sign in once with the personal token your organizers sent you:
            wysc login --server {{server}}
        {{/server}}
        {{^server}}
        Sign in once with the personal token and the server address your organizers sent you:
            wysc login --server ADDRESS
        {{/server}}
        """

    public static let standardTemplates: [NotificationEvent: Template] = [
        .judgeAssigned: Template(
            subject: "{{competition}}: {{count}} proposal(s) to review in {{round_title}}",
            text: """
                Dear {{recipient}},

                You are a judge of {{competition}}, round {{round_title}}. Your queue holds {{count}} proposal(s){{#new_count}}, {{new_count}} of them new{{/new_count}}:

                {{#proposals}}
                  #{{number}}  {{title}}
                {{/proposals}}
                {{#deadline}}

                Scorecards are due by {{deadline}}.
                {{/deadline}}

                \(signIn)
                Then:
                    wysc judge queue          # your proposals
                    wysc score --next         # read and score the next one

                If you know a team personally, declare the conflict before you score:
                    wysc judge conflict add --judge {{email}} --team TEAM --reason "..."

                Thank you for judging.
                """),
        .reminder: Template(
            subject: "{{competition}}: {{missing}} scorecard(s) due {{#deadline}}by {{deadline}}{{/deadline}}",
            text: """
                Dear {{recipient}},

                {{missing}} of your scorecard(s) for {{round_title}} are not submitted yet{{#deadline}}; the round closes at {{deadline}}{{#hours}} (in about {{hours}} hours){{/hours}}{{/deadline}}:

                {{#proposals}}
                  #{{number}}  {{title}}
                {{/proposals}}

                \(signIn)
                    wysc score --next

                Thank you.
                """),
        .conflictDeclared: Template(
            subject: "{{competition}}: {{judge}} declared a conflict with {{team}}",
            text: """
                Judge {{judge}} <{{judge_email}}> declared a conflict of interest with team {{team}}:

                    {{reason}}

                {{#assigned}}
                The judge is assigned to this team's proposal in round {{round}}. To give the proposal another
                judge, changing nothing else:
                    wysc assign --round {{round}} --rebalance --competition {{slug}}
                {{/assigned}}
                {{^assigned}}
                The judge is not assigned to this team's proposal; the next assignment will respect the conflict.
                {{/assigned}}
                """),
        .eligibilityDecided: Template(
            subject:
                "{{competition}}: {{#eligible}}{{team}} may submit a proposal{{/eligible}}{{^eligible}}{{team}} did not meet the participation rules{{/eligible}}",
            text: """
                Dear {{recipient}},

                {{#eligible}}
                Your team {{team}} met the participation rules of {{competition}} and may submit its project proposal.
                {{/eligible}}
                {{^eligible}}
                Your team {{team}} did not meet the participation rules of {{competition}}, so it cannot submit a proposal.
                {{/eligible}}
                {{#has_reasons}}

                Why:
                {{#reasons}}
                  - {{text}}
                {{/reasons}}
                {{/has_reasons}}

                Your university can follow the team's status with: wysc team status --team "{{team}}"
                """),
        .proposalReceived: Template(
            subject: "{{competition}}: proposal #{{number}} of {{team}} received (version {{version}})",
            text: """
                Dear {{recipient}},

                We received version {{version}} of your team's proposal #{{number}}, "{{title}}", at {{submitted_at}}.
                {{#has_files}}

                Files, with their SHA-256 (compare them with yours: sha256sum FILE):
                {{#files}}
                  {{name}}  {{size}}
                    {{sha256}}
                {{/files}}
                {{/has_files}}
                {{^has_files}}
                It carries no file.
                {{/has_files}}

                A later version replaces this one until the deadline; every version is kept.
                """),
        .shortlistPublished: Template(
            subject:
                "{{competition}}: {{#shortlisted}}{{team}} is in the shortlist{{/shortlisted}}{{^shortlisted}}{{team}} and the shortlist{{/shortlisted}}",
            text: """
                Dear {{recipient}},

                {{#shortlisted}}
                Congratulations: the proposal of {{team}} is in the shortlist for {{to_round}}.
                {{/shortlisted}}
                {{^shortlisted}}
                The judges of {{from_round}} have chosen the proposals that go on to {{to_round}} (at most {{size}}), and the proposal of {{team}} is not among them. Thank you for taking part.
                {{/shortlisted}}
                Ranks are published with the results.
                """),
        .resultsPublished: Template(
            subject: "{{competition}}: the results are published",
            text: """
                Dear {{recipient}},

                The results of {{competition}} are published.
                {{#rank}}
                {{team}} is ranked {{rank}} of {{ranked}} in {{round_title}}.
                {{/rank}}
                {{^rank}}
                {{team}} was not ranked in the final round{{#screening_rank}}; in {{screening_round}} it was ranked {{screening_rank}}{{/screening_rank}}.
                {{/rank}}
                {{#has_feedback}}

                The judges' feedback for your team (unsigned):
                {{#feedback}}

                  [{{round}}] {{text}}
                {{/feedback}}
                {{/has_feedback}}

                Your university sees the same with: wysc team status --team "{{team}}"
                """),
        .phaseBlocked: Template(
            subject: "{{competition}}: '{{phase}}' could not advance at its deadline",
            text: """
                The deadline of phase '{{phase}}' ({{phase_title}}) passed at {{deadline}}, and the workflow says to advance
                to '{{to}}' then. The transition's guards do not hold:

                {{#failures}}
                  - {{text}}
                {{/failures}}

                wysc tries again at every tick, and advances as soon as they hold. To look, or to go on anyway:
                    wysc phase check --competition {{slug}}
                    wysc phase advance --force --reason "..." --competition {{slug}}
                """),
        .deadlinePassed: Template(
            subject: "{{competition}}: the deadline of '{{phase}}' passed",
            text: """
                The deadline of phase '{{phase}}' ({{phase_title}}) passed at {{deadline}}. Late work is refused from now on.
                {{#next}}

                When you are ready to move on to '{{next}}':
                    wysc phase check --competition {{slug}}
                    wysc phase advance --competition {{slug}}
                {{/next}}
                """),
    ]
}
