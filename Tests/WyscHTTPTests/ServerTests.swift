import Foundation
import Logging
import Testing
import WyscApplication
import WyscHTTP
import WyscPostgres
import WyscTestSupport

/// `wysc serve` in this process on a free port.
struct RunningServer {
    let url: URL
    let task: Task<Void, any Error>

    static func start(
        _ application: Application, settings: ServerSettings = ServerSettings(port: 0, failuresBeforeSlowdown: 1000, failuresBeforeRefusal: 1000)
    ) async throws -> RunningServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "wysc.test.server")
        logger.logLevel = .warning
        let task = Task {
            try await WyscServer.run(application: application, settings: settings, logger: logger) { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return RunningServer(url: URL(string: "http://127.0.0.1:\(port)")!, task: task)
    }

    func client(_ token: String?) -> APIClient { APIClient(server: url, token: token) }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Tokens for every kind of caller of the judging fixture.
struct Callers {
    var organizer: String
    var amina: String  // a judge
    var elena: String  // another judge
    var bogota: String  // a university with two teams
    var seoul: String  // another university
    var revoked: String
    var expired: String

    static func make(_ fixture: JudgingFixture) async throws -> Callers {
        let app = fixture.application
        let organizer = TestApplication.organizer
        func token(_ role: TokenRole, _ subject: String, competition: String? = JudgingFixture.slug, expires: Date? = nil) async throws -> String {
            try await app.createToken(role: role, for: subject, competition: competition, expires: expires, as: organizer).token
        }
        let revoked = try await app.createToken(role: .organizer, for: "old", competition: nil, expires: nil, as: organizer)
        // An expiry in the past is refused when a token is made: make one that expires, then let it.
        let expiring = try await app.createToken(
            role: .organizer, for: "past", competition: nil, expires: fixture.test.clock.now.addingTimeInterval(60), as: organizer)
        let connection = try fixture.test.connect()
        defer { connection.close() }
        try connection.query("UPDATE api_token SET expires_at = \(fixture.test.clock.now.addingTimeInterval(-60)) WHERE id = \(expiring.info.id)")
        try await app.revokeToken(id: revoked.info.id, as: organizer)
        return Callers(
            organizer: try await token(.organizer, "ana", competition: nil), amina: try await token(.judge, "amina@example.org"),
            elena: try await token(.judge, "elena@example.org"), bogota: try await token(.university, "Universidad de Bogotá", competition: nil),
            seoul: try await token(.university, "Seoul National University", competition: nil), revoked: revoked.token,
            expired: expiring.token)
    }
}

@Suite(.serialized) struct ServerTests {
    static let base = "api/v1/competitions/\(JudgingFixture.slug)"

    /// The judging fixture, a token for every kind of caller, and a server over them.
    static func judgingServer() async throws -> (JudgingFixture, Callers, RunningServer) {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        return (fixture, callers, try await RunningServer.start(fixture.application))
    }

    /// The proposal numbers assigned to a judge, through the API.
    func queue(_ server: RunningServer, _ token: String) async throws -> [Int] {
        try await server.client(token).queue(JudgingFixture.slug, judge: nil).map(\.proposal)
    }

    @Test func everyRoleOnEveryRouteIsAllowedOrRefusedAsItShouldBe() async throws {
        let (fixture, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let aminas = try await queue(server, callers.amina)
        let notAminas = try await queue(server, callers.elena).first { !aminas.contains($0) }!
        let score = #"{"scores": {"idea": 7, "plan": 6}}"#
        let proposals = try await fixture.application.proposals(competition: JudgingFixture.slug, as: TestApplication.organizer)
        let bogotas = Set(proposals.filter { $0.university == "Universidad de Bogotá" }.map(\.proposal))
        let university = { (proposal: Int) in bogotas.contains(proposal) ? 200 : 403 }
        struct Case {
            var method: String
            var path: String
            var body: String?
            /// Expected status for: organizer, judge Amina, university Bogotá.
            var expected: (Int, Int, Int)
        }
        let cases = [
            Case(method: "GET", path: "api/v1/whoami", expected: (200, 200, 200)),
            Case(method: "GET", path: "api/v1/competitions", expected: (200, 200, 200)),
            Case(method: "GET", path: "\(Self.base)/phase", expected: (200, 200, 200)),
            Case(method: "GET", path: "\(Self.base)/phase/check", expected: (200, 403, 403)),
            Case(method: "POST", path: "\(Self.base)/phase/advance", body: #"{"from": "screening"}"#, expected: (409, 403, 403)),
            Case(method: "GET", path: "\(Self.base)/teams/status", expected: (200, 403, 200)),
            Case(method: "GET", path: "\(Self.base)/rubric", expected: (200, 200, 200)),
            // An organizer who names no judge may not act as one: 403 judge_required.
            Case(method: "GET", path: "\(Self.base)/queue", expected: (403, 200, 403)),
            Case(method: "GET", path: "\(Self.base)/scorecards/\(aminas[0])", expected: (403, 404, 403)),
            Case(method: "PUT", path: "\(Self.base)/scorecards/\(notAminas)", body: score, expected: (403, 403, 403)),
            Case(method: "PUT", path: "\(Self.base)/scorecards/\(aminas[0])", body: score, expected: (403, 201, 403)),
            Case(method: "GET", path: "\(Self.base)/proposals/\(aminas[0])", expected: (200, 200, university(aminas[0]))),
            Case(method: "GET", path: "\(Self.base)/proposals/\(notAminas)", expected: (200, 403, university(notAminas))),
            Case(method: "GET", path: "\(Self.base)/proposals/\(aminas[0])/files/1", expected: (200, 200, university(aminas[0]))),
            Case(method: "GET", path: "\(Self.base)/proposals/\(notAminas)/files/1", expected: (200, 403, university(notAminas))),
            Case(method: "GET", path: "\(Self.base)/proposals/\(aminas[0])/files/2", expected: (404, 404, university(aminas[0]) == 200 ? 404 : 403)),
            Case(
                method: "POST", path: "\(Self.base)/conflicts", body: #"{"proposal": \#(aminas[1]), "reason": "knows the team"}"#,
                expected: (403, 201, 403)),
            Case(method: "GET", path: "\(Self.base)/results", expected: (200, 403, 403)),
            Case(method: "GET", path: "\(Self.base)/feedback", expected: (200, 403, 403)),
            Case(method: "GET", path: "\(Self.base)/audit", expected: (200, 403, 403)),
        ]
        for entry in cases {
            let body = entry.body.map { Data($0.utf8) }
            for (token, expected, who) in [
                (callers.organizer, entry.expected.0, "organizer"), (callers.amina, entry.expected.1, "judge"),
                (callers.bogota, entry.expected.2, "university"),
            ] {
                let answer = try await server.client(token).send(entry.method, entry.path, json: body)
                #expect(
                    answer.status == expected,
                    "\(who) \(entry.method) \(entry.path): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
            }
            for (token, who) in [
                (nil as String?, "no token"), ("wysc_not-a-token", "a bad token"), (callers.revoked, "a revoked token"),
                (callers.expired, "an expired token"),
            ] {
                let answer = try await server.client(token).send(entry.method, entry.path, json: body)
                #expect(answer.status == 401, "\(who) \(entry.method) \(entry.path): \(answer.status)")
                if answer.status == 401 { #expect(answer.header("WWW-Authenticate") == "Bearer") }
            }
        }
        // A university sees only its teams; a judge token works only in its competition.
        let statuses = try await server.client(callers.bogota).teamStatus(JudgingFixture.slug, team: nil, university: nil)
        #expect(Set(statuses.map(\.team)) == ["Bogotá Bikes", "Andes Data"])
        let others = try await server.client(callers.seoul).send("GET", "\(Self.base)/teams/status", query: ["team": "Bogotá Bikes"])
        #expect(others.status == 404)
        _ = try await fixture.application.createCompetition(
            slug: "other", title: nil, workflowSource: TestWorkflows.judging, workflowFile: "w.yaml", as: TestApplication.organizer)
        let elsewhere = try await server.client(callers.amina).send("GET", "api/v1/competitions/other/phase")
        #expect(elsewhere.status == 403)
    }

    /// The results over the API: the judge model by default, with how sure each rank is; the
    /// other methods without it; an unknown method named in the refusal.
    @Test func resultsCarryTheModelsConfidenceOverTheAPI() async throws {
        let (fixture, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        try await JudgingFixture.scoreEverything(fixture, round: "screening")
        let client = server.client(callers.organizer)
        func object(_ answer: APIClient.Answer) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any], "\(String(decoding: answer.body, as: UTF8.self))")
        }
        let model = try object(try await client.send("GET", "\(Self.base)/results"))
        #expect(model["method"] as? String == "model")
        #expect(model["cut"] as? Int == 2, "the workflow shortlists 2 from screening")
        #expect(model["judge_groups"] as? Int == 1)
        let lines = try #require(model["lines"] as? [[String: Any]])
        #expect(lines.count == 4)
        for line in lines {
            let probability = try #require(line["top_probability"] as? Double)
            #expect((0...1).contains(probability))
            #expect((line["low"] as? Double ?? .nan) <= (line["score"] as? Double ?? .nan))
            #expect(line["best_rank"] is Int && line["uncertain"] is Bool)
        }
        let total = lines.reduce(0) { $0 + ($1["top_probability"] as? Double ?? 0) }
        #expect(abs(total - 2) < 1e-6, "the chances of making a cut of 2 add up to 2")
        let zscore = try object(try await client.send("GET", "\(Self.base)/results", query: ["method": "zscore"]))
        #expect(zscore["method"] as? String == "zscore")
        #expect((zscore["lines"] as? [[String: Any]])?.allSatisfy { $0["top_probability"] == nil && $0["uncertain"] as? Bool == false } == true)
        let unknown = try await client.send("GET", "\(Self.base)/results", query: ["method": "median"])
        #expect(unknown.status == 400)
        #expect(String(decoding: unknown.body, as: UTF8.self).contains("method must be model, zscore or raw"))
    }

    /// The scheme in any case and blanks around the token are accepted; anything else is a 401.
    @Test func theAuthorizationHeaderIsReadAsRFC6750Says() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let anonymous = server.client(nil)
        for header in ["Bearer \(callers.amina)", "bearer \(callers.amina)", "BEARER   \(callers.amina) \t"] {
            #expect(try await anonymous.send("GET", "api/v1/whoami", headers: ["Authorization": header]).status == 200, "\(header)")
        }
        for header in ["Basic \(callers.amina)", "Bearer", "Bearer   ", "Bearer\(callers.amina)", callers.amina] {
            #expect(try await anonymous.send("GET", "api/v1/whoami", headers: ["Authorization": header]).status == 401, "\(header)")
        }
    }

    @Test func badBodiesAreRefusedNamingTheField() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let proposal = try await queue(server, callers.amina)[0]
        let client = server.client(callers.amina)
        let path = "\(Self.base)/scorecards/\(proposal)"
        func error(_ body: String) async throws -> (Int, String) {
            let answer = try await client.send("PUT", path, json: Data(body.utf8))
            let decoded = try? APIJSON.decoder.decode(APIErrorBody.self, from: answer.body)
            return (answer.status, decoded.map { "\($0.error.code): \($0.error.message)" } ?? "")
        }
        #expect(try await error("{not json") == (400, "bad_json: the body is not valid JSON: expected a key in double quotes at byte 2"))
        #expect(
            try await error(#"{"scores": {"idea": 7, "idea": 6}}"#) == (
                400, #"bad_json: the body is not valid JSON: the key "idea" appears twice at byte 24"#
            ))
        #expect(
            try await error(#"{"scores": {"idea": 7, "plan": 6}, "mood": "happy"}"#) == (
                400, "unknown_field: unknown field 'mood' (expected: comment, draft, feedback, judge, scores)"
            ))
        #expect(try await error(#"{"scores": {"idea": 7, "plan": 6}, "draft": "yes"}"#) == (400, "wrong_type: field 'draft' must be true or false"))
        #expect(try await error(#"{"scores": {"idea": true, "plan": 6}}"#) == (400, "wrong_type: field 'scores.idea' must be a number"))
        // Well formed by the document, which cannot know the rubric: 409 rubric_mismatch.
        let offTheScale = try await error(#"{"scores": {"idea": 70, "plan": 6}}"#)
        #expect(offTheScale.0 == 409 && offTheScale.1.hasPrefix("rubric_mismatch: the scorecard for proposal"), "\(offTheScale)")
        // A number too large for an integer is an out-of-range score, not a crash.
        #expect(try await error(#"{"scores": {"idea": 1e300, "plan": 6}}"#).1.hasPrefix("rubric_mismatch: the scorecard for proposal"))
        #expect(try await error(#"{"scores": {"idea": 12345678901234567890, "plan": 6}}"#).1.hasPrefix("rubric_mismatch: the scorecard for proposal"))
        let huge = try await client.send("PUT", path, json: Data(("{\"comment\": \"" + String(repeating: "x", count: 70_000) + "\"}").utf8))
        #expect(huge.status == 413)
    }

    @Test func retriesWithAnIdempotencyKeyChangeNothing() async throws {
        let (fixture, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let proposal = try await queue(server, callers.amina)[0]
        let client = server.client(callers.amina)
        let path = "\(Self.base)/scorecards/\(proposal)"
        let body = Data(#"{"scores": {"idea": 8, "plan": 7}, "comment": "good"}"#.utf8)
        let first = try await client.send("PUT", path, json: body, headers: ["Idempotency-Key": "k-1"])
        let retry = try await client.send("PUT", path, json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 201)
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.header("Idempotent-Replay") == "true")
        #expect(retry.header("ETag") == "\"1\"")
        let card = try await client.scorecard(JudgingFixture.slug, proposal: proposal, judge: nil)
        #expect(card?.revision == 1)
        let audit = try await fixture.application.auditLog(AuditFilter(action: "scorecard."), as: TestApplication.organizer)
        #expect(audit.count == 1)
        let reused = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 2, "plan": 2}}"#.utf8), headers: ["Idempotency-Key": "k-1"])
        #expect(reused.status == 422)

        // Advancing twice with one key: one transition, the same answer.
        let organizer = server.client(callers.organizer)
        for judge in ["amina@example.org", "elena@example.org", "kim@snu.ac.kr", "rafael@example.org"] {
            for item in try await organizer.queue(JudgingFixture.slug, judge: judge) where item.status != "submitted" {
                _ = try await organizer.submitScorecard(
                    JudgingFixture.slug, proposal: item.proposal, values: ["idea": "6", "plan": "6"], comment: nil, draft: false, judge: judge,
                    revision: 0)
            }
        }
        let advance = Data(#"{"from": "screening"}"#.utf8)
        let once = try await organizer.send("POST", "\(Self.base)/phase/advance", json: advance, headers: ["Idempotency-Key": "advance-1"])
        let twice = try await organizer.send("POST", "\(Self.base)/phase/advance", json: advance, headers: ["Idempotency-Key": "advance-1"])
        #expect(once.status == 200, "\(String(decoding: once.body, as: UTF8.self))")
        #expect(twice.body == once.body)
        #expect(try await fixture.application.phaseHistory(competition: JudgingFixture.slug).filter { $0.from == "screening" }.count == 1)
    }

    @Test func aStaleIfMatchIsRefusedWith412() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let proposal = try await queue(server, callers.amina)[0]
        let client = server.client(callers.amina)
        let path = "\(Self.base)/scorecards/\(proposal)"
        let created = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 5, "plan": 5}}"#.utf8), headers: ["If-Match": "\"0\""])
        #expect(created.status == 201)
        let read = try await client.send("GET", path)
        #expect(read.header("ETag") == "\"1\"")
        let revised = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 6, "plan": 5}}"#.utf8), headers: ["If-Match": "\"1\""])
        #expect(revised.status == 200)
        #expect(revised.header("ETag") == "\"2\"")
        let stale = try await client.send("PUT", path, json: Data(#"{"scores": {"idea": 9, "plan": 9}}"#.utf8), headers: ["If-Match": "\"1\""])
        #expect(stale.status == 412)
        #expect(String(decoding: stale.body, as: UTF8.self).contains("someone changed this scorecard"))
        #expect(try await client.scorecard(JudgingFixture.slug, proposal: proposal, judge: nil)?.scores["idea"] == 6)
    }

    /// A scorecard's token is checked by the statement that stores it, and still told first: a bad
    /// token is 401 whatever else is wrong, a token of another competition is 403, and a
    /// token's use is noted as on every other route.
    @Test func aScorecardsTokenIsCheckedByItsStatementAndToldFirst() async throws {
        let (fixture, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let proposal = try await queue(server, callers.amina)[0]
        let path = "\(Self.base)/scorecards/\(proposal)"
        let card = Data(#"{"scores": {"idea": 5, "plan": 5}}"#.utf8)
        for token in ["wysc_guess", callers.revoked, callers.expired] {
            #expect(try await server.client(token).send("PUT", path, json: Data("{not json".utf8)).status == 401)
            #expect(try await server.client(token).send("PUT", "api/v1/competitions/nope/scorecards/\(proposal)", json: card).status == 401)
            #expect(try await server.client(token).send("PUT", path, json: Data(#"{"scores": {"idea": 99}}"#.utf8)).status == 401)
            #expect(try await server.client(token).send("PUT", path, json: card).status == 401)
        }
        let elsewhere = try await server.client(callers.amina).send("PUT", "api/v1/competitions/nope/scorecards/\(proposal)", json: card)
        #expect(elsewhere.status == 403)
        #expect(String(decoding: elsewhere.body, as: UTF8.self).contains("this token is for competition 'wysc-2026'"))
        let fresh = try await fixture.application.createToken(
            role: .judge, for: "amina@example.org", competition: JudgingFixture.slug, expires: nil, as: TestApplication.organizer)
        #expect(try await server.client(fresh.token).send("PUT", path, json: card).status == 201)
        let connection = try fixture.test.connect()
        defer { connection.close() }
        let used: Date? = try connection.query("SELECT last_used_at FROM api_token WHERE id = \(fresh.info.id)").rows[0].decode("last_used_at")
        #expect(used != nil)
        #expect(try connection.query("SELECT count(*) AS n FROM scorecard").rows[0].decode("n", as: Int.self) == 1)
    }

    /// If-Match as RFC 9110 has it: `*` (only if a scorecard exists), a list of ETags (any one
    /// current), and a weak, foreign or malformed tag that never matches: 412, nothing written.
    @Test func ifMatchTakesStarListsAndRefusesWhatItCannotConfirm() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let proposal = try await queue(server, callers.amina)[0]
        let client = server.client(callers.amina)
        let path = "\(Self.base)/scorecards/\(proposal)"
        func put(_ ifMatch: String, idea: Int) async throws -> Int {
            try await client.send("PUT", path, json: Data(#"{"scores": {"idea": \#(idea), "plan": 5}}"#.utf8), headers: ["If-Match": ifMatch]).status
        }
        #expect(try await put("*", idea: 9) == 412, "* needs a scorecard to exist")
        #expect(try await put(#""7", "0""#, idea: 5) == 201)
        #expect(try await put("*", idea: 6) == 200)
        for unconfirmable in [#"W/"2""#, #""abc""#, "2", #""2"#, ""] {
            #expect(try await put(unconfirmable, idea: 9) == 412, "If-Match: \(unconfirmable)")
        }
        #expect(try await put(#" "1" , "2" "#, idea: 7) == 200)
        #expect(try await client.scorecard(JudgingFixture.slug, proposal: proposal, judge: nil)?.revision == 3)
    }

    /// What the document forbids is 400 naming the parameter; what it allows but names nothing is
    /// 404; what it allows but the competition refuses now is 409. A NUL never reaches PostgreSQL.
    @Test func parametersAreCheckedAsTheDocumentSays() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let organizer = server.client(callers.organizer)
        func answer(_ path: String, _ query: [String: String?]) async throws -> (Int, String) {
            let reply = try await organizer.send("GET", path, query: query)
            let decoded = try? APIJSON.decoder.decode(APIErrorBody.self, from: reply.body)
            return (reply.status, decoded.map { "\($0.error.code): \($0.error.message)" } ?? "")
        }
        let proposal = try await queue(server, callers.amina)[0]
        #expect(
            try await answer("\(Self.base)/proposals/\(proposal)/files/1", ["judge": "a\u{0}b"])
                == (400, "bad_parameter: judge contains a NUL character (at character 2), which cannot be stored"))
        #expect(try await answer("\(Self.base)/teams/status", ["team": ""]) == (400, "bad_parameter: team is empty: leave it out or give a value"))
        #expect(try await answer("\(Self.base)/audit", ["limit": "0"]).0 == 400)
        #expect(try await answer("\(Self.base)/audit", ["limit": "10001"]).0 == 400)
        #expect(try await answer("\(Self.base)/audit", ["since": "2026-05-01T00:00:00.250Z"]).0 == 200)
        #expect(try await answer("\(Self.base)/results", ["round": "Screening!"]).0 == 400)
        let unknownRound = try await answer("\(Self.base)/results", ["round": "semifinals"])
        #expect(unknownRound.0 == 404 && unknownRound.1.hasPrefix("not_found: unknown round 'semifinals'"), "\(unknownRound)")
        #expect(try await answer("\(Self.base)/phase/check", ["to": "nowhere"]).0 == 404)
        #expect(try await answer("\(Self.base)/phase/check", ["to": "registration"]).0 == 409, "not a phase that follows")
        #expect(try await answer("\(Self.base)/proposals/0", [:]).0 == 400)
        #expect(try await answer("\(Self.base)/proposals/99999999999999999999", [:]).0 == 400)
        let judgeRequired = try await answer("\(Self.base)/queue", [:])
        #expect(judgeRequired.0 == 403 && judgeRequired.1.hasPrefix("judge_required: an organizer acts for a judge: name the judge's email"))
    }

    @Test func repeatedBadTokensFromOneAddressAreSlowedThenRefused() async throws {
        let test = try await TestApplication()
        let server = try await RunningServer.start(
            test.application, settings: ServerSettings(port: 0, failuresBeforeSlowdown: 2, failuresBeforeRefusal: 5))
        defer { Task { await server.stop() } }
        var statuses: [Int] = []
        let started = ContinuousClock.now
        for _ in 0..<7 { statuses.append(try await server.client("wysc_guess").send("GET", "api/v1/whoami").status) }
        #expect(statuses == [401, 401, 401, 401, 401, 429, 429])
        #expect(ContinuousClock.now - started >= .milliseconds(600), "failures after the second are held back")
        let refused = try await server.client("wysc_guess").send("GET", "api/v1/whoami")
        #expect(refused.header("Retry-After") != nil)
    }

    @Test func healthReadinessMetricsAndTheOpenAPIDocument() async throws {
        let (_, callers, server) = try await Self.judgingServer()
        defer { Task { await server.stop() } }
        let anonymous = server.client(nil)
        #expect(try await anonymous.send("GET", "healthz").status == 200)
        let ready = try await anonymous.send("GET", "readyz")
        #expect(ready.status == 200)
        #expect(String(decoding: ready.body, as: UTF8.self) == #"{"ready":true}"#)
        _ = try await server.client(callers.amina).phaseStatus(JudgingFixture.slug)
        let metrics = String(decoding: try await anonymous.send("GET", "metrics").body, as: UTF8.self)
        #expect(
            metrics.contains(#"wysc_http_requests_total{route="/api/v1/competitions/{slug}/phase",method="GET",status="200"} 1"#),
            "\(metrics.prefix(2000))")
        #expect(metrics.contains("wysc_http_request_duration_seconds_bucket"))
        #expect(metrics.contains(#"wysc_db_pool_connections{state="in_use"}"#))
        #expect(metrics.contains("wysc_db_pool_waiting"))
        #expect(metrics.contains("wysc_db_pool_pipeline_waiting"))

        let document = String(decoding: try await anonymous.send("GET", "openapi.yaml").body, as: UTF8.self)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../OpenAPI/openapi.yaml")
        #expect(document + "\n" == (try String(contentsOf: file, encoding: .utf8)), "run Scripts/embed-resources")
        // Every documented path exists: none answers 404 for want of a route.
        let paths = document.split(separator: "\n").filter { $0.hasPrefix("  /") }.map { $0.dropFirst(2).dropLast().description }
        #expect(paths.count == 19)
        for path in paths {
            let concrete = path.replacingOccurrences(of: "{slug}", with: JudgingFixture.slug).replacingOccurrences(of: "{proposal}", with: "1")
                .replacingOccurrences(of: "{file}", with: "1")
            let method = path.hasSuffix("/advance") || path.hasSuffix("/conflicts") ? "POST" : path.contains("{proposal}") ? "GET" : "GET"
            let answer = try await server.client(callers.organizer).send(
                method, String(concrete.dropFirst()),
                query: path.hasSuffix("/queue") || path.contains("{proposal}") ? ["judge": "amina@example.org"] : [:],
                json: method == "POST" ? Data("{}".utf8) : nil)
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(!(answer.status == 404 && text.contains("not_found") && !text.contains("scorecard")), "\(path) → \(answer.status) \(text)")
        }
    }

    @Test func readinessFailsOnAnUnmigratedDatabase() async throws {
        let configuration = try TestDatabase.create(label: "http")
        let pool = PostgresPool(configuration: configuration, maxConnections: 2, logger: TestDatabase.logger)
        let server = try await RunningServer.start(Application(pool: pool, logger: TestDatabase.logger))
        defer { Task { await server.stop() } }
        let ready = try await server.client(nil).send("GET", "readyz")
        #expect(ready.status == 503)
        #expect(String(decoding: ready.body, as: UTF8.self).contains("run wysc db migrate"))
    }

    /// PostgreSQL stops: the API answers 503 with Retry-After; it starts again: the API recovers
    /// without restarting the server.
    @Test func theAPISurvivesADatabaseRestart() async throws {
        let home = Scratch.url("wysc-restart-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = LocalCluster(dataDirectory: home.appendingPathComponent("postgres"))
        defer { _ = try? cluster.stop() }
        _ = try await runBlocking { try cluster.start(logger: TestDatabase.logger) }
        let pool = PostgresPool(configuration: cluster.configuration, maxConnections: 2, acquireTimeout: .seconds(5), logger: TestDatabase.logger)
        _ = try await pool.withConnection { try Migrator(logger: TestDatabase.logger).migrate(on: $0) }
        let application = Application(pool: pool, logger: TestDatabase.logger)
        let token = try await application.createToken(role: .organizer, for: "ana", competition: nil, expires: nil, as: TestApplication.organizer)
            .token
        let server = try await RunningServer.start(application)
        defer { Task { await server.stop() } }
        let client = server.client(token)
        #expect(try await client.send("GET", "api/v1/whoami").status == 200)

        #expect(try await runBlocking { try cluster.stop() })
        let down = try await client.send("GET", "api/v1/whoami")
        #expect(down.status == 503)
        #expect(down.header("Retry-After") == "5")
        #expect(String(decoding: down.body, as: UTF8.self).contains("the database is unavailable"))
        #expect(try await client.send("GET", "readyz").status == 503)

        #expect(try await runBlocking { try cluster.start(logger: TestDatabase.logger) } == .started)
        #expect(try await client.send("GET", "api/v1/whoami").status == 200)
        #expect(try await client.send("GET", "readyz").status == 200)
    }
}
