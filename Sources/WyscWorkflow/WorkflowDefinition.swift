import Foundation

/// A competition's workflow, loaded from a workflow file and validated: the phases in order, the
/// transitions between them with their guards and actions, what each phase allows, the team rules,
/// the rubric and the judging rounds. A value: it is stored with the competition when it is created.
public struct WorkflowDefinition: Sendable, Hashable {
    public var id: String
    public var title: String
    /// In declared order; the first is where a competition starts.
    public var phases: [Phase]
    public var transitions: [Transition]
    public var team: TeamRules
    public var rubric: Rubric
    public var rounds: [JudgingRound]
    /// The lecture series (each followed by a quiz), in order.
    public var lectures: [Lecture]
    public var workshops: [Workshop]
    /// Who may go on after lectures and workshops; nil when the workflow has no such rules.
    public var eligibility: EligibilityRules?
    /// What files a proposal may carry (`proposal_files`; PDF up to 20 MB when absent).
    public var proposalFiles: ProposalFileRules = .standard
    /// Who is told what, by mail (`notifications`; every event on when absent).
    public var notifications: NotificationSettings = .standard
    /// `results: {public: true}`: once published, the final ranking is a public web page.
    public var publicResults = false

    public func phase(_ id: String) -> Phase? { phases.first { $0.id == id } }
    public func lecture(_ id: String) -> Lecture? { lectures.first { $0.id == id } }
    public func workshop(_ id: String) -> Workshop? { workshops.first { $0.id == id } }

    /// Phases with no way out: where a competition ends.
    public var terminalPhases: [Phase] {
        phases.filter { phase in !transitions.contains { $0.from == phase.id } }
    }
}

public struct Phase: Sendable, Hashable {
    public var id: String
    public var title: String
    public var allows: [Operation]
    /// When the phase's work must be done (e.g. the proposal deadline); an event, not a clock read.
    public var deadline: Date?
    /// Minutes after the deadline during which late work is still accepted (a slow upload).
    public var graceMinutes: Int = 0
    /// What the scheduler does once the deadline (and grace) has passed; nil: nothing but refuse late work.
    public var atDeadline: DeadlineAction?

    /// The last moment work is accepted: the deadline plus the grace period.
    public var closesAt: Date? { deadline.map { $0.addingTimeInterval(Double(graceMinutes) * 60) } }
}

/// What happens when a phase's deadline passes (`at_deadline`).
public enum DeadlineAction: String, Sendable, Hashable, CaseIterable {
    /// Take the phase's only transition if its guards hold; otherwise tell the organizers what blocks it.
    case advance
    /// Only tell the organizers that the deadline passed.
    case notify
}

public struct Transition: Sendable, Hashable {
    public var from: String
    public var to: String
    public var guards: [GuardUse]
    public var actions: [ActionUse]
}

/// What people do in a phase; each phase lists the ones it allows.
public enum Operation: String, Sendable, Hashable, CaseIterable {
    case registerTeam = "register_team"
    case recordAttendance = "record_attendance"
    case checkInWorkshop = "checkin_workshop"
    case submitProposal = "submit_proposal"
    case submitScore = "submit_score"
    case declareConflict = "declare_conflict"
}

/// A guard or an action of the catalog: named in workflow files, with typed parameters.
public protocol CatalogEntry: RawRepresentable, CaseIterable where RawValue == String {
    var parameters: [ParameterSpec] { get }
}

/// A condition that must hold before a transition is taken.
public enum GuardKind: String, Sendable, Hashable, Codable, CatalogEntry {
    /// At least `count` teams registered.
    case minTeams = "min_teams"
    /// Every team's size within the team rules.
    case teamsComplete = "teams_complete"
    /// The current phase's deadline has passed.
    case deadlinePassed = "deadline_passed"
    /// At least `count` proposals submitted.
    case minProposals = "min_proposals"
    /// Every assigned scorecard of `round` submitted.
    case scorecardsComplete = "scorecards_complete"

    public var parameters: [ParameterSpec] {
        switch self {
        case .minTeams, .minProposals: [ParameterSpec(name: "count", type: .integer(0...1_000_000))]
        case .teamsComplete, .deadlinePassed: []
        case .scorecardsComplete: [ParameterSpec(name: "round", type: .round)]
        }
    }
}

/// Something the engine does while taking a transition, in the same database transaction.
public enum ActionKind: String, Sendable, Hashable, CatalogEntry {
    case freezeRosters = "freeze_rosters"
    case computeEligibility = "compute_eligibility"
    case closeSubmissions = "close_submissions"
    case assignJudges = "assign_judges"
    case computeRanking = "compute_ranking"
    case shortlist
    case publishResults = "publish_results"

    public var parameters: [ParameterSpec] {
        switch self {
        case .freezeRosters, .computeEligibility, .closeSubmissions, .publishResults: []
        case .assignJudges, .computeRanking: [ParameterSpec(name: "round", type: .round)]
        case .shortlist:
            [
                ParameterSpec(name: "from", type: .round), ParameterSpec(name: "to", type: .round),
                ParameterSpec(name: "size", type: .integer(1...100_000)),
            ]
        }
    }
}

/// A typed parameter of a guard or an action.
public struct ParameterSpec: Sendable, Hashable {
    public enum ParameterType: Sendable, Hashable {
        case integer(ClosedRange<Int>)
        /// The id of a judging round declared in the file.
        case round
    }

    public var name: String
    public var type: ParameterType
}

public enum ParameterValue: Sendable, Hashable {
    case integer(Int)
    case round(String)
}

public struct GuardUse: Sendable, Hashable {
    public var kind: GuardKind
    public var parameters: [String: ParameterValue]
}

