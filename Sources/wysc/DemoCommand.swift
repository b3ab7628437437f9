import ArgumentParser
import Foundation
import WyscApplication
import WyscDemo
import WyscWorkflow

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a whole demo competition: WeGO member cities, generated teams, every phase the engine can take.",
        discussion: """
            Creates a new competition (demo, demo-2, …) from Workflows/wysc.yaml (built into wysc), \
            with universities in real WeGO member cities and generated teams whose members have names \
            in many scripts, and walks it through the phases, printing what happens at each. With no \
            database configured it runs on the local PostgreSQL, which it starts itself.

            Examples:
              wysc demo
              wysc demo --seed 7 --teams 120
              wysc demo --workflow my-workflow.yaml --slug trial
            """
    )

    @Option(help: "Seed for the generated data: the same seed gives the same competition.") var seed: UInt64 = 2026
    @Option(help: "How many teams to generate.") var teams: Int = 60
    @Option(help: "The competition's slug (default: demo, or demo-2, demo-3 … if taken).") var slug: String?
    @Option(help: "A workflow file to use instead of the built-in Workflows/wysc.yaml.") var workflow: String?
    @OptionGroup var mail: MailOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...20_000).contains(teams) else { throw ValidationError("--teams must be between 1 and 20000") }
    }

    func run() async throws {
        var source = BuiltInWorkflows.wysc
        var file = "Workflows/wysc.yaml"
        if let workflow {
            source = try InputFile.read(workflow)
            _ = try WorkflowCommand.load(workflow)
            file = workflow
        }
        let plan = DemoPlan(seed: seed, teams: teams, slug: slug, workflowSource: source, workflowFile: file)
        let started = Date()
        let transport = try mail.transport()
        let (summary, outbox, delivery) = try await database.withApplication { application in
            let summary = try await application.runDemo(plan) { Terminal.message($0) }
            var delivery: DeliveryReport?
            if let transport { delivery = try await application.deliverNotifications(via: transport, competition: summary.slug, as: .system) }
            let outbox = try await application.notifications(competition: summary.slug, status: nil, event: nil, limit: 1_000_000, as: .system)
            return (summary, outbox, delivery)
        }
        var byEvent: [String: Int] = [:]
        for item in outbox { byEvent[item.event, default: 0] += 1 }
        let events = NotificationEvent.allCases.compactMap { event in byEvent[event.rawValue].map { "\($0) \(event.rawValue)" } }
        if let delivery {
            Terminal.message(
                "Mail: \(delivery.sent.count) notification(s) delivered through the mail command (\(events.joined(separator: ", ")))"
                    + (delivery.failed.isEmpty && delivery.deferred.isEmpty
                        ? "." : "; \(delivery.failed.count + delivery.deferred.count) not: wysc notify list --status pending"))
        } else {
            Terminal.message(
                "Mail is off (no --mail-command or WYSC_MAIL_COMMAND): \(outbox.count) notification(s) wait in the outbox (\(events.joined(separator: ", "))). See them: wysc notify list --competition \(summary.slug)"
            )
        }
        Terminal.success(
            "Demo competition '\(summary.slug)': \(summary.teams) teams, \(summary.members) members from \(summary.universities) universities; now in phase '\(summary.finalPhase)' (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)."
        )
        Terminal.message(
            "Look around: wysc team status --competition \(summary.slug) | wysc proposal show 1 --competition \(summary.slug) | wysc results feedback --competition \(summary.slug) | wysc audit --competition \(summary.slug)"
        )
    }
}
