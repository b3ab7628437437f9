import Foundation
import WyscJudging
import WyscWorkflow

/// An assignment instance read from files, for `wysc assign solve`: proposals.csv, judges.csv,
/// conflicts.csv and an optional affinity.csv. Ids are kept as written; the solver sees indices.
public struct AssignmentFiles: Sendable {
    public var proposalIDs: [String]
    public var judgeIDs: [String]
    public var problem: AssignmentProblem

    /// Reads the instance from its files (nil affinity: shared tags). Every problem is collected
    /// with its file and row (the first 50 are shown) and nothing is solved unless there are none.
    /// affinity.csv may have millions of rows: its fields are looked up as bytes, never as Strings.
    public init(proposals: CSVReader, judges: CSVReader, conflicts: CSVReader, affinity: CSVReader?, perProposal: Int) throws(WyscError) {
        guard Self.perProposalRange.contains(perProposal) else {
            throw WyscError(
                .badInput,
                "judges per proposal must be between \(Self.perProposalRange.lowerBound) and \(Self.perProposalRange.upperBound) (a workflow's reviews_per_proposal), not \(perProposal)"
            )
        }
        var problems = Problems()

        var proposalIndex = ByteKeyIndex(expectedCount: 1024)
        var proposalIDs: [String] = []
        var proposalTags: [[String]] = []
        do {
            var cursor = try CSVCursor(proposals)
            let columns = try Self.columns(&cursor, proposals, required: ["id", "university", "city", "tags"])
            let (idColumn, tagsColumn) = (columns[0], columns[3])
            while let record = try cursor.next() {
                let id = record.bytes(idColumn)
                if id.isEmpty {
                    problems.add(proposals.file, record.row, "id is missing")
                    continue
                }
                let (inserted, index) = proposalIndex.insert(id)
                if !inserted {
                    problems.add(proposals.file, record.row, "proposal \(quoted(record.shown(idColumn))) appears again (first on row \(index + 2))")
                    continue
                }
                let (text, tags) = try Self.idAndTags(record, id: idColumn, tags: tagsColumn, file: proposals.file, problems: &problems)
                proposalIDs.append(text)
                proposalTags.append(tags)
            }
        }

        var judgeIndex = ByteKeyIndex(expectedCount: 256)
        var judgeIDs: [String] = []
        var judgeTags: [[String]] = []
        var capacity: [Int] = []
        do {
            var cursor = try CSVCursor(judges)
            let columns = try Self.columns(&cursor, judges, required: ["id", "university", "city", "tags", "max_load"])
            let (idColumn, tagsColumn, loadColumn) = (columns[0], columns[3], columns[4])
            while let record = try cursor.next() {
                let id = record.bytes(idColumn)
                if id.isEmpty {
                    problems.add(judges.file, record.row, "id is missing")
                    continue
                }
                if let first = judgeIndex.index(of: id) {
                    problems.add(judges.file, record.row, "judge \(quoted(record.shown(idColumn))) appears again (first on row \(first + 2))")
                    continue
                }
                guard let load = record.integer(loadColumn), Judges.loadRange.contains(load) else {
                    problems.add(
                        judges.file, record.row,
                        "max_load \(quoted(record.shown(loadColumn))) is not a whole number of proposals from \(Judges.loadRange.lowerBound) to \(Judges.loadRange.upperBound)"
                    )
                    continue
                }
                judgeIndex.insert(id)
                let (text, tags) = try Self.idAndTags(record, id: idColumn, tags: tagsColumn, file: judges.file, problems: &problems)
                judgeIDs.append(text)
                judgeTags.append(tags)
                capacity.append(load)
            }
        }

        var lookup = PairLookup(proposals: proposalIndex, judges: judgeIndex)
        var conflictPairs: [(Int, Int)] = []
        do {
            var cursor = try CSVCursor(conflicts)
            let columns = try Self.columns(&cursor, conflicts, required: ["judge_id", "proposal_id"])
            let (judgeColumn, proposalColumn) = (columns[0], columns[1])
            while let record = try cursor.next() {
                guard let (p, j) = lookup.pair(record, judge: judgeColumn, proposal: proposalColumn, file: conflicts.file, problems: &problems)
                else { continue }
                conflictPairs.append((p, j))
            }
        }

        var affinityModel = Affinity.sharedTags(proposals: proposalTags, judges: judgeTags)
        if let affinity {
            // (proposal, judge, score) triples, then grouped by proposal and sorted by judge.
            var triples: [Triple] = []
            var cursor = try CSVCursor(affinity)
            let columns = try Self.columns(&cursor, affinity, required: ["judge_id", "proposal_id", "score"])
            let (judgeColumn, proposalColumn, scoreColumn) = (columns[0], columns[1], columns[2])
            while let record = try cursor.next() {
                guard let (p, j) = lookup.pair(record, judge: judgeColumn, proposal: proposalColumn, file: affinity.file, problems: &problems)
                else { continue }
                guard let score = record.integer(scoreColumn), abs(score) <= 1_000_000 else {
                    problems.add(
                        affinity.file, record.row, "score \(quoted(record.shown(scoreColumn))) is not a whole number between -1000000 and 1000000")
                    continue
                }
                triples.append(Triple(proposal: Int32(p), judge: Int32(j), score: Int32(score)))
            }
            var rows = Array(repeating: [(judge: Int32, score: Int32)](), count: proposalIDs.count)
            var counts = Array(repeating: 0, count: proposalIDs.count)
            for triple in triples { counts[Int(triple.proposal)] += 1 }
            for p in 0..<rows.count { rows[p].reserveCapacity(counts[p]) }
            for triple in triples { rows[Int(triple.proposal)].append((triple.judge, triple.score)) }
            triples = []
            for p in 0..<rows.count {
                // Files listed by judge are in order already.
                if !zip(rows[p], rows[p].dropFirst()).allSatisfy({ $0.judge <= $1.judge }) { rows[p].sort { $0.judge < $1.judge } }
                for index in rows[p].indices.dropFirst() where rows[p][index].judge == rows[p][index - 1].judge {
                    problems.add(
                        affinity.file, nil,
                        "the pair \(judgeIDs[Int(rows[p][index].judge)]), \(proposalIDs[p]) appears more than once")
                }
            }
            affinityModel = .table(rows)
        }
        if let error = problems.error { throw error }
        var problem = AssignmentProblem(
            proposals: proposalIDs.count, judges: judgeIDs.count, perProposal: perProposal, capacity: capacity, affinity: affinityModel)
        for (p, j) in conflictPairs { problem.forbid(proposal: p, judge: j) }
        self.proposalIDs = proposalIDs
        self.judgeIDs = judgeIDs
        self.problem = problem
    }

