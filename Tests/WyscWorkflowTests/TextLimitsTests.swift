import Testing
import WyscWorkflow

@Suite struct TextLimitsTests {
    @Test func lengthIsCountedInCharactersWhateverTheScript() {
        #expect(TextField.name.problem(String(repeating: "a", count: 200), field: "name") == nil)
        #expect(TextField.name.problem(String(repeating: "a", count: 201), field: "name") == "name is 201 characters long; at most 200 are allowed")
        // Two bytes each in UTF-8, one character each.
        #expect(TextField.name.problem(String(repeating: "é", count: 200), field: "name") == nil)
        #expect(TextField.name.problem(String(repeating: "é", count: 201), field: "name") == "name is 201 characters long; at most 200 are allowed")
    }

    @Test func controlCharactersAreRefusedWhereverTheyStand() {
        #expect(
            TextField.name.problem("Ana\u{7F}", field: "name")
                == "name contains the control character U+007F (at character 4); it must be one line of text")
        #expect(
            TextField.name.problem("\u{1B}[2J", field: "name")
                == "name contains the control character U+001B (at character 1); it must be one line of text")
        #expect(TextField.name.problem("é\u{0}", field: "name") == "name contains a NUL character (at character 2), which cannot be stored")
        #expect(TextField.name.problem("a\tb", field: "name") != nil)
        #expect(TextField.comment.problem("line one\nline two\tand a tab", field: "comment") == nil)
        #expect(TextField.comment.problem("bell\u{7}", field: "comment") == "comment contains the control character U+0007 (at character 5)")
    }
}
