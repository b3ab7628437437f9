import WyscWorkflow

/// Who may not review whom: the one definition of conflicts of interest. A judge may not review a
/// team they declared a conflict with, nor, where the round says so, a team of their own
/// university or of their own city. Names match ignoring case and surrounding blanks; an empty
/// name (a judge with no university given) matches nothing. Scoring, assignment and the conflicts
/// listing all ask this type; none of them repeats the rule in SQL.
public struct ConflictRules: Sendable, Hashable {
    public var sameUniversity: Bool
    public var sameCity: Bool

    public init(sameUniversity: Bool, sameCity: Bool) {
        self.sameUniversity = sameUniversity
        self.sameCity = sameCity
    }

    /// The rules of a workflow round.
    public init(_ round: JudgingRound) {
        self.init(sameUniversity: round.conflictSameUniversity, sameCity: round.conflictSameCity)
    }

    /// Only declared conflicts.
    public static let declaredOnly = ConflictRules(sameUniversity: false, sameCity: false)

    public enum Reason: String, Sendable, Hashable, CaseIterable, Comparable {
        case declared
        case sameUniversity = "same university"
        case sameCity = "same city"

        public static func < (lhs: Reason, rhs: Reason) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Where a judge works or a team studies.
    public struct Affiliation: Sendable, Hashable {
        public var university: String
        public var city: String

        public init(university: String, city: String) {
            self.university = university
            self.city = city
        }
    }

    /// Why the judge may not review the team, declared first; empty when they may.
    public func reasons(judge: Affiliation, team: Affiliation, declared: Bool) -> [Reason] {
        var reasons: [Reason] = []
        if declared { reasons.append(.declared) }
        if sameUniversity, let key = Self.key(judge.university), key == Self.key(team.university) { reasons.append(.sameUniversity) }
        if sameCity, let key = Self.key(judge.city), key == Self.key(team.city) { reasons.append(.sameCity) }
        return reasons
    }

    /// A conflict a judge (or an organizer) declared with a team.
    public struct Declared: Sendable, Hashable {
        public var judge: Int
        public var team: Int

        public init(judge: Int, team: Int) {
            self.judge = judge
            self.team = team
        }
    }

    /// A conflicting pair of ids and why.
    public struct Pair: Sendable, Hashable {
        public var judge: Int
        public var team: Int
        public var reasons: [Reason]

        public init(judge: Int, team: Int, reasons: [Reason]) {
            self.judge = judge
            self.team = team
            self.reasons = reasons
        }
    }

    /// Every conflicting (judge, team) pair among many, ordered by judge then team. Teams are
    /// grouped by university and by city first, so the time grows with judges, teams and the
    /// conflicts found, not with judges × teams.
    public func pairs(judges: [(id: Int, affiliation: Affiliation)], teams: [(id: Int, affiliation: Affiliation)], declared: Set<Declared>) -> [Pair]
    {
        var teamsByUniversity: [String: [Int]] = [:]
        var teamsByCity: [String: [Int]] = [:]
        var affiliationOfTeam: [Int: Affiliation] = [:]
        for team in teams {
            affiliationOfTeam[team.id] = team.affiliation
            if sameUniversity, let key = Self.key(team.affiliation.university) { teamsByUniversity[key, default: []].append(team.id) }
            if sameCity, let key = Self.key(team.affiliation.city) { teamsByCity[key, default: []].append(team.id) }
        }
        var declaredByJudge: [Int: [Int]] = [:]
        for pair in declared { declaredByJudge[pair.judge, default: []].append(pair.team) }
        var found: [Pair] = []
        for judge in judges {
            var candidates = Set(declaredByJudge[judge.id] ?? [])
            if let key = Self.key(judge.affiliation.university) { candidates.formUnion(teamsByUniversity[key] ?? []) }
            if let key = Self.key(judge.affiliation.city) { candidates.formUnion(teamsByCity[key] ?? []) }
            for team in candidates.sorted() {
                guard let affiliation = affiliationOfTeam[team] else { continue }
                let reasons = self.reasons(
                    judge: judge.affiliation, team: affiliation, declared: declared.contains(Declared(judge: judge.id, team: team)))
                if !reasons.isEmpty { found.append(Pair(judge: judge.id, team: team, reasons: reasons)) }
            }
        }
        return found
    }

    /// The name as compared: without surrounding blanks, in lower case; nil when empty.
    static func key(_ name: String) -> String? {
        // By scalars: walking Characters backwards (grapheme breaking) cost more than the rest of a scorecard's checks.
        let scalars = name.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return nil }
        return String(scalars[first...last]).lowercased()
    }
}
