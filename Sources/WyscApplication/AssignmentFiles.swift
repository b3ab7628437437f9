import Foundation
import WyscJudging
import WyscWorkflow

/// An assignment instance read from files, for `wysc assign solve`: proposals.csv, judges.csv,
/// conflicts.csv and an optional affinity.csv. Ids are kept as written; the solver sees indices.
public struct AssignmentFiles: Sendable {
    public var proposalIDs: [String]
    public var judgeIDs: [String]
    public var problem: AssignmentProblem

    /// Reads the instance from the texts of its files (nil affinity: shared tags).
    public init(
        proposals: (text: String, file: String), judges: (text: String, file: String), conflicts: (text: String, file: String),
        affinity: (text: String, file: String)?, perProposal: Int
    ) throws(WyscError) {
        var problems: [String] = []
        func problem(_ file: String, _ row: Int, _ message: String) { problems.append("\(file), row \(row): \(message)") }

        let proposalDocument = try CSVDocument(proposals.text, file: proposals.file)
        let proposalColumns = try proposalDocument.columns(required: ["id", "university", "city", "tags"])
        var proposalIndex: [String: Int] = [:]
        var proposalIDs: [String] = []
        var proposalTags: [[String]] = []
        var proposalPlaces: [(university: String, city: String)] = []
        for record in proposalDocument.records {
            let id = record.value(proposalColumns["id"])
            if id.isEmpty {
                problem(proposals.file, record.row, "id is missing")
                continue
            }
            if let first = proposalIndex[id] {
                problem(proposals.file, record.row, "proposal \(quoted(id)) appears again (first on row \(first + 2))")
                continue
            }
            proposalIndex[id] = proposalIDs.count
            proposalIDs.append(id)
            proposalTags.append(Self.tags(record.value(proposalColumns["tags"])))
            proposalPlaces.append((record.value(proposalColumns["university"]), record.value(proposalColumns["city"])))
        }

        let judgeDocument = try CSVDocument(judges.text, file: judges.file)
        let judgeColumns = try judgeDocument.columns(required: ["id", "university", "city", "tags", "max_load"])
        var judgeIndex: [String: Int] = [:]
        var judgeIDs: [String] = []
        var judgeTags: [[String]] = []
        var capacity: [Int] = []
        for record in judgeDocument.records {
            let id = record.value(judgeColumns["id"])
            if id.isEmpty {
                problem(judges.file, record.row, "id is missing")
                continue
            }
            if let first = judgeIndex[id] {
                problem(judges.file, record.row, "judge \(quoted(id)) appears again (first on row \(first + 2))")
                continue
            }
            let loadText = record.value(judgeColumns["max_load"])
            guard let load = Int(loadText), Judges.loadRange.contains(load) else {
                problem(
                    judges.file, record.row,
                    "max_load \(quoted(loadText)) is not a whole number of proposals from \(Judges.loadRange.lowerBound) to \(Judges.loadRange.upperBound)"
                )
                continue
            }
            judgeIndex[id] = judgeIDs.count
            judgeIDs.append(id)
            judgeTags.append(Self.tags(record.value(judgeColumns["tags"])))
            capacity.append(load)
        }

        var conflictPairs: [(Int, Int)] = []
        let conflictDocument = try CSVDocument(conflicts.text, file: conflicts.file)
        let conflictColumns = try conflictDocument.columns(required: ["judge_id", "proposal_id"])
        for record in conflictDocument.records {
            let judge = record.value(conflictColumns["judge_id"])
            let proposal = record.value(conflictColumns["proposal_id"])
            guard let j = judgeIndex[judge] else {
                problem(conflicts.file, record.row, "unknown judge \(quoted(judge))")
                continue
            }
            guard let p = proposalIndex[proposal] else {
                problem(conflicts.file, record.row, "unknown proposal \(quoted(proposal))")
                continue
            }
            conflictPairs.append((p, j))
        }

        var affinityModel = Affinity.sharedTags(proposals: proposalTags, judges: judgeTags)
        if let affinity {
            let document = try CSVDocument(affinity.text, file: affinity.file)
            let columns = try document.columns(required: ["judge_id", "proposal_id", "score"])
            var rows = Array(repeating: [Int32: Int32](), count: proposalIDs.count)
            for record in document.records {
                let judge = record.value(columns["judge_id"])
                let proposal = record.value(columns["proposal_id"])
                let scoreText = record.value(columns["score"])
                guard let j = judgeIndex[judge] else {
                    problem(affinity.file, record.row, "unknown judge \(quoted(judge))")
                    continue
                }
                guard let p = proposalIndex[proposal] else {
                    problem(affinity.file, record.row, "unknown proposal \(quoted(proposal))")
                    continue
                }
                guard let score = Int32(scoreText), abs(score) <= 1_000_000 else {
                    problem(affinity.file, record.row, "score \(quoted(scoreText)) is not a whole number between -1000000 and 1000000")
                    continue
                }
                if rows[p][Int32(j)] != nil {
                    problem(affinity.file, record.row, "the pair \(judge), \(proposal) appears twice")
                    continue
                }
                rows[p][Int32(j)] = score
            }
            affinityModel = .table(rows.map { $0.sorted { $0.key < $1.key }.map { (judge: $0.key, score: $0.value) } })
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(50).joined(separator: "\n  ")
            throw WyscError(
                .badInput,
                "the instance has \(problems.count) problem(s):\n  \(shown)" + (problems.count > 50 ? "\n  … and \(problems.count - 50) more" : ""))
        }
        guard Self.perProposalRange.contains(perProposal) else {
            throw WyscError(
                .badInput,
                "judges per proposal must be between \(Self.perProposalRange.lowerBound) and \(Self.perProposalRange.upperBound) (a workflow's reviews_per_proposal), not \(perProposal)"
            )
        }
        var problem = AssignmentProblem(
            proposals: proposalIDs.count, judges: judgeIDs.count, perProposal: perProposal, capacity: capacity, affinity: affinityModel)
        for (p, j) in conflictPairs { problem.forbid(proposal: p, judge: j) }
        self.proposalIDs = proposalIDs
        self.judgeIDs = judgeIDs
        self.problem = problem
    }

    /// As a workflow round's reviews_per_proposal.
    public static let perProposalRange = 1...50

    static func tags(_ text: String) -> [String] {
        text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Why proposals could not get their judges, in words.
    public func explain(_ solution: AssignmentSolution) -> String {
        (["no complete assignment exists: \(solution.shortfalls.count) proposal(s) cannot get \(problem.perProposal) judges"]
            + solution.explanation(problem, name: { proposalIDs[$0] })).joined(separator: "\n")
    }
}
