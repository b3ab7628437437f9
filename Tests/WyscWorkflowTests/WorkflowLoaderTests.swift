import Foundation
import Testing
import WyscWorkflow

@Suite struct WorkflowLoaderTests {
    static let valid = """
        workflow: mini
        title: Mini
        phases:
          - id: open
            allows: [register_team]
            deadline: 2026-05-01T00:00:00Z
          - id: judging
            allows: [submit_score]
            deadline: 2026-06-01T00:00:00Z
          - id: closed
        transitions:
          - from: open
            to: judging
            guards:
              - min_teams: {count: 2}
            actions:
              - assign_judges: {round: main}
          - from: judging
            to: closed
        team: {min_members: 2, max_members: 4}
        rubric:
          scale: {min: 1, max: 10}
          criteria:
            - {id: idea, title: Idea, weight: 0.5}
            - {id: plan, title: Plan, weight: 0.5}
        rounds:
          - {id: main, reviews_per_proposal: 2, phase: judging}
        """

    /// The problems found in `text`, as "line:column: message".
    func problems(_ text: String) -> [String] {
        do {
            _ = try WorkflowLoader.load(text, file: "test.yaml")
            return []
        } catch {
            return error.problems.map { "\($0.location?.description ?? "-"): \($0.message)" }
        }
    }

    func expectProblem(_ text: String, line: Int, containing fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let found = problems(text)
        #expect(found.contains { $0.hasPrefix("\(line):") && $0.contains(fragment) }, "got \(found)", sourceLocation: sourceLocation)
    }

    func replacing(_ old: String, with new: String) -> String {
        precondition(Self.valid.contains(old), "fixture lacks \(old)")
        return Self.valid.replacingOccurrences(of: old, with: new)
    }

