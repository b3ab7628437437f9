import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

/// Proposals carry their documents; judges read what is theirs, and only that.
@Suite struct ProposalFilesTests {
    let organizer = TestApplication.organizer
    let slug = JudgingFixture.slug

    /// The mini workflow in its proposals phase with two teams, and the given `proposal_files` rules.
    func inProposals(rules: String? = nil) async throws -> TestApplication {
        let test = try await TestApplication()
        var workflow = TestWorkflows.proposalsAndScreeningWithoutDeadline
        if let rules { workflow += "\nproposal_files: \(rules)\n" }
        try await test.competition(workflow: workflow)
        let rows = [("Han River Movers", "Seoul National University"), ("Panda Power", "成都大学")].enumerated().map {
            MemberRow(
                row: $0 + 2, team: $1.0, university: $1.1, name: "Member \($0)", email: "m\($0)@example.org", birthDate: "2001-01-01",
                role: "leader")
        }
        _ = try await test.application.importTeams(rows, file: "t.csv", competition: slug, as: organizer)
        _ = try await test.application.advancePhase(competition: slug, to: nil, expectedPhase: "registration", as: organizer)
        return test
    }

    func input(_ team: String, files: [ProposalDocument]?, abstract: String = "An abstract.") -> ProposalInput {
        ProposalInput(team: team, title: "Idea of \(team)", abstract: abstract, link: nil, tags: [], files: files)
    }

