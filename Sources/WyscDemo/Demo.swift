import Foundation
import WyscApplication
import WyscJudging
import WyscWorkflow

/// A WeGO member city (Data/wego-member-cities.csv), for demo data and tests.
public struct MemberCity: Sendable, Hashable {
    public var region: String
    public var country: String
    public var city: String
    public var cityZh: String

    public static let all: [MemberCity] = {
        guard let document = try? CSVDocument(embeddedCSV, file: "wego-member-cities.csv") else { return [] }
        return document.records.map { record in
            MemberCity(region: record.value(0), country: record.value(1), city: record.value(2), cityZh: record.value(3))
        }
    }()
}

/// A small, fast generator whose sequence depends only on its seed, so `wysc demo --seed N` is repeatable.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What `wysc demo` runs: a competition from the WYSC workflow with generated universities in WeGO
/// member cities and generated teams, walked through as many phases as the engine carries it.
public struct DemoPlan: Sendable {
    public var seed: UInt64
    public var teams: Int
    public var slug: String?
    public var workflowSource: String
    public var workflowFile: String

    public init(seed: UInt64, teams: Int, slug: String?, workflowSource: String, workflowFile: String) {
        self.seed = seed
        self.teams = teams
        self.slug = slug
        self.workflowSource = workflowSource
        self.workflowFile = workflowFile
    }

    /// One university per city, named as locals would: Chinese names for Chinese cities.
    public static func university(in city: MemberCity, variant: Int) -> UniversityInput {
        let name: String
        switch (city.country, variant % 3) {
        case ("China", 0): name = "\(city.cityZh)大学"
        case ("China", _): name = "\(city.cityZh)理工大学"
        case ("Republic of Korea", _): name = "\(city.city) National University"
        case (_, 0): name = "University of \(city.city)"
        case (_, 1): name = "\(city.city) Institute of Technology"
        default: name = "\(city.city) Metropolitan University"
        }
        return UniversityInput(name: name, city: city.city, country: city.country)
    }

    static let givenNames: [String: [String]] = [
        "Asia-Pacific": ["김민준", "이서연", "박지호", "王芳", "李伟", "张静", "Nguyễn Thị Mai", "Aarav Sharma", "Siti Nurhaliza", "Kenji Satō"],
        "Europe": ["Zoë Müller", "José Álvarez", "Łukasz Wójcik", "Ana Ivanović", "Chloé Dubois", "Søren Hansen", "Giulia Rossi"],
        "Africa": ["Ngozi Okafor", "Amara Diallo", "Kwame Mensah", "Fatoumata Traoré", "Thandiwe Ndlovu", "Yohannes Tesfaye"],
        "Americas": ["María José Pérez", "João Silva", "Camila Rodríguez", "Liam O'Connor", "Sofía Gómez", "Mateo Quispe"],
        "Middle East": ["محمد العلي", "فاطمة الزهراء", "Yusuf Demir", "Layla Haddad", "Omar Khalil", "Noor Al-Sayed"],
    ]

    static let teamWords = (
        ["Smart", "Green", "Open", "Bright", "Civic", "Urban", "Living", "Data", "Blue", "Quiet"],
        ["Mobility", "Streets", "Lights", "Commons", "Rivers", "Buildings", "Markets", "Air", "Parks", "Harbours"],
        ["Lab", "Collective", "Makers", "Studio", "Crew", "Initiative"]
    )

    /// The member rows of the generated teams: realistic names in many scripts, ages under the limit.
    public func memberRows(universities: [UniversityInput], rules: TeamRules, generator: inout SeededGenerator) -> [MemberRow] {
        var rows: [MemberRow] = []
        var usedNames: Set<String> = []
        let reference = rules.ageReferenceDate.flatMap { Int($0.prefix(4)) } ?? 2026
        for index in 0..<teams {
            var name: String
            repeat {
                name =
                    "\(Self.teamWords.0.randomElement(using: &generator)!) \(Self.teamWords.1.randomElement(using: &generator)!) \(Self.teamWords.2.randomElement(using: &generator)!)"
                if usedNames.contains(name) { name += " \(index + 1)" }
            } while usedNames.contains(name)
            usedNames.insert(name)
            let university = universities[index % universities.count]
            let region = MemberCity.all.first { $0.city == university.city }?.region ?? "Europe"
            let size = Int.random(in: max(rules.minMembers, 2)...min(rules.maxMembers, 5), using: &generator)
            let names = Self.givenNames[region]!.shuffled(using: &generator)
            for member in 0..<size {
                let given = names[member % names.count]
                let year = reference - Int.random(in: 19...(rules.maxAge.map { min($0 - 1, 30) } ?? 30), using: &generator)
                rows.append(
                    MemberRow(
                        row: rows.count + 2, team: name, university: university.name, name: given,
                        email: "t\(index + 1)m\(member + 1).\(seed)@students.example.org",
                        birthDate: String(
                            format: "%04d-%02d-%02d", year, Int.random(in: 1...12, using: &generator), Int.random(in: 1...28, using: &generator)),
                        role: member == 0 ? "leader" : "member"))
            }
        }
        return rows
    }
}

