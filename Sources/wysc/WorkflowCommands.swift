import ArgumentParser
import Foundation
import WyscApplication
import WyscWorkflow

struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Check and display workflow files (phases, transitions, rubric, rounds).",
        discussion: """
            Examples:
              wysc workflow validate Workflows/wysc.yaml
              wysc workflow show Workflows/wysc.yaml
              wysc workflow show Workflows/wysc.yaml --format dot | dot -Tpng > phases.png
            """,
        subcommands: [Validate.self, Show.self]
    )

    /// Reads and validates a file; every problem is reported with file, line and column (exit 65).
    static func load(_ path: String) throws -> WorkflowDefinition {
        let text = try InputFile.read(path)
        do {
            return try WorkflowLoader.load(text, file: path)
        } catch {
            let count = error.problems.count
            throw CommandFailure(
                message: "\(path) is not a valid workflow (\(count) problem\(count == 1 ? "" : "s")):\n" + error.description,
                exitCode: CommandFailure.badInput)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate", abstract: "Check a workflow file and report every problem with its line.")
        @Argument(help: "The workflow file (YAML).") var file: String

        func run() async throws {
            let definition = try WorkflowCommand.load(file)
            let counts: [String] = [
                WorkflowCommand.count(definition.phases.count, "phase"),
                WorkflowCommand.count(definition.transitions.count, "transition"),
                WorkflowCommand.count(definition.rubric.criteria.count, "criterion", plural: "criteria"),
                WorkflowCommand.count(definition.rounds.count, "round"),
            ]
            Terminal.success("\(file) is valid: \(counts.joined(separator: ", ")).")
        }
    }

    /// "1 round", "2 rounds".
    static func count(_ number: Int, _ singular: String, plural: String? = nil) -> String {
        "\(number) \(number == 1 ? singular : plural ?? singular + "s")"
    }

    struct Show: AsyncParsableCommand {
        enum GraphFormat: String, ExpressibleByArgument, CaseIterable { case text, dot }

        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the phase graph with its guards and actions.")
        @Argument(help: "The workflow file (YAML).") var file: String
        @Option(help: "text (default) or dot (Graphviz).") var format: GraphFormat = .text

        func run() async throws {
            let definition = try WorkflowCommand.load(file)
            if format == .dot { Terminal.output(WorkflowRendering.dot(definition)) } else { Terminal.outputText(WorkflowRendering.text(definition)) }
        }
    }
}

enum WorkflowRendering {
    static func describe(_ parameters: [String: ParameterValue]) -> String {
        guard !parameters.isEmpty else { return "" }
        let pairs = parameters.sorted { $0.key < $1.key }.map { key, value in
            switch value {
            case .integer(let number): "\(key)=\(number)"
            case .round(let round): "\(key)=\(round)"
            }
        }
        return "(" + pairs.joined(separator: ", ") + ")"
    }

    static func text(_ definition: WorkflowDefinition) -> String {
        var lines = ["\(definition.title) [\(definition.id)]", ""]
        for phase in definition.phases {
            let allows = phase.allows.isEmpty ? "" : "  allows: " + phase.allows.map(\.rawValue).joined(separator: ", ")
            let deadline = phase.deadline.map { "  deadline: \($0.rfc3339)" } ?? ""
            lines.append("\(phase.id): \(phase.title)\(allows)\(deadline)")
            for transition in definition.transitions where transition.from == phase.id {
                lines.append("  → \(transition.to)")
                for guardUse in transition.guards { lines.append("      guard  \(guardUse.kind.rawValue)\(describe(guardUse.parameters))") }
                for action in transition.actions { lines.append("      action \(action.kind.rawValue)\(describe(action.parameters))") }
            }
            if !definition.transitions.contains(where: { $0.from == phase.id }) { lines.append("  (terminal)") }
        }
        lines.append("")
        lines.append("Rubric (scale \(definition.rubric.scaleMin)–\(definition.rubric.scaleMax)):")
        for criterion in definition.rubric.criteria {
            lines.append("  \(criterion.id)  \(String(format: "%g", criterion.weight * 100))%  \(criterion.title)")
        }
        lines.append("Rounds:")
        for round in definition.rounds {
            var rules: [String] = ["\(round.reviewsPerProposal) reviews per proposal"]
            if round.blindReview { rules.append("blind") }
            if round.conflictSameUniversity { rules.append("conflict: same university") }
            if round.conflictSameCity { rules.append("conflict: same city") }
            lines.append("  \(round.id)  \(rules.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func dot(_ definition: WorkflowDefinition) -> String {
        func quote(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["digraph \(quote(definition.id)) {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for phase in definition.phases {
            lines.append("  \(quote(phase.id)) [label=\(quote(phase.id + "\\n" + phase.title))];")
        }
        for transition in definition.transitions {
            let label =
                (transition.guards.map { "[\($0.kind.rawValue)\(describe($0.parameters))]" }
                + transition.actions.map { "/ \($0.kind.rawValue)\(describe($0.parameters))" }).joined(separator: "\\n")
            lines.append("  \(quote(transition.from)) -> \(quote(transition.to)) [label=\(quote(label))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
