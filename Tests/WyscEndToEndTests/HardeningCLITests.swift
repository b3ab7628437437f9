import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

/// Hostile files, numbers and text through the built binary: a clear refusal and the documented
/// exit code, never a trap, a raw database error, or a terminal taken over.
@Suite struct HardeningCLITests {
    func scratch() throws -> URL {
        let directory = Scratch.url("wysc-hard-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A judge's comment written with terminal escapes (before limits existed, or by SQL) is shown
    /// escaped in tables, and a long one is cut; JSON keeps it whole.
    @Test func tablesShowControlCharactersAndCutWideCells() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let judge = fixture.judges["amina@example.org"]!
        let proposal = try await fixture.application.judgeQueue(judge: nil, competition: JudgingFixture.slug, as: .judge(judge))[0].proposal
        _ = try await fixture.application.submitScorecard(
            proposal: proposal, values: ["idea": "5", "plan": "5"], comment: "fine", draft: false, judge: nil, competition: JudgingFixture.slug,
            as: .judge(judge))
        let connection = try fixture.test.connect()
        defer { connection.close() }
        let hostile = "\u{1B}]0;owned\u{07}\u{1B}[2J\rclean" + String(repeating: "x", count: 9_000)
        try connection.query("UPDATE scorecard SET comment = \(hostile)")
        let url = fixture.test.configuration.connectionString!
        let table = try WyscBinary.run(["results", "scorecards", "--competition", JudgingFixture.slug, "--database-url", url])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(!table.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D })
        #expect(table.stdout.contains(#"\u{1b}]0;owned\u{7}\u{1b}[2J\u{d}clean"#), "\(table.stdout.prefix(600))")
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count < 400 }, "a 9,000-character comment is cut in a table")
        let json = try WyscBinary.run(["results", "scorecards", "--competition", JudgingFixture.slug, "--database-url", url, "--format", "json"])
        #expect(json.stdout.contains(String(repeating: "x", count: 9_000)))
    }

    @Test func hugeNumbersAreRefusedNotTrapped() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "id,university,city,tags\np1,U,C,mobility\n".write(
            to: directory.appendingPathComponent("proposals.csv"), atomically: true, encoding: .utf8)
        try "id,university,city,tags,max_load\nj1,X,Y,mobility,2\n".write(
            to: directory.appendingPathComponent("judges.csv"), atomically: true, encoding: .utf8)
        try "judge_id,proposal_id\n".write(to: directory.appendingPathComponent("conflicts.csv"), atomically: true, encoding: .utf8)
        for k in ["9223372036854775807", "1000000000"] {
            let outcome = try WyscBinary.run(["assign", "solve", "--input", directory.path, "--per-proposal", k])
            #expect(outcome.status == 65, "k = \(k): \(outcome.status) \(outcome.stderr)")
            #expect(outcome.stderr.contains("judges per proposal must be between 1 and 50"))
        }
        try "id,university,city,tags,max_load\nj1,X,Y,mobility,9223372036854775807\n".write(
            to: directory.appendingPathComponent("judges.csv"), atomically: true, encoding: .utf8)
        let load = try WyscBinary.run(["assign", "solve", "--input", directory.path, "--per-proposal", "1"])
        #expect(load.status == 65)
        #expect(load.stderr.contains("judges.csv, row 2: max_load '9223372036854775807' is not a whole number of proposals from 0 to 100000"))
    }

    @Test func outOfRangeLoadsAndExpiriesAreRefusedAtTheEdge() async throws {
        let test = try await TestApplication()
        try await test.competition()
        let url = test.configuration.connectionString!
        let judge = try WyscBinary.run(["judge", "add", "Big Load", "--email", "big@example.org", "--max-load", "3000000000", "--database-url", url])
        #expect(judge.status == 65, "\(judge.stderr)")
        #expect(judge.stderr.contains("max_load '3000000000' is not a whole number of proposals from 0 to 100000"))
        #expect(!judge.stderr.contains("SQLSTATE"))
        for (date, status) in [("99999-12-31", Int32(64)), ("0001-01-01", 65), ("2000-01-01", 65)] {
            let token = try WyscBinary.run(["token", "create", "--role", "organizer", "--for", "ana", "--expires", date, "--database-url", url])
            #expect(token.status == status, "\(date): \(token.status) \(token.stderr)")
            #expect(!token.stderr.contains("SQLSTATE"))
        }
        let list = try WyscBinary.run(["token", "list", "--database-url", url, "--format", "json"])
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "no token was created")
    }

    @Test func anAliasBombScorecardFileIsRefusedAtOnce() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        bomb += "comment: *i\n"
        let file = directory.appendingPathComponent("card.yaml")
        try bomb.write(to: file, atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        let outcome = try WyscBinary.run([
            "score", "1", "--judge", "amina@example.org", "--file", file.path, "--competition", JudgingFixture.slug, "--database-url",
            fixture.test.configuration.connectionString!,
        ])
        #expect(outcome.status == 65, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("card.yaml: the document expands to more than 100000 values"), "\(outcome.stderr)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func localRefusesPathsItMustNotTake() throws {
        let empty = try WyscBinary.run(["local", "start", "--data-dir", ""])
        #expect(empty.status == 64)
        #expect(empty.stderr.contains("--data-dir needs a directory"))
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "mine".write(to: directory.appendingPathComponent("thesis.tex"), atomically: true, encoding: .utf8)
        let full = try WyscBinary.run(["local", "start", "--data-dir", directory.path])
        #expect(full.status == 65, "\(full.stderr)")
        #expect(full.stderr.contains("exists and is not empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["thesis.tex"])
    }

    @Test func aWorkflowWithNULIsCaughtByValidate() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("w.yaml")
        let text = try String(contentsOfFile: WorkflowCLITests.workflowFile, encoding: .utf8)
            .replacingOccurrences(of: "title: World Youth Smart City Innovation Competition", with: "title: \"World\u{0}Youth\"")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try WyscBinary.run(["workflow", "validate", file.path])
        #expect(outcome.status == 65, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("w.yaml:5:14: a NUL character"), "\(outcome.stderr)")
    }

    @Test func loginWarnsThatPlainHTTPCarriesTheTokenInClear() throws {
        let remote = try WyscBinary.run(["login", "--server", "http://wysc.example.org"], stdin: "")
        #expect(remote.status == 64)
        #expect(remote.stderr.contains("warning: http://wysc.example.org is plain http: your token will travel in clear"))
        let loopback = try WyscBinary.run(["login", "--server", "http://127.0.0.1:9"], stdin: "")
        #expect(!loopback.stderr.contains("plain http"))
    }
}
