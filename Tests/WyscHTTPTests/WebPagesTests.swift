import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WyscApplication
import WyscTestSupport

@testable import WyscHTTP

/// The pages of `wysc serve` at the HTTP level: sign-in, sessions, CSRF and who sees what.
@Suite struct WebPagesTests {
    let slug = JudgingFixture.slug

    struct Page {
        var status: Int
        var headers: HTTPFields
        var body: String
        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
        var setCookies: [String] { headers[values: .setCookie] }
    }

    /// A browser: keeps its cookies, follows no redirect.
    final class Browser: @unchecked Sendable {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]
        init(_ client: any TestClientProtocol) { self.client = client }

        func get(_ path: String) async throws -> Page { try await send(.get, path, form: nil) }

        func post(_ path: String, _ form: [String: String]) async throws -> Page { try await send(.post, path, form: form) }

        func send(_ method: HTTPRequest.Method, _ path: String, form: [String: String]?) async throws -> Page {
            var headers: HTTPFields = [:]
            if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
            var body: ByteBuffer?
            if let form {
                headers[.contentType] = "application/x-www-form-urlencoded"
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
                body = ByteBuffer(
                    string: form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
            }
            let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
            for line in response.headers[values: .setCookie] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || line.contains("Max-Age=0") {
                    cookies.removeValue(forKey: String(pair[0]))
                } else {
                    cookies[String(pair[0])] = value
                }
            }
            return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
        }

        /// Signs in through the form, as a person does.
        @discardableResult
        func signIn(_ token: String) async throws -> Page {
            let form = try await get("/login")
            let csrf = try #require(form.body.firstMatch(of: /name="csrf" value="([^"]+)"/)).1
            return try await post("/login", ["token": token, "csrf": String(csrf)])
        }

        /// The session's CSRF token, from the sign-out form of a page.
        func csrf() async throws -> String {
            String(try #require(try await get("/").body.firstMatch(of: /name="csrf" value="([^"]+)"/)).1)
        }
    }

    func withPages(
        _ fixture: JudgingFixture, host: String = "127.0.0.1", _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = WyscServer.buildApplication(
            application: fixture.application,
            settings: ServerSettings(host: host, port: 0, failuresBeforeSlowdown: 1000, failuresBeforeRefusal: 1000), logger: TestDatabase.logger)
        try await app.test(.router) { client in try await body(client) }
    }

    @Test func signingInSetsASessionCookieThatSigningOutAndRevokingEnd() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        try await withPages(fixture) { client in
            let browser = Browser(client)
            #expect(try await browser.get("/").status == 303, "signed out: to the sign-in page")
            let login = try await browser.get("/login")
            #expect(login.status == 200 && login.body.contains("<label for=\"token\">Personal token</label>"))
            #expect(login.body.contains("<html lang=\"en\">"))
            #expect(login.header("Content-Security-Policy")?.contains("default-src 'none'") == true)

            // A form without the sign-in cookie's CSRF value (another site posting) is refused.
            let forged = try await Browser(client).post("/login", ["token": callers.bogota, "csrf": "guess"])
            #expect(forged.status == 403)
            let wrong = try await browser.signIn("wysc_not-a-token")
            #expect(wrong.status == 401 && wrong.body.contains("That token is unknown, expired or revoked."))
            #expect(try await browser.signIn(callers.revoked).status == 401)

            let signedIn = try await browser.signIn(callers.bogota)
            #expect(signedIn.status == 303 && signedIn.header("Location") == "/")
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("wysc_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "on loopback the server is plain http")
            #expect(!signedIn.header("Location")!.contains("wysc_"), "the token is never in an address")
            let home = try await browser.get("/")
            #expect(home.status == 200 && home.body.contains("Signed in as university Universidad de Bogotá"))
            #expect(home.header("Cache-Control") == "no-store")

            // Signing out needs the session's CSRF token.
            #expect(try await browser.post("/logout", ["csrf": "forged"]).status == 403)
            #expect(try await browser.get("/").status == 200, "still signed in")
            #expect(try await browser.post("/logout", ["csrf": try await browser.csrf()]).status == 303)
            #expect(try await browser.get("/").status == 303)

            // Revoking the token ends its sessions at once.
            let other = Browser(client)
            try await other.signIn(callers.seoul)
            #expect(try await other.get("/").status == 200)
            let tokens = try await fixture.application.tokens(as: TestApplication.organizer)
            let seoul = try #require(tokens.first { $0.label == "university Seoul National University" })
            try await fixture.application.revokeToken(id: seoul.id, as: TestApplication.organizer)
            #expect(try await other.get("/").status == 303)
        }
    }

