import Foundation
import Testing
import WyscApplication
import WyscJudging
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

@Suite struct ScoringTests {
    let organizer = TestApplication.organizer

    typealias Setup = JudgingFixture

    func inScreening() async throws -> Setup { try await JudgingFixture.inScreening() }

    func queue(_ setup: Setup, _ email: String) async throws -> [QueueItem] {
        try await setup.application.judgeQueue(judge: nil, competition: "wysc-2026", as: .judge(setup.judges[email]!))
    }

    func score(_ setup: Setup, _ email: String, _ proposal: Int, idea: String, plan: String, draft: Bool = false) async throws -> ScorecardOutcome {
        try await setup.application.submitScorecard(
            proposal: proposal, values: ["idea": idea, "plan": plan], comment: nil, draft: draft, judge: nil, competition: "wysc-2026",
            as: .judge(setup.judges[email]!))
    }

    /// Every judge scores their whole queue with `idea`/`plan` from `marks[proposal title]`.
    func scoreAll(_ setup: Setup, marks: [String: (String, String)]) async throws {
        for email in setup.judges.keys.sorted() {
            for item in try await queue(setup, email) {
                let (idea, plan) = marks[item.title] ?? ("5", "5")
                _ = try await score(setup, email, item.proposal, idea: idea, plan: plan)
            }
        }
    }

