import Testing
import WyscPostgres

@Suite struct SQLQueryTests {
    @Test func interpolatedValuesBecomeParameters() {
        let name = "Robo'Kids\"; DROP TABLE team; --"
        let size: Int? = nil
        let query: SQLQuery = "INSERT INTO team (name, size) VALUES (\(name), \(size))"
        #expect(query.sql == "INSERT INTO team (name, size) VALUES ($1, $2)")
        #expect(query.binds == [name, nil])
        #expect(!query.description.contains("Robo"))
    }

    @Test func embeddedQueriesKeepAndRenumberTheirParameters() {
        let filter: SQLQuery = "city = \("Seoul") AND size > \(2)"
        let query: SQLQuery = "SELECT * FROM team WHERE name = \("A") AND \(filter) LIMIT \(10)"
        #expect(query.sql == "SELECT * FROM team WHERE name = $1 AND city = $2 AND size > $3 LIMIT $4")
        #expect(query.binds == ["A", "Seoul", "2", "10"])
        let joined = SQLQuery.joined(["a = \(1)", "b = \(2)"], separator: " OR ")
        #expect(joined.sql == "a = $1 OR b = $2")
        #expect(joined.binds == ["1", "2"])
    }

    @Test func identifiersAreQuoted() {
        let query: SQLQuery = "CREATE DATABASE \(identifier: "we\"ird name")"
        #expect(query.sql == "CREATE DATABASE \"we\"\"ird name\"")
        #expect(query.binds.isEmpty)
    }

    @Test func arraysAreSentAsQuotedLiterals() {
        #expect(["a", "b \"c\"", "d\\e", "서울"].postgresText == #"{"a","b \"c\"","d\\e","서울"}"#)
        #expect([1, -2].postgresText == #"{"1","-2"}"#)
        #expect([String]().postgresText == "{}")
    }

    @Test func calendarDatesValidateAndPrint() {
        #expect(CalendarDate("2024-02-29")?.description == "2024-02-29")
        #expect(CalendarDate("2023-02-29") == nil)
        #expect(CalendarDate("2023-2-1") == nil)
        #expect(CalendarDate(year: 2026, month: 11, day: 22)! < CalendarDate(year: 2026, month: 12, day: 1)!)
    }
}
