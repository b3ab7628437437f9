import Foundation
import Testing
import WyscApplication
import WyscDemo

@Suite struct CSVDocumentTests {
    @Test func readsQuotedFieldsLineBreaksAndByteOrderMarks() throws {
        let text = "\u{FEFF}Team, University ,Member Name\r\n\"Smart, Green\",\"He said \"\"hi\"\"\",\"two\nlines\"\r\n\r\nplain,成都大学,김민준\n"
        let document = try CSVDocument(text, file: "x.csv")
        #expect(document.header == ["team", "university", "member_name"])
        #expect(document.records.count == 2)
        #expect(document.records[0].fields == ["Smart, Green", "He said \"hi\"", "two\nlines"])
        #expect(document.records[0].row == 2)
        #expect(document.records[1].row == 3)
        #expect(document.records[1].line == 5)
        #expect(document.records[1].fields == ["plain", "成都大学", "김민준"])
    }

    @Test func malformedQuotingNamesTheLine() {
        let unclosed = #expect(throws: WyscError.self) { try CSVDocument("a,b\n1,\"open\n2,3\n", file: "x.csv") }
        #expect(unclosed?.message == "x.csv, line 2: a quoted field is never closed")
        let stray = #expect(throws: WyscError.self) { try CSVDocument("a,b\n1,2\n3,x\"y\n", file: "x.csv") }
        #expect(stray?.message.hasPrefix("x.csv, line 3: a quote inside an unquoted field") == true)
        let empty = #expect(throws: WyscError.self) { try CSVDocument("\n\n", file: "x.csv") }
        #expect(empty?.kind == .badInput)
    }

    @Test func missingColumnsAreNamed() throws {
        let error = #expect(throws: WyscError.self) { try MemberRow.rows(of: CSVReader(text: "team,name\nA,B\n", file: "t.csv")) }
        #expect(error?.message == "t.csv: the header lacks the columns university, email; expected team,university,name,email,birth_date,role")
    }

    @Test func theBuiltInDataMatchesTheRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
        let cities = try String(contentsOf: root.appendingPathComponent("Data/wego-member-cities.csv"), encoding: .utf8)
        #expect(MemberCity.all.count == cities.split(separator: "\n").count - 1, "run Scripts/embed-resources")
        #expect(MemberCity.all.count == 118)
        #expect(MemberCity.all.contains { $0.city == "Chengdu" && $0.cityZh == "成都" })
        let workflow = try String(contentsOf: root.appendingPathComponent("Workflows/wysc.yaml"), encoding: .utf8)
        #expect(BuiltInWorkflows.wysc + "\n" == workflow, "run Scripts/embed-resources")
    }
}
