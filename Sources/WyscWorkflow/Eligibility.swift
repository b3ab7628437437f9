/// What one member did in one lecture, as recorded from the meeting and quiz tools.
public struct LectureRecord: Sendable, Hashable {
    /// attended yes/no as exported; nil when only minutes were given.
    public var present: Bool?
    /// Minutes present; when given, it decides attendance against the workflow's threshold.
    public var minutes: Int?
    public var quizScore: Double?

    public init(present: Bool?, minutes: Int?, quizScore: Double?) {
        self.present = present
        self.minutes = minutes
        self.quizScore = quizScore
    }

    /// Minutes, when known, decide; otherwise the yes/no.
    public func attended(_ rules: EligibilityRules) -> Bool {
        if let minutes { return minutes >= rules.attendanceMinutes }
        return present ?? false
    }
}

/// A team's participation in lectures and workshops, the input of the eligibility rules.
public struct TeamParticipation: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var name: String
        /// By lecture id; a lecture with no record was missed.
        public var lectures: [String: LectureRecord]
        public init(name: String, lectures: [String: LectureRecord]) {
            self.name = name
            self.lectures = lectures
        }
    }

    public var members: [Member]
    public var workshops: Set<String>

    public init(members: [Member], workshops: Set<String>) {
        self.members = members
        self.workshops = workshops
    }
}

/// Whether a team may go on, and every reason why not (which member, which lectures).
public struct EligibilityVerdict: Sendable, Hashable {
    public var eligible: Bool { reasons.isEmpty }
    public var reasons: [String]
}

extension EligibilityRules {
    /// Applies the rules to a team. Pure: the same participation always gives the same verdict.
    public func evaluate(_ team: TeamParticipation, lectures: [Lecture]) -> EligibilityVerdict {
        var reasons: [String] = []
        for member in team.members {
            let missed = lectures.filter { lecture in !(member.lectures[lecture.id]?.attended(self) ?? false) }.map(\.id)
            let attended = lectures.count - missed.count
            if attended < minLectures {
                reasons.append(
                    "\(member.name) attended \(attended) of \(lectures.count) lectures (missed \(missed.joined(separator: ", "))); \(minLectures) needed"
                )
            }
            let scores = lectures.compactMap { member.lectures[$0.id]?.quizScore }
            if scores.isEmpty {
                if quizPassAverage > 0 {
                    reasons.append("\(member.name) took no quiz; an average of \(Self.format(quizPassAverage)) of \(Self.format(quizMax)) is needed")
                }
            } else {
                let average = scores.reduce(0, +) / Double(scores.count)
                if average < quizPassAverage {
                    reasons.append(
                        "\(member.name)'s quiz average is \(Self.format(average)) of \(Self.format(quizMax)); \(Self.format(quizPassAverage)) needed")
                }
            }
        }
        if team.workshops.count < minWorkshops {
            let took = team.workshops.isEmpty ? "no workshop" : "\(team.workshops.count) workshop(s)"
            reasons.append("the team took part in \(took); \(minWorkshops) needed")
        }
        return EligibilityVerdict(reasons: reasons)
    }

    /// At most two decimals, no trailing zeros: 5.5, 6, 7.33.
    public static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
