import Foundation
import Testing
import WyscApplication
import WyscJudging
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

@Suite struct ProposalsAndAssignmentTests {
    let organizer = TestApplication.organizer

    static let teams: [(team: String, university: String, tags: [String])] = [
        ("Han River Movers", "Seoul National University", ["Smart Mobility"]),
        ("Gangnam Green", "Seoul National University", ["Smart Environment", "Smart/Green Buildings"]),
        ("成都智慧交通队", "成都大学", ["Smart Mobility", "Big Data"]),
        ("Panda Power", "成都大学", ["Smart Environment"]),
        ("Bogotá Bikes", "Universidad de Bogotá", ["Smart Mobility"]),
        ("Andes Data", "Universidad de Bogotá", ["Big Data", "Smart Government"]),
    ]

    static let panel = [
        JudgeInput(
            name: "Kim Ji-woo", email: "jiwoo@snu.ac.kr", university: "Seoul National University", city: "Seoul", country: "Republic of Korea",
            expertise: ["Smart Mobility", "Big Data"], maxLoad: nil),
        JudgeInput(
            name: "陈晓明", email: "chen@sichuan.example.cn", university: "Sichuan Institute", city: "Chengdu", country: "China",
            expertise: ["Smart Environment"], maxLoad: nil),
        JudgeInput(
            name: "Amina Yusuf", email: "amina@nairobi.example.org", university: "University of Nairobi", city: "Nairobi", country: "Kenya",
            expertise: ["smart mobility", "Smart Government"], maxLoad: nil),
        JudgeInput(
            name: "Elena Petrova", email: "elena@example.org", university: "Moscow Urban Institute", city: "Moscow", country: "Russia",
            expertise: ["Smart/Green Buildings", "Smart Environment"], maxLoad: nil),
        JudgeInput(
            name: "Rafael Mendes", email: "rafael@example.org", university: "Lisbon Tech", city: "Lisbon", country: "Portugal",
            expertise: ["Big Data"], maxLoad: nil),
    ]

    /// Teams registered, the competition in its proposals phase, judges added.
    func inProposals(submit: Bool = true, connections: Int = 4) async throws -> TestApplication {
        let test = try await TestApplication(connections: connections)
        try await test.competition(workflow: TestWorkflows.proposalsAndScreening)
        let app = test.application
        var rows: [MemberRow] = []
        for (index, entry) in Self.teams.enumerated() {
            rows.append(
                MemberRow(
                    row: index + 2, team: entry.team, university: entry.university, name: "Member \(index)", email: "m\(index)@example.org",
                    birthDate: "2001-01-01", role: "leader"))
        }
        _ = try await app.importTeams(rows, file: "t.csv", competition: "wysc-2026", as: organizer)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        _ = try await app.addJudges(Self.panel.enumerated().map { ($0 + 2, $1, "") }, file: "judges.csv", competition: "wysc-2026", as: organizer)
        if submit {
            let inputs = Self.teams.enumerated().map { index, entry in
                (
                    row: index + 2,
                    input: ProposalInput(team: entry.team, title: "Idea of \(entry.team)", abstract: "An abstract.", link: nil, tags: entry.tags)
                )
            }
            _ = try await app.importProposals(inputs, file: "proposals.csv", competition: "wysc-2026", as: organizer)
        }
        return test
    }

