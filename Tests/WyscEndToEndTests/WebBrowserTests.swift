import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport

/// The web pages as a person sees them: `wysc serve` on a demo database, headless Chromium signing
/// in through the form, reading the pages, and an automatic accessibility audit of each.
@Suite struct WebBrowserTests {
    struct Demo {
        var url: String
        var server: ServerProcess
        var teams: [(team: String, university: String)]
    }

    func token(_ arguments: [String], _ url: String) throws -> String {
        let created = try WyscBinary.run(["token", "create"] + arguments + ["--database-url", url])
        #expect(created.status == 0, "\(created.stderr)")
        return created.stdout.split(separator: "\n")[0].trimmingCharacters(in: .whitespaces)
    }

    func demo() throws -> Demo {
        let url = try TestDatabase.create(label: "web").connectionString!
        #expect(try WyscBinary.run(["db", "migrate", "--database-url", url]).status == 0)
        let demo = try WyscBinary.run(["demo", "--teams", "8", "--database-url", url])
        #expect(demo.status == 0, "\(demo.stderr)")
        let connection = try PostgresConnection.connect(PostgresConfiguration(connectionString: url), logger: TestDatabase.logger)
        defer { connection.close() }
        let teams = try connection.query("SELECT t.name, u.name AS university FROM team t JOIN university u ON u.id = t.university_id ORDER BY t.id")
            .rows
            .map { (team: try $0.decode("name", as: String.self), university: try $0.decode("university", as: String.self)) }
        let server = try ServerProcess(["--scheduler-interval", "0", "--database-url", url])
        return Demo(url: url, server: server, teams: teams)
    }

    func signIn(_ base: String, _ token: String) -> [[String: Any]] {
        [["goto": "\(base)/login"], ["fill": ["#token": token]], ["submit": "form.card"]]
    }

    @Test func aUniversitySignsInAndSeesItsTeamsOnlyAndAnyoneSeesThePublishedResults() throws {
        let demo = try demo()
        defer { _ = try? demo.server.stop() }
        let base = demo.server.url
        let university = demo.teams[0].university
        let own = demo.teams.filter { $0.university == university }.map(\.team)
        let others = demo.teams.filter { $0.university != university }.map(\.team)
        let token = try token(["--role", "university", "--for", university], demo.url)

        let results = try HeadlessBrowser.run(
            [["goto": "\(base)/c/demo/teams"], ["text": true], ["audit": true]] + signIn(base, token)
                + [
                    ["text": true], ["goto": "\(base)/c/demo/teams"], ["text": true], ["audit": true], ["goto": "\(base)/c/demo/results"],
                    ["text": true], ["audit": true],
                ])
        let before = results[1] as? String ?? ""
        #expect(before.contains("Personal token"), "signed out, the teams page asks to sign in: \(before)")
        #expect((results[2] as? [String]) == [], "the sign-in page passes the audit: \(results[2])")
        let home = results[6] as? String ?? ""
        #expect(home.contains("Signed in as university \(university)") && home.contains("Your teams and their status"))
        let teams = results[8] as? String ?? ""
        for team in own { #expect(teams.contains(team), "\(team) is one of \(university)'s teams") }
        for team in others { #expect(!teams.contains(team), "\(team) is another university's") }
        #expect(
            ["registered", "members", "lectures", "workshops", "eligible", "proposal", "review", "shortlist", "rank"].allSatisfy(teams.contains),
            "the timeline of wysc team status")
        #expect(teams.contains("The judges' feedback"), "published, so the anonymized feedback shows")
        #expect((results[9] as? [String]) == [], "the teams page passes the audit: \(results[9])")
        let ranking = results[11] as? String ?? ""
        #expect(ranking.contains("Final ranking") && demo.teams.contains { ranking.contains($0.team) })
        #expect((results[12] as? [String]) == [], "the results page passes the audit: \(results[12])")
    }

    @Test func resultsAreNotShownBeforePublicationAndAWrongTokenIsRefused() throws {
        let demo = try demo()
        defer { _ = try? demo.server.stop() }
        let base = demo.server.url
        let workflow = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/wysc.yaml")
            .standardizedFileURL.path
        #expect(try WyscBinary.run(["competition", "create", "early", "--workflow", workflow, "--database-url", demo.url]).status == 0)
        let organizer = try token(["--role", "organizer", "--for", "ana"], demo.url)
        let results = try HeadlessBrowser.run(
            [["goto": "\(base)/c/early/results"], ["text": true]] + signIn(base, "wysc_wrong") + [["text": true]] + signIn(base, organizer)
                + [
                    ["goto": "\(base)/c/demo/teams"], ["text": true], ["audit": true], ["goto": "\(base)/c/demo/dashboard"], ["text": true],
                    ["audit": true],
                ])
        #expect((results[0] as? [String: Any])?["status"] as? Int == 404)
        #expect((results[1] as? String)?.contains("has no public results") == true)
        #expect((results[5] as? String)?.contains("That token is unknown, expired or revoked.") == true)
        let all = results[10] as? String ?? ""
        for team in demo.teams { #expect(all.contains(team.team)) }
        #expect((results[11] as? [String]) == [], "\(results[11])")
        let dashboard = results[13] as? String ?? ""
        for text in ["Phases", "Teams and attendance", "Ranking: round finals", "Audit log", "results.publish"] {
            #expect(dashboard.contains(text), "the dashboard shows \(text)")
        }
        #expect((results[14] as? [String]) == [], "the dashboard passes the audit: \(results[14])")
    }
}
