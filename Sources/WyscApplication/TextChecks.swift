import Foundation
import WyscWorkflow

extension TextField {
    /// Refuses `value` when it is too long or holds a character that cannot be stored or shown
    /// safely: NUL (PostgreSQL text cannot hold it), and control characters (terminal escapes) other
    /// than line breaks and tabs in multi-line texts. `field` names it in the message.
    public func check(_ value: String, field: String) throws(WyscError) {
        if let problem = problem(value, field: field) { throw WyscError(.badInput, problem) }
    }

    /// `check` for an optional value.
    public func check(_ value: String?, field: String) throws(WyscError) {
        if let value { try check(value, field: field) }
    }

    /// Checks a list of tags: how many, and each one.
    public static func checkTags(_ tags: [String], field: String) throws(WyscError) {
        if let problem = tagsProblem(tags, field: field) { throw WyscError(.badInput, problem) }
    }
}

/// A CHECK constraint of migration V0007 that refused a text (or a list of tags) as too long.
struct TextLimitViolation {
    var message: String

    init?(constraint: String?) {
        guard let constraint else { return nil }
        if let stored = TextField.storedColumns.first(where: { "\($0.table)_\($0.column)_length" == constraint }) {
            let column = stored.column.replacingOccurrences(of: "_", with: " ")
            let table = stored.table.replacingOccurrences(of: "_", with: " ")
            message = "the \(column) of a \(table) may have at most \(stored.field.maxCharacters) characters"
        } else if ["proposal_tags_count", "judge_expertise_count"].contains(constraint) {
            message = "at most \(TextField.maxTags) tags are allowed"
        } else {
            return nil
        }
    }
}