    @Test func proposalsAreVersionedAndRetriesChangeNothing() async throws {
        let test = try await inProposals(submit: false)
        let app = test.application
        var input = ProposalInput(
            team: "Han River Movers", title: "Bus stops that count", abstract: "First draft.", link: "https://example.org/plan.pdf",
            tags: ["Smart Mobility"])
        let first = try await app.submitProposal(input, competition: "wysc-2026", as: organizer)
        #expect(first.proposal.version == 1)
        #expect(try await app.submitProposal(input, competition: "wysc-2026", as: organizer).outcome.unchanged == 1)
        input.abstract = "Second draft, with a budget."
        let second = try await app.submitProposal(input, competition: "wysc-2026", as: organizer)
        #expect(second.proposal.version == 2)
        let versions = try await app.readProposal(.team("Han River Movers"), allVersions: true, competition: "wysc-2026", as: organizer)
        #expect(versions.map(\.abstract) == ["First draft.", "Second draft, with a budget."])
        let audit = try await app.auditLog(AuditFilter(action: "proposal.submit"), as: organizer)
        #expect(audit.count == 2)

        // A university submits for its own team only; judges never.
        let seoul = try await app.universities().first { $0.city == "Seoul" }!
        _ = try await app.submitProposal(
            ProposalInput(team: "Gangnam Green", title: "Green roofs", abstract: "A.", link: nil, tags: []), competition: "wysc-2026",
            as: .university(seoul.id))
        let other = await #expect(throws: WyscError.self) {
            try await app.submitProposal(
                ProposalInput(team: "Panda Power", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026",
                as: .university(seoul.id))
        }
        #expect(other?.kind == .permissionDenied)
        let judge = await #expect(throws: WyscError.self) {
            try await app.submitProposal(
                ProposalInput(team: "Panda Power", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026", as: .judge(1))
        }
        #expect(judge?.kind == .permissionDenied)
    }

    @Test func theDeadlineAndItsGracePeriodAreKept() async throws {
        let test = try await inProposals(submit: false)
        let app = test.application
        let input = ProposalInput(team: "Han River Movers", title: "Late idea", abstract: "A.", link: nil, tags: [])
        test.clock.set(ISO8601DateFormatter().date(from: "2026-06-01T00:20:00Z")!)  // within the 30-minute grace
        #expect(try await app.submitProposal(input, competition: "wysc-2026", as: organizer).proposal.version == 1)
        test.clock.set(ISO8601DateFormatter().date(from: "2026-06-01T00:31:00Z")!)
        let late = await #expect(throws: WyscError.self) {
            try await app.submitProposal(
                ProposalInput(team: "Panda Power", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026", as: organizer)
        }
        #expect(late?.kind == .refused)
        #expect(
            late?.message
                == "submitting a proposal is no longer possible: the deadline of phase 'proposals' was 2026-06-01T00:00:00Z (with a grace period of 30 minutes, until 2026-06-01T00:30:00Z)"
        )
    }

    @Test func aProposalImportIsAllOrNothing() async throws {
        let test = try await inProposals(submit: false)
        let csv = """
            team,title,abstract,link,tags
            Han River Movers,Bus stops,An abstract,https://example.org/a,Smart Mobility;Big Data
            Ghost Team,Nothing,An abstract,,
            Panda Power,,An abstract,,
            Bogotá Bikes,Bikes,An abstract,ftp://example.org/x,
            Han River Movers,Again,An abstract,,
            """
        let error = await #expect(throws: WyscError.self) {
            try await test.application.importProposals(
                reading: { try ProposalInput.rows(of: CSVReader(text: csv, file: "form.csv")) }, file: "form.csv", competition: "wysc-2026",
                as: organizer)
        }
        let message = error?.message ?? ""
        for expected in [
            "form.csv: 4 problems; nothing was imported", "row 3: unknown team 'Ghost Team'", "row 4: title is missing",
            "row 5: link 'ftp://example.org/x' is not an http(s) address", "row 6: team 'Han River Movers' appears again (first on row 2)",
        ] {
            #expect(message.contains(expected), "missing \(expected) in \(message)")
        }
        #expect(try await test.application.proposals(competition: "wysc-2026", as: organizer).isEmpty)
    }

    /// A form export is read from disk as it is imported, stored a batch at a time (more rows than
    /// one batch here), and a university submits for its own teams only.
    @Test func aProposalFormIsStreamedFromDiskAndAUniversitySubmitsOnlyForItsOwnTeams() async throws {
        let test = try await TestApplication()
        try await test.competition(workflow: TestWorkflows.proposalsAndScreening)
        let app = test.application
        let teams = 450
        let members = (0..<teams).map { index in
            MemberRow(
                row: index + 2, team: "Team \(index)", university: TestApplication.universities[index % 3].name, name: "Member \(index)",
                email: "m\(index)@example.org", birthDate: "2001-01-01", role: "leader")
        }
        _ = try await app.importTeams(members, file: "t.csv", competition: "wysc-2026", as: organizer)
        _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "registration", as: organizer)
        let path = Scratch.url("form-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func form(_ indices: some Sequence<Int>) -> String {
            "team,title,abstract,tags\n" + indices.map { "Team \($0),Idea \($0),\"An abstract, with a comma.\",Smart Mobility\n" }.joined()
        }
        func importForm(as actor: Actor) async throws -> ProposalImportSummary {
            try await app.importProposals(
                reading: { try ProposalInput.rows(of: CSVReader(path: path)) }, file: path, competition: "wysc-2026", as: actor)
        }
        let connection = try test.connect()
        defer { connection.close() }

