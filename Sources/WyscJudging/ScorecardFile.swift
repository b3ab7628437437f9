import WyscWorkflow
import Yams

/// A scorecard written as a file for `wysc score --file`: `{scores: {criterion: value, …}, comment: …, feedback: …}`
/// or the criteria at the top level; YAML or JSON (JSON is YAML). Values stay text: the rubric
/// validates them.
public struct ScorecardFile: Sendable, Hashable {
    public var values: [String: String]
    /// Private to the organizers.
    public var comment: String?
    /// For the team.
    public var feedback: String?

    public init(values: [String: String], comment: String?, feedback: String? = nil) {
        self.values = values
        self.comment = comment
        self.feedback = feedback
    }

    public static func parse(_ text: String, file: String) throws(SafeYAML.Refusal) -> ScorecardFile {
        func refuse(_ node: Node?, _ message: String) -> SafeYAML.Refusal {
            SafeYAML.Refusal(line: node?.mark?.line, column: node?.mark?.column, message: message)
        }
        let root = try SafeYAML.compose(text)
        guard let root, case .mapping(let top) = root else {
            throw refuse(root, "expected a mapping of criteria to values, or {scores: …, comment: …}")
        }
        var comment: String?
        var feedback: String?
        var scoresNode: Node?
        var values: [String: String] = [:]
        func scalar(_ node: Node, _ what: String) throws(SafeYAML.Refusal) -> String {
            guard case .scalar(let scalar) = node else { throw refuse(node, "\(what) must be a single value, not a mapping or a list") }
            return scalar.string
        }
        for (key, value) in top {
            let name = try scalar(key, "a key")
            switch name {
            case "comment":
                comment = try scalar(value, "comment")
            case "feedback":
                feedback = try scalar(value, "feedback")
            case "scores":
                scoresNode = value
            default:
                if values[name] != nil { throw refuse(key, "'\(name)' appears twice") }
                let score = try scalar(value, "the score of '\(name)'")
                // A template's blank is "not given": the rubric then names it as missing.
                if !score.allSatisfy(\.isWhitespace) { values[name] = score }
            }
        }
        if let scoresNode {
            guard values.isEmpty else { throw refuse(scoresNode, "give the criteria either under 'scores' or at the top level, not both") }
            guard case .mapping(let scores) = scoresNode else { throw refuse(scoresNode, "'scores' must map criteria to values") }
            for (key, value) in scores {
                let name = try scalar(key, "a criterion")
                if values[name] != nil { throw refuse(key, "'\(name)' appears twice") }
                let score = try scalar(value, "the score of '\(name)'")
                // A template's blank is "not given": the rubric then names it as missing.
                if !score.allSatisfy(\.isWhitespace) { values[name] = score }
            }
        }
        return ScorecardFile(values: values, comment: comment, feedback: feedback)
    }
}