    @Test func behindTLSTheCookieIsSecure() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        try await withPages(fixture, host: "0.0.0.0") { client in
            let signedIn = try await Browser(client).signIn(callers.organizer)
            #expect(signedIn.setCookies.first { $0.hasPrefix("wysc_session=") }?.contains("Secure") == true)
        }
    }

    @Test func aUniversitySeesOnlyItsTeamsAndNeverAnotherUniversitysProposal() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        let proposals = try await fixture.application.proposals(competition: slug, as: TestApplication.organizer)
        try await withPages(fixture) { client in
            let bogota = Browser(client)
            try await bogota.signIn(callers.bogota)
            let teams = try await bogota.get("/c/\(slug)/teams")
            #expect(teams.status == 200)
            #expect(teams.body.contains("Teams of Universidad de Bogotá"))
            #expect(teams.body.contains("Bogotá Bikes") && teams.body.contains("Andes Data"))
            #expect(!teams.body.contains("Han River Movers") && !teams.body.contains("成都智慧交通队"), "other universities' teams are absent")
            #expect(teams.body.contains("registered") && teams.body.contains("proposal"))
            for proposal in proposals {
                let page = try await bogota.get("/c/\(slug)/proposals/\(proposal.proposal)")
                let file = try await bogota.get("/c/\(slug)/proposals/\(proposal.proposal)/files/1")
                if proposal.university == "Universidad de Bogotá" {
                    #expect(page.status == 200 && page.body.contains(proposal.title))
                    #expect(file.status == 200 && file.header("Content-Type") == "application/pdf")
                } else {
                    #expect(page.status == 403 && !page.body.contains(proposal.title), "changing the number in the address reaches nothing")
                    #expect(file.status == 403)
                }
            }
            #expect(try await bogota.get("/c/\(slug)/queue").status == 403, "a university has no queue")

            let organizer = Browser(client)
            try await organizer.signIn(callers.organizer)
            let all = try await organizer.get("/c/\(slug)/teams")
            #expect(all.status == 200 && all.body.contains("Han River Movers") && all.body.contains("成都智慧交通队"))
        }
    }

    @Test func aJudgeSeesTheirQueueAndOnlyTheirProposalsWithoutTheTeamInABlindRound() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        let aminas = try await fixture.application.judgeQueue(
            judge: nil, competition: slug, as: .judge(fixture.judges["amina@example.org"]!))
        let proposals = try await fixture.application.proposals(competition: slug, as: TestApplication.organizer)
        try await withPages(fixture) { client in
            let amina = Browser(client)
            try await amina.signIn(callers.amina)
            let queue = try await amina.get("/c/\(slug)/queue")
            #expect(queue.status == 200)
            for item in aminas { #expect(queue.body.contains("/c/\(slug)/proposals/\(item.proposal)")) }
            for proposal in proposals {
                let page = try await amina.get("/c/\(slug)/proposals/\(proposal.proposal)")
                if aminas.contains(where: { $0.proposal == proposal.proposal }) {
                    #expect(page.status == 200 && !page.body.contains(proposal.team ?? "?"), "blind: no team")
                } else {
                    #expect(page.status == 403)
                }
            }
            #expect(try await amina.get("/c/\(slug)/teams").status == 403)
            #expect(try await amina.get("/c/other/queue").status == 403, "a judge's token is for one competition")
        }
    }

    @Test func publicResultsAppearOnlyWhenTheWorkflowSaysSoAndOnlyOncePublished() async throws {
        let test = try await TestApplication()
        let workflow = TestWorkflows.judging + "\nresults: {public: true}\n"
        let fixture = try await JudgingFixture.inScreening(test, workflow: workflow)
        try await withPages(fixture) { client in
            let anyone = Browser(client)
            let before = try await anyone.get("/c/\(slug)/results")
            #expect(before.status == 404 && !before.body.contains("Han River Movers"), "nothing before publication")
        }
        try await JudgingFixture.scoreAndPublish(fixture)
        try await withPages(fixture) { client in
            let after = try await Browser(client).get("/c/\(slug)/results")
            #expect(after.status == 200)
            #expect(after.body.contains("Final ranking"))
            #expect(after.body.contains("Universidad de Bogotá") || after.body.contains("Seoul National University"))
            #expect(!after.body.contains("Member 0") && !after.body.contains("@example.org"), "no member, no email")
            #expect(!after.body.contains("Signed in as"))
        }
    }

    @Test func aOneTimeLinkSignsInOnce() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let created = try await fixture.application.createToken(
            role: .university, for: "Universidad de Bogotá", competition: nil, expires: nil, as: TestApplication.organizer)
        let code = try await fixture.application.createSignInCode(tokenID: created.info.id, as: TestApplication.organizer)
        try await withPages(fixture) { client in
            let first = Browser(client)
            let followed = try await first.get("/login/\(code)")
            let home = try await first.get("/")
            let again = try await Browser(client).get("/login/\(code)")
            #expect(followed.status == 303)
            #expect(home.body.contains("Signed in as university Universidad de Bogotá"))
            #expect(again.status == 401, "a link works once")
        }
        let late = try await fixture.application.createSignInCode(tokenID: created.info.id, as: TestApplication.organizer)
        fixture.test.clock.advance(by: WyscApplication.Application.signInLinkLifetime + 1)
        try await withPages(fixture) { client in
            let expired = try await Browser(client).get("/login/\(late)")
            #expect(expired.status == 401, "and only for minutes")
        }
    }

    @Test func theDashboardIsForOrganizersAndItsFormsNeedTheSessionTokenAndAConfirmation() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        try await JudgingFixture.scoreEverything(fixture, round: "screening")
        try await withPages(fixture) { client in
            for token in [callers.bogota, callers.amina] {
                let other = Browser(client)
                try await other.signIn(token)
                let denied = try await other.get("/c/\(slug)/dashboard")
                #expect(denied.status == 403 && !denied.body.contains("Audit log"))
                let forced = try await other.post("/c/\(slug)/advance", ["csrf": try await other.csrf(), "from": "screening", "confirm": "yes"])
                #expect(forced.status == 403, "only organizers move phases")
            }
            let ana = Browser(client)
            try await ana.signIn(callers.organizer)
            let dashboard = try await ana.get("/c/\(slug)/dashboard")
            #expect(dashboard.status == 200)
            for text in [
                "Next: screening → finals", "Judging: round screening", "8 of 8 scorecards in",
                "4 of 4 judges and 4 of 4 proposals have every scorecard in", "Ranking: round screening",
                "<svg class=\"chart\"", "Audit log", "phase.advance", "Move to finals",
            ] {
                #expect(dashboard.body.contains(text), "\(text)")
            }
            let filtered = try await ana.get("/c/\(slug)/dashboard?action=proposal.")
            #expect(filtered.body.contains("proposal.submit") && !filtered.body.contains("<td>phase.advance</td>"))

            let csrf = try await ana.csrf()
            #expect(try await ana.post("/c/\(slug)/advance", ["csrf": "forged", "from": "screening", "confirm": "yes"]).status == 403)
            #expect(try await ana.post("/c/\(slug)/advance", ["csrf": csrf, "from": "screening"]).status == 400, "not confirmed")
            #expect(try await fixture.application.phaseStatus(competition: slug).phase == "screening", "nothing moved")
            let moved = try await ana.post("/c/\(slug)/advance", ["csrf": csrf, "from": "screening", "confirm": "yes"])
            #expect(moved.status == 303 && moved.header("Location") == "/c/\(slug)/dashboard?done=advanced")
            #expect(try await fixture.application.phaseStatus(competition: slug).phase == "finals")
            let stale = try await ana.post("/c/\(slug)/advance", ["csrf": csrf, "from": "screening", "confirm": "yes"])
            #expect(stale.status == 409 && stale.body.contains("the phase already changed"), "the form said from screening")
            #expect(try await ana.get("/c/\(slug)/dashboard?done=advanced").body.contains("The competition moved to its next phase."))
        }
    }

    @Test func everyRoleOnEveryPageIsAllowedOrRefusedAsInTheAPI() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let callers = try await Callers.make(fixture)
        let proposals = try await fixture.application.proposals(competition: slug, as: TestApplication.organizer)
        let aminas = Set(
            try await fixture.application.judgeQueue(judge: nil, competition: slug, as: .judge(fixture.judges["amina@example.org"]!)).map(\.proposal))
        let bogotas = proposals.first { $0.university == "Universidad de Bogotá" }!.proposal
        let notBogotas = proposals.first { $0.university != "Universidad de Bogotá" }!.proposal
        let aminasOwn = aminas.min()!
        let bogotaReads = { (proposal: Int) in proposals.first { $0.proposal == proposal }?.university == "Universidad de Bogotá" ? 200 : 403 }
        let aminaReads = { (proposal: Int) in aminas.contains(proposal) ? 200 : 403 }
        // Expected status for: nobody signed in, organizer, judge Amina, university Bogotá (303: to the sign-in page).
        let cases: [(path: String, expected: [Int])] = [
            ("/", [303, 200, 200, 200]),
            ("/c/\(slug)/teams", [303, 200, 403, 200]),
            ("/c/\(slug)/queue", [303, 400, 200, 403]),
            ("/c/\(slug)/dashboard", [303, 200, 403, 403]),
            ("/c/\(slug)/proposals/\(aminasOwn)", [303, 200, 200, bogotaReads(aminasOwn)]),
            ("/c/\(slug)/proposals/\(bogotas)", [303, 200, aminaReads(bogotas), 200]),
            ("/c/\(slug)/proposals/\(notBogotas)", [303, 200, aminaReads(notBogotas), 403]),
            ("/c/\(slug)/proposals/\(notBogotas)/files/1", [303, 200, aminaReads(notBogotas), 403]),
            ("/c/\(slug)/proposals/999999", [303, 404, 403, 403]),
            ("/c/\(slug)/results", [404, 404, 404, 404]),
            ("/c/elsewhere/teams", [303, 404, 403, 404]),
        ]
        try await withPages(fixture) { client in
            var browsers = [Browser(client)]
            for token in [callers.organizer, callers.amina, callers.bogota] {
                let browser = Browser(client)
                try await browser.signIn(token)
                browsers.append(browser)
            }
            for item in cases {
                var got: [Int] = []
                for browser in browsers { got.append(try await browser.get(item.path).status) }
                #expect(got == item.expected, "\(item.path)")
            }
        }
    }

    @Test func failedSignInsAreSlowedThenRefusedAndWhatPeopleTypedIsEscaped() async throws {
        let test = try await TestApplication()
        try await test.competition(workflow: TestWorkflows.proposalsAndScreeningWithoutDeadline)
        _ = try await test.application.importTeams(
            [
                MemberRow(
                    row: 2, team: "<b>Bold</b> & \"Quoted\"", university: "Seoul National University", name: "<script>alert(1)</script>",
                    email: "bold@example.org", birthDate: "2002-05-01", role: "leader")
            ], file: "t.csv", competition: "wysc-2026", as: TestApplication.organizer)
        let token = try await test.application.createToken(
            role: .organizer, for: "ana", competition: nil, expires: nil, as: TestApplication.organizer)
        let app = WyscServer.buildApplication(
            application: test.application, settings: ServerSettings(port: 0, failuresBeforeSlowdown: 1, failuresBeforeRefusal: 3),
            logger: TestDatabase.logger)
        try await app.test(.router) { client in
            let guesser = Browser(client)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await guesser.signIn("wysc_guess").status) }
            #expect(statuses == [401, 401, 401, 429], "slowed, then refused, like the API")
            let ana = Browser(client)
            #expect(try await ana.signIn(token.token).status == 303, "a valid token is never held back")
            let teams = try await ana.get("/c/wysc-2026/teams")
            #expect(teams.body.contains("&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Quoted&quot;"))
            #expect(!teams.body.contains("<b>Bold</b>") && !teams.body.contains("<script>alert(1)</script>"))
        }
    }
}
