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