    /// A proposal's or judge's id and tags. Ids are printed back: no control character may reach a
    /// terminal.
    static func idAndTags(
        _ record: borrowing CSVRecord, id: Int, tags: Int, file: String, problems: inout Problems
    ) throws(WyscError) -> (String, [String]) {
        let text = try record.string(id, in: file)
        let tagList = Self.tags(try record.string(tags, in: file))
        if let problem = TextField.name.problem(text, field: "id") ?? TextField.tagsProblem(tagList, field: "tags") {
            problems.add(file, record.row, problem)
        }
        return (text, tagList)
    }

    struct Triple {
        var proposal: Int32
        var judge: Int32
        var score: Int32
    }

    /// Reads the header of `reader` and returns the positions of the `required` columns in that order.
    static func columns(_ cursor: inout CSVCursor, _ reader: CSVReader, required: [String]) throws(WyscError) -> [Int] {
        guard let header = try cursor.next() else { throw WyscError(.badInput, "\(reader.file): the file is empty; expected a header row") }
        let positions = try CSVHeader(header, file: reader.file).columns(required: required)
        return required.map { positions[$0]! }
    }

    /// The problems of an instance's files: all are counted, the first 50 kept.
    struct Problems {
        var count = 0
        var shown: [String] = []
        static let limit = 50

        mutating func add(_ file: String, _ row: Int?, _ message: String) {
            count += 1
            if shown.count < Self.limit { shown.append(row.map { "\(file), row \($0): \(message)" } ?? "\(file): \(message)") }
        }

        var error: WyscError? {
            guard count > 0 else { return nil }
            return WyscError(
                .badInput,
                "the instance has \(count) problem(s):\n  \(shown.joined(separator: "\n  "))"
                    + (count > Self.limit ? "\n  … and \(count - Self.limit) more" : ""))
        }
    }

    /// Judge and proposal ids to indices. Rows of a large file usually come grouped by judge, so the
    /// last judge found is compared before hashing.
    struct PairLookup {
        let proposals: ByteKeyIndex
        let judges: ByteKeyIndex
        var lastJudgeIndex = -1

        init(proposals: ByteKeyIndex, judges: ByteKeyIndex) {
            self.proposals = proposals
            self.judges = judges
        }

        mutating func pair(_ record: borrowing CSVRecord, judge: Int, proposal: Int, file: String, problems: inout Problems) -> (Int, Int)? {
            let judgeBytes = record.bytes(judge)
            let j: Int
            if judges.matches(lastJudgeIndex, judgeBytes) {
                j = lastJudgeIndex
            } else if let found = judges.index(of: judgeBytes) {
                j = found
                lastJudgeIndex = found
            } else {
                problems.add(file, record.row, "unknown judge \(quoted(record.shown(judge)))")
                return nil
            }
            guard let p = proposals.index(of: record.bytes(proposal)) else {
                problems.add(file, record.row, "unknown proposal \(quoted(record.shown(proposal)))")
                return nil
            }
            return (p, j)
        }
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
