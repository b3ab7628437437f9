import Testing
import WyscWorkflow

/// Every YAML input goes through SafeYAML: size, NUL and alias expansion are bounded.
@Suite struct SafeYAMLTests {
    /// Nine levels of aliases, each ten times the last: a billion values if anyone walked them.
    static let bomb = """
        a: &a ["x","x","x","x","x","x","x","x","x","x"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        comment: *i
        """

    @Test func anAliasBombIsRefusedWithoutBeingExpanded() {
        let refusal = #expect(throws: SafeYAML.Refusal.self) { try SafeYAML.compose(Self.bomb) }
        #expect(refusal?.message.contains("expands to more than 100000 values") == true)
        let workflow = #expect(throws: WorkflowInvalid.self) { try WorkflowLoader.load(Self.bomb, file: "bomb.yaml") }
        #expect(
            workflow?.description.hasPrefix("bomb.yaml: the document expands to more than 100000 values") == true, "\(workflow?.description ?? "")")
    }

    @Test func aFewAliasesAreStillYAML() throws {
        let root = try SafeYAML.compose("base: &b {x: 1}\nother: *b\n")
        #expect(root != nil)
    }

    @Test func sizeAndNULAreRefusedSayingWhere() {
        let big = #expect(throws: SafeYAML.Refusal.self) { try SafeYAML.compose(String(repeating: "# padding\n", count: 110_000)) }
        #expect(big?.message == "the file has 1100000 bytes; at most 1048576 are read")
        let nul = #expect(throws: WorkflowInvalid.self) { try WorkflowLoader.load("workflow: w\ntitle: \"ab\u{0}c\"\n", file: "w.yaml") }
        #expect(nul?.description == "w.yaml:2:11: a NUL character; the file must be text")
    }

    /// Titles are shown on one line in terminals and pages: control characters and excess length
    /// are problems of the workflow file, caught by `workflow validate`, not by the database later.
    @Test func workflowTextsAreBounded() {
        let escape = #expect(throws: WorkflowInvalid.self) {
            try WorkflowLoader.load("workflow: w\ntitle: \"Smart \\e]0;owned\\a\"\n", file: "w.yaml")
        }
        #expect(
            escape?.problems.first?.message
                == "'title' in the workflow contains the control character U+001B (at character 7); it must be one line of text")
        #expect(escape?.problems.first?.location?.line == 2)
        let long = #expect(throws: WorkflowInvalid.self) {
            try WorkflowLoader.load("workflow: w\ntitle: \(String(repeating: "t", count: 301))\n", file: "w.yaml")
        }
        #expect(long?.problems.first?.message == "'title' in the workflow is 301 characters long; at most 300 are allowed")
    }
}