public struct ActionUse: Sendable, Hashable {
    public var kind: ActionKind
    public var parameters: [String: ParameterValue]
}

public struct TeamRules: Sendable, Hashable {
    public var minMembers: Int
    public var maxMembers: Int
    /// Members must be younger than this on `ageReferenceDate` (WeGO: under 35).
    public var maxAge: Int?
    public var ageReferenceDate: String?

    /// The one definition of a team's size rule: registration and the `teams_complete` guard ask it.
    public func allowsSize(_ members: Int) -> Bool {
        (minMembers...maxMembers).contains(members)
    }

    /// What is wrong with a team of `members`, or nil.
    public func sizeProblem(team: String, members: Int) -> String? {
        allowsSize(members) ? nil : "team '\(team)' has \(members) member(s); teams need \(minMembers) to \(maxMembers)"
    }
}

public struct Rubric: Sendable, Hashable, Codable {
    public var scaleMin: Int
    public var scaleMax: Int
    public var criteria: [Criterion]
    /// Criteria whose means break ties on the score, in order (then the raw mean).
    public var tieBreak: [String] = []

    public init(scaleMin: Int, scaleMax: Int, criteria: [Criterion], tieBreak: [String] = []) {
        self.scaleMin = scaleMin
        self.scaleMax = scaleMax
        self.criteria = criteria
        self.tieBreak = tieBreak
    }
}

public struct Criterion: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var guidance: String?
    /// A fraction of the total; the weights of a rubric add up to 1.
    public var weight: Double

    public init(id: String, title: String, guidance: String?, weight: Double) {
        self.id = id
        self.title = title
        self.guidance = guidance
        self.weight = weight
    }
}

/// One lecture of the series; a quiz follows each.
public struct Lecture: Sendable, Hashable {
    public var id: String
    public var week: Int
    public var title: String
    /// A WeGO thematic cluster, e.g. Smart Mobility.
    public var topic: String?
    /// YYYY-MM-DD.
    public var date: String

    public init(id: String, week: Int, title: String, topic: String?, date: String) {
        self.id = id
        self.week = week
        self.title = title
        self.topic = topic
        self.date = date
    }
}

public struct Workshop: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case online
        case inPerson = "in_person"
    }

    public var id: String
    public var title: String
    public var format: Format
    /// The host city of an in-person workshop.
    public var city: String?
    /// YYYY-MM-DD.
    public var date: String
}

/// The participation rules a team must meet to submit a proposal.
public struct EligibilityRules: Sendable, Hashable {
    /// Every member attended at least this many lectures.
    public var minLectures: Int
    /// When attendance comes as minutes present, this many or more count as attended.
    public var attendanceMinutes: Int
    /// Quiz scores run from 0 to this.
    public var quizMax: Double
    /// Every member's average over the quizzes they took is at least this.
    public var quizPassAverage: Double
    /// The team took part in at least this many workshops.
    public var minWorkshops: Int

    public init(minLectures: Int, attendanceMinutes: Int, quizMax: Double, quizPassAverage: Double, minWorkshops: Int) {
        self.minLectures = minLectures
        self.attendanceMinutes = attendanceMinutes
        self.quizMax = quizMax
        self.quizPassAverage = quizPassAverage
        self.minWorkshops = minWorkshops
    }
}

public struct JudgingRound: Sendable, Hashable {
    public var id: String
    public var title: String
    public var reviewsPerProposal: Int
    public var conflictSameUniversity: Bool
    public var conflictSameCity: Bool
    public var blindReview: Bool
    /// At most this many proposals per judge in this round (a judge's own max_load wins); nil: the
    /// smallest load that lets every proposal get its judges.
    public var maxLoad: Int?
    /// At least this many proposals per judge in this round (or the judge's max_load, if smaller), so
    /// that the judge model can estimate every judge's leniency; nil: the fair share ⌊k·P/J⌋, 0: none.
    public var minLoad: Int? = nil
    /// The phase in which this round's scorecards are submitted (default: the phase with the round's id).
    public var phase: String
    /// Judges write feedback for the team, which its university reads (anonymized) once results are published.
    public var feedbackToTeams: Bool = false
}

extension WorkflowDefinition {
    /// How many proposals of `round` go on: the size of the shortlist made from it, or the podium
    /// (3) for a round nothing is shortlisted from (the finals).
    public func cut(of round: String) -> Int {
        for transition in transitions {
            for action in transition.actions where action.kind == .shortlist {
                if case .round(round)? = action.parameters["from"], case .integer(let size)? = action.parameters["size"] { return size }
            }
        }
        return 3
    }
}

extension ActionUse: CustomStringConvertible {
    /// What the action does, in words, with its parameters: for `phase check` and `workflow show`.
    public var description: String {
        func round(_ name: String) -> String {
            if case .round(let id) = parameters[name] { return "'\(id)'" }
            return "?"
        }
        switch kind {
        case .freezeRosters: return "freeze team rosters: no member can be added or removed"
        case .computeEligibility: return "decide which teams met the participation rules and may submit a proposal"
        case .closeSubmissions: return "close proposal submissions"
        case .assignJudges: return "assign judges to the proposals of round \(round("round"))"
        case .computeRanking: return "rank the proposals of round \(round("round")) from their scores"
        case .shortlist:
            var size = "?"
            if case .integer(let value) = parameters["size"] { size = String(value) }
            return "move the top \(size) of round \(round("from")) into round \(round("to"))"
        case .publishResults: return "publish the results to teams, universities and judges"
        }
    }
}

/// The ids of phases, rounds, criteria and workshops: ASCII, because they travel in URLs, command
/// lines and file names (the API's document gives the same rule as a pattern).
public enum WorkflowIdentifier {
    public static let maxLength = 100

    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard let first = bytes.first, bytes.count <= maxLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