extension DemoPlan {
    /// What a meeting tool and a quiz tool would export for the series: most members attend most
    /// lectures; about one team in six has a member who falls short.
    public static func attendanceRows(for teams: [Team], lectures: [Lecture], generator: inout SeededGenerator) -> [AttendanceRow] {
        var rows: [AttendanceRow] = []
        for team in teams {
            let weakMember = Int.random(in: 0..<6, using: &generator) == 0 ? Int.random(in: 0..<team.members.count, using: &generator) : nil
            for (index, member) in team.members.enumerated() {
                let diligence = index == weakMember ? 0.35 : 0.93
                for lecture in lectures {
                    let present = Double.random(in: 0..<1, using: &generator) < diligence
                    let minutes = present ? Int.random(in: 50...90, using: &generator) : Int.random(in: 0...30, using: &generator)
                    let quiz = present ? String(Int.random(in: index == weakMember ? 2...7 : 5...10, using: &generator)) : ""
                    rows.append(
                        AttendanceRow(
                            row: rows.count + 2, email: member.email, name: member.name, lecture: lecture.id, attended: "",
                            minutes: String(minutes), quiz: quiz))
                }
            }
        }
        return rows
    }
}

extension DemoPlan {
    static let clusters = [
        "Smart Government", "Smart People", "Smart Economy", "Smart Living", "Smart Mobility", "Smart Environment",
        "Smart/Green Buildings", "Big Data & Data-Driven Policy", "Smart Street Lighting", "Smart City Living Labs",
    ]

    static let ideas: [(title: String, cluster: String)] = [
        ("Bus stops that count their passengers", "Smart Mobility"), ("A bike-share for the last kilometre", "Smart Mobility"),
        ("Street lights that dim when nobody walks", "Smart Street Lighting"),
        ("Rooftop gardens that cool school buildings", "Smart/Green Buildings"),
        ("An open budget dashboard for every district", "Smart Government"), ("Air sensors on waste trucks", "Smart Environment"),
        ("A market app for street vendors", "Smart Economy"), ("Flood alerts by text message", "Smart Environment"),
        ("A living lab for quieter streets", "Smart City Living Labs"), ("Data stories about commuting", "Big Data & Data-Driven Policy"),
        ("Digital skills clubs for elders", "Smart People"), ("Shared kitchens for new neighbourhoods", "Smart Living"),
    ]

    /// A proposal for a team: an idea, the team's city in the title, one to three topic tags.
    public static func proposal(for team: Team, generator: inout SeededGenerator) -> ProposalInput {
        let idea = ideas.randomElement(using: &generator)!
        var tags = [idea.cluster]
        for _ in 0..<Int.random(in: 0...2, using: &generator) {
            let extra = clusters.randomElement(using: &generator)!
            if !tags.contains(extra) { tags.append(extra) }
        }
        let title = "\(idea.title) in \(team.city)"
        // The plan as a one-page PDF, as a team would upload it.
        let plan = SimplePDF.make(
            title: title,
            lines: [
                "Topic: \(tags.joined(separator: ", "))", "", "1. The problem in \(team.city)", "2. The pilot: where, who, for how long",
                "3. The data it needs and who owns it", "4. Budget and partners", "5. How we will know it worked",
            ])
        return ProposalInput(
            team: team.name, title: title,
            abstract:
                "\(team.name) of \(team.university) proposes: \(idea.title.lowercased()). The plan covers a pilot in \(team.city), who benefits, the data it needs and what it costs.",
            link: "https://proposals.example.org/\(abs(team.id))", tags: tags,
            files: [ProposalDocument(name: "\(idea.title.lowercased().replacingOccurrences(of: " ", with: "-")).pdf", bytes: plan)])
    }

