import Foundation
import Testing
import WyscApplication
import WyscPostgres
import WyscTestSupport
import WyscWorkflow

/// Organizers running a competition with the built `wysc`, against a real PostgreSQL.
@Suite struct CompetitionCLITests {
    static let workflow = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Workflows/wysc.yaml")
        .standardizedFileURL.path

    /// A migrated database with the WYSC competition and two universities; returns its URL.
    func prepared() throws -> String {
        let url = try TestDatabase.create(label: "e2e").connectionString!
        let steps: [[String]] = [
            ["db", "migrate"],
            ["competition", "create", "wysc-2026", "--workflow", Self.workflow],
            ["university", "add", "Seoul National University", "--city", "Seoul", "--country", "Republic of Korea"],
            ["university", "add", "成都大学", "--city", "Chengdu", "--country", "China"],
        ]
        for step in steps {
            let outcome = try WyscBinary.run(step + ["--database-url", url])
            #expect(outcome.status == 0, "\(step): \(outcome.stderr)")
        }
        return url
    }

    func scratchFile(_ name: String, _ text: String) throws -> String {
        let directory = Scratch.url("wysc-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func twentyConcurrentAdvancesRecordOneTransition() async throws {
        let url = try prepared()
        let register = try WyscBinary.run([
            "team", "register", "Han River Movers", "--university", "Seoul National University",
            "--member", "김민준,minjun@snu.ac.kr,2002-03-14,leader", "--member", "이서연,seoyeon@snu.ac.kr,2003-07-02", "--database-url", url,
        ])
        #expect(register.status == 0, "\(register.stderr)")
        let outcomes = try await withThrowingTaskGroup(of: WyscBinary.Outcome.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await runBlocking {
                        try WyscBinary.run(
                            ["phase", "advance", "--from", "registration", "--database-url", url],
                            environment: WyscBinary.environment(["WYSC_ACTOR": "organizer\(index)"]))
                    }
                }
            }
            var outcomes: [WyscBinary.Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let winners = outcomes.filter { $0.status == 0 }
        let losers = outcomes.filter { $0.status == 75 }
        #expect(winners.count == 1, "\(outcomes.map { "\($0.status) \($0.stderr)" })")
        #expect(losers.count == 19)
        #expect(losers.allSatisfy { $0.stderr.contains("the phase already changed") && $0.stderr.contains("now in 'lectures'") })
        #expect(winners.first?.stderr.contains("registration → lectures") == true)

        let history = try WyscBinary.run(["phase", "history", "--database-url", url, "--format", "csv"])
        #expect(history.stdout.split(separator: "\r\n").count == 2, "header and one transition: \(history.stdout)")
    }

    /// Judges and universities take the same path as teams: streamed, staged, checked set-based,
    /// all or nothing; importing again updates what changed and audits it.
    @Test func judgeAndUniversityFilesAreImportedWholeOrNotAtAll() throws {
        let url = try prepared()
        let universities = try scratchFile(
            "universities.csv", "name,city,country\nUniversity of Ghana,Accra,Ghana\nuniversity of ghana,Legon,Ghana\n,Quito,Ecuador\n")
        let refusedUniversities = try WyscBinary.run(["university", "import", universities, "--database-url", url])
        #expect(refusedUniversities.status == 65)
        #expect(refusedUniversities.stderr.contains("row 3: university 'university of ghana' appears again (first on row 2)"))
        #expect(refusedUniversities.stderr.contains("row 4: name is missing"))
        let judges = try scratchFile(
            "judges.csv",
            """
            name,email,university,city,country,expertise,max_load
            Amara Mensah,amara@example.org,University of Ghana,Accra,Ghana,mobility;energy,5
            Lucía Pérez,lucia@example.org,,Quito,Ecuador,water,many
            Kim Minji,AMARA@example.org,,Seoul,Republic of Korea,,
            """)
        let refused = try WyscBinary.run(["judge", "import", judges, "--database-url", url])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("row 3: max_load 'many' is not a whole number of proposals"), "\(refused.stderr)")
        #expect(refused.stderr.contains("row 4: email AMARA@example.org is also on row 2"))
        #expect(try WyscBinary.run(["judge", "list", "--database-url", url, "--format", "csv"]).stdout.split(separator: "\r\n").count == 1)

        let good = try scratchFile(
            "judges.csv",
            "name,email,city,expertise,max_load\nAmara Mensah,amara@example.org,Accra,mobility;energy,5\nLucía Pérez,lucia@example.org,Quito,water,\n"
        )
        let imported = try WyscBinary.run(["judge", "import", good, "--database-url", url])
        #expect(imported.stderr.contains("2 judge(s) added, 0 updated, 0 unchanged"), "\(imported.stderr)")
        let moved = try scratchFile(
            "judges.csv",
            "name,email,city,expertise,max_load\nAmara Mensah,amara@example.org,Kumasi,mobility;energy,5\nLucía Pérez,lucia@example.org,Quito,water,\n"
        )
        let again = try WyscBinary.run(["judge", "import", moved, "--database-url", url])
        #expect(again.stderr.contains("0 judge(s) added, 1 updated, 1 unchanged"), "\(again.stderr)")
        let audit = try WyscBinary.run(["audit", "--action", "judge.", "--database-url", url, "--format", "csv"])
        #expect(audit.stdout.components(separatedBy: "judge.add").count == 3, "\(audit.stdout)")
        #expect(audit.stdout.contains("judge.update"))
        #expect(audit.stdout.contains("Kumasi") && audit.stdout.contains("Accra"), "the update's audit row holds before and after")
    }

