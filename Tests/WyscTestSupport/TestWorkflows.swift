import Foundation

/// Small workflows for tests that need a phase the WYSC workflow reaches only after many steps.
public enum TestWorkflows {
    /// registration → proposals (deadline 2026-06-01, 30 minutes' grace) → screening (2 reviews per
    /// proposal, same-university and same-city conflicts) → closed; no eligibility rules.
    public static let proposalsAndScreening = """
        workflow: mini
        phases:
          - {id: registration, allows: [register_team]}
          - {id: proposals, allows: [submit_proposal, declare_conflict], deadline: "2026-06-01T00:00:00Z", grace_minutes: 30}
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

extension TestWorkflows {
    /// registration → proposals → screening (blind, 2 reviews, feedback to teams) → finals (top 2, 2 reviews) → results →
    /// closed (publish); rubric idea 60% / plan 40% on 1–10, ties broken by idea; same-university conflicts.
    public static let judging = """
        workflow: judging
        phases:
          - {id: registration, allows: [register_team]}
          - {id: proposals, allows: [submit_proposal]}
          - {id: screening, allows: [submit_score, declare_conflict]}
          - {id: finals, allows: [submit_score, declare_conflict]}
          - {id: results}
          - {id: closed}
        transitions:
          - {from: registration, to: proposals}
          - {from: proposals, to: screening, actions: [{assign_judges: {round: screening}}]}
          - from: screening
            to: finals
            guards: [{scorecards_complete: {round: screening}}]
            actions: [{compute_ranking: {round: screening}}, {shortlist: {from: screening, to: finals, size: 2}}, {assign_judges: {round: finals}}]
          - {from: finals, to: results, guards: [{scorecards_complete: {round: finals}}], actions: [{compute_ranking: {round: finals}}]}
          - {from: results, to: closed, actions: [publish_results]}
        team: {min_members: 1, max_members: 5}
        rubric:
          scale: {min: 1, max: 10}
          criteria: [{id: idea, title: Idea, weight: 0.6}, {id: plan, title: Plan, weight: 0.4}]
          tie_break: [idea]
        rounds:
          - {id: screening, reviews_per_proposal: 2, blind_review: true, feedback_to_teams: true, conflicts: {same_university: true, same_city: false}}
          - {id: finals, reviews_per_proposal: 2, conflicts: {same_university: true, same_city: false}}
        """
}