    /// Every byte of a file, read back through the use case that the download routes use.
    func download(_ file: ProposalFile, _ app: Application, from offset: Int = 0) async throws -> Data {
        var data = Data()
        try await app.readProposalFile(file, range: offset..<file.size) { data.append($0) }
        return data
    }

    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 100))

    @Test func filesAreStoredOnceCheckedBySHA256AndKeptByEveryVersion() async throws {
        let test = try await inProposals()
        let app = test.application
        // Over 1 MiB: stored in several chunks, read back across their boundaries.
        let plan = SimplePDF.make(title: "Bus stops", lines: []) + Data(repeating: 0x20, count: 2_500_000)
        let document = ProposalDocument(name: "plan.pdf", bytes: plan)
        _ = try await app.submitProposal(input("Han River Movers", files: [document]), competition: slug, as: organizer)
        // The same content from another team is stored once.
        _ = try await app.submitProposal(
            input("Panda Power", files: [ProposalDocument(name: "ours.pdf", bytes: plan)]), competition: slug, as: organizer)
        let connection = try test.connect()
        defer { connection.close() }
        #expect(try test.count("document", on: connection) == 1)

        let view = try await app.readProposal(.team("Han River Movers"), competition: slug, as: organizer)[0]
        #expect(view.files.map(\.name) == ["plan.pdf"])
        #expect(view.files[0].mediaType == "application/pdf")
        #expect(view.files[0].size == plan.count)
        var digest = DocumentDigest()
        digest.update(plan)
        #expect(view.files[0].sha256 == digest.finalize())
        let file = try await app.proposalFile(proposal: view.proposal, file: 1, competition: slug, as: organizer)
        #expect(try await download(file, app) == plan)
        #expect(try await download(file, app, from: 1_048_570) == plan.suffix(from: 1_048_570))

        // A new version without files keeps them; an identical retry changes nothing.
        let second = input("Han River Movers", files: nil, abstract: "Second draft.")
        #expect(try await app.submitProposal(second, competition: slug, as: organizer).outcome.changed == 1)
        #expect(try await app.submitProposal(second, competition: slug, as: organizer).outcome.unchanged == 1)
        // Replacing the file is a new version; the earlier versions keep theirs.
        let png = ProposalDocument(name: "map.pdf", bytes: SimplePDF.make(title: "Map", lines: ["A map."]))
        _ = try await app.submitProposal(input("Han River Movers", files: [png], abstract: "Second draft."), competition: slug, as: organizer)
        let versions = try await app.readProposal(.team("Han River Movers"), allVersions: true, competition: slug, as: organizer)
        #expect(versions.map(\.version) == [1, 2, 3])
        #expect(versions.map { $0.files.map(\.name) } == [["plan.pdf"], ["plan.pdf"], ["map.pdf"]])
        let audit = try await app.auditLog(AuditFilter(action: "proposal.submit"), as: organizer)
        #expect(audit.contains { $0.after?.contains(digest.finalize()) == true })
    }

    @Test func aFileOfTheWrongKindTooLargeOrTooManyIsRefusedAndNothingIsStored() async throws {
        let test = try await inProposals(rules: "{types: [pdf, png], max_file_size_mb: 1, max_files: 2}")
        let app = test.application
        let pdf = SimplePDF.make(title: "Plan", lines: [])
        func refusal(_ files: [ProposalDocument]) async -> String? {
            let error = await #expect(throws: WyscError.self) {
                try await app.submitProposal(input("Han River Movers", files: files), competition: slug, as: organizer)
            }
            #expect(error?.kind == .badInput)
            return error?.message
        }
        // The kind is read from the content: a PNG named .pdf is a PNG (allowed here), text named .pdf is refused.
        let text = await refusal([ProposalDocument(name: "plan.pdf", bytes: Data("just text".utf8))])
        #expect(text?.contains("file 'plan.pdf' is not a kind of document wysc recognizes (this competition accepts PDF or PNG)") == true)
        let large = await refusal([ProposalDocument(name: "big.pdf", bytes: pdf + Data(count: 1_000_001))])
        #expect(
            large?.contains("file 'big.pdf' is \(pdf.count + 1_000_001) bytes, over the limit of 1000000 bytes per file") == true, "\(large ?? "")")
        let many = await refusal((1...3).map { ProposalDocument(name: "p\($0).pdf", bytes: pdf + Data([UInt8($0)])) })
        #expect(many?.contains("3 files given; a proposal may carry at most 2") == true)
        let zip = await refusal([ProposalDocument(name: "a.pdf", bytes: Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 40)))])
        #expect(zip?.contains("is a ZIP archive, which this competition does not accept (it accepts PDF or PNG)") == true)
        let connection = try test.connect()
        defer { connection.close() }
        #expect(try test.count("document", on: connection) == 0)
        #expect(try test.count("proposal", on: connection) == 0)

        let accepted = try await app.submitProposal(
            input("Han River Movers", files: [ProposalDocument(name: "photo.pdf", bytes: Self.png)]), competition: slug, as: organizer)
        let view = try await app.readProposal(.number(accepted.proposal.proposal), competition: slug, as: organizer)[0]
        #expect(view.files[0].mediaType == "image/png")
    }

    @Test func anImportResolvesFilesInItsDirectoryAllOrNothing() async throws {
        let test = try await inProposals()
        let app = test.application
        let directory = Scratch.url("wysc-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try SimplePDF.make(title: "Han", lines: []).write(to: directory.appendingPathComponent("han.pdf"))
        try Data("not a pdf".utf8).write(to: directory.appendingPathComponent("panda.pdf"))
        let outside = Scratch.url("wysc-outside-\(UUID().uuidString).pdf")
        try SimplePDF.make(title: "Secret", lines: []).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("link.pdf"), withDestinationURL: outside)
        let csv = CSVReader(
            text: """
                team,title,abstract,files
                Han River Movers,Bus stops,An abstract.,han.pdf
                Panda Power,Pandas,An abstract.,panda.pdf;missing.pdf;../../etc/passwd;link.pdf
                """, file: "form.csv")
        let error = await #expect(throws: WyscError.self) {
            try await app.importProposals(
                reading: { try ProposalInput.rows(of: csv, filesDirectory: directory.path) }, file: "form.csv", competition: slug, as: organizer)
        }
        let message = error?.message ?? ""
        #expect(message.contains("row 3: file 'panda.pdf' is not a kind of document wysc recognizes"), "\(message)")
        #expect(message.contains("row 3: file 'missing.pdf' was not found in \(directory.path)"), "\(message)")
        #expect(message.contains("row 3: file '../../etc/passwd' must be a name inside"), "\(message)")
        #expect(message.contains("row 3: file 'link.pdf' is a link to a file outside"), "\(message)")
        #expect(!message.contains("row 2"))
        let connection = try test.connect()
        defer { connection.close() }
        #expect(try test.count("proposal", on: connection) == 0)
        #expect(try test.count("document", on: connection) == 0)

        // Without a directory, naming files is an error on the row.
        let undirected = Array(try ProposalInput.rows(of: csv))
        #expect(undirected[0].input.unreadableFiles == ["files are named but no directory to find them in was given (--files DIR)"])

        try SimplePDF.make(title: "Panda", lines: []).write(to: directory.appendingPathComponent("panda.pdf"))
        let fixed = CSVReader(
            text: """
                team,title,abstract,files
                Han River Movers,Bus stops,An abstract.,han.pdf
                Panda Power,Pandas,An abstract.,panda.pdf
                """, file: "form.csv")
        let summary = try await app.importProposals(
            reading: { try ProposalInput.rows(of: fixed, filesDirectory: directory.path) }, file: "form.csv", competition: slug, as: organizer)
        #expect(summary.proposals.added == 2)
        #expect(summary.files == 2)
        #expect(try test.count("document", on: connection) == 2)
    }

    // MARK: Who reads what

    @Test func aJudgeReadsOnlyTheirAssignmentsBlindAndNotAfterAConflict() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let app = fixture.application
        let amina = Actor.judge(fixture.judges["amina@example.org"]!)
        let queue = try await app.judgeQueue(judge: nil, competition: slug, as: amina).map(\.proposal)
        let all = try await app.proposals(competition: slug, as: organizer)
        let others = all.map(\.proposal).filter { !queue.contains($0) }
        #expect(queue.count == 2 && !others.isEmpty)

        // Blind screening: nothing names the team, in the text or the file names.
        let view = try await app.readProposal(.number(queue[0]), competition: slug, as: amina)[0]
        let listed = all.first { $0.proposal == queue[0] }!
        let proposal = (team: listed.team!, university: listed.university!)
        #expect(view.team == nil && view.university == nil && view.submittedBy == nil && view.blind)
        #expect(view.files.map(\.name) == ["proposal-\(queue[0])-plan.pdf"])
        let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
        #expect(!json.contains(proposal.team) && !json.contains(proposal.university) && !json.contains("Member"))
        let file = try await app.proposalFile(proposal: queue[0], file: 1, competition: slug, as: amina)
        let index = JudgingFixture.teams.firstIndex { $0.0 == proposal.team }!
        #expect(try await download(file, app) == JudgingFixture.plan(index))

        // Not assigned, by number or by team name: refused the same way, existing or not.
        for number in [others[0], 999_999] {
            let error = await #expect(throws: WyscError.self) { try await app.readProposal(.number(number), competition: slug, as: amina) }
            #expect(error?.kind == .permissionDenied)
            #expect(error?.message == "proposal #\(number) is not assigned to you")
            await #expect(throws: WyscError.self) { try await app.proposalFile(proposal: number, file: 1, competition: slug, as: amina) }
        }
        await #expect(throws: WyscError.self) { try await app.readProposal(.team(proposal.team), competition: slug, as: amina) }

        // After declaring a conflict, the proposal is no longer hers to read.
        try await app.declareConflict(proposal: queue[0], reason: "I mentored this team", judge: nil, competition: slug, as: amina)
        let conflicted = await #expect(throws: WyscError.self) { try await app.readProposal(.number(queue[0]), competition: slug, as: amina) }
        #expect(conflicted?.kind == .permissionDenied)
        #expect(conflicted?.message.contains("you declared a conflict") == true)
        await #expect(throws: WyscError.self) { try await app.proposalFile(proposal: queue[0], file: 1, competition: slug, as: amina) }
    }

    @Test func universitiesReadTheirOwnTeamsAndOrganizersEverything() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let app = fixture.application
        let connection = try fixture.test.connect()
        defer { connection.close() }
        let bogota = Actor.university(try connection.query("SELECT id FROM university WHERE name = 'Universidad de Bogotá'").rows[0].decode("id"))
        let own = try await app.readProposal(.team("Bogotá Bikes"), competition: slug, as: bogota)[0]
        #expect(own.team == "Bogotá Bikes" && own.university == "Universidad de Bogotá" && !own.blind)
        #expect(own.files.map(\.name) == ["Bogotá Bikes plan.pdf"])
        #expect(own.submittedBy == nil)
        let seoul = try await app.readProposal(.team("Han River Movers"), competition: slug, as: organizer)[0]
        #expect(seoul.team == "Han River Movers" && seoul.submittedBy != nil)
        for reference in [ProposalReference.team("Han River Movers"), .number(seoul.proposal)] {
            let error = await #expect(throws: WyscError.self) { try await app.readProposal(reference, competition: slug, as: bogota) }
            #expect(error?.kind == .permissionDenied)
        }
        await #expect(throws: WyscError.self) { try await app.proposalFile(proposal: seoul.proposal, file: 1, competition: slug, as: bogota) }
        let missing = await #expect(throws: WyscError.self) { try await app.readProposal(.number(999_999), competition: slug, as: organizer) }
        #expect(missing?.kind == .notFound)
        #expect(missing?.message == "there is no proposal #999999 in competition '\(slug)'")
        let unknownTeam = await #expect(throws: WyscError.self) { try await app.readProposal(.team("成都大学队"), competition: slug, as: organizer) }
        #expect(unknownTeam?.message == "team '成都大学队' has no proposal in competition '\(slug)'")
        let noFile = await #expect(throws: WyscError.self) {
            try await app.proposalFile(proposal: seoul.proposal, file: 2, competition: slug, as: organizer)
        }
        #expect(noFile?.message == "proposal #\(seoul.proposal) has no file 2 (it has 1)")
    }

    @Test func feedbackIsRefusedInARoundThatSendsNoneAndTheQueueCountsOpenedFiles() async throws {
        let test = try await inProposals()
        let app = test.application
        let judges = ["ana@example.org", "ben@example.org", "chloe@example.org"].enumerated().map {
            ($0 + 2, JudgeInput(name: "Judge \($0)", email: $1, university: "", city: "Lima", country: "Peru", expertise: [], maxLoad: nil), "")
        }
        _ = try await app.addJudges(judges, file: "j.csv", competition: slug, as: organizer)
        let pdf = ProposalDocument(name: "plan.pdf", bytes: SimplePDF.make(title: "Plan", lines: []))
        for team in ["Han River Movers", "Panda Power"] {
            _ = try await app.submitProposal(input(team, files: [pdf]), competition: slug, as: organizer)
        }
        _ = try await app.advancePhase(competition: slug, to: nil, expectedPhase: "proposals", as: organizer)
        let ana = Actor.judge(try await app.judges(competition: slug, as: organizer).first { $0.email == "ana@example.org" }!.id)
        let item = try await app.judgeQueue(judge: nil, competition: slug, as: ana)[0]
        #expect(!item.feedbackToTeams && item.files == 1 && item.filesOpened == 0)
        // An organizer previewing as her does not count as her opening it.
        _ = try await app.proposalFile(proposal: item.proposal, file: 1, judge: "ana@example.org", competition: slug, as: organizer)
        #expect(try await app.judgeQueue(judge: nil, competition: slug, as: ana)[0].filesOpened == 0)
        _ = try await app.proposalFile(proposal: item.proposal, file: 1, competition: slug, as: ana)
        #expect(try await app.judgeQueue(judge: nil, competition: slug, as: ana)[0].filesOpened == 1)
        let error = await #expect(throws: WyscError.self) {
            try await app.submitScorecard(
                proposal: item.proposal, values: ["idea": "7"], comment: nil, feedback: "Nice", draft: false, judge: nil, competition: slug, as: ana)
        }
        #expect(error?.message.contains("round 'screening' sends no feedback to teams") == true)
        let noRound = await #expect(throws: WyscError.self) { try await app.teamFeedback(competition: slug, as: organizer) }
        #expect(noRound?.kind == .notFound)
    }

    @Test func referencesAndNeutralNames() {
        #expect(ProposalReference(parsing: "17") == .number(17))
        #expect(ProposalReference(parsing: "#17") == .number(17))
        #expect(ProposalReference(parsing: "Team 17") == .team("Team 17"))
        #expect(ProposalReference(parsing: "0") == .team("0"))
        #expect(byteCountText(950) == "950 B")
        #expect(byteCountText(20_000_000) == "20 MB")
        #expect(byteCountText(1_250_000) == "1.3 MB")
    }
}