    @Test func aBadTeamFileIsRefusedWholeWithItsRows() throws {
        let url = try prepared()
        let bad = try scratchFile(
            "teams.csv",
            """
            team,university,name,email,birth_date,role
            成都智慧交通队,成都大学,王芳,wangfang@cdu.edu.cn,2001-02-03,leader
            成都智慧交通队,成都大学,李伟,liwei@cdu.edu.cn,1985-01-01,member
            Han River Movers,Nowhere University,김민준,minjun@snu.ac.kr,2002-03-14,leader
            Han River Movers,Nowhere University,이서연,wangfang@cdu.edu.cn,2003-07-02,member
            """)
        let refused = try WyscBinary.run(["team", "import", bad, "--database-url", url])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("\(bad): 4 problems; nothing was imported"), "\(refused.stderr)")
        #expect(refused.stderr.contains("row 3: 李伟 is 41 on 2026-09-01; members must be under 35"))
        #expect(refused.stderr.contains("row 4: unknown university 'Nowhere University'"))
        #expect(refused.stderr.contains("row 5: unknown university 'Nowhere University'"))
        #expect(refused.stderr.contains("row 5: email wangfang@cdu.edu.cn is also on row 2"))
        let empty = try WyscBinary.run(["team", "list", "--database-url", url, "--format", "json"])
        #expect(empty.stdout == "[]\n")

