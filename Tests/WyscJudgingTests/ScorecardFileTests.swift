import Testing
import WyscJudging
import WyscWorkflow

@Suite struct ScorecardFileTests {
    /// Nine levels of aliases, ten times each: a billion values if anyone walked them.
    static let bomb: String = {
        var text = "a: &a [" + Array(repeating: "x", count: 10).joined(separator: ", ") + "]\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text + "comment: *i\n"
    }()

    @Test func readsEveryDocumentedShape() throws {
        let nested = try ScorecardFile.parse("scores: {innovation: 8, impact: 7}\ncomment: 很好\n", file: "card.yaml")
        #expect(nested == ScorecardFile(values: ["innovation": "8", "impact": "7"], comment: "很好"))
        let flat = try ScorecardFile.parse(#"{"innovation": 8, "impact": "7.5"}"#, file: "card.json")
        #expect(flat == ScorecardFile(values: ["innovation": "8", "impact": "7.5"], comment: nil))
    }

    @Test func refusesWhatIsNotAScorecardSayingWhere() {
        let nested = #expect(throws: SafeYAML.Refusal.self) { try ScorecardFile.parse("innovation: [8, 9]\n", file: "c.yaml") }
        #expect(nested?.message == "the score of 'innovation' must be a single value, not a mapping or a list")
        #expect(nested?.line == 1)
        let twice = #expect(throws: SafeYAML.Refusal.self) { try ScorecardFile.parse("scores: {a: 1}\na: 2\n", file: "c.yaml") }
        #expect(twice?.message == "give the criteria either under 'scores' or at the top level, not both")
        let list = #expect(throws: SafeYAML.Refusal.self) { try ScorecardFile.parse("- 1\n- 2\n", file: "c.yaml") }
        #expect(list?.message == "expected a mapping of criteria to values, or {scores: …, comment: …}")
    }

    /// The bomb that once took 60 s and 2.4 GB is refused at once; a six-level one that stored a
    /// 7 MB comment is refused too (a comment must be one value).
    @Test func aliasBombsAreRefused() {
        let bomb = #expect(throws: SafeYAML.Refusal.self) { try ScorecardFile.parse(Self.bomb, file: "bomb.yaml") }
        #expect(bomb?.message.contains("expands to more than") == true)
        let small = """
            a: &a [x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            comment: *b
            """
        let comment = #expect(throws: SafeYAML.Refusal.self) { try ScorecardFile.parse(small, file: "c.yaml") }
        #expect(comment?.message.hasSuffix("must be a single value, not a mapping or a list") == true)
    }
}