    @Test func aRankedRoundTakesNoExtraReview() async throws {
        let setup = try await inScreening()
        try await JudgingFixture.scoreEverything(setup, round: "screening")
        _ = try await setup.application.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "screening", as: organizer)
        let refused = await #expect(throws: WyscError.self) {
            try await setup.application.assignExtraReviews(1, round: "screening", competition: "wysc-2026", as: organizer)
        }
        #expect(refused?.kind == .refused)
        #expect(refused?.message == "round 'screening' is ranked already (compute_ranking): an extra review now would not change its outcome")
    }

    @Test func aJudgeSeesOnlyTheirOwnBlindQueue() async throws {
        let setup = try await inScreening()
        let kim = try await queue(setup, "kim@snu.ac.kr")
        #expect(kim.count == 2)
        #expect(kim.allSatisfy { $0.team == nil && $0.university == nil && $0.status == "not started" }, "the screening round is blind")
        #expect(!kim.contains { $0.title == "Idea 0" }, "Kim has a conflict with his own university's team")
        let other = await #expect(throws: WyscError.self) {
            try await setup.application.judgeQueue(judge: "amina@example.org", competition: "wysc-2026", as: .judge(setup.judges["kim@snu.ac.kr"]!))
        }
        #expect(other?.kind == .permissionDenied)
        let university = await #expect(throws: WyscError.self) {
            try await setup.application.judgeQueue(judge: nil, competition: "wysc-2026", as: .university(1))
        }
        #expect(university?.kind == .permissionDenied)
        let unnamed = await #expect(throws: WyscError.self) {
            try await setup.application.judgeQueue(judge: nil, competition: "wysc-2026", as: organizer)
        }
        #expect(unnamed?.message == "an organizer acts for a judge: say which judge")
        #expect(unnamed?.code == WyscError.Code.judgeRequired)
    }

    @Test func scorecardsAreCheckedRevisedAuditedAndRetriesChangeNothing() async throws {
        let setup = try await inScreening()
        let app = setup.application
        let item = try await queue(setup, "amina@example.org")[0]
        let bad = await #expect(throws: WyscError.self) {
            try await app.submitScorecard(
                proposal: item.proposal, values: ["idea": "11", "vision": "5"], comment: nil, draft: false, judge: nil, competition: "wysc-2026",
                as: .judge(setup.judges["amina@example.org"]!))
        }
        #expect(bad?.kind == .badInput)
        #expect(bad?.message.contains("unknown criteria: vision") == true)
        #expect(bad?.message.contains("missing criteria: plan") == true)
        #expect(bad?.message.contains("idea = 11 is off the scale 1–10") == true)

        let first = try await score(setup, "amina@example.org", item.proposal, idea: "8", plan: "6")
        #expect(first == ScorecardOutcome(change: .added, total: 0.6 * 8 + 0.4 * 6, revision: 1, submitted: true))
        #expect(try await score(setup, "amina@example.org", item.proposal, idea: "8", plan: "6").change == .unchanged)
        let revised = try await score(setup, "amina@example.org", item.proposal, idea: "9", plan: "6")
        #expect(revised.revision == 2)
        let audit = try await app.auditLog(AuditFilter(action: "scorecard."), as: organizer)
        #expect(audit.count == 2)
        #expect(audit[1].before?.contains("\"idea\": 8") == true)
        #expect(audit[1].after?.contains("\"idea\": 9") == true)
        #expect(audit[1].actor == "judge:\(setup.judges["amina@example.org"]!)")
        #expect(try await queue(setup, "amina@example.org")[0].status == "submitted")

        // Not assigned, and a university: refused.
        let aminas = Set(try await queue(setup, "amina@example.org").map(\.proposal))
        let notMine = try await queue(setup, "elena@example.org").map(\.proposal).first { !aminas.contains($0) }!
        let notAssigned = await #expect(throws: WyscError.self) { try await score(setup, "amina@example.org", notMine, idea: "5", plan: "5") }
        #expect(notAssigned?.kind == .permissionDenied)
        let university = await #expect(throws: WyscError.self) {
            try await app.submitScorecard(
                proposal: item.proposal, values: [:], comment: nil, draft: false, judge: nil, competition: "wysc-2026", as: .university(1))
        }
        #expect(university?.kind == .permissionDenied)

        // An organizer enters a paper scorecard on a judge's behalf: audited as such.
        _ = try await app.submitScorecard(
            proposal: notMine, values: ["idea": "7", "plan": "7"], comment: "paper form", draft: false, judge: "elena@example.org",
            competition: "wysc-2026", as: organizer)
        let entered = try await app.auditLog(AuditFilter(actor: "organizer:ana", action: "scorecard.submit"), as: organizer)
        #expect(entered.first?.after?.contains("\"on_behalf_of\": \"elena@example.org\"") == true)
    }

    @Test func aConflictDeclaredOnAnAssignedProposalStopsScoring() async throws {
        let setup = try await inScreening()
        let item = try await queue(setup, "rafael@example.org")[0]
        let teams = try await setup.application.proposals(competition: "wysc-2026", as: organizer)
        let teamName = teams.first { $0.proposal == item.proposal }!.team!
        try await setup.application.declareConflict(
            judge: "rafael@example.org", team: teamName, reason: "my former student", competition: "wysc-2026",
            as: .judge(setup.judges["rafael@example.org"]!))
        let refused = await #expect(throws: WyscError.self) { try await score(setup, "rafael@example.org", item.proposal, idea: "5", plan: "5") }
        #expect(refused?.kind == .refused)
        #expect(refused?.message.contains("conflict of interest") == true)
    }

    @Test func scoringOutsideTheRoundIsRefusedNamingThePhase() async throws {
        let test = try await TestApplication()
        try await test.competition(workflow: TestWorkflows.judging)
        let refused = await #expect(throws: WyscError.self) {
            try await test.application.submitScorecard(
                proposal: 1, values: [:], comment: nil, draft: false, judge: nil, competition: "wysc-2026", as: .judge(1))
        }
        #expect(refused?.kind == .permissionDenied, "not even a judge of this competition")
        let organizerRefused = await #expect(throws: WyscError.self) {
            try await test.application.importScorecards([], file: "s.csv", competition: "wysc-2026", as: organizer)
        }
        #expect(organizerRefused?.message.contains("scoring is not possible now: competition 'wysc-2026' is in phase 'registration'") == true)
    }

    /// The conflict rules are checked again as a scorecard is stored, on the names as they are
    /// now: compared as the assignment compares them (trimmed, in any case, in every script).
    @Test func affiliationsChangedAfterTheAssignmentAreComparedAsTheRulesDo() async throws {
        let setup = try await inScreening()
        let email = "amina@example.org"
        let judge = setup.judges[email]!
        let item = try await queue(setup, email)[0]
        let connection = try setup.test.connect()
        let university: Int = try connection.query(
            "SELECT t.university_id AS id FROM proposal p JOIN team t ON t.id = p.team_id WHERE p.id = \(item.proposal)"
        ).rows[0].decode("id")
        let names: [(judge: String, team: String)] = [
            ("  lisbon SCHOOL of design\t", "Lisbon School of Design"),
            ("Lisbon School of Designs", "Lisbon School of Design"),
            ("", "Lisbon School of Design"),
            ("UNIVERSITÉ DE GENÈVE ", "Université de Genève"),
            ("Universität Zürich", "ETH Zürich"),
            ("\u{A0}İstanbul Teknik Üniversitesi", "i\u{307}stanbul teknik üniversitesi"),
            ("Seoul Tech", "서울과학기술대학교"),
        ]
        let rules = ConflictRules(sameUniversity: true, sameCity: false)
        var verdicts: [Bool] = []
        for (index, pair) in names.enumerated() {
            try connection.query("UPDATE judge SET university = \(pair.judge) WHERE id = \(judge)")
            try connection.query("UPDATE university SET name = \(pair.team) WHERE id = \(university)")
            let conflict = !rules.reasons(
                judge: .init(university: pair.judge, city: ""), team: .init(university: pair.team, city: ""), declared: false
            )
            .isEmpty
            verdicts.append(conflict)
            do {
                let stored = try await score(setup, email, item.proposal, idea: "\(index + 1)", plan: "5")
                #expect(!conflict, "stored despite a conflict: \(pair)")
                #expect(stored.change != .unchanged)
            } catch let error as WyscError {
                #expect(conflict && error.code == WyscError.Code.conflictOfInterest, "\(pair): \(error)")
            }
        }
        #expect(verdicts == [true, false, false, true, false, true, false])
    }

    /// A competition is remembered between scorecards, but the database has the last word: a
    /// phase another server changed counts at once, closing scoring and opening it again.
    @Test func aRememberedCompetitionNeverDecidesAlone() async throws {
        let setup = try await inScreening()
        let email = "amina@example.org"
        let item = try await queue(setup, email)[0]
        _ = try await score(setup, email, item.proposal, idea: "5", plan: "5")
        let connection = try setup.test.connect()
        try connection.query("UPDATE competition SET phase = 'proposals', version = version + 1 WHERE slug = 'wysc-2026'")
        let closed = await #expect(throws: WyscError.self) { try await score(setup, email, item.proposal, idea: "9", plan: "9") }
        #expect(closed?.message.contains("is in phase 'proposals'") == true)
        #expect(try connection.query("SELECT revision FROM scorecard").rows.map { try $0.decode("revision", as: Int.self) } == [1])
        try connection.query("UPDATE competition SET phase = 'screening', version = version + 1 WHERE slug = 'wysc-2026'")
        let reopened = try await score(setup, email, item.proposal, idea: "9", plan: "9")
        #expect(reopened.change == .revised && reopened.revision == 2)
    }

    @Test func draftsDoNotCountAndTheGuardNamesMissingScorecards() async throws {
        let setup = try await inScreening()
        let app = setup.application
        let item = try await queue(setup, "amina@example.org")[0]
        _ = try await app.submitScorecard(
            proposal: item.proposal, values: ["idea": "6"], comment: nil, draft: true, judge: nil, competition: "wysc-2026",
            as: .judge(setup.judges["amina@example.org"]!))
        #expect(try await queue(setup, "amina@example.org")[0].status == "draft")
        let progress = try await app.judgingProgress(round: nil, competition: "wysc-2026", as: organizer)
        #expect(progress.round == "screening")
        #expect(progress.judges.first { $0.email == "amina@example.org" }?.drafts == 1)
        #expect(progress.missing.count == 8)
        let blocked = await #expect(throws: WyscError.self) {
            try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "screening", as: organizer)
        }
        #expect(blocked?.message.contains("8 scorecard(s) of round 'screening' missing: Amina Yusuf → proposal #") == true)
        let judgeProgress = await #expect(throws: WyscError.self) {
            try await app.judgingProgress(round: nil, competition: "wysc-2026", as: .judge(setup.judges["amina@example.org"]!))
        }
        #expect(judgeProgress?.kind == .permissionDenied)
    }

    @Test func anOfflineScoreFileIsAllOrNothing() async throws {
        let setup = try await inScreening()
        let mine = try await queue(setup, "elena@example.org").map(\.proposal)
        let csv = """
            judge,proposal,idea,plan,comment
            elena@example.org,\(mine[0]),8,7,Clear plan
            elena@example.org,\(mine[1]),8,,
            nobody@example.org,\(mine[1]),5,5,
            elena@example.org,#\(mine[0]),8,7,again
            """
        let error = await #expect(throws: WyscError.self) {
            try await setup.application.importScorecards(
                reading: { try ScoreRow.rows(of: CSVReader(text: csv, file: "scores.csv")) }, file: "scores.csv", competition: "wysc-2026",
                as: organizer)
        }
        let message = error?.message ?? ""
        #expect(message.contains("scores.csv: 3 problems; nothing was imported"), "\(message)")
        #expect(message.contains("row 3: the scorecard for proposal #\(mine[1]) is not valid: missing criteria: plan"))
        #expect(message.contains("row 4: there is no judge nobody@example.org"))
        #expect(message.contains("row 5: the same judge and proposal as row 2"))
        #expect(try await setup.application.scorecards(round: nil, competition: "wysc-2026", as: organizer).isEmpty)
        let good = "judge,proposal,idea,plan,comment\nelena@example.org,\(mine[0]),8,7,Clear plan\nelena@example.org,\(mine[1]),6,5,\n"
        let summary = try await setup.application.importScorecards(
            reading: { try ScoreRow.rows(of: CSVReader(text: good, file: "scores.csv")) }, file: "scores.csv", competition: "wysc-2026", as: organizer
        )
        #expect(summary == ImportSummary(added: 2, unchanged: 0))

        // Again as it is: nothing changes. With one value changed: that scorecard is revised, audited with before and after.
        @Sendable func importing(_ text: String) async throws -> ImportSummary {
            try await setup.application.importScorecards(
                reading: { try ScoreRow.rows(of: CSVReader(text: text, file: "scores.csv")) }, file: "scores.csv", competition: "wysc-2026",
                as: organizer)
        }
        #expect(try await importing(good) == ImportSummary(added: 0, unchanged: 2))
        let revised = "judge,proposal,idea,plan,comment\nelena@example.org,\(mine[0]),9,7,Clearer plan\nelena@example.org,\(mine[1]),6,5,\n"
        #expect(try await importing(revised) == ImportSummary(added: 0, changed: 1, unchanged: 1))
        let audit = try await setup.application.auditLog(AuditFilter(competition: "wysc-2026", action: "scorecard.submit"), as: organizer)
        #expect(audit.count == 3)
        let last = try #require(audit.last)
        #expect(last.subject == "scorecard:screening/#\(mine[0])/elena@example.org")
        #expect(last.before?.contains("\"revision\": 1") == true && last.before?.contains("Clear plan") == true, "\(last.before ?? "")")
        #expect(last.after?.contains("\"revision\": 2") == true && last.after?.contains("\"on_behalf_of\": \"elena@example.org\"") == true)
        let cards = try await setup.application.scorecards(round: nil, competition: "wysc-2026", as: organizer)
        #expect(cards.first { $0.scorecard.proposal == mine[0] }?.scorecard.revision == 2)

        // A proposal not assigned to the judge is refused as a single submission would be.
        let others = try await queue(setup, "amina@example.org").map(\.proposal).filter { !mine.contains($0) }
        let notMine = await #expect(throws: WyscError.self) {
            try await importing("judge,proposal,idea,plan\nelena@example.org,\(others[0]),5,5\n")
        }
        #expect(notMine?.message.contains("row 2: proposal #\(others[0]) is not assigned to elena@example.org in round 'screening'") == true)
    }

    @Test func theWholeJudgingRunsToPublishedResults() async throws {
        let setup = try await inScreening()
        let app = setup.application
        // Screening: Idea 1 best, then Idea 2, Idea 3, Idea 0.
        try await scoreAll(setup, marks: ["Idea 0": ("3", "3"), "Idea 1": ("9", "8"), "Idea 2": ("8", "7"), "Idea 3": ("6", "6")])
        let screening = try await app.results(round: "screening", method: .raw, competition: "wysc-2026", as: organizer)
        #expect(screening.lines.map(\.title) == ["Idea 1", "Idea 2", "Idea 3", "Idea 0"])
        #expect(screening.lines[0].rawMean == 0.6 * 9 + 0.4 * 8)
        #expect(screening.lines.allSatisfy { $0.judgeTotals.count == 2 })
        #expect(screening.judges.count == 4)

        // Nobody but organizers sees results before publication.
        for actor in [Actor.judge(setup.judges["amina@example.org"]!), .university(1)] {
            let hidden = await #expect(throws: WyscError.self) {
                try await app.results(round: nil, method: .zscore, competition: "wysc-2026", as: actor)
            }
            #expect(hidden?.kind == .permissionDenied)
        }
        let early = await #expect(throws: WyscError.self) { try await app.publishResults(competition: JudgingFixture.slug, as: organizer) }
        #expect(early?.kind == .refused)
        #expect(early?.message.contains("the last round, 'finals', has not been ranked") == true)
        let reassign = await #expect(throws: WyscError.self) {
            try await app.assignJudges(round: "screening", dryRun: false, rebalance: false, competition: "wysc-2026", as: organizer)
        }
        #expect(reassign?.message.contains("already has 8 scorecard(s)") == true)

        let toFinals = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "screening", as: organizer)
        #expect(toFinals.performed[0].hasPrefix("ranked 4 proposal(s) of round 'screening'"))
        #expect(toFinals.performed[1] == "shortlisted 2 of 4 proposal(s) of round 'screening' for round 'finals'")
        #expect(toFinals.performed[2].hasPrefix("assigned 2 judges to each of 2 proposal(s) of round 'finals'"))
        let finalsQueue = try await queue(setup, "amina@example.org")
        #expect(finalsQueue.allSatisfy { $0.round == "finals" && $0.team != nil }, "the finals are not blind")

        try await scoreAll(setup, marks: ["Idea 1": ("7", "7"), "Idea 2": ("9", "9")])
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "finals", as: organizer)
        let statusBefore = try await app.teamStatus(competition: "wysc-2026", team: "成都智慧交通队", university: nil, as: organizer)
        #expect(statusBefore[0].steps.first { $0.step == "rank" }?.state == "not yet", "no rank before publication")
        let published = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "results", as: organizer)
        #expect(published.performed == ["published the results: teams, universities and judges can see ranks now"])

        let final = try await app.results(round: nil, method: .zscore, competition: "wysc-2026", as: organizer)
        #expect(final.round == "finals")
        #expect(final.lines.map(\.title) == ["Idea 2", "Idea 1"])
        let bogota = try await app.universities().first { $0.city == "Bogotá" }!
        let seen = try await app.results(round: "finals", method: .zscore, competition: "wysc-2026", as: .university(bogota.id))
        #expect(seen.lines.map(\.team) == ["Bogotá Bikes"], "a university sees its own teams")
        #expect(seen.lines.allSatisfy { $0.judgeTotals.isEmpty } && seen.judges.isEmpty, "and no judge's scores")

        let winner = try await app.teamStatus(competition: "wysc-2026", team: "Bogotá Bikes", university: nil, as: .university(bogota.id))[0]
        let steps = Dictionary(uniqueKeysWithValues: winner.steps.map { ($0.step, $0) })
        #expect(steps["shortlist"]?.detail == "shortlisted for finals (rank 2 in screening)")
        #expect(steps["rank"]?.detail == "1 of 2 in round 'finals'")
        #expect(steps["review"]?.detail == "reviewed by 2 judges")
        let other = try await app.teamStatus(competition: "wysc-2026", team: "Andes Data", university: nil, as: .university(bogota.id))[0]
        #expect(other.steps.first { $0.step == "shortlist" }?.detail == "not shortlisted")
        #expect(other.steps.first { $0.step == "rank" }?.detail == "3 of 4 in round 'screening'")
        #expect(try await app.auditLog(AuditFilter(action: "results.publish"), as: organizer).count == 1)
        let archive = try await app.scorecards(round: nil, competition: "wysc-2026", as: organizer)
        #expect(archive.count == 12)
    }

    @Test func feedbackReachesOnlyTheTeamsOwnUniversityAfterPublicationUnsigned() async throws {
        let setup = try await inScreening()
        let app = setup.application
        let marks = ["Idea 0": ("3", "3"), "Idea 1": ("9", "8"), "Idea 2": ("8", "7"), "Idea 3": ("6", "6")]
        for email in setup.judges.keys.sorted() {
            for item in try await queue(setup, email) {
                #expect(item.feedbackToTeams && item.files == 1 && item.filesOpened == 0)
                let (idea, plan) = marks[item.title]!
                _ = try await app.submitScorecard(
                    proposal: item.proposal, values: ["idea": idea, "plan": plan], comment: "private note of \(email)",
                    feedback: "Advice on \(item.title) from a judge", draft: false, judge: nil, competition: "wysc-2026",
                    as: .judge(setup.judges[email]!))
            }
        }
        let bogota = try await app.universities().first { $0.city == "Bogotá" }!
        let early = await #expect(throws: WyscError.self) { try await app.teamFeedback(competition: "wysc-2026", as: .university(bogota.id)) }
        #expect(early?.kind == .permissionDenied)
        let judge = await #expect(throws: WyscError.self) {
            try await app.teamFeedback(competition: "wysc-2026", as: .judge(setup.judges["amina@example.org"]!))
        }
        #expect(judge?.kind == .permissionDenied)

        // Organizers read it before publication, with each team's contact, never the private comments.
        let all = try await app.teamFeedback(competition: "wysc-2026", as: organizer)
        #expect(all.count == 4)
        #expect(all.allSatisfy { $0.round == "screening" && $0.reviews.map(\.judge) == ["Judge A", "Judge B"] && $0.contact != nil })
        let json = String(decoding: try JSONEncoder().encode(all), as: UTF8.self)
        #expect(!json.contains("private note"))
        for email in setup.judges.keys { #expect(!json.contains(email)) }
        let one = all.first { $0.team == "Bogotá Bikes" }!
        let title = try await app.proposals(competition: "wysc-2026", team: "Bogotá Bikes", as: organizer)[0].title
        #expect(one.reviews.allSatisfy { $0.feedback == "Advice on \(title) from a judge" })
        let (idea, plan) = marks[title]!
        #expect(one.criteria.map(\.criterion) == ["idea", "plan"])
        #expect(one.criteria[0].team == Double(idea)! && one.criteria[1].team == Double(plan)!)
        // The round's averages: every submitted scorecard, two per proposal.
        #expect(abs(one.criteria[0].round - (3.0 + 9 + 8 + 6) / 4) < 1e-9)

        // Through finals to publication.
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "screening", as: organizer)
        try await scoreAll(setup, marks: ["Idea 1": ("7", "7"), "Idea 2": ("9", "9")])
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "finals", as: organizer)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "results", as: organizer)

        let seen = try await app.teamFeedback(competition: "wysc-2026", as: .university(bogota.id))
        #expect(Set(seen.map(\.team)) == ["Bogotá Bikes", "Andes Data"], "its own teams, and only the round that sends feedback")
        #expect(seen.allSatisfy { $0.contact == nil })
        let notTheirs = await #expect(throws: WyscError.self) {
            try await app.teamFeedback(team: "Han River Movers", competition: "wysc-2026", as: .university(bogota.id))
        }
        #expect(notTheirs?.kind == .notFound)
    }

    /// A judge's client retries while the first attempt is still running, or two terminals send at
    /// once: every call succeeds, one adds the scorecard, the others revise it or change nothing.
    @Test func concurrentFirstSubmissionsOfOneScorecardAllSucceed() async throws {
        let setup = try await JudgingFixture.inScreening(TestApplication(connections: 12))
        let app = setup.application
        let judge = setup.judges["amina@example.org"]!
        let proposal = try await queue(setup, "amina@example.org")[0].proposal
        let outcomes = try await withThrowingTaskGroup(of: ScorecardOutcome.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await app.submitScorecard(
                        proposal: proposal, values: ["idea": String(5 + index % 2), "plan": "5"], comment: nil, draft: false, judge: nil,
                        competition: JudgingFixture.slug, as: .judge(judge))
                }
            }
            var outcomes: [ScorecardOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.count == 24)
        #expect(outcomes.filter { $0.change == .added }.count == 1)
        let card = try await app.scorecard(proposal: proposal, judge: nil, competition: JudgingFixture.slug, as: .judge(judge))
        #expect(card?.revision == 1 + outcomes.filter { $0.change == .revised }.count)
        let audit = try await app.auditLog(AuditFilter(action: "scorecard."), as: organizer)
        #expect(audit.count == card?.revision, "one audit row per revision")
    }

    /// The exact race, made deterministic: another session inserts the same scorecard and commits
    /// while this submission waits on the unique index. The submission becomes a revision.
    @Test func aScorecardInsertedConcurrentlyIsRevisedNotRefused() async throws {
        let setup = try await inScreening()
        let app = setup.application
        let judge = setup.judges["amina@example.org"]!
        let proposal = try await queue(setup, "amina@example.org")[0].proposal
        let other = try setup.test.connect()
        try other.runScript("BEGIN")
        try other.query(
            """
            INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, submitted, updated_by)
            SELECT c.id, 'screening', \(judge), \(proposal), '{"idea": 1, "plan": 1}', 1, '', true, 'judge:' || \(judge)::text FROM competition c
            """)
        let submission = Task {
            try await app.submitScorecard(
                proposal: proposal, values: ["idea": "7", "plan": "7"], comment: nil, draft: false, judge: nil, competition: JudgingFixture.slug,
                as: .judge(judge))
        }
        try await Task.sleep(for: .milliseconds(300))  // the submission is now waiting on the unique index
        try other.runScript("COMMIT")
        let outcome = try await submission.value
        #expect(outcome.change == .revised)
        #expect(outcome.revision == 2)
        #expect(try await app.scorecard(proposal: proposal, judge: nil, competition: JudgingFixture.slug, as: .judge(judge))?.scores["idea"] == 7)
    }
}
