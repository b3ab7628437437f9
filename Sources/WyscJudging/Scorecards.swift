import WyscWorkflow

/// A scorecard that cannot be accepted, with every reason.
public struct ScorecardInvalid: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "; ") }
}

extension Rubric {
    /// Checks a judge's values against the rubric: every criterion present (unless `partial`, for
    /// a draft), no unknown criterion, every value a number on the scale.
    public func validate(_ values: [String: String], partial: Bool = false) throws(ScorecardInvalid) -> [String: Double] {
        var problems: [String] = []
        let known = Set(criteria.map(\.id))
        let unknown = values.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            problems.append("unknown criteria: \(unknown.joined(separator: ", ")) (the rubric has \(criteria.map(\.id).joined(separator: ", ")))")
        }
        let missing = criteria.map(\.id).filter { values[$0] == nil }
        if !partial && !missing.isEmpty { problems.append("missing criteria: \(missing.joined(separator: ", "))") }
        var scores: [String: Double] = [:]
        for criterion in criteria {
            guard let text = values[criterion.id] else { continue }
            guard let value = Double(text.trimmingSpaces), value.isFinite else {
                problems.append("\(criterion.id) = '\(text)' is not a number")
                continue
            }
            guard value >= Double(scaleMin) && value <= Double(scaleMax) else {
                problems.append("\(criterion.id) = \(text) is off the scale \(scaleMin)–\(scaleMax)")
                continue
            }
            scores[criterion.id] = value
        }
        guard problems.isEmpty else { throw ScorecardInvalid(problems: problems) }
        return scores
    }

    /// The weighted total of a complete scorecard, on the rubric's scale, to nine decimals: the
    /// products' binary rounding (0.4 × 8 + 0.3 × 7 + 0.3 × 6 = 7.1000000000000005) would otherwise
    /// show in answers, audit rows and results.
    public func weightedTotal(_ scores: [String: Double]) -> Double {
        let total = criteria.reduce(0) { $0 + $1.weight * (scores[$1.id] ?? 0) }
        return (total * 1e9).rounded() / 1e9
    }
}

extension String {
    /// Without surrounding spaces (by bytes: a space is one byte in UTF-8 and never inside another character).
    fileprivate var trimmingSpaces: Substring {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") }) else { return "" }
        let last = bytes.lastIndex(where: { $0 != UInt8(ascii: " ") })!
        return self[first...last]
    }
}