    /// A judge's feedback to a team, in keeping with the score they gave.
    public static func feedback(total: Double, scale: Int, generator: inout SeededGenerator) -> String {
        let strong = [
            "A clear problem and a credible pilot; the budget is realistic.", "Strong use of open data; talk to the city's transport office early.",
            "Convincing partners and a measurable goal.",
        ]
        let middling = [
            "A good idea; the plan needs a smaller first pilot and a budget per item.", "Say who owns the data and how residents consent to it.",
            "The benefits are clear; how the pilot is evaluated is not yet.",
        ]
        let weak = [
            "The problem is real, but the solution is not yet specific: who uses it, where, and how often?",
            "Costs and partners are missing; start from one neighbourhood.",
        ]
        let choices = total >= Double(scale) * 0.7 ? strong : total >= Double(scale) * 0.5 ? middling : weak
        return choices.randomElement(using: &generator)!
    }

    static let judgeNames = [
        "Dr. Amina Yusuf", "Prof. Kim Ji-woo", "Dr. 陈晓明", "Prof. Elena Petrova", "Dr. Rafael Mendes", "Prof. Sarah Okonkwo",
        "Dr. Hiroshi Tanaka", "Prof. Laila Haddad", "Dr. Marco Bianchi", "Prof. Nomvula Dlamini", "Dr. Ahmet Yılmaz", "Prof. Ana Ruiz",
        "Dr. Priya Nair", "Prof. Jonas Berg", "Dr. Fatima Zahra", "Prof. Lee Seo-yeon", "Dr. Carlos Ortega", "Prof. Mariam Diallo",
        "Dr. Tran Van Minh", "Prof. Olga Nowak",
    ]

    /// An international panel: experts in WeGO member cities, some at the teams' own universities.
    public static func judges(count: Int, universities: [UniversityInput], seed: UInt64, generator: inout SeededGenerator) -> [JudgeInput] {
        (0..<count).map { index in
            let city = MemberCity.all.randomElement(using: &generator)!
            let ownUniversity = index % 4 == 0 ? universities.randomElement(using: &generator) : nil
            var expertise: [String] = []
            while expertise.count < Int.random(in: 2...4, using: &generator) {
                let cluster = clusters.randomElement(using: &generator)!
                if !expertise.contains(cluster) { expertise.append(cluster) }
            }
            let name = judgeNames[index % judgeNames.count] + (index >= judgeNames.count ? " \(index / judgeNames.count + 1)" : "")
            return JudgeInput(
                name: name, email: "judge\(index + 1).\(seed)@panel.example.org",
                university: ownUniversity?.name ?? "\(city.city) Smart City Institute",
                city: ownUniversity?.city ?? city.city, country: ownUniversity?.country ?? city.country, expertise: expertise, maxLoad: nil)
        }
    }
}

public struct DemoSummary: Sendable {
    public var slug: String
    public var universities: Int
    public var teams: Int
    public var members: Int
    public var finalPhase: String
}

