import Foundation

/// Small workflows for tests that need a phase the WYSC workflow reaches only after many steps.
public enum TestWorkflows {
    /// registration → proposals (deadline 2026-06-01, 30 minutes' grace) → screening (2 reviews per
    /// proposal, same-university and same-city conflicts) → closed; no eligibility rules.
    public static let proposalsAndScreening = """
        workflow: mini
        phases:
          - {id: registration, allows: [register_team]}
          - {id: proposals, allows: [submit_proposal], deadline: "2026-06-01T00:00:00Z", grace_minutes: 30}
          - {id: screening, allows: [submit_score, declare_conflict]}
          - {id: closed}
        transitions:
          - {from: registration, to: proposals}
          - from: proposals
            to: screening
            guards: [{min_proposals: {count: 1}}]
            actions: [close_submissions, {assign_judges: {round: screening}}]
          - {from: screening, to: closed}
        team: {min_members: 1, max_members: 5}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, weight: 1}]
        rounds:
          - {id: screening, reviews_per_proposal: 2, conflicts: {same_university: true, same_city: true}}
        """
}

extension TestWorkflows {
    /// The same without the proposals deadline, for tests that run on the real clock.
    public static let proposalsAndScreeningWithoutDeadline = proposalsAndScreening.replacingOccurrences(
        of: #", deadline: "2026-06-01T00:00:00Z", grace_minutes: 30"#, with: "")
}
