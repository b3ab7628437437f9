import Foundation
import Testing
import WyscApplication
import WyscHTTP
import WyscPostgres
import WyscTestSupport

/// What an attacker and a faulty network tried against `wysc serve`, kept fixed.
@Suite(.serialized) struct HTTPHardeningTests {
    static let base = ServerTests.base

    func scorecardPath(_ server: RunningServer, _ token: String) async throws -> String {
        let proposal = try await server.client(token).queue(JudgingFixture.slug, judge: nil)[0].proposal
        return "\(Self.base)/scorecards/\(proposal)"
    }

    func errorText(_ answer: APIClient.Answer) -> String {
        (try? APIJSON.decoder.decode(APIErrorBody.self, from: answer.body)).map { "\($0.error.code): \($0.error.message)" } ?? ""
    }

    /// Two terminals scoring the same card for the first time: If-Match "0" means "only if there is
    /// still no card", so exactly one of twenty wins and the others are told it is stale.
    @Test func ifMatchZeroLetsExactlyOneFirstScorecardIn() async throws {
        let (fixture, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        let path = try await scorecardPath(server, callers.amina)
        let client = server.client(callers.amina)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let body = Data(#"{"scores": {"idea": \#(index % 10 + 1), "plan": 5}}"#.utf8)
                    return try await client.send("PUT", path, json: body, headers: ["If-Match": "\"0\""]).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 412 }.count == 19, "\(statuses)")
        let audit = try await fixture.application.auditLog(AuditFilter(action: "scorecard."), as: TestApplication.organizer)
        #expect(audit.count == 1)
        #expect(try await client.scorecard(JudgingFixture.slug, proposal: Int(path.split(separator: "/").last!)!, judge: nil)?.revision == 1)
    }

