import Foundation
import WyscApplication

/// A competition of `TestWorkflows.judging` in its screening round: four teams (one each from Seoul
/// and Chengdu, two from Bogotá) with proposals, four judges with a load of 2 (Kim is from Seoul
/// National University, so he never reviews its team), judges assigned.
public struct JudgingFixture: Sendable {
    public let test: TestApplication
    /// Judge email → id.
    public let judges: [String: Int]
    public var application: Application { test.application }

    public static let slug = "wysc-2026"
    public static let teams = [
        ("Han River Movers", "Seoul National University"), ("成都智慧交通队", "成都大学"), ("Bogotá Bikes", "Universidad de Bogotá"),
        ("Andes Data", "Universidad de Bogotá"),
    ]

    /// The PDF each team attached (team index → bytes): distinct per team.
    public static func plan(_ index: Int) -> Data {
        SimplePDF.make(title: "Idea \(index)", lines: (0..<200).map { "Line \($0) of the plan of team \(index)." })
    }

    public static func inScreening(_ given: TestApplication? = nil, workflow: String = TestWorkflows.judging) async throws -> JudgingFixture {
        let test: TestApplication
        if let given { test = given } else { test = try await TestApplication() }
        let organizer = TestApplication.organizer
        try await test.competition(workflow: workflow)
        let app = test.application
        _ = try await app.importTeams(
            teams.enumerated().map {
                MemberRow(
                    row: $0 + 2, team: $1.0, university: $1.1, name: "Member \($0)", email: "m\($0)@example.org", birthDate: "2001-01-01",
                    role: "leader")
            },
            file: "t.csv", competition: slug, as: organizer)
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "registration", as: organizer)
        let panel = [
            JudgeInput(
                name: "Kim Ji-woo", email: "kim@snu.ac.kr", university: "Seoul National University", city: "Seoul", country: "Korea", expertise: [],
                maxLoad: 2),
            JudgeInput(name: "Amina Yusuf", email: "amina@example.org", university: "", city: "Nairobi", country: "Kenya", expertise: [], maxLoad: 2),
            JudgeInput(
                name: "Elena Petrova", email: "elena@example.org", university: "", city: "Moscow", country: "Russia", expertise: [], maxLoad: 2),
            JudgeInput(
                name: "Rafael Mendes", email: "rafael@example.org", university: "", city: "Lisbon", country: "Portugal", expertise: [], maxLoad: 2),
        ]
        _ = try await app.addJudges(panel.enumerated().map { ($0 + 2, $1, "2") }, file: "j.csv", competition: slug, as: organizer)
        _ = try await app.importProposals(
            teams.enumerated().map {
                (
                    row: $0 + 2,
                    input: ProposalInput(
                        team: $1.0, title: "Idea \($0)", abstract: "A.", link: nil, tags: [],
                        files: [ProposalDocument(name: "\($1.0) plan.pdf", bytes: Self.plan($0))])
                )
            },
            file: "p.csv", competition: slug, as: organizer)
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "proposals", as: organizer)
        let ids = Dictionary(uniqueKeysWithValues: try await app.judges(competition: slug, as: organizer).map { ($0.email, $0.id) })
        return JudgingFixture(test: test, judges: ids)
    }

    /// Every judge submits every scorecard of `round` still open (screening with feedback to the team).
    public static func scoreEverything(_ fixture: JudgingFixture, round: String) async throws {
        for (email, id) in fixture.judges.sorted(by: { $0.key < $1.key }) {
            for item in try await fixture.application.judgeQueue(judge: nil, competition: slug, as: .judge(id)) where item.status != "submitted" {
                _ = try await fixture.application.submitScorecard(
                    proposal: item.proposal, values: ["idea": "\(5 + item.proposal % 4)", "plan": "6"], comment: nil,
                    feedback: round == "screening" ? "Feedback from judge \(email.prefix(3))" : nil, draft: false, judge: nil, competition: slug,
                    as: .judge(id))
            }
        }
    }

    /// Scores both rounds and takes the competition to `closed`, publishing the results.
    public static func scoreAndPublish(_ fixture: JudgingFixture) async throws {
        let organizer = TestApplication.organizer
        try await scoreEverything(fixture, round: "screening")
        _ = try await fixture.application.advancePhase(competition: slug, to: nil, expectedPhase: "screening", as: organizer)
        try await scoreEverything(fixture, round: "finals")
        _ = try await fixture.application.advancePhase(competition: slug, to: nil, expectedPhase: "finals", as: organizer)
        _ = try await fixture.application.advancePhase(competition: slug, to: nil, expectedPhase: "results", as: organizer)
    }
}
