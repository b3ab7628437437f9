import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

/// How notifications leave: a sendmail-compatible command. Off until given.
struct MailOptions: ParsableArguments {
    @Option(
        name: .customLong("mail-command"),
        help: ArgumentHelp(
            "A sendmail-compatible command that delivers one message from its standard input (also WYSC_MAIL_COMMAND), e.g. 'msmtp -t' or '/usr/sbin/sendmail -t -i'.",
            valueName: "command"))
    var command: String?

    var configured: String? {
        if let command, !command.trimmingCharacters(in: .whitespaces).isEmpty { return command }
        let environment = ProcessEnvironment.values["WYSC_MAIL_COMMAND"] ?? ""
        return environment.trimmingCharacters(in: .whitespaces).isEmpty ? nil : environment
    }

    func transport() throws -> SendmailTransport? {
        try configured.map { try SendmailTransport(command: $0) }
    }
}

extension NotificationEvent: ExpressibleByArgument {}

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "The notification outbox: what judges, teams and organizers are told by mail (organizers).",
        discussion: """
            Every event someone should hear about (judge assigned, reminder, conflict declared, eligibility, \
            proposal received, shortlist, results, a phase blocked or a deadline passed at its deadline) is \
            written to the outbox in the same transaction as the change. wysc serve delivers it when given \
            --mail-command (or WYSC_MAIL_COMMAND); until then nothing is lost: messages wait, pending.

            Examples:
              wysc notify list --status pending
              wysc notify list --event reminder --format json
              wysc notify show 12                              # the whole message (--raw: as handed to the mail command)
              wysc notify preview judge_assigned --to "Ana Kim <ana@example.org>"
              wysc notify send --dry-run                       # what would go now
              WYSC_MAIL_COMMAND="msmtp -t" wysc notify send
              wysc notify retry 12                             # a failed one, again
              wysc notify remind --round screening             # nudge judges with missing scorecards now
            """,
        subcommands: [List.self, Show.self, Preview.self, Send.self, Retry.self, Remind.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The competition's notifications, oldest first.")
        @Option(help: "Only pending, sent or failed ones.") var status: String?
        @Option(help: ArgumentHelp("Only this event (\(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "event"))
        var event: NotificationEvent?
        @Option(help: "At most this many.") var limit = 1_000
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let list = try await database.withApplication { application in
                try await application.notifications(
                    competition: try await competition.resolve(application), status: status, event: event, limit: limit, as: DirectModeActor.current)
            }
            let table = DataTable(
                columns: ["id", "event", "to", "subject", "status", "attempts", "created", "sent", "error"],
                rows: list.map { item in
                    [
                        .integer(item.id), .text(item.event), .text(item.recipient), .text(item.subject), .text(item.status), .integer(item.attempts),
                        .text(item.createdAt.rfc3339), item.sentAt.map { .text($0.rfc3339) } ?? .null, item.lastError.map(Cell.text) ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "One notification: its state, then the whole message.")
        @Argument(help: "The notification's id (from wysc notify list).") var id: Int
        @Flag(help: "The message exactly as it is handed to the mail command (encoded headers, quoted-printable body).") var raw = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let (summary, message) = try await database.withApplication { application in
                try await application.notificationMessage(
                    id: id, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            var state = "# notification #\(summary.id): \(summary.event), \(summary.status), \(summary.attempts) attempt(s)"
            if let sent = summary.sentAt { state += ", sent \(sent.rfc3339)" }
            if let error = summary.lastError { state += "\n# last error: \(error)" }
            Terminal.message(state)
            Terminal.outputText(raw ? message.rendered() : message.readable())
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preview",
            abstract: "Render an event's message for someone, with example values, without writing or sending anything.")
        @Argument(help: ArgumentHelp("The event (\(NotificationEvent.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "event"))
        var event: NotificationEvent
        @Option(help: ArgumentHelp("The recipient: 'Name <address>' or an address.", valueName: "address")) var to: String
        @Flag(help: "The message exactly as it would be handed to the mail command.") var raw = false
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let message = try await database.withApplication { application in
                try await application.previewNotification(
                    event, to: to, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.outputText(raw ? message.rendered() : message.readable())
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Deliver the pending notifications that are due now, through the mail command.",
            discussion: """
                Each message is handed to the mail command and recorded sent in one transaction, so two \
                senders never send one message twice, and a sender stopped mid-batch leaves the rest pending. \
                A message the mail command refuses is tried again later (1, 2, 4, … minutes), then marked \
                failed after \(MailDelivery.maxAttempts) attempts (wysc notify list --status failed; wysc notify retry ID).
                """)
        @Flag(name: .customLong("dry-run"), help: "List what would be sent now; send nothing.") var dryRun = false
        @Option(help: "At most this many messages.") var limit: Int?
        @Option(help: ArgumentHelp("Only this competition's (default: every competition's).", valueName: "slug")) var competition: String?
        @OptionGroup var mail: MailOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            if dryRun {
                let due = try await database.withApplication { application in
                    try await application.dueNotifications(competition: competition, as: DirectModeActor.current)
                }
                Terminal.output(
                    DataTable(
                        columns: ["id", "event", "to", "subject"],
                        rows: due.prefix(limit ?? .max).map { [.integer($0.id), .text($0.event), .text($0.recipient), .text($0.subject)] }
                    ).render(output.format))
                Terminal.message("\(min(due.count, limit ?? .max)) notification(s) would be sent now; nothing was sent.")
                return
            }
            guard let transport = try mail.transport() else {
                throw CommandFailure(
                    message:
                        "sending is off: give --mail-command (or WYSC_MAIL_COMMAND), e.g. --mail-command 'msmtp -t'. The notifications wait in the outbox.",
                    exitCode: CommandFailure.usage)
            }
            let report = try await database.withApplication { application in
                try await application.deliverNotifications(
                    via: transport, competition: competition, limit: limit ?? .max, as: DirectModeActor.current)
            }
            var summary = "\(report.sent.count) sent"
            if !report.deferred.isEmpty { summary += ", \(report.deferred.count) to try again later" }
            if !report.failed.isEmpty { summary += ", \(report.failed.count) failed for good (wysc notify list --status failed)" }
            if let error = report.lastError { summary += "\nlast error: \(error)" }
            Terminal.message(summary + ".")
            if !report.failed.isEmpty || !report.deferred.isEmpty { throw ExitCode(CommandFailure.unavailable) }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Make a failed notification due again now (audited).")
        @Argument(help: "The notification's id.") var id: Int
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { application in
                try await application.retryNotification(id: id, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("notification #\(id) is pending again; wysc notify send (or wysc serve) delivers it.")
        }
    }

    struct Remind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remind",
            abstract: "Remind every judge with missing scorecards in a round, now (the scheduler also reminds before the deadline).")
        @Option(help: "The round (default: the first).") var round: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let count = try await database.withApplication { application in
                try await application.remindJudges(round: round, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success(count == 0 ? "no judge has a missing scorecard: nobody was reminded." : "\(count) judge(s) will be reminded.")
        }
    }
}

struct OrganizerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organizer",
        abstract: "The organizers told of conflicts, blocked phases and passed deadlines (besides the workflow's).",
        discussion: """
            Examples:
              wysc organizer add "Ana Kim" --email ana@example.org
              wysc organizer list
              wysc organizer remove ana@example.org
            """,
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an organizer to the competition (audited).")
        @Argument(help: "Their name.") var name: String
        @Option(help: "Their email address.") var email: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { application in
                try await application.addOrganizer(
                    name: name, email: email, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("\(name) <\(email)> is an organizer now.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every organizer who is told what concerns organizers.")
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let list = try await database.withApplication { application in
                try await application.organizers(competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.output(
                DataTable(columns: ["name", "email", "from"], rows: list.map { [.text($0.name), .text($0.email), .text($0.source)] })
                    .render(output.format))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove an organizer added with wysc organizer add (audited).")
        @Argument(help: "Their email address.") var email: String
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { application in
                try await application.removeOrganizer(
                    email: email, competition: try await competition.resolve(application), as: DirectModeActor.current)
            }
            Terminal.success("\(email) is no longer an organizer.")
        }
    }
}
