import Testing
import WyscJudging
import WyscWorkflow

@Suite struct ScorecardValidationTests {
    let rubric = Self.rubric(innovation: 0.5, impact: 0.3, feasibility: 0.2)

    static func rubric(innovation: Double, impact: Double, feasibility: Double) -> Rubric {
        Rubric(
            scaleMin: 1, scaleMax: 10,
            criteria: [
                Criterion(id: "innovation", title: "Innovation", guidance: nil, weight: innovation),
                Criterion(id: "impact", title: "Impact", guidance: nil, weight: impact),
                Criterion(id: "feasibility", title: "Feasibility", guidance: nil, weight: feasibility),
            ])
    }

    @Test func aCompleteScorecardHasAWeightedTotal() throws {
        let scores = try rubric.validate(["innovation": "8", "impact": "6", "feasibility": "7.5"])
        #expect(rubric.weightedTotal(scores) == 7.3)
        // Without binary noise: 0.4 × 8 + 0.3 × 7 + 0.3 × 6 is 7.1, not 7.1000000000000005.
        let fortyThirtyThirty = Self.rubric(innovation: 0.4, impact: 0.3, feasibility: 0.3)
        #expect("\(fortyThirtyThirty.weightedTotal(["innovation": 8, "impact": 7, "feasibility": 6]))" == "7.1")
    }

    @Test func everyProblemIsNamed() {
        let error = #expect(throws: ScorecardInvalid.self) {
            try rubric.validate(["innovation": "11", "impact": "x", "creativity": "5"])
        }
        #expect(
            error?.problems == [
                "unknown criteria: creativity (the rubric has innovation, impact, feasibility)",
                "missing criteria: feasibility",
                "innovation = 11 is off the scale 1–10",
                "impact = 'x' is not a number",
            ])
    }

    @Test func aDraftMayBeIncompleteButNotOffTheScale() throws {
        #expect(try rubric.validate(["innovation": "9"], partial: true) == ["innovation": 9])
        #expect(throws: ScorecardInvalid.self) { try rubric.validate(["innovation": "0"], partial: true) }
    }
}