        let good = try scratchFile(
            "teams.csv",
            """
            team,university,name,email,birth_date,role
            成都智慧交通队,成都大学,王芳,wangfang@cdu.edu.cn,2001-02-03,leader
            成都智慧交通队,成都大学,李伟,liwei@cdu.edu.cn,2000-01-01,member
            """)
        let imported = try WyscBinary.run(["team", "import", good, "--database-url", url])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("registered 1 team(s) with 2 member(s)"))
        let status = try WyscBinary.run(["team", "status", "成都智慧交通队", "--database-url", url])
        #expect(status.status == 0)
        #expect(status.stdout.contains("成都智慧交通队 — 成都大学"))
        #expect(status.stdout.contains("✓ members     2 member(s), led by 王芳"))
        #expect(status.stdout.contains("· proposal    not yet"))
        let csv = try WyscBinary.run(["team", "show", "成都智慧交通队", "--database-url", url, "--format", "csv"])
        #expect(csv.stdout.contains("成都智慧交通队,王芳,wangfang@cdu.edu.cn,2001-02-03,leader"))

        let missing = try WyscBinary.run(["team", "import", "/nonexistent.csv", "--database-url", url])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("cannot read /nonexistent.csv: no such file"))
    }

    @Test func phaseCommandsSayWhatBlocksAndWhy() throws {
        let url = try prepared()
        let check = try WyscBinary.run(["phase", "check", "--database-url", url])
        #expect(check.status == 1)
        #expect(check.stdout.contains("registration → lectures: blocked"))
        #expect(check.stdout.contains("0 team(s) registered, at least 1 needed"))
        let advance = try WyscBinary.run(["phase", "advance", "--database-url", url])
        #expect(advance.status == 1)
        #expect(advance.stderr.contains("--force --reason"))
        let forceWithoutReason = try WyscBinary.run(["phase", "advance", "--force", "--database-url", url])
        #expect(forceWithoutReason.status == 64)
        let forced = try WyscBinary.run(
            ["phase", "advance", "--force", "--reason", "rehearsal", "--database-url", url],
            environment: WyscBinary.environment(["WYSC_ACTOR": "ana"]))
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("overridden: 0 team(s) registered"))
        let show = try WyscBinary.run(["phase", "show", "--database-url", url, "--format", "json"])
        #expect(show.stdout.contains(#""phase": "lectures""#))
        let register = try WyscBinary.run([
            "team", "register", "Late", "--university", "成都大学", "--member", "A,a@example.org,2001-01-01", "--member", "B,b@example.org,2001-01-01",
            "--database-url", url,
        ])
        #expect(register.status == 1)
        #expect(register.stderr.contains("competition 'wysc-2026' is in phase 'lectures'"))
        let reopen = try WyscBinary.run(["phase", "reopen", "registration", "--reason", "late list", "--database-url", url])
        #expect(reopen.status == 0, "\(reopen.stderr)")
        let audit = try WyscBinary.run(["audit", "--action", "phase.", "--database-url", url, "--format", "csv"])
        #expect(audit.stdout.contains("organizer:ana,phase.force"))
        #expect(audit.stdout.contains("phase.reopen"))
        #expect(audit.stdout.contains("late list"))
    }

    @Test func competitionsAreChosenByFlagEnvironmentOrBeingTheOnlyOne() throws {
        let url = try prepared()
        let invalid = try scratchFile(
            "bad.yaml",
            "workflow: bad\nphases:\n  - id: a\ntransitions:\n  - from: a\n    to: nowhere\nrubric:\n  scale: {min: 1, max: 10}\n  criteria:\n    - {id: x, weight: 1}\n"
        )
        let refused = try WyscBinary.run(["competition", "create", "bad", "--workflow", invalid, "--database-url", url])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("\(invalid):6:9: transition to unknown phase 'nowhere'"), "\(refused.stderr)")
        #expect(try WyscBinary.run(["competition", "create", "second", "--workflow", Self.workflow, "--database-url", url]).status == 0)
        let ambiguous = try WyscBinary.run(["phase", "show", "--database-url", url])
        #expect(ambiguous.status == 65)
        #expect(ambiguous.stderr.contains("there are 2 competitions (wysc-2026, second)"))
        let byEnvironment = try WyscBinary.run(
            ["phase", "show", "--database-url", url], environment: WyscBinary.environment(["WYSC_COMPETITION": "second"]))
        #expect(byEnvironment.stdout.hasPrefix("second is in phase 'registration'"))
        let list = try WyscBinary.run(["competition", "list", "--database-url", url, "--format", "csv"])
        #expect(list.stdout.split(separator: "\r\n").count == 3)
        let unmigrated = try TestDatabase.create(label: "e2e").connectionString!
        let notMigrated = try WyscBinary.run(["competition", "list", "--database-url", unmigrated])
        #expect(notMigrated.status == 69)
        #expect(notMigrated.stderr.contains("run wysc db migrate"))
    }

    @Test func theDemoRunsACompetitionOnTheConfiguredDatabase() throws {
        let url = try TestDatabase.create(label: "e2e").connectionString!
        #expect(try WyscBinary.run(["db", "migrate", "--database-url", url]).status == 0)
        let demo = try WyscBinary.run(["demo", "--seed", "7", "--teams", "40", "--database-url", url])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stderr.contains("Created competition 'demo'"))
        #expect(demo.stderr.contains("A first team file is refused whole"))
        #expect(demo.stderr.contains("Registered 40 teams"))
        #expect(demo.stderr.contains("Phase registration → lectures: froze the rosters of 40 team(s)"))
        #expect(demo.stderr.contains("Lectures: 6 lectures with quizzes"))
        #expect(demo.stderr.contains("unchanged)"))
        #expect(demo.stderr.contains("Phase workshops → proposals:"))
        #expect(demo.stderr.contains("may submit a proposal"))
        #expect(demo.stderr.contains("not going on:"), "some generated teams fall short")
        #expect(demo.stderr.contains("override:"))
        #expect(demo.stderr.contains("Phase proposals → screening: closed submissions"))
        #expect(demo.stderr.contains("assigned 3 judges to each of"))
        #expect(demo.stderr.contains("under review by 3 judges (never who they are)"))
        #expect(demo.stderr.contains("Screening: "))
        #expect(demo.stderr.contains("the judge model evens that out"))
        #expect(demo.stderr.contains("shortlisted 20 of"))
        #expect(demo.stderr.contains("Phase results → closed: published the results"))
        #expect(demo.stderr.contains("Final ranking (round 'finals', by the judge model):\n  1. "))
        #expect(demo.stderr.contains("now in phase 'closed'"))
        let again = try WyscBinary.run(["demo", "--seed", "7", "--teams", "40", "--database-url", url])
        #expect(again.stderr.contains("Created competition 'demo-2'"))
        let teams = try WyscBinary.run(["team", "list", "--competition", "demo", "--database-url", url, "--format", "csv"])
        let teams2 = try WyscBinary.run(["team", "list", "--competition", "demo-2", "--database-url", url, "--format", "csv"])
        let names = { (csv: String) in csv.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",")[0] } }
        #expect(names(teams.stdout).count == 40)
        #expect(names(teams.stdout) == names(teams2.stdout), "the same seed gives the same teams")
    }

    @Test func lecturesWorkshopsAndEligibilityFromTheCommandLine() throws {
        let url = try prepared()
        let teams = try scratchFile(
            "teams.csv",
            """
            team,university,name,email,birth_date,role
            Han River Movers,Seoul National University,김민준,minjun@snu.ac.kr,2002-03-14,leader
            Han River Movers,Seoul National University,이서연,seoyeon@snu.ac.kr,2003-07-02,member
            成都智慧交通队,成都大学,王芳,wangfang@cdu.edu.cn,2001-02-03,leader
            成都智慧交通队,成都大学,李伟,liwei@cdu.edu.cn,2000-01-01,member
            """)
        #expect(try WyscBinary.run(["team", "import", teams, "--database-url", url]).status == 0)
        #expect(try WyscBinary.run(["phase", "advance", "--database-url", url]).status == 0)
        var csv = "email,lecture,minutes,quiz\n"
        for email in ["minjun@snu.ac.kr", "seoyeon@snu.ac.kr", "wangfang@cdu.edu.cn"] {
            for lecture in 1...6 { csv += "\(email),lecture-\(lecture),70,8\n" }
        }
        csv += "liwei@cdu.edu.cn,lecture-1,70,8\n"
        let attendance = try scratchFile("attendance.csv", csv)
        let imported = try WyscBinary.run(["lecture", "attendance", "import", attendance, "--database-url", url])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("19 record(s) added, 0 changed, 0 unchanged"))
        let again = try WyscBinary.run(["lecture", "attendance", "import", attendance, "--database-url", url])
        #expect(again.stderr.contains("0 record(s) added, 0 changed, 19 unchanged"))
        let list = try WyscBinary.run(["lecture", "list", "--database-url", url, "--format", "csv"])
        #expect(list.stdout.contains("lecture-1,1,2026-03-03,Smart Government,"))
        #expect(list.stdout.contains(",4,4,4,8\r\n"), "\(list.stdout)")

        #expect(try WyscBinary.run(["phase", "advance", "--database-url", url]).status == 0)
        let lateAttendance = try WyscBinary.run(["lecture", "attendance", "import", attendance, "--database-url", url])
        #expect(lateAttendance.status == 1)
        #expect(lateAttendance.stderr.contains("is in phase 'workshops'"))
        let checkin = try WyscBinary.run(["workshop", "checkin", "--workshop", "seoul-lab", "Han River Movers", "成都智慧交通队", "--database-url", url])
        #expect(checkin.status == 0, "\(checkin.stderr)")
        let advance = try WyscBinary.run(["phase", "advance", "--database-url", url])
        #expect(advance.stderr.contains("1 of 2 team(s) may submit a proposal"), "\(advance.stderr)")

        let status = try WyscBinary.run(["team", "status", "成都智慧交通队", "--database-url", url])
        #expect(
            status.stdout.contains(
                "✗ eligible    no: 李伟 attended 1 of 6 lectures (missed lecture-2, lecture-3, lecture-4, lecture-5, lecture-6); 4 needed"),
            "\(status.stdout)")
        let override = try WyscBinary.run([
            "team", "eligibility", "override", "成都智慧交通队", "--eligible", "--reason", "medical certificate", "--database-url", url,
        ])
        #expect(override.status == 0, "\(override.stderr)")
        let eligibility = try WyscBinary.run(["team", "eligibility", "--database-url", url, "--format", "csv"])
        #expect(eligibility.stdout.contains("成都智慧交通队,成都大学,yes,no,"), "\(eligibility.stdout)")
        let audit = try WyscBinary.run(["audit", "--action", "eligibility.", "--database-url", url, "--format", "csv"])
        #expect(audit.stdout.contains("eligibility.override,team:成都智慧交通队"))
    }
}

