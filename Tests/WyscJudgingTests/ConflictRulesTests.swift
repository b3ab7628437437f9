import Testing
import WyscJudging

@Suite struct ConflictRulesTests {
    typealias Affiliation = ConflictRules.Affiliation
    let both = ConflictRules(sameUniversity: true, sameCity: true)

    @Test func theRuleByHand() {
        let judge = Affiliation(university: " Seoul National University ", city: "SEOUL")
        #expect(
            both.reasons(judge: judge, team: Affiliation(university: "seoul national university", city: "Seoul"), declared: true)
                == [.declared, .sameUniversity, .sameCity])
        #expect(both.reasons(judge: judge, team: Affiliation(university: "Yonsei University", city: "Seoul"), declared: false) == [.sameCity])
        #expect(
            ConflictRules(sameUniversity: true, sameCity: false).reasons(
                judge: judge, team: Affiliation(university: "Yonsei University", city: "Seoul"), declared: false
            ).isEmpty)
        // Names in any script, compared without regard to case; an empty name matches nothing.
        #expect(
            both.reasons(judge: Affiliation(university: "", city: "BOGOTÁ"), team: Affiliation(university: "", city: "Bogotá"), declared: false)
                == [.sameCity])
        #expect(
            both.reasons(judge: Affiliation(university: "成都大学", city: ""), team: Affiliation(university: "成都大学", city: ""), declared: false)
                == [.sameUniversity])
        #expect(ConflictRules.declaredOnly.reasons(judge: judge, team: judge, declared: false).isEmpty)
    }

    /// The grouped search finds exactly the pairs that asking the rule of every pair finds.
    @Test func manyPairsAgreeWithThePairwiseRule() {
        var generator = SplitMix(seed: 42)
        let universities = ["", "Seoul National University", "SEOUL NATIONAL UNIVERSITY", "成都大学", "Universidad de Bogotá", " Yonsei "]
        let cities = ["", "Seoul", "seoul", "Chengdu", "Bogotá", "BOGOTÁ"]
        for _ in 0..<200 {
            let rules = ConflictRules(sameUniversity: generator.next() % 2 == 0, sameCity: generator.next() % 2 == 0)
            func affiliation() -> Affiliation {
                Affiliation(university: universities[Int(generator.next() % 6)], city: cities[Int(generator.next() % 6)])
            }
            let judges = (0..<Int(generator.next() % 8)).map { (id: $0, affiliation: affiliation()) }
            let teams = (0..<Int(generator.next() % 10)).map { (id: 100 + $0, affiliation: affiliation()) }
            var declared = Set<ConflictRules.Declared>()
            for judge in judges { for team in teams where generator.next() % 7 == 0 { declared.insert(.init(judge: judge.id, team: team.id)) } }
            let fast = rules.pairs(judges: judges, teams: teams, declared: declared)
            var slow: [ConflictRules.Pair] = []
            for judge in judges {
                for team in teams {
                    let reasons = rules.reasons(
                        judge: judge.affiliation, team: team.affiliation, declared: declared.contains(.init(judge: judge.id, team: team.id)))
                    if !reasons.isEmpty { slow.append(.init(judge: judge.id, team: team.id, reasons: reasons)) }
                }
            }
            #expect(fast == slow)
        }
    }
}
