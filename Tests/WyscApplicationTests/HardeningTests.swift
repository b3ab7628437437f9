import Foundation
import Testing
import WyscApplication
import WyscJudging
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

/// Bad and hostile input to the use cases: refused with a clear message, nothing written.
@Suite struct HardeningTests {
    let organizer = TestApplication.organizer

    /// The limits in TextField and the schema's CHECK constraints are one definition.
    @Test func textLimitsAgreeWithTheSchema() async throws {
        let test = try await TestApplication()
        let connection = try test.connect()
        defer { connection.close() }
        for stored in TextField.storedColumns {
            let name = "\(stored.table)_\(stored.column)_length"
            let definition = try connection.query("SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = \(name)").singleRow()
            let text = try definition?.decode("d", as: String.self) ?? "missing"
            #expect(text.contains("char_length(\(stored.column)) <= \(stored.field.maxCharacters)"), "\(name): \(text)")
        }
        // The backstop: a value that slipped past the use cases is bad input, not a raw error.
        let competition = try await test.competition()
        let long = String(repeating: "x", count: 301)
        let error = await #expect(throws: WyscError.self) {
            try await test.application.createCompetition(
                slug: "other", title: long, workflowSource: BuiltInWorkflows.wysc, workflowFile: "w.yaml", as: organizer)
        }
        #expect(error?.kind == .badInput)
        #expect(error?.message == "the title is 301 characters long; at most 300 are allowed")
        #expect(competition.slug == "wysc-2026")
    }

    @Test func anOverlongTeamNameIsRefusedWithAShortMessage() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let name = String(repeating: "팀", count: 100_000)
        let error = await #expect(throws: WyscError.self) {
            try await test.application.importTeams(
                TestApplication.team(name, members: ["Kim", "Lee"]), file: "teams.csv", competition: "wysc-2026", as: organizer)
        }
        #expect(error?.kind == .badInput)
        #expect(
            error?.message.contains("row 2: team is 100000 characters long; at most 200 are allowed") == true, "\(error?.message.prefix(300) ?? "")")
        #expect((error?.message.count ?? 0) < 1_000)
        let connection = try test.connect()
        defer { connection.close() }
        #expect(try test.count("team", on: connection) == 0)
    }

    @Test func csvFilesWithNULOrAHugeFieldAreRefusedSayingWhere() throws {
        let nul = #expect(throws: WyscError.self) { try CSVDocument("team,name\nA,B\nC,D\u{0}", file: "teams.csv") }
        #expect(nul?.message == "teams.csv, line 3: a NUL character; a CSV file holds text only")
        let huge = #expect(throws: WyscError.self) {
            try CSVDocument("team,name\nA,\"" + String(repeating: "x", count: 5_000_000) + "\"\n", file: "big.csv")
        }
        #expect(
            huge?.message.hasPrefix("big.csv, line 2, column 2: a field longer than 20000 characters") == true, "\(huge?.message.prefix(200) ?? "")")
        #expect((huge?.message.count ?? 0) < 200)
    }

    static let walkWorkflow = """
        workflow: walk
        phases:
          - {id: registration, allows: [register_team]}
          - {id: lectures, allows: [record_attendance]}
          - {id: workshops, allows: [checkin_workshop]}
          - {id: proposals, allows: [submit_proposal]}
          - {id: screening, allows: [submit_score, declare_conflict]}
          - {id: closed}
        transitions:
          - {from: registration, to: lectures}
          - {from: lectures, to: workshops}
          - {from: workshops, to: proposals}
          - {from: proposals, to: screening}
          - {from: screening, to: closed}
        lectures:
          - {id: lecture-1, week: 1, date: 2026-03-03, topic: Smart Government, title: Lecture one}
        workshops:
          - {id: design, title: Design, format: online, date: 2026-04-21}
        team: {min_members: 1, max_members: 5}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        rounds:
          - {id: screening, reviews_per_proposal: 1}
        """

    /// Every operation a workflow gates, tried in every phase: refused, naming the phase, exactly
    /// where the workflow does not allow it.
    @Test func everyGatedOperationIsRefusedOutsideItsPhases() async throws {
        let test = try await TestApplication()
        let app = test.application
        try await test.competition(workflow: Self.walkWorkflow)
        let slug = "wysc-2026"
        _ = try await app.addJudges(
            [(2, JudgeInput(name: "Amina", email: "amina@example.org", university: "", city: "", country: "", expertise: [], maxLoad: nil), "")],
            file: "judges.csv", competition: slug, as: organizer)
        let judge = try await app.judges(competition: slug, as: organizer)[0]
        let definition = try WorkflowLoader.load(Self.walkWorkflow, file: "walk.yaml")
        let organizer = self.organizer
        let attempts: [(WyscWorkflow.Operation, @Sendable () async throws -> Void)] = [
            (
                .registerTeam,
                {
                    _ = try await app.importTeams(TestApplication.team("Walkers", members: ["Ana"]), file: "t.csv", competition: slug, as: organizer)
                }
            ),
            (
                .recordAttendance,
                {
                    _ = try await app.importAttendance(
                        [AttendanceRow(row: 2, email: "", name: "Ana", lecture: "lecture-1", attended: "yes", minutes: "60", quiz: "")],
                        file: "a.csv", competition: slug, as: organizer)
                }
            ),
            (.checkInWorkshop, { _ = try await app.checkInWorkshop("design", teams: ["Walkers"], note: nil, competition: slug, as: organizer) }),
            (
                .submitProposal,
                {
                    _ = try await app.submitProposal(
                        ProposalInput(team: "Walkers", title: "Idea", abstract: "A.", link: nil, tags: []), competition: slug, as: organizer)
                }
            ),
            (
                .submitScore,
                {
                    _ = try await app.submitScorecard(
                        proposal: 1, values: ["idea": "5"], comment: nil, draft: false, judge: nil, competition: slug, as: .judge(judge.id))
                }
            ),
            (
                .declareConflict,
                {
                    try await app.declareConflict(judge: judge.email, team: "Walkers", reason: "my student", competition: slug, as: .judge(judge.id))
                }
            ),
        ]
        #expect(Set(attempts.map(\.0)) == Set(WyscWorkflow.Operation.allCases), "every operation is walked")
        for (index, phase) in definition.phases.enumerated() {
            for (operation, attempt) in attempts {
                var refusal: WyscError?
                do { try await attempt() } catch let error as WyscError { refusal = error }
                let refusedForThePhase =
                    refusal?.kind == .refused
                    && refusal?.message.contains("is not possible now: competition '\(slug)' is in phase '\(phase.id)'") == true
                #expect(
                    refusedForThePhase == !phase.allows.contains(operation), "\(operation.rawValue) in \(phase.id): \(refusal?.message ?? "done")")
            }
            if index + 1 < definition.phases.count {
                _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: phase.id, as: organizer)
            }
        }
    }

    @Test func numbersAndDatesOutOfRangeAreBadInputNotDatabaseErrors() async throws {
        let test = try await TestApplication()
        let organizer = self.organizer
        try await test.competition()
        let load = await #expect(throws: WyscError.self) {
            try await test.application.addJudges(
                [
                    (
                        1,
                        JudgeInput(name: "A", email: "a@example.org", university: "", city: "", country: "", expertise: [], maxLoad: 3_000_000_000),
                        "3000000000"
                    )
                ],
                file: "the command line", competition: "wysc-2026", as: organizer)
        }
        #expect(load?.kind == .badInput)
        #expect(load?.message.contains("max_load '3000000000' is not a whole number of proposals from 0 to 100000") == true, "\(load?.message ?? "")")
        let expired = await #expect(throws: WyscError.self) {
            try await test.application.createToken(
                role: .organizer, for: "ana", competition: nil, expires: test.clock.now.addingTimeInterval(-1), as: organizer)
        }
        #expect(expired?.kind == .badInput)
        #expect(try await test.application.tokens(as: organizer).isEmpty)
    }

    /// One reading of the audit filter for the CLI and the API: limits clamped, days and times accepted.
    @Test func auditFiltersAreReadOneWay() {
        #expect(AuditFilter(limit: -5).limit == 1)
        #expect(AuditFilter(limit: 50_000_000).limit == 10_000)
        #expect(AuditFilter.since("2026-05-01") == AuditFilter.since("2026-05-01T00:00:00Z"))
        #expect(AuditFilter.since("yesterday") == nil)
    }

    @Test func assignmentInstancesWithHugeNumbersAreRefusedOrBounded() throws {
        let proposals = CSVReader(text: "id,university,city,tags\np1,U,C,mobility\np2,V,D,energy\n", file: "proposals.csv")
        let judges = CSVReader(text: "id,university,city,tags,max_load\nj1,X,Y,mobility,2\nj2,X,Y,energy,2\n", file: "judges.csv")
        let conflicts = CSVReader(text: "judge_id,proposal_id\n", file: "conflicts.csv")
        for k in [0, 51, 1_000_000_000, Int.max] {
            let error = #expect(throws: WyscError.self) {
                try AssignmentFiles(proposals: proposals, judges: judges, conflicts: conflicts, affinity: nil, perProposal: k)
            }
            #expect(error?.message.contains("judges per proposal must be between 1 and 50") == true)
        }
        let hugeLoad = CSVReader(text: "id,university,city,tags,max_load\nj1,X,Y,mobility,9223372036854775807\n", file: "judges.csv")
        let error = #expect(throws: WyscError.self) {
            try AssignmentFiles(proposals: proposals, judges: hugeLoad, conflicts: conflicts, affinity: nil, perProposal: 1)
        }
        #expect(
            error?.message.contains("judges.csv, row 2: max_load '9223372036854775807' is not a whole number of proposals from 0 to 100000") == true)
        // The solver itself bounds a capacity by the proposals there are: no overflow, the same answer.
        let problem = AssignmentProblem(proposals: 3, judges: 2, perProposal: 2, capacity: [Int.max, Int.max], affinity: .table([[], [], []]))
        #expect(problem.capacity == [3, 3])
        #expect(AssignmentSolver.solve(problem).isComplete)
        #expect(AssignmentSolver.smallestFeasibleCapacity(problem) == 3)
    }

    /// A change with an Idempotency-Key that fails leaves no trace of the key: the retry runs it.
    @Test func aFailedIdempotentChangeLeavesNoKey() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let app = fixture.application
        let judge = fixture.judges["amina@example.org"]!
        let proposal = try await app.judgeQueue(judge: nil, competition: JudgingFixture.slug, as: .judge(judge))[0].proposal
        let request = IdempotentRequest<ScorecardOutcome>(key: "k", actor: .judge(judge), request: "PUT card") { outcome in
            StoredAnswer(status: 201, body: "revision \(outcome.revision)")
        }
        await #expect(throws: WyscError.self) {
            try await app.submitScorecard(
                proposal: proposal, values: ["idea": "11", "plan": "5"], comment: nil, draft: false, judge: nil, competition: JudgingFixture.slug,
                as: .judge(judge), idempotency: request)
        }
        #expect(try await app.idempotencyState(key: "k", actor: .judge(judge), requestHash: request.requestHash) == .proceed)
        let outcome = try await app.submitScorecard(
            proposal: proposal, values: ["idea": "7", "plan": "5"], comment: nil, draft: false, judge: nil, competition: JudgingFixture.slug,
            as: .judge(judge), idempotency: request)
        #expect(outcome.revision == 1)
        #expect(
            try await app.idempotencyState(key: "k", actor: .judge(judge), requestHash: request.requestHash)
                == .replay(StoredAnswer(status: 201, body: "revision 1")))
        await #expect(throws: IdempotencyKeyAnswered.self) {
            try await app.submitScorecard(
                proposal: proposal, values: ["idea": "7", "plan": "5"], comment: nil, draft: false, judge: nil, competition: JudgingFixture.slug,
                as: .judge(judge), idempotency: request)
        }
    }
}