extension Application {
    /// Runs the demo competition as far as the engine goes, telling `report` what happens.
    public func runDemo(_ plan: DemoPlan, report: @Sendable (String) -> Void) async throws -> DemoSummary {
        let organizer = Actor.organizer("demo")
        var generator = SeededGenerator(seed: plan.seed)
        let existing = Set(try await competitions().map(\.slug))
        let slug = plan.slug ?? (["demo"] + (2...999).map { "demo-\($0)" }).first { !existing.contains($0) }!

        let competition = try await createCompetition(
            slug: slug, title: nil, workflowSource: plan.workflowSource, workflowFile: plan.workflowFile, as: organizer)
        report("Created competition '\(slug)' (\(competition.title)) from \(plan.workflowFile); phase '\(competition.phase)'.")
        let definition = try WorkflowLoader.load(plan.workflowSource, file: plan.workflowFile)

        var cities = MemberCity.all
        cities.shuffle(using: &generator)
        let universityCount = max(1, min(cities.count, (plan.teams + 1) / 2))
        let universities = cities.prefix(universityCount).enumerated().map { DemoPlan.university(in: $1, variant: $0) }
        let added = try await importUniversities(universities.enumerated().map { (row: $0 + 2, $1) }, file: "demo universities", as: organizer)
        let countries = Set(universities.map(\.country)).count
        report(
            "Universities: \(universities.count) in \(countries) countries (\(added.added) new), e.g. \(universities.prefix(3).map(\.name).joined(separator: ", "))."
        )

        let rows = plan.memberRows(universities: universities, rules: definition.team, generator: &generator)
        // First a file with one member over the age limit: refused whole, nothing written.
        if let maxAge = definition.team.maxAge, let reference = definition.team.ageReferenceDate, let year = Int(reference.prefix(4)) {
            var late = rows
            late[late.count / 2].birthDate = "\(year - maxAge - 1)-01-15"
            do {
                _ = try await importTeams(late, file: "teams.csv", competition: slug, as: organizer)
            } catch let error as WyscError where error.kind == .badInput {
                report(
                    "A first team file is refused whole (nothing is written):\n  " + error.message.split(separator: "\n").joined(separator: "\n  "))
            }
        }
        let imported = try await importTeams(rows, file: "teams.csv", competition: slug, as: organizer)
        report("Registered \(imported.teams) teams with \(imported.members) members.")
        try await addOrganizer(name: "WeGO Secretariat", email: "secretariat@wego.example.org", competition: slug, as: organizer)
        report("Organizer: WeGO Secretariat <secretariat@wego.example.org> hears of conflicts, blocked phases and passed deadlines.")

        var phase = competition.phase
        while true {
            if !definition.transitions.contains(where: { $0.from == phase }) {
                report("The competition is in its last phase, '\(phase)'.")
                break
            }
            do {
                try await runDemoPhaseWork(phase, slug: slug, definition: definition, organizer: organizer, generator: &generator, report: report)
                let check = try await checkTransition(competition: slug, to: nil, as: organizer)
                if !check.canAdvance {
                    report("\(check.from) → \(check.to) is blocked: \(check.failures.map(\.description).joined(separator: "; "))")
                    break
                }
                let record = try await advancePhase(competition: slug, to: nil, expectedPhase: phase, as: organizer)
                report("Phase \(record.from) → \(record.to)" + (record.performed.isEmpty ? "" : ": " + record.performed.joined(separator: "; ")))
                phase = record.to
                try await reportDemoOutcome(of: record, slug: slug, organizer: organizer, report: report)
            } catch let error as WyscError where error.kind == .refused {
                report("Stopped in phase '\(phase)': \(error.message)")
                break
            }
        }
        return DemoSummary(slug: slug, universities: universities.count, teams: imported.teams, members: imported.members, finalPhase: phase)
    }
}

extension Application {
    /// What people do in a phase of the demo: attendance in the lectures, check-ins at the workshops.
    func runDemoPhaseWork(
        _ phase: String, slug: String, definition: WorkflowDefinition, organizer: Actor, generator: inout SeededGenerator,
        report: @Sendable (String) -> Void
    ) async throws {
        let allows = definition.phase(phase)?.allows ?? []
        if allows.contains(.submitScore), let round = definition.rounds.first(where: { $0.phase == phase }) {
            try await runDemoScoring(round: round, slug: slug, definition: definition, organizer: organizer, generator: &generator, report: report)
        }
        if allows.contains(.submitProposal) {
            try await runDemoProposals(
                slug: slug, organizer: organizer, declaringAConflict: allows.contains(.declareConflict), generator: &generator, report: report)
        }
        if allows.contains(.recordAttendance), !definition.lectures.isEmpty {
            let teams = try await teams(competition: slug, as: organizer)
            let rows = DemoPlan.attendanceRows(for: teams, lectures: definition.lectures, generator: &generator)
            let summary = try await importAttendance(rows, file: "attendance.csv", competition: slug, as: organizer)
            let again = try await importAttendance(rows, file: "attendance.csv", competition: slug, as: organizer)
            report(
                "Lectures: \(definition.lectures.count) lectures with quizzes; \(summary.added) attendance records imported (importing the export again: \(again.unchanged) unchanged)."
            )
            for lecture in try await lectures(competition: slug) {
                report(
                    "  week \(lecture.lecture.week) \(lecture.lecture.id) [\(lecture.lecture.topic ?? "")]: \(lecture.attended) of \(lecture.members) attended, quiz average \(lecture.averageQuiz.map(EligibilityRules.format) ?? "–")"
                )
            }
        }
        if allows.contains(.checkInWorkshop), !definition.workshops.isEmpty {
            let teams = try await teams(competition: slug, as: organizer)
            var byWorkshop: [String: [String]] = [:]
            for team in teams where Int.random(in: 0..<10, using: &generator) > 0 {
                let count = Int.random(in: 1...min(2, definition.workshops.count), using: &generator)
                for workshop in definition.workshops.shuffled(using: &generator).prefix(count) {
                    byWorkshop[workshop.id, default: []].append(team.name)
                }
            }
            for workshop in definition.workshops {
                guard let names = byWorkshop[workshop.id], !names.isEmpty else { continue }
                _ = try await checkInWorkshop(workshop.id, teams: names, note: nil, competition: slug, as: organizer)
                report("Workshop \(workshop.id) (\(workshop.city ?? "online"), \(workshop.date)): \(names.count) teams took part.")
            }
        }
    }