        // Seoul's university may not submit for another university's team; nothing is written.
        let seoul = Actor.university(try connection.query("SELECT id FROM university WHERE name = 'Seoul National University'").rows[0].decode("id"))
        try form(0..<3).write(toFile: path, atomically: true, encoding: .utf8)
        let foreign = await #expect(throws: WyscError.self) { try await importForm(as: seoul) }
        #expect(foreign?.kind == .permissionDenied)
        #expect(try test.count("proposal", on: connection) == 0)
        try form(stride(from: 0, to: 9, by: 3)).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await importForm(as: seoul).proposals == ImportSummary(added: 3, unchanged: 0))

        // A malformed last line stops the whole file, with its line; nothing more is written.
        try (form(0..<teams) + "Team 1,\"unclosed,A.,\n").write(toFile: path, atomically: true, encoding: .utf8)
        let malformed = await #expect(throws: WyscError.self) { try await importForm(as: organizer) }
        #expect(malformed?.message == "\(path), line \(teams + 2): a quoted field is never closed")
        #expect(try test.count("proposal", on: connection) == 3)

        try form(0..<teams).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await importForm(as: organizer).proposals == ImportSummary(added: teams - 3, unchanged: 3))
        let stored = try connection.query("SELECT count(*) AS n, count(DISTINCT abstract) AS abstracts FROM proposal").rows[0]
        #expect(try stored.decode("n", as: Int.self) == teams)
        #expect(try stored.decode("abstracts", as: Int.self) == 1)
        let audited: Int = try connection.query("SELECT count(*) AS n FROM audit_log WHERE action = 'proposal.submit'").rows[0].decode("n")
        #expect(audited == teams)
    }

    /// `results --suggest` names the proposals uncertain at the cut; `assign --extra` gives the
    /// first of them one more judge, who is free of conflicts and not yet on it.
    @Test func oneMoreJudgeGoesWhereTheRankingIsUncertainAtTheCut() async throws {
        let test = try await inProposals()
        let app = test.application
        let slug = "wysc-2026"
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "proposals", as: organizer)
        // Two clear winners, two close at the cut of 3, two clear losers; the judges' totals scatter by a point.
        let base = [9, 8, 6, 6, 4, 2]
        for (index, judge) in try await app.judges(competition: slug, as: organizer).enumerated() {
            for item in try await app.judgeQueue(judge: nil, competition: slug, as: .judge(judge.id)) {
                let value = min(10, base[item.proposal - 1] + (index + item.proposal) % 3 - 1)
                _ = try await app.submitScorecard(
                    proposal: item.proposal, values: ["idea": "\(value)"], comment: nil, feedback: nil, draft: false, judge: nil, competition: slug,
                    as: .judge(judge.id))
            }
        }
        let report = try await app.results(round: "screening", method: .model, competition: slug, as: organizer)
        #expect(report.cut == 3)
        let first = try #require(report.suggested.first, "\(report.lines.map { ($0.team, $0.topProbability ?? -1) })")
        let lines = Dictionary(uniqueKeysWithValues: report.lines.map { ($0.proposal, $0) })
        for proposal in report.suggested { #expect(lines[proposal]!.uncertain) }
        #expect(try await app.results(round: "screening", method: .zscore, competition: slug, as: organizer).suggested.isEmpty)

        let connection = try test.connect()
        defer { connection.close() }
        let before = try test.count("assignment", on: connection)
        let onFirst = Set(
            try connection.query("SELECT j.email FROM assignment a JOIN judge j ON j.id = a.judge_id WHERE a.proposal_id = \(first)").rows.map {
                try $0.decode("email", as: String.self)
            })
        let plan = try await app.assignExtraReviews(1, round: "screening", competition: slug, as: organizer)
        #expect(plan.pairs.count == 1)
        let added = try #require(plan.pairs.first)
        #expect(added.team == lines[first]!.team)
        #expect(!onFirst.contains(added.judgeEmail), "a judge already on it is not added again")
        let judge = try #require(Self.panel.first { $0.email == added.judgeEmail })
        let university = try #require(Self.teams.first { $0.team == added.team }?.university)
        #expect(judge.university != university, "no same-university conflict")
        #expect(try test.count("assignment", on: connection) == before + 1)
        let audited: Int = try connection.query("SELECT count(*) AS n FROM audit_log WHERE action = 'assignment.extra'").rows[0].decode("n")
        #expect(audited == 1)

        let zero = await #expect(throws: WyscError.self) { try await app.assignExtraReviews(0, round: "screening", competition: slug, as: organizer) }
        #expect(zero?.kind == .badInput)
        let judgeID = try await app.judges(competition: slug, as: organizer)[0].id
        let denied = await #expect(throws: WyscError.self) {
            try await app.assignExtraReviews(1, round: "screening", competition: slug, as: .judge(judgeID))
        }
        #expect(denied?.kind == .permissionDenied)
        #expect(try test.count("assignment", on: connection) == before + 1)
    }

    @Test func ineligibleTeamsCannotSubmitAndAreToldWhy() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let app = test.application
        _ = try await app.importTeams(
            TestApplication.team("Han River Movers", members: ["김민준", "이서연"]), file: "t.csv", competition: "wysc-2026", as: organizer)
        for phase in ["registration", "lectures", "workshops"] {
            _ = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: phase, as: organizer)
        }
        let refused = await #expect(throws: WyscError.self) {
            try await app.submitProposal(
                ProposalInput(team: "Han River Movers", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026", as: organizer)
        }
        #expect(refused?.message.contains("team 'Han River Movers' may not submit a proposal: 김민준 attended 0 of 6 lectures") == true)
        _ = try await app.overrideEligibility(competition: "wysc-2026", team: "Han River Movers", eligible: true, reason: "pilot team", as: organizer)
        #expect(
            try await app.submitProposal(
                ProposalInput(team: "Han River Movers", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026", as: organizer
            ).proposal.version == 1)
    }

    @Test func conflictsAreDeclaredByTheJudgeOrAnOrganizerAndDerivedFromTheRules() async throws {
        let test = try await inProposals()
        let app = test.application
        let judges = try await app.judges(competition: "wysc-2026", as: organizer)
        let amina = judges.first { $0.email == "amina@nairobi.example.org" }!
        try await app.declareConflict(
            judge: amina.email, team: "Andes Data", reason: "supervised its leader", competition: "wysc-2026", as: .judge(amina.id))
        let forOthers = await #expect(throws: WyscError.self) {
            try await app.declareConflict(judge: "elena@example.org", team: "Andes Data", reason: "x", competition: "wysc-2026", as: .judge(amina.id))
        }
        #expect(forOthers?.kind == .permissionDenied)
        let conflicts = try await app.conflicts(competition: "wysc-2026", as: organizer)
        let described = Set(conflicts.map { "\($0.judgeEmail) \($0.team) \($0.source)" })
        #expect(
            described == [
                "amina@nairobi.example.org Andes Data declared",
                "jiwoo@snu.ac.kr Han River Movers same university", "jiwoo@snu.ac.kr Gangnam Green same university",
                "jiwoo@snu.ac.kr Han River Movers same city", "jiwoo@snu.ac.kr Gangnam Green same city",
                "chen@sichuan.example.cn 成都智慧交通队 same city", "chen@sichuan.example.cn Panda Power same city",
            ])
        let declared = try await app.conflicts(competition: "wysc-2026", declaredOnly: true, as: organizer)
        #expect(declared.map(\.declaredBy) == ["judge:\(amina.id)"])
        try await app.removeConflict(judge: amina.email, team: "Andes Data", reason: "declared by mistake", competition: "wysc-2026", as: organizer)
        #expect(try await app.conflicts(competition: "wysc-2026", declaredOnly: true, as: organizer).isEmpty)
        #expect(try await app.auditLog(AuditFilter(action: "conflict."), as: organizer).map(\.action) == ["conflict.declare", "conflict.remove"])
    }

    @Test func theAssignmentIsOptimalRespectsConflictsAndIsSavedOnlyWhenAsked() async throws {
        let test = try await inProposals()
        let app = test.application
        let dry = try await app.assignJudges(round: nil, dryRun: true, rebalance: false, competition: "wysc-2026", as: organizer)
        #expect(!dry.saved)
        #expect(dry.pairs.count == 12)
        let connection = try test.connect()
        #expect(try test.count("assignment", on: connection) == 0)
        let conflicts = Set(try await app.conflicts(competition: "wysc-2026", as: organizer).map { "\($0.judgeEmail) \($0.team)" })
        #expect(dry.pairs.allSatisfy { !conflicts.contains("\($0.judgeEmail) \($0.team)") })
        #expect(Dictionary(grouping: dry.pairs, by: \.team).values.allSatisfy { $0.count == 2 })
        #expect(dry.loads.allSatisfy { $0.proposals <= $0.capacity })
        #expect(dry.capacityNote == "the smallest load that lets every proposal get 2 judges: 3")
        // Whether every judge reaches every other through shared proposals, found by walking them.
        var reached: Set<String> = [dry.pairs[0].judgeEmail]
        var grew = true
        while grew {
            let teams = Set(dry.pairs.filter { reached.contains($0.judgeEmail) }.map(\.team))
            let judges = Set(dry.pairs.filter { teams.contains($0.team) }.map(\.judgeEmail))
            grew = !judges.isSubset(of: reached)
            reached.formUnion(judges)
        }
        #expect(reached == Set(dry.pairs.map(\.judgeEmail)), "the judges form one panel")
        #expect(dry.judgeGroups == 1)
        // Every judge takes the fair share at least, so the model can estimate every judge's leniency.
        let fairShare = 12 / dry.loads.count
        #expect(dry.loads.allSatisfy { $0.proposals >= min(fairShare, $0.capacity) })
        #expect(dry.minimumLoadNote == "every judge takes at least \(fairShare) (or their max_load, if smaller): the fair share ⌊k·P/J⌋")

        // Every team with a Smart Mobility tag gets Amina (case does not matter), as far as her load allows.
        let saved = try await app.assignJudges(round: nil, dryRun: false, rebalance: false, competition: "wysc-2026", as: organizer)
        #expect(saved.objective == dry.objective)
        #expect(saved.pairs == dry.pairs, "the same input gives the same assignment")
        #expect(try test.count("assignment", on: connection) == 12)
        let audit = try await app.auditLog(AuditFilter(action: "assignment."), as: organizer)
        #expect(audit.map(\.action) == ["assignment.save"])
        #expect(audit[0].after?.contains("\"reviews\": 12") == true)
    }

    @Test func rebalancingAfterAWithdrawalChangesOnlyWhatBroke() async throws {
        let test = try await inProposals()
        let app = test.application
        let before = try await app.assignJudges(round: nil, dryRun: false, rebalance: false, competition: "wysc-2026", as: organizer)
        let leaving = before.pairs.first { $0.judgeEmail == "rafael@example.org" } != nil ? "rafael@example.org" : "elena@example.org"
        try await app.withdrawJudge(email: leaving, reason: "illness", competition: "wysc-2026", as: organizer)
        let after = try await app.assignJudges(round: nil, dryRun: false, rebalance: true, competition: "wysc-2026", as: organizer)
        let kept = Set(before.pairs.filter { $0.judgeEmail != leaving }.map { "\($0.judgeEmail) \($0.team)" })
        let now = Set(after.pairs.map { "\($0.judgeEmail) \($0.team)" })
        #expect(kept.isSubset(of: now), "every unaffected assignment stays")
        #expect(!after.pairs.contains { $0.judgeEmail == leaving })
        #expect(Dictionary(grouping: after.pairs, by: \.team).values.allSatisfy { $0.count == 2 })
        let removed = before.pairs.filter { $0.judgeEmail == leaving }.count
        #expect(after.changes.filter { $0.hasPrefix("removed") }.count == removed)
        #expect(after.changes.filter { $0.hasPrefix("added") }.count == removed)
        #expect(after.changes.allSatisfy { $0.hasPrefix("added") || $0.contains("(the judge withdrew)") })
        #expect(try await app.auditLog(AuditFilter(action: "assignment.rebalance"), as: organizer).count == 1)

        // A new conflict on an assigned pair: only that pair moves.
        let pair = after.pairs[0]
        try await app.declareConflict(
            judge: pair.judgeEmail, team: pair.team, reason: "now works with the team", competition: "wysc-2026", as: organizer)
        let again = try await app.assignJudges(round: nil, dryRun: true, rebalance: true, competition: "wysc-2026", as: organizer)
        #expect(again.changes.first == "removed \(pair.judge) from \(pair.team) (a conflict of interest)")
        #expect(Set(again.pairs.map { "\($0.judgeEmail) \($0.team)" }).symmetricDifference(now).count == 2)
    }

    @Test func anImpossibleAssignmentSaysWhichProposalsAndWhy() async throws {
        let test = try await inProposals()
        let app = test.application
        for email in ["amina@nairobi.example.org", "elena@example.org", "rafael@example.org"] {
            try await app.withdrawJudge(email: email, reason: "travel", competition: "wysc-2026", as: organizer)
        }
        let error = await #expect(throws: WyscError.self) {
            try await app.assignJudges(round: nil, dryRun: true, rebalance: false, competition: "wysc-2026", as: organizer)
        }
        #expect(error?.kind == .refused)
        let message = error?.message ?? ""
        #expect(message.contains("no assignment gives every proposal of round 'screening' 2 judges"))
        #expect(message.contains("Han River Movers: 1 judge(s) missing (too many conflicts: only 1 judge(s) without a conflict)"))
    }

    @Test func advancingToScreeningAssignsJudgesAndUniversitiesSeeOnlyHowMany() async throws {
        let test = try await inProposals()
        let app = test.application
        let check = try await app.checkTransition(competition: "wysc-2026", to: nil, as: organizer)
        #expect(check.actions[0] == "close_submissions: close submissions with 6 proposal(s)")
        #expect(check.actions[1].hasPrefix("assign_judges: 12 reviews for 6 proposal(s) of round 'screening'"))
        let record = try await app.advancePhase(competition: "wysc-2026", to: nil, expectedPhase: "proposals", as: organizer)
        #expect(record.performed[0] == "closed submissions: 6 proposal(s), 6 version(s) in all")
        #expect(record.performed[1].hasPrefix("assigned 2 judges to each of 6 proposal(s) of round 'screening'"))
        let seoul = try await app.universities().first { $0.city == "Seoul" }!
        let status = try await app.teamStatus(competition: "wysc-2026", team: "Han River Movers", university: nil, as: .university(seoul.id))
        let steps = Dictionary(uniqueKeysWithValues: status[0].steps.map { ($0.step, $0) })
        #expect(steps["proposal"]?.detail.contains("'Idea of Han River Movers' (version 1,") == true)
        #expect(steps["review"]?.detail == "under review by 2 judges")
        let late = await #expect(throws: WyscError.self) {
            try await app.submitProposal(
                ProposalInput(team: "Han River Movers", title: "T", abstract: "A.", link: nil, tags: []), competition: "wysc-2026", as: organizer)
        }
        #expect(late?.message.contains("is in phase 'screening'") == true)
    }

    @Test func concurrentFirstProposalsOfOneTeamAllSucceed() async throws {
        let test = try await inProposals(submit: false, connections: 12)
        let app = test.application
        let organizer = self.organizer
        let outcomes = try await withThrowingTaskGroup(of: ImportSummary.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await app.submitProposal(
                        ProposalInput(team: "Han River Movers", title: "Draft \(index % 3)", abstract: "A.", link: nil, tags: []),
                        competition: "wysc-2026",
                        as: organizer
                    ).outcome
                }
            }
            var outcomes: [ImportSummary] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.count == 24)
        #expect(outcomes.reduce(0) { $0 + $1.added } == 1)
        let versions = try await app.readProposal(.team("Han River Movers"), allVersions: true, competition: "wysc-2026", as: organizer)
        #expect(versions.count == 1 + outcomes.reduce(0) { $0 + $1.changed })
    }

    @Test func aProposalInsertedConcurrentlyBecomesItsSecondVersion() async throws {
        let test = try await inProposals(submit: false)
        let app = test.application
        let other = try test.connect()
        try other.runScript("BEGIN")
        try other.query(
            """
            INSERT INTO proposal (competition_id, team_id, title, abstract, submitted_by)
            SELECT t.competition_id, t.id, 'First', 'A.', 'organizer:ben' FROM team t WHERE t.name = \("Han River Movers")
            """)
        let organizer = self.organizer
        let submission = Task {
            try await app.submitProposal(
                ProposalInput(team: "Han River Movers", title: "Second", abstract: "B.", link: nil, tags: []), competition: "wysc-2026", as: organizer
            )
        }
        try await Task.sleep(for: .milliseconds(300))
        try other.runScript("COMMIT")
        let (proposal, outcome) = try await submission.value
        #expect(outcome.changed == 1)
        #expect(proposal.version == 2)
        #expect(proposal.title == "Second")
    }
}