/// The assignment solver and judging set-up through the built binary.
@Suite struct AssignmentCLITests {
    func instance(_ files: [String: String]) throws -> String {
        let directory = Scratch.url("wysc-assign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return directory.path
    }

    @Test func solvesFilesOfflineInJSONAndCSV() throws {
        let directory = try instance([
            "proposals.csv": "id,university,city,tags\nP1,U1,Seoul,Smart Mobility\nP2,U2,Accra,Smart Environment;Big Data\n",
            "judges.csv":
                "id,university,city,tags,max_load\nJ1,U1,Seoul,Smart Mobility,2\nJ2,U3,Lima,Smart Mobility;Big Data,2\nJ3,U4,Rabat,Smart Environment,2\n",
            "conflicts.csv": "judge_id,proposal_id\nJ1,P1\n",
        ])
        let json = try WyscBinary.run(["assign", "solve", "--input", directory, "--per-proposal", "2", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(decoded?["objective"] as? Int == 3, "P1: J2 shares Smart Mobility (1), J3 nothing; P2: J2 Big Data (1), J3 Smart Environment (1)")
        let pairs = (decoded?["assignments"] as? [[String]])?.map { $0.joined(separator: "→") }
        #expect(pairs == ["J2→P1", "J3→P1", "J2→P2", "J3→P2"])
        let csv = try WyscBinary.run(["assign", "solve", "--input", directory, "--per-proposal", "2"])
        #expect(csv.stdout == "judge_id,proposal_id\nJ2,P1\nJ3,P1\nJ2,P2\nJ3,P2\n")

        let scored = try instance([
            "proposals.csv": "id,university,city,tags\nP1,U1,Seoul,\n",
            "judges.csv": "id,university,city,tags,max_load\nJ1,U2,Lima,,1\nJ2,U3,Rabat,,1\n",
            "conflicts.csv": "judge_id,proposal_id\n",
            "affinity.csv": "judge_id,proposal_id,score\nJ2,P1,7\n",
        ])
        let byTable = try WyscBinary.run(["assign", "solve", "--input", scored, "--per-proposal", "1"])
        #expect(byTable.stdout == "judge_id,proposal_id\nJ2,P1\n")
    }

    @Test func malformedFilesAndImpossibleInstancesAreExplained() throws {
        let broken = try instance([
            "proposals.csv": "id,university,city,tags\nP1,U1,Seoul,x\nP1,U1,Seoul,y\n",
            "judges.csv": "id,university,city,tags,max_load\nJ1,U1,Seoul,x,many\n",
            "conflicts.csv": "judge_id,proposal_id\nJ9,P1\n",
        ])
        let refused = try WyscBinary.run(["assign", "solve", "--input", broken, "--per-proposal", "1"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("proposals.csv, row 3: proposal 'P1' appears again (first on row 2)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("judges.csv, row 2: max_load 'many' is not a whole number"))
        #expect(refused.stderr.contains("conflicts.csv, row 2: unknown judge 'J9'"))
        let missing = try WyscBinary.run(["assign", "solve", "--input", "/nonexistent", "--per-proposal", "1"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("/nonexistent/proposals.csv: no such file"))

        let impossible = try instance([
            "proposals.csv": "id,university,city,tags\nP1,U1,Seoul,x\nP2,U2,Lima,x\n",
            "judges.csv": "id,university,city,tags,max_load\nJ1,U1,Seoul,x,5\nJ2,U3,Rabat,x,1\n",
            "conflicts.csv": "judge_id,proposal_id\nJ1,P1\n",
        ])
        let infeasible = try WyscBinary.run(["assign", "solve", "--input", impossible, "--per-proposal", "2"])
        #expect(infeasible.status == 1)
        #expect(infeasible.stderr.contains("P1: 1 judge(s) missing (too many conflicts: only 1 judge(s) without a conflict)"), "\(infeasible.stderr)")
        #expect(infeasible.stdout.isEmpty)
    }

    @Test func judgesProposalsAndTheAssignmentFromTheCommandLine() throws {
        let url = try TestDatabase.create(label: "e2e").connectionString!
        let workflow = try instance(["w.yaml": TestWorkflows.proposalsAndScreeningWithoutDeadline])
        for step in [
            ["db", "migrate"], ["competition", "create", "mini", "--workflow", workflow + "/w.yaml"],
            ["university", "add", "成都大学", "--city", "Chengdu", "--country", "China"],
            ["university", "add", "Universidad de Lima", "--city", "Lima", "--country", "Peru"],
            ["team", "register", "成都智慧交通队", "--university", "成都大学", "--member", "王芳,wf@cdu.edu.cn,2001-01-01,leader"],
            ["team", "register", "Lima Lights", "--university", "Universidad de Lima", "--member", "Sofía Gómez,sofia@ulima.pe,2001-01-01,leader"],
            ["phase", "advance"],
            ["judge", "add", "Dr. 陈晓明", "--email", "chen@example.cn", "--city", "Chengdu", "--expertise", "Smart Mobility"],
            [
                "judge", "add", "Prof. Ana Ruiz", "--email", "ana@example.org", "--city", "Madrid", "--expertise",
                "Smart Mobility,Smart Street Lighting",
            ],
            ["judge", "add", "Dr. Amina Yusuf", "--email", "amina@example.org", "--city", "Nairobi", "--expertise", "Smart Street Lighting"],
            [
                "proposal", "submit", "--team", "成都智慧交通队", "--title", "公交站客流计数", "--abstract", "Bus stops that count passengers.", "--tags",
                "Smart Mobility",
            ],
            [
                "proposal", "submit", "--team", "Lima Lights", "--title", "Luces inteligentes", "--abstract", "Street lights that dim.", "--tags",
                "Smart Street Lighting",
            ],
        ] {
            let outcome = try WyscBinary.run(step + ["--database-url", url])
            #expect(outcome.status == 0, "\(step): \(outcome.stderr)")
        }
        let conflicts = try WyscBinary.run(["judge", "conflicts", "--database-url", url, "--format", "csv"])
        #expect(conflicts.stdout.contains("Dr. 陈晓明,chen@example.cn,成都智慧交通队,same city,"), "\(conflicts.stdout)")
        let dry = try WyscBinary.run(["assign", "--dry-run", "--database-url", url, "--format", "csv"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("成都智慧交通队,公交站客流计数,Prof. Ana Ruiz,ana@example.org,1"))
        #expect(!dry.stdout.contains("成都智慧交通队,公交站客流计数,Dr. 陈晓明"))
        #expect(dry.stderr.contains("Dry run: nothing was saved."))
        #expect(dry.stderr.contains("The judges form"), "connectivity of the panel: \(dry.stderr)")
        let advance = try WyscBinary.run(["phase", "advance", "--database-url", url])
        #expect(advance.status == 0, "\(advance.stderr)")
        #expect(advance.stderr.contains("assigned 2 judges to each of 2 proposal(s) of round 'screening'"))
        let status = try WyscBinary.run(["team", "status", "Lima Lights", "--database-url", url])
        #expect(status.stdout.contains("… review      pending: under review by 2 judges"), "\(status.stdout)")
        #expect(!status.stdout.contains("Ana Ruiz") && !status.stdout.contains("Amina"), "universities never see who reviews them")
        let withdraw = try WyscBinary.run(["judge", "withdraw", "ana@example.org", "--reason", "illness", "--database-url", url])
        #expect(withdraw.status == 0)
        let rebalance = try WyscBinary.run(["assign", "--rebalance", "--database-url", url])
        #expect(rebalance.status == 1, "with Ana gone, 成都智慧交通队 has one judge without a conflict: \(rebalance.stderr)")
        #expect(rebalance.stderr.contains("成都智慧交通队: 1 judge(s) missing (too many conflicts"))
    }
}

/// Judges scoring and organizers publishing, through the built binary.
@Suite struct ScoringCLITests {
    func prepared() throws -> (url: String, directory: String) {
        let url = try TestDatabase.create(label: "e2e").connectionString!
        let directory = Scratch.url("wysc-score-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try TestWorkflows.judging.write(toFile: directory + "/w.yaml", atomically: true, encoding: .utf8)
        try SimplePDF.make(title: "Luces", lines: ["Street lights that dim."]).write(to: URL(fileURLWithPath: directory + "/luces.pdf"))
        for step in [
            ["db", "migrate"], ["competition", "create", "judging", "--workflow", directory + "/w.yaml"],
            ["university", "add", "Universidad de Lima", "--city", "Lima", "--country", "Peru"],
            ["team", "register", "Lima Lights", "--university", "Universidad de Lima", "--member", "Sofía Gómez,sofia@ulima.pe,2001-01-01,leader"],
            ["team", "register", "Lima Buses", "--university", "Universidad de Lima", "--member", "Mateo Quispe,mateo@ulima.pe,2001-01-01,leader"],
            ["phase", "advance"],
            ["judge", "add", "Dr. Amina Yusuf", "--email", "amina@example.org", "--city", "Nairobi"],
            ["judge", "add", "Prof. Kim Ji-woo", "--email", "kim@example.org", "--city", "Seoul"],
            [
                "proposal", "submit", "--team", "Lima Lights", "--title", "Luces inteligentes", "--abstract", "Street lights that dim.",
                "--file", directory + "/luces.pdf",
            ],
            ["proposal", "submit", "--team", "Lima Buses", "--title", "Buses que cuentan", "--abstract", "Buses that count."],
            ["phase", "advance"],
        ] {
            let outcome = try WyscBinary.run(step + ["--database-url", url])
            #expect(outcome.status == 0, "\(step): \(outcome.stderr)")
        }
        return (url, directory)
    }

    @Test func proposalsCarryTheirFilesFromTheCommandLine() throws {
        let (url, directory) = try prepared()
        let pdf = try Data(contentsOf: URL(fileURLWithPath: directory + "/luces.pdf"))
        var digest = DocumentDigest()
        digest.update(pdf)
        let show = try WyscBinary.run(
            ["proposal", "show", "Lima Lights", "--database-url", url], environment: WyscBinary.environment(["COLUMNS": "40"]))
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("Team: Lima Lights — Universidad de Lima"))
        #expect(
            show.stdout.contains("  1  luces.pdf  \(byteCountText(pdf.count).leftPadded(to: 8))  sha256 \(digest.finalize().prefix(16))…"),
            "\(show.stdout)")
        let json = try WyscBinary.run(["proposal", "show", "1", "--database-url", url, "--format", "json"])
        #expect(json.stdout.contains("\"sha256\" : \"\(digest.finalize())\""), "\(json.stdout)")
        let get = try WyscBinary.run(["proposal", "get", "1", "--output", directory + "/out", "--database-url", url])
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/out/luces.pdf")) == pdf)
        let none = try WyscBinary.run(["proposal", "get", "2", "--output", directory + "/out", "--database-url", url])
        #expect(none.status == 65, "\(none.status)")
        #expect(none.stderr.contains("proposal #2 has no files"))
        // The submission phase is over: a text file named .pdf would have been refused anyway.
        try "hello".write(toFile: directory + "/fake.pdf", atomically: true, encoding: .utf8)
        let late = try WyscBinary.run([
            "proposal", "submit", "--team", "Lima Lights", "--title", "T", "--abstract", "A", "--file", directory + "/fake.pdf", "--database-url",
            url,
        ])
        #expect(late.status != 0)
        let missing = try WyscBinary.run([
            "proposal", "submit", "--team", "Lima Lights", "--title", "T", "--abstract", "A", "--file", directory + "/nope.pdf", "--database-url",
            url,
        ])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("nope.pdf' does not exist"), "\(missing.stderr)")
    }

    @Test func judgesScoreWithSetFileAndOnATerminal() throws {
        let (url, directory) = try prepared()
        let queue = try WyscBinary.run(["judge", "queue", "--judge", "amina@example.org", "--database-url", url, "--format", "csv"])
        #expect(queue.stdout.contains("1,screening,Luces inteligentes,,(blind review),not started"), "\(queue.stdout)")

        let missing = try WyscBinary.run(["score", "1", "--judge", "amina@example.org", "--set", "idea=8", "--database-url", url])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("missing criteria: plan"))
        // A usage mistake found while the command runs is told alone, without another command's usage.
        let twice = try WyscBinary.run(["score", "1", "--judge", "amina@example.org", "--set", "idea=8", "--set", " idea = 9", "--database-url", url])
        #expect(twice.status == 64)
        #expect(twice.stderr.contains("--set gives 'idea' twice"), "\(twice.stderr)")
        #expect(!twice.stderr.contains("Usage:"), "\(twice.stderr)")
        let noTerminal = try WyscBinary.run(["score", "1", "--judge", "amina@example.org", "--database-url", url])
        #expect(noTerminal.status == 64)
        #expect(noTerminal.stderr.contains("not on a terminal: give the scores with --set"))

        let set = try WyscBinary.run([
            "score", "1", "--judge", "amina@example.org", "--set", "idea=8", "--set", "plan=6", "--comment", "Bright", "--feedback",
            "Bright idea; show the costs", "--database-url", url,
        ])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stderr.contains("scorecard submitted (revision 1, weighted total 7.20)"))
        let retry = try WyscBinary.run([
            "score", "1", "--judge", "amina@example.org", "--set", "idea=8", "--set", "plan=6", "--comment", "Bright", "--feedback",
            "Bright idea; show the costs", "--database-url", url,
        ])
        #expect(retry.stderr.contains("unchanged"))

        try "scores:\n  idea: 9\n  plan: 7\ncomment: Reliable buses\n".write(toFile: directory + "/card.yaml", atomically: true, encoding: .utf8)
        let file = try WyscBinary.run(["score", "2", "--judge", "amina@example.org", "--file", directory + "/card.yaml", "--database-url", url])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stderr.contains("weighted total 8.20"))

        // On a terminal (a pseudo-terminal from script(1)): a bad answer is asked again.
        let answers = directory + "/answers.txt"
        try "n\n11\n7\n6\nClear and useful\nGood idea\ny\n".write(toFile: answers, atomically: true, encoding: .utf8)
        let command = [WyscBinary.path, "score", "1", "--judge", "kim@example.org", "--database-url", "'\(url)'"].joined(separator: " ")
        let stdout = directory + "/tty.out"
        let status = try ChildProcess.run(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: WyscBinary.environment(), stdinPath: answers, stdoutPath: stdout,
            stderrPath: stdout)
        let screen = try String(contentsOfFile: stdout, encoding: .utf8)
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("Proposal #1, version 1"), "the proposal comes before the rubric")
        #expect(screen.contains("Blind review: the team and its university are not shown.") && !screen.contains("Lima Lights"))
        #expect(screen.contains("Download its 1 file(s) into this directory first? [y/N]"))
        #expect(screen.contains("Feedback for the team"))
        #expect(screen.contains("[1/2] Idea — weight 60%"))
        #expect(screen.contains("11 is off the scale 1–10: try again"))
        #expect(screen.contains("Weighted total: 6.60 of 10"))
        #expect(screen.contains("scorecard submitted (revision 1, weighted total 6.60)"))

        let progress = try WyscBinary.run(["judging", "progress", "--database-url", url])
        #expect(progress.stderr.contains("Round 'screening': 3 of 4 scorecards in"), "\(progress.stderr)")
        #expect(progress.stderr.contains("missing: Prof. Kim Ji-woo → proposal #2 (Lima Buses)"))
        let results = try WyscBinary.run(["results", "--round", "screening", "--method", "raw", "--database-url", url, "--format", "csv"])
        #expect(
            results.stdout.contains("1,2,Lima Buses,Universidad de Lima,Buses que cuentan,8.20,,,,,,no,8.20,1,Dr. Amina Yusuf 8.20,0.00"),
            "\(results.stdout)")
        // A spreadsheet must not run a cell as a formula, but a negative number is a number.
        _ = try WyscBinary.run(["university", "add", "=1+2", "--city", "Nowhere", "--country", "Peru", "--database-url", url])
        let universities = try WyscBinary.run(["university", "list", "--database-url", url, "--format", "csv"])
        #expect(universities.stdout.contains("'=1+2"), "\(universities.stdout)")
        let judges = try WyscBinary.run(["results", "--judges", "--round", "screening", "--database-url", url, "--format", "csv"])
        #expect(judges.stdout.hasPrefix("judge,email,scorecards,mean,spread,bias,scale\r\n"), "\(judges.stdout)")
        #expect(judges.stdout.contains(",-") && !judges.stdout.contains("'-"), "the harsher judge's bias is negative: \(judges.stdout)")
        // Two proposals and a cut of 2 (the workflow's shortlist): nothing is uncertain, no extra judge is needed.
        let suggest = try WyscBinary.run(["results", "--round", "screening", "--suggest", "--database-url", url])
        #expect(suggest.stderr.contains("No proposal of round 'screening' is uncertain at its cut (the top 2)"), "\(suggest.stderr)")
        let extra = try WyscBinary.run(["assign", "--round", "screening", "--extra", "2", "--database-url", url])
        #expect(extra.status != 0 && extra.stderr.contains("no proposal of round 'screening' is uncertain at its cut"), "\(extra.stderr)")
        let rawSuggest = try WyscBinary.run(["results", "--suggest", "--method", "raw", "--database-url", url])
        #expect(rawSuggest.status == 64 && rawSuggest.stderr.contains("--suggest needs the judge model"), "\(rawSuggest.stderr)")
        let both = try WyscBinary.run(["assign", "--extra", "2", "--dry-run", "--database-url", url])
        #expect(both.status == 64 && both.stderr.contains("not with --dry-run or --rebalance"), "\(both.stderr)")
        // The judge model by default, with the same score column and how sure each rank is.
        let model = try WyscBinary.run(["results", "--round", "screening", "--database-url", url, "--format", "json"])
        #expect(model.stderr.contains("ranked by the judge model"), "\(model.stderr)")
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(model.stdout.utf8)) as? [[String: Any]])
        #expect(lines.count == 2)
        for line in lines {
            let probability = try #require(Double(line["p_cut"] as? String ?? ""), "\(line)")
            #expect((0...1).contains(probability))
            #expect(Double(line["low"] as? String ?? "")! <= Double(line["score"] as? String ?? "")!)
        }
        let feedback = try WyscBinary.run(["results", "feedback", "--database-url", url, "--format", "csv"])
        #expect(
            feedback.stdout.hasPrefix("team,university,contact,round,proposal,judge,total,feedback,idea_team,idea_round,plan_team,plan_round\r\n"))
        #expect(
            feedback.stdout.contains("Lima Lights,Universidad de Lima,sofia@ulima.pe,screening,1,Judge A,7.20,Bright idea; show the costs,7.50,8.00"),
            "\(feedback.stdout)")
        #expect(feedback.stdout.contains("Lima Lights,Universidad de Lima,sofia@ulima.pe,screening,1,Judge B,6.60,Clear and useful,"))
        #expect(!feedback.stdout.contains("Bright,") && !feedback.stdout.contains("Good idea"), "private comments stay private")
        let archive = try WyscBinary.run(["results", "scorecards", "--database-url", url, "--format", "csv"])
        #expect(archive.stdout.hasPrefix("round,proposal,team,judge,email,idea,plan,total,comment,feedback,submitted,revision,updated_at\r\n"))
        #expect(archive.stdout.contains("screening,2,Lima Buses,Dr. Amina Yusuf,amina@example.org,9,7,8.20,Reliable buses,,yes,1,"))
    }
}