    @Test func theCompetitionWorkflowIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/wysc.yaml")
        let definition = try WorkflowLoader.load(String(contentsOf: url, encoding: .utf8), file: "wysc.yaml")
        #expect(definition.phases.map(\.id) == ["registration", "lectures", "workshops", "proposals", "screening", "finals", "results", "closed"])
        #expect(definition.terminalPhases.map(\.id) == ["closed"])
        #expect(definition.team.maxAge == 35)
        #expect(definition.rounds.map(\.reviewsPerProposal) == [3, 5])
        let shortlist = definition.transitions.flatMap(\.actions).first { $0.kind == .shortlist }
        #expect(shortlist?.parameters["size"] == .integer(20))
    }

    @Test func aValidFileLoadsEverything() throws {
        let definition = try WorkflowLoader.load(Self.valid, file: "mini.yaml")
        #expect(definition.phases.count == 3)
        #expect(definition.phase("open")?.allows == [.registerTeam])
        #expect(definition.transitions[0].guards.map(\.kind) == [.minTeams])
        #expect(definition.transitions[0].guards[0].parameters == ["count": .integer(2)])
        #expect(definition.rubric.criteria.map(\.weight) == [0.5, 0.5])
    }

    /// A round's lower bound on loads: read when given, refused above the round's max_load.
    @Test func aRoundsMinimumLoad() throws {
        let given = try WorkflowLoader.load(
            replacing("reviews_per_proposal: 2, phase: judging}", with: "reviews_per_proposal: 2, phase: judging, min_load: 0}"), file: "t.yaml")
        #expect(given.rounds[0].minLoad == 0)
        #expect(try WorkflowLoader.load(Self.valid, file: "t.yaml").rounds[0].minLoad == nil)
        expectProblem(
            replacing("reviews_per_proposal: 2, phase: judging}", with: "reviews_per_proposal: 2, phase: judging, max_load: 4, min_load: 5}"),
            line: 27, containing: "'min_load' in round 'main' is 5, more than its 'max_load' of 4")
    }

    @Test func malformedYAML() {
        expectProblem("workflow: x\nphases: [a, b\n", line: 3, containing: "malformed YAML")
    }

    @Test func transitionToAnUnknownPhase() {
        expectProblem(
            replacing("  - from: judging\n    to: closed", with: "  - from: judging\n    to: clsoed"), line: 19, containing: "unknown phase 'clsoed'")
    }

    @Test func unreachablePhase() {
        expectProblem(replacing("  - id: closed", with: "  - id: closed\n  - id: limbo"), line: 11, containing: "'limbo' is unreachable")
    }

    @Test func noTerminalPhase() {
        let looping = replacing("  - from: judging\n    to: closed", with: "  - from: judging\n    to: closed\n  - from: closed\n    to: open")
        #expect(problems(looping).contains { $0.contains("no terminal phase") })
    }

    @Test func duplicateIDs() {
        expectProblem(replacing("  - id: closed", with: "  - id: open"), line: 10, containing: "duplicate phase id 'open'")
        expectProblem(replacing("{id: plan, title: Plan", with: "{id: idea, title: Plan"), line: 25, containing: "duplicate criterion id 'idea'")
    }

    @Test func unknownGuardActionAndOperation() {
        expectProblem(replacing("min_teams: {count: 2}", with: "min_team: {count: 2}"), line: 15, containing: "unknown guard 'min_team'")
        expectProblem(
            replacing("assign_judges: {round: main}", with: "assign_judge: {round: main}"), line: 17, containing: "unknown action 'assign_judge'")
        expectProblem(
            replacing("allows: [register_team]", with: "allows: [register_teams]"), line: 5, containing: "unknown operation 'register_teams'")
    }

    @Test func parametersOfTheWrongTypeOrOutOfRange() {
        expectProblem(replacing("{count: 2}", with: "{count: two}"), line: 15, containing: "'count' in guard 'min_teams' must be a whole number")
        expectProblem(replacing("{count: 2}", with: "{count: -1}"), line: 15, containing: "must be between 0 and 1000000")
        expectProblem(replacing("{round: main}", with: "{round: mian}"), line: 17, containing: "unknown round 'mian'")
        expectProblem(replacing("{count: 2}", with: "{cnt: 2}"), line: 15, containing: "unknown field 'cnt'")
        expectProblem(replacing("- min_teams: {count: 2}", with: "- min_teams"), line: 15, containing: "needs the parameter 'count'")
    }

    @Test func weightsThatDoNotAddUp() {
        expectProblem(
            replacing("weight: 0.5}\n    - {id: plan, title: Plan, weight: 0.5}", with: "weight: 0.5}\n    - {id: plan, title: Plan, weight: 0.4}"),
            line: 24, containing: "add up to 0.9, not 1")
        #expect(
            problems(
                replacing(
                    "weight: 0.5}\n    - {id: plan, title: Plan, weight: 0.5}", with: "weight: 50%}\n    - {id: plan, title: Plan, weight: 50%}")
            ).isEmpty)
    }

    @Test func aScaleWhoseMinIsNotBelowItsMax() {
        expectProblem(
            replacing("scale: {min: 1, max: 10}", with: "scale: {min: 10, max: 10}"), line: 22, containing: "min (10) must be below its max (10)")
    }

    @Test func deadlinesOutOfOrder() {
        expectProblem(
            replacing("2026-06-01T00:00:00Z", with: "2026-04-01T00:00:00Z"), line: 7,
            containing: "comes before the deadline of the earlier phase 'open'")
        expectProblem(replacing("2026-06-01T00:00:00Z", with: "next tuesday"), line: 9, containing: "must be a date and time")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let broken = replacing("min_teams", with: "min_team").replacingOccurrences(of: "to: closed", with: "to: nowhere")
            .replacingOccurrences(of: "weight: 0.5}\n    - {id: plan", with: "weight: 0.7}\n    - {id: plan")
        let found = problems(broken)
        #expect(found.count >= 3, "got \(found)")
        #expect(found.contains { $0.contains("unknown guard") })
        #expect(found.contains { $0.contains("unknown phase 'nowhere'") })
        #expect(found.contains { $0.contains("add up to") })
    }

    @Test func messagesNameTheFileLineAndColumn() throws {
        let error = #expect(throws: WorkflowInvalid.self) {
            try WorkflowLoader.load(replacing("to: closed", with: "to: nowhere"), file: "Workflows/x.yaml")
        }
        #expect(error?.description.hasPrefix("Workflows/x.yaml:19:9: ") == true, "\(String(describing: error))")
    }

    static let series = """
        lectures:
          - {id: l1, week: 1, date: 2026-03-03, title: Intro, topic: Smart Government}
          - {id: l2, week: 2, date: 2026-03-10, title: Mobility}
        workshops:
          - {id: w1, title: Online design, format: online, date: 2026-04-21}
          - {id: w2, title: Seoul lab, format: in_person, city: Seoul, date: 2026-04-28}
        eligibility: {min_lectures: 2, attendance_minutes: 45, quiz_max: 10, quiz_pass_average: 6, min_workshops: 1}
        """

    @Test func lecturesWorkshopsAndEligibilityLoad() throws {
        let definition = try WorkflowLoader.load(Self.valid + "\n" + Self.series, file: "mini.yaml")
        #expect(definition.lectures.map(\.id) == ["l1", "l2"])
        #expect(definition.lectures[0].topic == "Smart Government")
        #expect(definition.workshops.map(\.format) == [.online, .inPerson])
        #expect(definition.workshops[1].city == "Seoul")
        #expect(definition.eligibility == EligibilityRules(minLectures: 2, attendanceMinutes: 45, quizMax: 10, quizPassAverage: 6, minWorkshops: 1))
        let wysc = try WorkflowLoader.load(
            String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/wysc.yaml"),
                encoding: .utf8),
            file: "wysc.yaml")
        #expect(wysc.lectures.count == 6)
        #expect(wysc.eligibility?.minLectures == 4)
    }

    @Test func badLecturesWorkshopsAndEligibilityAreReportedWithTheirLines() {
        let text =
            Self.valid + "\n" + """
                lectures:
                  - {id: l1, week: 2, date: 2026-03-10, title: Intro}
                  - {id: l2, week: 1, date: 2026-03-03, title: Mobility, room: A}
                  - {id: l3, week: 3, date: 2026-02-30, title: Bad date}
                workshops:
                  - {id: w1, title: Lab, format: in_person, date: 2026-04-21}
                  - {id: w2, title: Other, format: hybrid, city: Seoul, date: 2026-04-28}
                eligibility: {min_lectures: 7, attendance_minutes: 45, quiz_max: 10, quiz_pass_average: 12, min_workshops: 1}
                """
        let found = problems(text)
        let expected = [
            "unknown field 'room' in a lecture",
            "lecture 'l2' on 2026-03-03 comes before the earlier lecture 'l1' on 2026-03-10",
            "lecture 'l2' is in week 1, before the earlier lecture 'l1' (week 2)",
            "'date' in lecture 'l3' must be a date such as 2026-03-03, not '2026-02-30'",
            "workshop 'w1' is missing 'city'",
            "the format of workshop 'w2' must be online or in_person, not 'hybrid'",
            "'min_lectures' in eligibility must be between 0 and 2, not 7",
            "quiz_pass_average (12) must be between 0 and quiz_max (10)",
        ]
        for fragment in expected { #expect(found.contains { $0.contains(fragment) }, "missing \(fragment) in \(found)") }
        #expect(found.allSatisfy { $0.first?.isNumber == true }, "every problem has a line: \(found)")
    }

    @Test func computeEligibilityNeedsRules() {
        expectProblem(
            replacing("      - assign_judges: {round: main}", with: "      - assign_judges: {round: main}\n      - compute_eligibility"), line: 12,
            containing: "needs an 'eligibility' section")
    }

    /// The annotated example in Workflows/README.md is a valid workflow.
    @Test func theDocumentedExampleIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/README.md")
        let readme = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(readme.range(of: "```yaml\n"))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let definition = try WorkflowLoader.load(String(readme[start.upperBound..<end.lowerBound]), file: "Workflows/README.md")
        #expect(definition.rubric.tieBreak == ["idea"])
        #expect(definition.rounds[0].phase == "judging")
        #expect(definition.phases[0].graceMinutes == 30)
        #expect(definition.rounds[0].feedbackToTeams)
        #expect(definition.proposalFiles == ProposalFileRules(allowedTypes: [.pdf, .png], maxFileBytes: 20_000_000, maxFiles: 5))
    }

    @Test func proposalFileRulesAreCheckedAndDefaultToPDF() throws {
        #expect(try WorkflowLoader.load(Self.valid, file: "w.yaml").proposalFiles == .standard)
        let lines = Self.valid.split(separator: "\n", omittingEmptySubsequences: false).count
        expectProblem(Self.valid + "\nproposal_files: {types: [pdf, exe]}", line: lines + 1, containing: "'exe' is not a file type wysc knows")
        expectProblem(
            Self.valid + "\nproposal_files: {max_file_size_mb: 500}", line: lines + 1,
            containing: "'max_file_size_mb' in proposal_files must be between 1 and 200, not 500")
        expectProblem(Self.valid + "\nproposal_files: {types: []}", line: lines + 1, containing: "lists no file type")
        expectProblem(Self.valid + "\nproposal_files: {size: 3}", line: lines + 1, containing: "unknown field 'size' in proposal_files")
    }

    @Test func roundsAreScoredInAPhaseThatAllowsIt() {
        expectProblem(
            replacing("phase: judging}", with: "phase: open}"), line: 27, containing: "scored in phase 'open', which does not allow submit_score")
        expectProblem(replacing("phase: judging}", with: "phase: nowhere}"), line: 27, containing: "which the workflow does not declare")
        expectProblem(
            replacing("    - {id: plan, title: Plan, weight: 0.5}", with: "    - {id: plan, title: Plan, weight: 0.5}\n  tie_break: [vision]"),
            line: 26, containing: "tie_break names 'vision'")
    }
}

@Suite struct TeamRulesTests {
    /// The size rule registration and the teams_complete guard both ask: bounds included.
    @Test func aTeamsSizeIsWithinItsBoundsInclusive() throws {
        let rules = try WorkflowLoader.load(WorkflowLoaderTests.valid, file: "w.yaml").team
        #expect(rules.allowsSize(rules.minMembers) && rules.allowsSize(rules.maxMembers))
        #expect(!rules.allowsSize(rules.minMembers - 1) && !rules.allowsSize(rules.maxMembers + 1))
        #expect(
            rules.sizeProblem(team: "Han River", members: rules.maxMembers + 1)
                == "team 'Han River' has \(rules.maxMembers + 1) member(s); teams need \(rules.minMembers) to \(rules.maxMembers)")
        #expect(rules.sizeProblem(team: "Han River", members: rules.minMembers) == nil)
    }
}
