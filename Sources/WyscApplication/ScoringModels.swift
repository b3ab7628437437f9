import Foundation
import WyscJudging

/// One proposal in a judge's queue.
public struct QueueItem: Sendable, Hashable, Codable {
    public var proposal: Int
    public var round: String
    public var title: String
    public var tags: [String]
    /// nil when the round is blind.
    public var team: String?
    public var university: String?
    /// not started, draft or submitted.
    public var status: String
    public var total: Double?
    public var deadline: Date?
    /// Whether the round asks for feedback for the team.
    public var feedbackToTeams: Bool
    /// How many files the proposal has, and how many of them this judge has downloaded.
    public var files: Int
    public var filesOpened: Int
}

/// What happened to a scorecard.
public struct ScorecardOutcome: Sendable, Hashable, Codable {
    public enum Change: String, Sendable, Codable { case added, revised, unchanged }
    public var change: Change
    public var total: Double?
    public var revision: Int
    public var submitted: Bool

    public init(change: Change, total: Double?, revision: Int, submitted: Bool) {
        self.change = change
        self.total = total
        self.revision = revision
        self.submitted = submitted
    }
}

/// One row of an offline scoring file: judge,proposal,<criterion>…,comment,feedback.
public struct ScoreRow: Sendable, Hashable {
    public var row: Int
    public var judge: String
    public var proposal: String
    public var values: [String: String]
    public var comment: String
    public var feedback: String

    public init(row: Int, judge: String, proposal: String, values: [String: String], comment: String, feedback: String = "") {
        self.row = row
        self.judge = judge
        self.proposal = proposal
        self.values = values
        self.comment = comment
        self.feedback = feedback
    }

    /// The rows of an offline scoring file, read as the import takes them: every column other than
    /// judge, proposal, comment and feedback is a criterion (empty cells are left out).
    public static func rows(of reader: CSVReader) throws(WyscError) -> CSVRowStream<ScoreRow> {
        let file = reader.file
        let fixed = ["judge", "proposal", "comment", "feedback"]
        return try CSVRowStream(reader, required: ["judge", "proposal"], optional: ["comment", "feedback"], anyOther: true) {
            (record, columns) throws(WyscError) in
            var values: [String: String] = [:]
            for (name, index) in columns where !fixed.contains(name) {
                let value = try record.string(index, in: file).trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { values[name] = value }
            }
            // Field by field (a nested function over the borrowed record crashes the 6.3 compiler).
            let judge = try record.string(columns["judge"], in: file).trimmingCharacters(in: .whitespaces)
            let proposal = try record.string(columns["proposal"], in: file).trimmingCharacters(in: .whitespaces)
            let comment = try record.string(columns["comment"], in: file).trimmingCharacters(in: .whitespaces)
            let feedback = try record.string(columns["feedback"], in: file).trimmingCharacters(in: .whitespaces)
            return ScoreRow(row: record.row, judge: judge, proposal: proposal, values: values, comment: comment, feedback: feedback)
        }
    }
}

public struct JudgingProgress: Sendable, Hashable {
    public struct JudgeProgress: Sendable, Hashable {
        public var judge: String
        public var email: String
        public var assigned: Int
        public var submitted: Int
        public var drafts: Int
        public var missing: Int { assigned - submitted }
    }

    public struct ProposalLine: Sendable, Hashable {
        public var proposal: Int
        public var team: String
        public var assigned: Int
        public var submitted: Int
    }

    public var round: String
    public var deadline: Date?
    /// The deadline passed with scorecards missing.
    public var overdue: Bool
    public var judges: [JudgeProgress]
    public var proposals: [ProposalLine]
    /// "judge → proposal #id (team)" for every missing scorecard.
    public var missing: [String]
}

/// The results of a round, recomputed from the stored scorecards.
public struct ResultsReport: Sendable, Hashable, Codable {
    public struct JudgeTotal: Sendable, Hashable, Codable {
        public var judge: String
        public var total: Double
    }

    public struct Line: Sendable, Hashable, Codable {
        public var rank: Int
        public var proposal: Int
        public var team: String
        public var university: String
        public var title: String
        /// What the proposal is ranked on, on the rubric's scale, whatever the method.
        public var score: Double
        public var rawMean: Double
        /// Each judge's weighted total; empty for those who may not see other judges' scores.
        public var judgeTotals: [JudgeTotal]
        public var judges: Int
        public var spread: Double
        /// The judge model's 80% interval of the score, its probability of being in the round's
        /// first `cut`, and its 80% range of ranks; nil under the other methods.
        public var low: Double?
        public var high: Double?
        public var topProbability: Double?
        public var bestRank: Int?
        public var worstRank: Int?
        /// Neither surely in nor surely out of the first `cut` (0.1 < topProbability < 0.9).
        public var uncertain: Bool
    }

    public struct JudgeSummary: Sendable, Hashable, Codable {
        public var judge: String
        public var email: String
        public var scorecards: Int
        public var mean: Double
        public var spread: Double
        /// The judge model's estimates: points added to every total, and spread against the panel's (1).
        public var bias: Double?
        public var scale: Double?
    }

    public var round: String
    public var method: NormalizationMethod
    /// How many proposals the round keeps (its shortlist, or 3 for the last round).
    public var cut: Int
    /// Groups of judges that share no proposal with another group; over 1, the judge model cannot
    /// compare the groups' leniency.
    public var judgeGroups: Int
    public var published: Bool
    public var lines: [Line]
    public var judges: [JudgeSummary]
    /// The proposals uncertain at the cut where one more scorecard would help most, best first
    /// (the judge model only): what `wysc assign --extra` adds judges to.
    public var suggested: [Int]
    public var missingScorecards: Int
}

/// A judge's own scorecard as it stands; `revision` is its version (the HTTP API's ETag).
public struct Scorecard: Sendable, Hashable, Codable {
    public var proposal: Int
    public var round: String
    public var scores: [String: Double]
    public var total: Double?
    /// Private to the organizers.
    public var comment: String
    /// For the team, in rounds with feedback_to_teams.
    public var feedback: String
    public var submitted: Bool
    public var revision: Int
}

/// A scorecard as the archive lists it: the card, with who wrote it about which team, and when.
public struct ArchivedScorecard: Sendable, Hashable {
    public var scorecard: Scorecard
    public var team: String
    public var judge: String
    public var email: String
    public var updatedAt: Date
}
