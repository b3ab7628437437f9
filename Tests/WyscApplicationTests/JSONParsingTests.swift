import Testing
import WyscApplication

@Suite struct JSONParsingTests {
    @Test func parsesEveryKindOfValueKeepingTheirTypesApart() throws {
        let value = try JSONValue.parse(
            #" { "a": 1, "b": 1.0, "c": true, "d": "1", "e": null, "f": [ -0, 2.5e3, -12E-1, [] ], "g": {}, "h": 9223372036854775807 } "#)
        #expect(
            value
                == .object([
                    "a": .integer(1), "b": .number(1), "c": .bool(true), "d": .string("1"), "e": .null,
                    "f": .array([.integer(0), .number(2500), .number(-1.2), .array([])]), "g": .object([:]), "h": .integer(Int.max),
                ]))
        // Beyond Int: a number, not a crash (the nearest Double, 5 × 2^64).
        #expect(try JSONValue.parse("92233720368547758070") == .number(92_233_720_368_547_758_080))
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try JSONValue.parse(#""q\"b\\s\/n\nt\tu\u00e9\u4e2d😀 \ud83d\ude00 성남""#) == .string("q\"b\\s/n\nt\tué中😀 😀 성남"))
    }

    @Test(arguments: [
        ("", "expected a value, found the end at byte 1"),
        ("{\"a\": 1,}", "expected a key in double quotes at byte 9"),
        ("[1 2]", "expected ',' or ']' in an array at byte 4"),
        ("01", "a number may not start with 0 at byte 2"),
        ("1.", "expected a digit after '.' at byte 3"),
        ("-", "expected a digit at byte 2"),
        ("1e999", "the number is out of range at byte 1"),
        ("\"open", "the string has no closing quote at byte 6"),
        ("\"tab\there\"", "a control character must be escaped in a string at byte 5"),
        (#""\x""#, "unknown escape at byte 3"),
        (#""\ud800x""#, "a high surrogate must be followed by a low one at byte 8"),
        (#""\udc00""#, "a low surrogate without a high one at byte 8"),
        ("{\"a\": 1, \"a\": 2}", "the key \"a\" appears twice at byte 10"),
        ("true false", "unexpected text after the JSON value at byte 6"),
        ("tru", "expected true at byte 1"),
        ("{'a': 1}", "expected a key in double quotes at byte 2"),
    ])
    func refusesWhatIsNotJSONSayingWhere(text: String, message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        #expect(error?.description == message)
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        let invalid = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(invalid?.message == "the string is not valid UTF-8")
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let nested = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(deep) }
        #expect(nested?.message == "nested deeper than 64 levels")
        #expect(throws: Never.self) { try JSONValue.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) }
    }

    /// What the parser reads back is what `encoded` wrote.
    @Test func readsBackWhatItsEncoderWrites() throws {
        let value = JSONValue.object([
            "scores": .object(["impact": .number(7.5), "innovation": .integer(8)]), "comment": .string("line\n\"quoted\" \u{1} é"),
            "flags": .array([.bool(false), .null]),
        ])
        #expect(try JSONValue.parse(value.encoded) == value)
    }
}
