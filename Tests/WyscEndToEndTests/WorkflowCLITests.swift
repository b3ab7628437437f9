import Foundation
import Testing
import WyscTestSupport

@Suite struct WorkflowCLITests {
    static let workflowFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Workflows/wysc.yaml").standardizedFileURL.path

    @Test func validatesTheCompetitionWorkflow() throws {
        let outcome = try WyscBinary.run(["workflow", "validate", Self.workflowFile])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("is valid: 8 phases, 7 transitions, 5 criteria, 2 rounds"))
    }

    @Test func anInvalidFileExits65WithEveryProblemAndItsLine() throws {
        let broken = try String(contentsOfFile: Self.workflowFile, encoding: .utf8)
            .replacingOccurrences(of: "- min_teams: {count: 1}", with: "- min_teams: {count: many}")
            .replacingOccurrences(of: "to: closed", with: "to: archive")
        let path = Scratch.url("broken-\(UUID().uuidString.prefix(6)).yaml").path
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try WyscBinary.run(["workflow", "validate", path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("\(path):35:"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("'count' in guard 'min_teams' must be a whole number"))
        #expect(outcome.stderr.contains("unknown phase 'archive'"))
        #expect(outcome.stdout.isEmpty)
    }

    @Test func aMissingFileOrADirectoryExits65() throws {
        let missing = try WyscBinary.run(["workflow", "validate", "/nonexistent/workflow.yaml"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("cannot read /nonexistent/workflow.yaml: no such file"))
        let directory = try WyscBinary.run(["workflow", "validate", "/tmp"])
        #expect(directory.status == 65)
        #expect(directory.stderr.contains("cannot read /tmp: it is a directory"))
    }

    @Test func showsThePhaseGraphAsTextAndGraphviz() throws {
        let text = try WyscBinary.run(["workflow", "show", Self.workflowFile])
        #expect(text.status == 0)
        #expect(text.stdout.contains("screening: Screening round"))
        #expect(text.stdout.contains("action shortlist(from=screening, size=20, to=finals)"))
        let dot = try WyscBinary.run(["workflow", "show", Self.workflowFile, "--format", "dot"])
        #expect(dot.stdout.hasPrefix("digraph \"wysc\" {"))
        #expect(dot.stdout.contains("\"results\" -> \"closed\""))
    }
}