/// Judges and universities working through `wysc serve` with their own tokens.
@Suite struct RemoteCLITests {
    @Test func aJudgeAndAUniversityWorkRemotelyWithTheSameOutputAsDirectMode() async throws {
        let fixture = try await JudgingFixture.inScreening()
        let url = fixture.test.configuration.connectionString!
        let organizer = TestApplication.organizer
        let judgeToken = try await fixture.application.createToken(
            role: .judge, for: "amina@example.org", competition: JudgingFixture.slug, expires: nil, as: organizer
        ).token
        let universityToken = try await fixture.application.createToken(
            role: .university, for: "Universidad de Bogotá", competition: nil, expires: nil, as: organizer
        ).token
        let server = try ServerProcess(["--database-url", url])

        let home = Scratch.url("wysc-home-\(UUID().uuidString)").path
        let judge = WyscBinary.environment(["XDG_CONFIG_HOME": home + "/judge"])
        let university = WyscBinary.environment(["XDG_CONFIG_HOME": home + "/university"])
        let login = try WyscBinary.run(["login", "--server", server.url], environment: judge, stdin: judgeToken + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        #expect(login.stderr.contains("as judge amina@example.org (competition wysc-2026)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: home + "/judge/wysc/login.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!login.stdout.contains(judgeToken) && !login.stderr.contains(judgeToken))

        // The same queue as an organizer sees for her in direct mode.
        let remoteQueue = try WyscBinary.run(["judge", "queue", "--format", "csv"], environment: judge)
        let directQueue = try WyscBinary.run(["judge", "queue", "--judge", "amina@example.org", "--database-url", url, "--format", "csv"])
        #expect(remoteQueue.status == 0, "\(remoteQueue.stderr)")
        #expect(remoteQueue.stdout == directQueue.stdout)
        let proposal = remoteQueue.stdout.split(separator: "\r\n")[1].split(separator: ",")[0]

        // She reads the proposal: the same text as an organizer previewing it as her, without the team (blind round).
        let shown = try WyscBinary.run(["proposal", "show", String(proposal)], environment: judge.merging(["COLUMNS": "60"]) { $1 })
        let shownDirect = try WyscBinary.run(
            ["proposal", "show", String(proposal), "--judge", "amina@example.org", "--database-url", url],
            environment: WyscBinary.environment(["COLUMNS": "60"]))
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout == shownDirect.stdout)
        #expect(shown.stdout.contains("Blind review: the team and its university are not shown."))
        #expect(shown.stdout.contains("proposal-\(proposal)-plan.pdf"))
        #expect(!JudgingFixture.teams.contains { shown.stdout.contains($0.0) || shown.stdout.contains($0.1) }, "\(shown.stdout)")
        let others = try await fixture.application.proposals(competition: JudgingFixture.slug, as: organizer)
        let hers = others.first { String($0.proposal) == proposal }!
        let plan = JudgingFixture.plan(JudgingFixture.teams.firstIndex { $0.0 == hers.team }!)
        let notAssigned = others.first { String($0.proposal) != proposal && !remoteQueue.stdout.contains("\r\n\($0.proposal),") }!
        let refused = try WyscBinary.run(["proposal", "show", String(notAssigned.proposal)], environment: judge)
        #expect(refused.status == 77)
        #expect(refused.stderr.contains("proposal #\(notAssigned.proposal) is not assigned to you"))

        // A download resumes after what arrived before, and a damaged one is deleted, not kept.
        let downloads = home + "/downloads"
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        let target = downloads + "/proposal-\(proposal)-plan.pdf"
        try plan.prefix(1000).write(to: URL(fileURLWithPath: target + ".part"))
        let get = try WyscBinary.run(["proposal", "get", String(proposal), "--output", downloads], environment: judge)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == plan)
        #expect(!FileManager.default.fileExists(atPath: target + ".part"))
        try FileManager.default.removeItem(atPath: target)
        try Data(repeating: 0x41, count: 1000).write(to: URL(fileURLWithPath: target + ".part"))
        let damaged = try WyscBinary.run(["proposal", "get", String(proposal), "--output", downloads], environment: judge)
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("arrived damaged"), "\(damaged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target + ".part") && !FileManager.default.fileExists(atPath: target))
        let direct = try WyscBinary.run(
            ["proposal", "get", String(proposal), "--output", downloads, "--judge", "amina@example.org", "--database-url", url])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == plan)

        let score = try WyscBinary.run(
            ["score", String(proposal), "--set", "idea=8", "--set", "plan=6", "--comment", "Sent from afar"], environment: judge)
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stderr.contains("scorecard submitted (revision 1, weighted total 7.20)"))
        let again = try WyscBinary.run(
            ["score", String(proposal), "--set", "idea=8", "--set", "plan=6", "--comment", "Sent from afar"], environment: judge)
        #expect(again.stderr.contains("unchanged"))
        // Offline: the export holds each proposal's text and files, the rubric and templates that score --file reads back.
        let offline = home + "/offline"
        let export = try WyscBinary.run(["judge", "queue", "--export", offline], environment: judge)
        #expect(export.status == 0, "\(export.stderr)")
        let second = String(remoteQueue.stdout.split(separator: "\r\n")[2].split(separator: ",")[0])
        for name in ["README.txt", "rubric.txt", "scores.csv", "proposal-\(second)/proposal.txt", "proposal-\(second)/proposal-\(second)-plan.pdf"] {
            #expect(FileManager.default.fileExists(atPath: offline + "/" + name), "\(name)")
        }
        let exportedText = try String(contentsOfFile: offline + "/proposal-\(second)/proposal.txt", encoding: .utf8)
        #expect(!JudgingFixture.teams.contains { exportedText.contains($0.0) }, "blind in the export too")
        let sheet = try String(contentsOfFile: offline + "/scores.csv", encoding: .utf8)
        #expect(sheet.hasPrefix("judge,proposal,idea,plan,comment,feedback\r\namina@example.org,"), "\(sheet)")
        let templatePath = offline + "/proposal-\(second)/scorecard.yaml"
        let template = try String(contentsOfFile: templatePath, encoding: .utf8)
        let blank = try WyscBinary.run(["score", second, "--file", templatePath], environment: judge)
        #expect(blank.status == 65 && blank.stderr.contains("missing criteria"), "\(blank.stderr)")
        let filled = template.replacingOccurrences(of: "  idea:     #", with: "  idea: 9   #").replacingOccurrences(
            of: "  plan:     #", with: "  plan: 7   #"
        )
        .replacingOccurrences(of: "feedback: \"\"", with: "feedback: \"Show the budget\"")
        try filled.write(toFile: templatePath, atomically: true, encoding: .utf8)
        let offlineScore = try WyscBinary.run(["score", second, "--file", templatePath], environment: judge)
        #expect(offlineScore.status == 0, "\(offlineScore.stderr) \(filled)")
        #expect(offlineScore.stderr.contains("weighted total 8.20"))
        let next = try WyscBinary.run(["score", "--next", "--set", "idea=5", "--set", "plan=5"], environment: judge)
        #expect(next.status == 1 && next.stderr.contains("nothing is left to score"), "\(next.stderr)")

        let notHers = try WyscBinary.run(["judge", "queue", "--judge", "elena@example.org"], environment: judge)
        #expect(notHers.status == 77)

        let phaseRemote = try WyscBinary.run(["phase", "show"], environment: judge)
        let phaseDirect = try WyscBinary.run(["phase", "show", "--database-url", url])
        #expect(phaseRemote.stdout == phaseDirect.stdout)
        let advance = try WyscBinary.run(["phase", "advance"], environment: judge)
        #expect(advance.status == 77, "only organizers move phases: \(advance.stderr)")

        #expect(try WyscBinary.run(["login", "--server", server.url], environment: university, stdin: universityToken + "\n").status == 0)
        let teams = try WyscBinary.run(["team", "status", "--competition", JudgingFixture.slug, "--format", "csv"], environment: university)
        #expect(teams.status == 0, "\(teams.stderr)")
        let names = Set(teams.stdout.split(separator: "\r\n").dropFirst().map { String($0.split(separator: ",")[0]) })
        #expect(names == ["Andes Data", "Bogotá Bikes"])
        let results = try WyscBinary.run(["results", "--competition", JudgingFixture.slug], environment: university)
        #expect(results.status == 77)
        #expect(results.stderr.contains("not published yet"))

        // https:// to a server that speaks plain HTTP: said in words, not as the TLS library's error.
        let plainServer = server.url.replacingOccurrences(of: "http://", with: "https://")
        let wrongScheme = try WyscBinary.run(["login", "--server", plainServer], environment: judge, stdin: judgeToken + "\n")
        #expect(wrongScheme.status == 69)
        #expect(wrongScheme.stderr.contains("cannot reach the wysc server at \(plainServer): the TLS handshake failed (is it an https server?)"))

        #expect(try WyscBinary.run(["logout"], environment: judge).status == 0)
        #expect(!FileManager.default.fileExists(atPath: home + "/judge/wysc/login.json"))
        let stopped = try server.stop()
        #expect(stopped == 0, "SIGTERM ends wysc serve cleanly: \(server.log)")
        #expect(server.log.contains("wysc serve: stopped."))

        let unreachable = try WyscBinary.run(
            ["judge", "queue", "--server", server.url], environment: WyscBinary.environment(["WYSC_TOKEN": judgeToken]))
        #expect(unreachable.status == 69)
        #expect(unreachable.stderr.contains("cannot reach the wysc server at \(server.url)"))
        let badToken = try WyscBinary.run(["login", "--server", "http://127.0.0.1:9"], environment: judge, stdin: "wysc_x\n")
        #expect(badToken.status == 69)
    }
}