    /// The panel is added, eligible teams submit (one sends a second version), a judge declares a
    /// conflict (where the workflow allows it in this phase).
    func runDemoProposals(
        slug: String, organizer: Actor, declaringAConflict: Bool, generator: inout SeededGenerator, report: @Sendable (String) -> Void
    ) async throws {
        let teams = try await teams(competition: slug, as: organizer)
        let universities = try await universities().map { UniversityInput(name: $0.name, city: $0.city, country: $0.country) }
        let panel = DemoPlan.judges(count: max(8, teams.count / 3), universities: universities, seed: UInt64(teams.count), generator: &generator)
        _ = try await addJudges(panel.enumerated().map { ($0 + 2, $1, "") }, file: "judges.csv", competition: slug, as: organizer)
        report(
            "Judges: \(panel.count) experts from \(Set(panel.map(\.country)).count) countries, e.g. \(panel.prefix(3).map(\.name).joined(separator: ", "))."
        )
        // Without eligibility rules in the workflow there is no verdict, and every team may submit.
        let eligible = Set(try await eligibility(competition: slug, as: organizer).filter { $0.eligible ?? true }.map(\.team))
        var inputs: [(row: Int, input: ProposalInput)] = []
        for team in teams where eligible.contains(team.name) && Int.random(in: 0..<20, using: &generator) > 0 {
            inputs.append((inputs.count + 2, DemoPlan.proposal(for: team, generator: &generator)))
        }
        let submitted = try await importProposals(inputs, file: "proposals.csv", competition: slug, as: organizer)
        report("Proposals: \(submitted.proposals.added) received from \(eligible.count) eligible teams, each with its plan as a PDF.")
        if var revised = inputs.first?.input {
            revised.abstract += " Version 2 adds a budget."
            _ = try await submitProposal(revised, competition: slug, as: organizer)
            let retry = try await submitProposal(revised, competition: slug, as: organizer)
            report(
                "  \(revised.team) sent a second version (both are kept); sending it again changed nothing (\(retry.outcome.unchanged) unchanged).")
        }
        if declaringAConflict, let judge = panel.last, let team = inputs.last?.input.team,
            let id = try await judges(competition: slug, as: organizer).first(where: { $0.email == judge.email })?.id
        {
            try await declareConflict(
                judge: judge.email, team: team, reason: "co-authored a paper with the team's mentor", competition: slug, as: .judge(id))
            report("  \(judge.name) declared a conflict with \(team); the organizers are told by mail.")
        }
    }

    /// Every judge scores their queue as themself. Each proposal has a hidden quality; some judges
    /// are harsh, some lenient, all a little noisy: normalization is what makes that fair.
    func runDemoScoring(
        round: JudgingRound, slug: String, definition: WorkflowDefinition, organizer: Actor, generator: inout SeededGenerator,
        report: @Sendable (String) -> Void
    ) async throws {
        let panel = try await judges(competition: slug, as: organizer).filter { $0.withdrawnAt == nil }
        var quality: [Int: Double] = [:]
        var bias: [(judge: String, bias: Double)] = []
        var scored = 0
        for (index, judge) in panel.enumerated() {
            if index == panel.count / 2, definition.notifications.isOn(.reminder) {
                let reminded = try await remindJudges(round: round.id, competition: slug, as: organizer)
                report("  halfway, \(reminded) judge(s) with missing scorecards are reminded (wysc notify remind)")
            }
            let leaning = index % 5 == 0 ? -2.0 : index % 5 == 1 ? 1.5 : Double.random(in: -0.5...0.5, using: &generator)
            bias.append((judge.name, leaning))
            for item in try await judgeQueue(judge: nil, competition: slug, as: .judge(judge.id)) {
                if quality[item.proposal] == nil { quality[item.proposal] = Double.random(in: 4.5...8.5, using: &generator) }
                var values: [String: String] = [:]
                for criterion in definition.rubric.criteria {
                    let raw = quality[item.proposal]! + leaning + Double.random(in: -1...1, using: &generator)
                    values[criterion.id] = String(
                        Int(min(Double(definition.rubric.scaleMax), max(Double(definition.rubric.scaleMin), raw.rounded()))))
                }
                let total = definition.rubric.weightedTotal((try? definition.rubric.validate(values)) ?? [:])
                _ = try await submitScorecard(
                    proposal: item.proposal, values: values, comment: "Scored in the \(round.title) round.",
                    feedback: round.feedbackToTeams ? DemoPlan.feedback(total: total, scale: definition.rubric.scaleMax, generator: &generator) : nil,
                    draft: false, judge: nil, competition: slug, as: .judge(judge.id))
                scored += 1
            }
        }
        report("\(round.title): \(panel.count) judges submitted \(scored) scorecards as themselves.")
        let judgeReport = try await results(round: round.id, method: .model, competition: slug, as: organizer).judges
        if let harsh = judgeReport.min(by: { ($0.bias ?? 0) < ($1.bias ?? 0) }),
            let lenient = judgeReport.max(by: { ($0.bias ?? 0) < ($1.bias ?? 0) })
        {
            report(
                "  the harshest judge (\(harsh.judge)) gives \(String(format: "%+.2f", harsh.bias ?? 0)) points, the most lenient (\(lenient.judge)) \(String(format: "%+.2f", lenient.bias ?? 0)): the judge model evens that out"
            )
        }
    }