    /// Ten copies of one request with one key, at once: one change, ten identical answers.
    @Test func concurrentRetriesOfOneKeyMakeOneChange() async throws {
        let (fixture, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        let path = try await scorecardPath(server, callers.amina)
        let client = server.client(callers.amina)
        let body = Data(#"{"scores": {"idea": 9, "plan": 8}, "comment": "again and again"}"#.utf8)
        let answers = try await withThrowingTaskGroup(of: APIClient.Answer.self) { group in
            for _ in 0..<10 { group.addTask { try await client.send("PUT", path, json: body, headers: ["Idempotency-Key": "same"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 201 }, "\(answers.map(\.status))")
        #expect(Set(answers.map(\.body)).count == 1)
        #expect(answers.filter { $0.header("Idempotent-Replay") == "true" }.count == 9)
        let audit = try await fixture.application.auditLog(AuditFilter(action: "scorecard."), as: TestApplication.organizer)
        #expect(audit.count == 1)

        // A refusal is an answer too: the same bad request with its key gets the same refusal.
        let bad = Data(#"{"scores": {"idea": 11, "plan": 8}}"#.utf8)
        let first = try await client.send("PUT", path, json: bad, headers: ["Idempotency-Key": "bad"])
        let retry = try await client.send("PUT", path, json: bad, headers: ["Idempotency-Key": "bad"])
        #expect(first.status == 409)
        #expect(retry.status == 409 && retry.body == first.body && retry.header("Idempotent-Replay") == "true")
    }

    /// Keys are forgotten after their retention period; the sweep says how many went.
    @Test func idempotencyKeysExpire() async throws {
        let (fixture, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        let path = try await scorecardPath(server, callers.amina)
        let client = server.client(callers.amina)
        let body = Data(#"{"scores": {"idea": 4, "plan": 4}}"#.utf8)
        #expect(try await client.send("PUT", path, json: body, headers: ["Idempotency-Key": "old"]).status == 201)
        #expect(try await fixture.application.expireIdempotencyKeys() == 0)
        let connection = try fixture.test.connect()
        defer { connection.close() }
        try connection.query("UPDATE idempotency_key SET created_at = now() - interval '25 hours'")
        // An expired answer is not replayed: the request runs again (and changes nothing: same card).
        let again = try await client.send("PUT", path, json: body, headers: ["Idempotency-Key": "old"])
        #expect(again.status == 200 && again.header("Idempotent-Replay") == nil)
        try connection.query("UPDATE idempotency_key SET created_at = now() - interval '25 hours'")
        #expect(try await fixture.application.expireIdempotencyKeys() == 1)
    }

    /// A valid token is never refused because others failed, behind a proxy or not; failures are
    /// limited per address and over all addresses.
    @Test func failedTokensNeverLockOutAValidOne() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        let settings = ServerSettings(
            port: 0, failuresBeforeSlowdown: 1_000, failuresBeforeRefusal: 5, globalFailuresBeforeSlowdown: 1_000, globalFailuresBeforeRefusal: 12,
            trustedProxies: ["127.0.0.1"])
        let server = try await RunningServer.start(fixture.application, settings: settings)
        defer { Task { await server.stop() } }
        func whoami(_ token: String, from address: String) async throws -> Int {
            try await server.client(token).send("GET", "api/v1/whoami", headers: ["X-Forwarded-For": "198.51.100.1, \(address)"]).status
        }
        var statuses: [Int] = []
        for _ in 0..<7 { statuses.append(try await whoami("wysc_guess", from: "203.0.113.9")) }
        #expect(statuses == [401, 401, 401, 401, 401, 429, 429])
        #expect(try await whoami(callers.organizer, from: "203.0.113.9") == 200, "the valid token from the same address passes")
        #expect(try await whoami("wysc_guess", from: "203.0.113.10") == 401, "another address is not punished for the first")

        // Many addresses, one failure each: the limit over all of them answers 429.
        var spread: [Int] = []
        for index in 0..<8 { spread.append(try await whoami("wysc_guess", from: "192.0.2.\(index)")) }
        #expect(spread.suffix(3) == [429, 429, 429], "\(spread)")
        #expect(try await whoami(callers.amina, from: "192.0.2.200") == 200)
    }

    /// Without a trusted proxy, X-Forwarded-For is the client's to forge and changes nothing.
    @Test func aForgedForwardedForIsIgnoredWithoutATrustedProxy() async throws {
        let test = try await TestApplication()
        let server = try await RunningServer.start(
            test.application, settings: ServerSettings(port: 0, failuresBeforeSlowdown: 1_000, failuresBeforeRefusal: 3))
        defer { Task { await server.stop() } }
        var statuses: [Int] = []
        for index in 0..<5 {
            statuses.append(
                try await server.client("wysc_guess").send("GET", "api/v1/whoami", headers: ["X-Forwarded-For": "10.0.0.\(index)"]).status)
        }
        #expect(statuses == [401, 401, 401, 429, 429])
    }

    @Test func judgesAndUniversitiesDoNotSeeTheWorkflowPath() async throws {
        let (_, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        for token in [callers.amina, callers.bogota] {
            let body = String(decoding: try await server.client(token).send("GET", "api/v1/competitions").body, as: UTF8.self)
            #expect(body.contains(JudgingFixture.slug) && !body.contains("workflow_file") && !body.contains("test.yaml"), "\(body)")
        }
        let organizer = String(decoding: try await server.client(callers.organizer).send("GET", "api/v1/competitions").body, as: UTF8.self)
        #expect(organizer.contains(#""workflow_file":"test.yaml""#))
    }

    /// NUL, control characters and over-long texts are refused naming the field; nothing is written.
    @Test func hostileTextIsRefusedNamingTheField() async throws {
        let (fixture, callers, server) = try await ServerTests.judgingServer()
        defer { Task { await server.stop() } }
        let path = try await scorecardPath(server, callers.amina)
        let client = server.client(callers.amina)
        let nul = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 5, "plan": 5}, "comment": "a\u0000b"}"#.utf8))
        #expect(nul.status == 400)
        #expect(errorText(nul) == "bad_input: field 'comment' contains a NUL character, which cannot be stored")
        let escape = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 5, "plan": 5}, "comment": "ok\u001b]0;pwned\u0007"}"#.utf8))
        #expect(escape.status == 400)
        #expect(errorText(escape).contains("the comment contains the control character U+001B"), "\(errorText(escape))")
        let long = try await client.send(
            "PUT", path, json: Data(("{\"scores\": {\"idea\": 5, \"plan\": 5}, \"comment\": \"" + String(repeating: "長", count: 10_001) + "\"}").utf8)
        )
        #expect(long.status == 400)
        #expect(errorText(long) == "bad_input: the comment is 10001 characters long; at most 10000 are allowed")
        let reason = try await client.send(
            "POST", "\(Self.base)/conflicts", json: Data(("{\"proposal\": 1, \"reason\": \"" + String(repeating: "r", count: 2_001) + "\"}").utf8))
        #expect(reason.status == 400 && errorText(reason).contains("at most 2000"), "\(errorText(reason))")
        let audit = try await fixture.application.auditLog(AuditFilter(), as: TestApplication.organizer)
        #expect(!audit.contains { $0.action.hasPrefix("scorecard.") || $0.action.hasPrefix("conflict.") })
    }
}

/// The routes the server registers and the requests the client builds come from one list; that list
/// and the OpenAPI document name the same paths.
@Suite struct EndpointTests {
    @Test func everyEndpointIsDocumentedAndEveryDocumentedAPIPathIsAnEndpoint() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../OpenAPI/openapi.yaml")
        let documented = Set(
            try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix("  /api/") }.map { String($0.dropFirst(2).dropLast()) })
        let declared = Set(
            Endpoint.allCases.map { endpoint in
                "/" + Endpoint.prefix + "/"
                    + endpoint.rawValue.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            })
        #expect(declared == documented)
        #expect(Endpoint.scorecard.path(slug: "wysc 2026", proposal: 17) == "api/v1/competitions/wysc%202026/scorecards/17")
    }
}
