import Foundation
import Testing
import WyscApplication
import WyscTestSupport

@testable import WyscHTTP

/// Proposals and their files over HTTP: what the remote CLI of a judge uses.
@Suite(.serialized) struct ProposalRoutesTests {
    let base = "api/v1/competitions/\(JudgingFixture.slug)/proposals"

    @Test func aFileDownloadsWithItsETagResumesWithARangeAndHidesTheTeamInABlindRound() async throws {
        let (fixture, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        let judge = server.client(callers.amina)
        let proposal = try await judge.queue(JudgingFixture.slug, judge: nil)[0].proposal
        let team = try await fixture.application.proposals(competition: JudgingFixture.slug, as: TestApplication.organizer)
            .first { $0.proposal == proposal }!.team!
        let plan = JudgingFixture.plan(JudgingFixture.teams.firstIndex { $0.0 == team }!)

        let view = try await judge.proposal(JudgingFixture.slug, number: proposal, allVersions: false)[0]
        #expect(view.team == nil && view.blind && view.files.count == 1)
        let file = view.files[0]
        #expect(file.name == "proposal-\(proposal)-plan.pdf" && file.size == plan.count)

        let whole = try await judge.send("GET", "\(base)/\(proposal)/files/1")
        #expect(whole.status == 200)
        #expect(whole.body == plan)
        #expect(whole.header("ETag") == "\"\(file.sha256)\"")
        #expect(whole.header("Accept-Ranges") == "bytes")
        #expect(whole.header("Content-Type") == "application/pdf")
        let disposition = whole.header("Content-Disposition") ?? ""
        #expect(
            disposition.contains("proposal-\(proposal)-plan.pdf") && !disposition.contains(team)
                && !disposition.contains("plan.pdf\"; filename*=UTF-8''Han"))

        let unchanged = try await judge.send("GET", "\(base)/\(proposal)/files/1", headers: ["If-None-Match": "\"\(file.sha256)\""])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty)

        // Resume: the rest from byte 1000, the last 10 bytes, then a range past the end.
        let rest = try await judge.send("GET", "\(base)/\(proposal)/files/1", headers: ["Range": "bytes=1000-", "If-Range": "\"\(file.sha256)\""])
        #expect(rest.status == 206)
        #expect(rest.body == plan.suffix(from: 1000))
        #expect(rest.header("Content-Range") == "bytes 1000-\(plan.count - 1)/\(plan.count)")
        let tail = try await judge.send("GET", "\(base)/\(proposal)/files/1", headers: ["Range": "bytes=-10"])
        #expect(tail.status == 206 && tail.body == plan.suffix(10))
        let beyond = try await judge.send("GET", "\(base)/\(proposal)/files/1", headers: ["Range": "bytes=\(plan.count)-"])
        #expect(beyond.status == 416)
        #expect(beyond.header("Content-Range") == "bytes */\(plan.count)")
        // A stale If-Range gets the whole file, which the client treats as "changed".
        let stale = try await judge.send("GET", "\(base)/\(proposal)/files/1", headers: ["Range": "bytes=1000-", "If-Range": "\"other\""])
        #expect(stale.status == 200 && stale.body == plan)

        // The client's piecewise download, as `wysc proposal get` does it remotely.
        let piece = try await judge.proposalFilePiece(JudgingFixture.slug, proposal: proposal, file: file, range: 10..<20)
        #expect(piece == plan.subdata(in: 10..<20))

        // The organizer sees the team and the team's own file name.
        let organizer = try await server.client(callers.organizer).proposal(JudgingFixture.slug, number: proposal, allVersions: true)
        #expect(organizer[0].team == team && organizer[0].files[0].name == "\(team) plan.pdf")
        let bad = try await judge.send("GET", "\(base)/\(proposal)", query: ["versions": "some"])
        #expect(bad.status == 400)
        let zero = try await judge.send("GET", "\(base)/\(proposal)/files/0")
        #expect(zero.status == 400)
    }

    @Test func byteRangesAreParsedAsRFC9110Says() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .part(0..<10))
        #expect(ByteRange.parse("bytes=90-200", size: 100) == .part(90..<100))
        #expect(ByteRange.parse("bytes=-5", size: 100) == .part(95..<100))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-6", size: 100) == .whole)
        #expect(ByteRange.parse("items=0-1", size: 100) == .whole)
        #expect(ByteRange.parse("bytes=9-3", size: 100) == .whole)
    }
}