    /// After a transition, what it decided: for eligibility, who goes on and why the others do not.
    func reportDemoOutcome(of record: TransitionRecord, slug: String, organizer: Actor, report: @Sendable (String) -> Void) async throws {
        if record.performed.contains(where: { $0.hasPrefix("published") }) {
            let final = try await results(round: nil, method: .model, competition: slug, as: organizer)
            report("Final ranking (round '\(final.round)', by the judge model):")
            for line in final.lines.prefix(10) {
                report(
                    "  \(line.rank). \(line.team) — \(line.university): \(String(format: "%.2f", line.score)) (raw mean \(String(format: "%.2f", line.rawMean)))\(line.uncertain ? ", uncertain at the cut" : "")"
                )
            }
            if let winner = final.lines.first,
                let status = try await teamStatus(competition: slug, team: winner.team, university: nil, as: organizer).first,
                let rank = status.steps.first(where: { $0.step == "rank" })
            {
                report("  \(winner.team)'s university now sees: rank \(rank.detail)")
            }
            if let line = final.lines.last, let university = try await universities().first(where: { $0.name == line.university }),
                let feedback = try? await teamFeedback(team: line.team, competition: slug, as: .university(university.id)).first
            {
                report("  \(line.team)'s university reads its feedback from round '\(feedback.round)' (unsigned):")
                for review in feedback.reviews { report("    \(review.judge): \(review.feedback)") }
                let averages = feedback.criteria.map {
                    "\($0.criterion) \(String(format: "%.1f", $0.team)) (round \(String(format: "%.1f", $0.round)))"
                }
                report("    criterion averages: " + averages.joined(separator: ", "))
            }
            return
        }
        if record.performed.contains(where: { $0.hasPrefix("closed submissions") }) {
            let conflicts = try await conflicts(competition: slug, as: organizer)
            report(
                "  conflicts respected: \(conflicts.count) (\(conflicts.filter { $0.source == "declared" }.count) declared, the rest same university or same city)"
            )
            if let status = try await teamStatus(competition: slug, team: nil, university: nil, as: organizer).first(where: {
                $0.steps.contains { $0.step == "review" && $0.state == "pending" }
            }),
                let review = status.steps.first(where: { $0.step == "review" })
            {
                report("  \(status.team)'s university sees: \(review.detail) (never who they are)")
            }
            return
        }
        guard record.performed.contains(where: { $0.contains("may submit a proposal") }) else { return }
        let decisions = try await eligibility(competition: slug, as: organizer)
        let ineligible = decisions.filter { $0.eligible == false }
        for decision in ineligible.prefix(4) {
            report("  not going on: \(decision.team) — \(decision.reasons.first ?? "")")
        }
        if ineligible.count > 4 { report("  … and \(ineligible.count - 4) more (wysc team eligibility list)") }
        if let pardoned = ineligible.first {
            let after = try await overrideEligibility(
                competition: slug, team: pardoned.team, eligible: true,
                reason: "reviewed by the jury: the member was ill for part of the series; medical certificate received",
                as: organizer)
            report("  override: \(after.team) may go on after all (\(after.override?.reason ?? "")); audited.")
        }
    }
}
