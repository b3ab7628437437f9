import Foundation
import Logging
import Testing
import WyscPostgres
import WyscTestSupport

@Suite struct ValueRoundTripTests {
    static let names = [
        "Zoë Ångström-Núñez", "首尔市立大学", "서울시립대학교", "Société Générale d'Électricité", "ÖBB \"quoted\"", "tab\there", "emoji 🏙️🚇", "back\\slash",
    ]

    @Test func everyTypeRoundTripsThroughParameters() throws {
        let connection = try TestDatabase.connect()
        let when = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let id = UUID()
        let json = try PostgresJSON(encoding: ["city": "서울", "rank": "1"])
        let bytes = Data([0, 1, 2, 0xfe, 0xff])
        let small: Int16 = -32768
        let medium: Int32 = 2_147_483_647
        let big: Int64 = .max
        let yes = true
        let no = false
        let chinese: String = "首尔"
        let polish: String = "Łódź"
        let decimal: Decimal = Decimal(string: "12345678901234567890.123456789")!
        let pi: Double = 3.141592653589793
        let day: CalendarDate = CalendarDate("2001-09-30")!
        let numbers: [Int] = [1, -2, 3]
        let names: [String] = Self.names
        let values: SQLQuery = """
            SELECT \(small)::smallint AS small, \(medium)::integer AS medium, \(big)::bigint AS big,
                   \(yes)::boolean AS yes, \(no)::boolean AS no, \(chinese)::text AS t, \(polish)::varchar(20) AS v,
            """
        let more: SQLQuery = """
                   \(decimal)::numeric AS n, \(pi)::double precision AS d, \(when)::timestamptz AS ts, \(day)::date AS day,
                   \(id)::uuid AS u, \(json)::jsonb AS j, \(bytes)::bytea AS b,
            """
        let rest: SQLQuery = """
                   \(names)::text[] AS names, \(numbers)::int[] AS numbers, NULL::text AS missing, NULL::integer AS missing_number
            """
        let query: SQLQuery = "\(values) \(more) \(rest)"
        let row = try #require(try connection.query(query).singleRow())
        #expect(try row.decode("small", as: Int16.self) == -32768)
        #expect(try row.decode("medium", as: Int32.self) == 2_147_483_647)
        #expect(try row.decode("big", as: Int64.self) == Int64.max)
        #expect(try row.decode("yes", as: Bool.self) == true)
        #expect(try row.decode("no", as: Bool.self) == false)
        #expect(try row.decode("t", as: String.self) == "首尔")
        #expect(try row.decode("v", as: String.self) == "Łódź")
        #expect(try row.decode("n", as: Decimal.self) == Decimal(string: "12345678901234567890.123456789")!)
        #expect(try row.decode("d", as: Double.self) == 3.141592653589793)
        #expect(try row.decode("ts", as: Date.self).timeIntervalSince1970 == when.timeIntervalSince1970.roundedToMicroseconds)
        #expect(try row.decode("day", as: CalendarDate.self) == CalendarDate("2001-09-30"))
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(try row.decode("j", as: PostgresJSON.self).decode([String: String].self) == ["city": "서울", "rank": "1"])
        #expect(try row.decode("b", as: Data.self) == bytes)
        #expect(try row.decode("names", as: [String].self) == Self.names)
        #expect(try row.decode("numbers", as: [Int].self) == [1, -2, 3])
        #expect(try row.decode("missing", as: String?.self) == nil)
        #expect(try row.decode("missing_number", as: Int?.self) == nil)
        #expect(try row.decode("medium", as: Int?.self) == 2_147_483_647)
    }

    @Test func textInEveryScriptIsStoredExactly() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE person (name text NOT NULL)")
        for name in Self.names { try connection.query("INSERT INTO person (name) VALUES (\(name))") }
        let stored = try connection.query("SELECT name FROM person ORDER BY name").rows.map { try $0.decode("name", as: String.self) }
        #expect(stored.sorted() == Self.names.sorted())
        let korean: String = "서울시립대학교"
        let found = try connection.query("SELECT count(*) AS n FROM person WHERE name = \(korean)").rows[0].decode("n", as: Int.self)
        #expect(found == 1)
    }

    @Test func timestampsFromOtherTimeZonesDecodeToTheSameInstant() throws {
        let connection = try TestDatabase.connect()
        let row = try connection.query("SELECT '2026-11-22 09:30:00.5+09:00'::timestamptz AS ts, 'infinity'::float8 AS inf").rows[0]
        #expect(try row.decode("ts", as: Date.self) == Date(timeIntervalSince1970: 1_795_307_400.5))
        #expect(try row.decode("inf", as: Double.self) == .infinity)
    }

    /// Our session settings travel in the start-up message; a user's own `options` replace that,
    /// so then they are set after connecting, and the user's options still hold.
    @Test func sessionSettingsHoldWithAndWithoutTheUsersOwnOptions() throws {
        var configuration = try TestDatabase.create()
        let plain = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        let base = try #require(configuration.connectionString)
        configuration.connectionString =
            base.contains("://") ? base + (base.contains("?") ? "&" : "?") + "options=-c%20work_mem%3D7MB" : base + " options='-c work_mem=7MB'"
        let withOptions = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        for connection in [plain, withOptions] {
            let row = try #require(
                try connection.query(
                    "SELECT current_setting('TimeZone') AS zone, current_setting('DateStyle') AS style, current_setting('client_encoding') AS encoding"
                )
                .singleRow())
            #expect(try row.decode("zone", as: String.self) == "UTC")
            #expect(try row.decode("style", as: String.self) == "ISO, MDY")
            #expect(try row.decode("encoding", as: String.self) == "UTF8")
        }
        #expect(try withOptions.query("SELECT current_setting('work_mem') AS memory").rows[0].decode("memory", as: String.self) == "7MB")
    }

    @Test func aWrongTypeOrAnUnexpectedNullNamesTheColumn() throws {
        let connection = try TestDatabase.connect()
        let row = try connection.query("SELECT 'x'::text AS label, NULL::integer AS score").rows[0]
        let wrongType = #expect(throws: PostgresError.self) { try row.decode("label", as: Int.self) }
        #expect(wrongType?.kind == .decoding)
        #expect(wrongType?.message.contains("\"label\"") == true)
        #expect(wrongType?.message.contains("text") == true)
        let unexpectedNull = #expect(throws: PostgresError.self) { try row.decode("score", as: Int.self) }
        #expect(unexpectedNull?.message.contains("\"score\"") == true)
        #expect(unexpectedNull?.message.contains("NULL") == true)
        let missing = #expect(throws: PostgresError.self) { try row.decode("nope", as: Int.self) }
        #expect(missing?.message.contains("nope") == true)
    }

    @Test func textContainingNULIsRefusedBeforeItIsSent() throws {
        let connection = try TestDatabase.connect()
        let withNUL: String = "a\u{0}b"
        let error = #expect(throws: PostgresError.self) { try connection.query("SELECT \(withNUL)::text") }
        #expect(error?.kind == .encoding)
        #expect(error?.message.contains("$1") == true)
        // The one that holds it is named, after a value in another script that does not.
        let clean: String = "서울 · 首尔"
        let late: String = String(repeating: "é", count: 500) + "\u{0}"
        let second = #expect(throws: PostgresError.self) { try connection.query("SELECT \(clean)::text, \(late)::text") }
        #expect(second?.message.contains("$2") == true)
        #expect(try connection.query("SELECT \(clean)::text AS t").rows[0].decode("t", as: String.self) == clean)
    }
}

@Suite struct ErrorTests {
    @Test func uniqueViolationIsMatchedBySQLStateAndHidesTheValue() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE judge (email text CONSTRAINT judge_email_key UNIQUE)")
        let email: String = "ana.lópez@example.org"
        let insert: SQLQuery = "INSERT INTO judge (email) VALUES (\(email))"
        try connection.query(insert)
        var caught: PostgresError?
        do {
            try connection.query(insert)
        } catch {
            caught = error
        }
        let error = try #require(caught)
        let state: SQLState? = error.sqlState
        #expect(state == SQLState.uniqueViolation)
        #expect(error.constraint == "judge_email_key")
        #expect(error.table == "judge")
        #expect(!error.description.contains("ana.lópez"))
        #expect(error.detail?.contains("ana.lópez") == false)
        #expect(error.detail?.contains("already exists") == true)
    }

    @Test func aBadValueDoesNotAppearInTheMessage() throws {
        let connection = try TestDatabase.connect()
        let text: String = "not-a-number-4711"
        let error = #expect(throws: PostgresError.self) { try connection.query("SELECT \(text)::integer") }
        #expect(error?.sqlState == "22P02")
        #expect(error?.description.contains("not-a-number-4711") == false)
    }

    @Test func connectionFailureNamesHostAndPortButNotThePassword() throws {
        let configuration = PostgresConfiguration(connectionString: "postgresql://judge:hunter2secret@127.0.0.1:1/wysc?connect_timeout=3")
        let error = #expect(throws: PostgresError.self) { try PostgresConnection.connect(configuration, logger: TestDatabase.logger) }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(error?.message.contains("port 1") == true)
        #expect(error?.message.contains("hunter2secret") == false)
        #expect(!configuration.description.contains("hunter2secret"))
    }

    @Test func noticesGoToTheLoggerNotToStderr() throws {
        let recorder = RecordingLogHandler.Storage()
        var logger = Logger(label: "notices") { _ in RecordingLogHandler(storage: recorder) }
        logger.logLevel = .trace
        let configuration = try TestDatabase.create()
        let connection = try PostgresConnection.connect(configuration, logger: logger)
        try connection.query("DROP TABLE IF EXISTS no_such_table")
        #expect(recorder.messages.contains { $0.contains("no_such_table") })
    }
}

@Suite struct TransactionTests {
    @Test func aFailedTransactionLeavesNothing() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE team (name text PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try connection.withTransaction { connection in
                let name: String = "Seoul Sparks"
                try connection.query("INSERT INTO team VALUES (\(name))")
                try connection.query("INSERT INTO team VALUES (\(name))")
            }
        }
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try connection.withTransaction { connection in
                let name: String = "Taipei Tigers"
                try connection.query("INSERT INTO team VALUES (\(name))")
                throw Abandon()
            }
        }
        #expect(try connection.query("SELECT count(*) AS n FROM team").rows[0].decode("n", as: Int.self) == 0)
        #expect(!connection.isInTransaction)
    }

    @Test func queuedStatementsAreCommittedWithTheTransaction() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE team (name text PRIMARY KEY)")
        try connection.query("CREATE TABLE audit (what text NOT NULL)")
        let count = try connection.withTransaction { connection in
            let name: String = "Seoul Sparks"
            try connection.query("INSERT INTO team VALUES (\(name))")
            try connection.queue("INSERT INTO audit VALUES (\("added " + name))")
            try connection.queue("INSERT INTO audit VALUES (\("checked " + name))")
            // A statement sent after queued ones sees their effects: they run first, in order.
            return try connection.query("SELECT count(*) AS n FROM audit").rows[0].decode("n", as: Int.self)
        }
        #expect(count == 2)
        try connection.withTransaction { connection in try connection.queue("INSERT INTO audit VALUES ('last, sent with COMMIT')") }
        #expect(try connection.query("SELECT count(*) AS n FROM audit").rows[0].decode("n", as: Int.self) == 3)
        // Outside a transaction a queued statement runs at once: nothing waits for a statement that may never come.
        try connection.queue("INSERT INTO audit VALUES ('outside')")
        #expect(connection.isIdle)
        #expect(try connection.query("SELECT count(*) AS n FROM audit").rows[0].decode("n", as: Int.self) == 4)
    }

    @Test func aQueuedStatementThatFailsFailsTheTransaction() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE team (name text PRIMARY KEY)")
        try connection.query("CREATE TABLE audit (what text NOT NULL)")
        let error = #expect(throws: PostgresError.self) {
            try connection.withTransaction { connection in
                try connection.query("INSERT INTO team VALUES ('Taipei Tigers')")
                try connection.queue("INSERT INTO audit VALUES (NULL)")
            }
        }
        #expect(error?.sqlState == .notNullViolation, "the queued statement's own error, thrown at COMMIT")
        #expect(try connection.query("SELECT count(*) AS n FROM team").rows[0].decode("n", as: Int.self) == 0)
        #expect(!connection.isInTransaction)
        // The connection is usable afterwards, and a failure in a pipeline mid-transaction is the same.
        #expect(throws: PostgresError.self) {
            try connection.withTransaction { connection in
                try connection.queue("INSERT INTO audit VALUES (NULL)")
                try connection.query("INSERT INTO team VALUES ('Quito Quants')")
            }
        }
        #expect(try connection.query("SELECT count(*) AS n FROM team").rows[0].decode("n", as: Int.self) == 0)
        #expect(connection.isIdle)
    }

    @Test func committedWorkIsVisible() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE team (name text PRIMARY KEY)")
        let inserted = try connection.withTransaction(isolation: .repeatableRead) { connection in
            let first: String = "Quito Quants"
            let second: String = "Ulaanbaatar United"
            return try connection.query("INSERT INTO team VALUES (\(first)), (\(second))").affectedRows
        }
        #expect(inserted == 2)
        #expect(try connection.query("SELECT count(*) AS n FROM team").rows[0].decode("n", as: Int.self) == 2)
    }

    /// Write skew: each transaction reads the table and then inserts; under SERIALIZABLE one of
    /// them must fail with 40001, and the retry then succeeds.
    @Test func concurrentSerializableTransactionsConflictAndTheRetrySucceeds() async throws {
        let configuration = try TestDatabase.create()
        let setup = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        try setup.query("CREATE TABLE shortlist (team text PRIMARY KEY)")
        let barrier = Barrier(parties: 2)
        let attempts = AttemptCounter()

        @Sendable func shortlist(_ team: String) throws {
            let connection = try PostgresConnection.connect(configuration, logger: TestDatabase.logger)
            defer { connection.close() }
            try connection.withTransaction(isolation: .serializable) { connection in
                let attempt = attempts.next()
                let count = try connection.query("SELECT count(*) AS n FROM shortlist").rows[0].decode("n", as: Int.self)
                if attempt <= 2 { barrier.arrive() }  // both have read before either writes
                let label: String = "\(team) #\(count + 1)"
                try connection.query("INSERT INTO shortlist (team) VALUES (\(label))")
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Task.detached { try shortlist("Seoul") }.value }
            group.addTask { try await Task.detached { try shortlist("Bogotá") }.value }
            try await group.waitForAll()
        }
        #expect(attempts.value == 3)
        let teams = try setup.query("SELECT team FROM shortlist ORDER BY team").rows.map { try $0.decode("team", as: String.self) }
        #expect(teams.count == 2)
        let positions: [String] = teams.map { team in String(team.split(separator: "#").last ?? "") }
        #expect(Set(positions) == Set(["1", "2"]))
    }
}

@Suite struct CopyTests {
    @Test func copiesAHundredThousandRows() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE member (id integer PRIMARY KEY, name text, note text)")
        let tricky = ["tab\tin it", "new\nline", "back\\slash", "\\N literally", "서울 · 首尔", "", "carriage\rreturn", "\\\t\n\r at both ends \\"]
        let rows = (1...100_000).lazy.map { index -> [String?] in
            [String(index), "member \(index)", index % 1000 == 0 ? nil : tricky[index % tricky.count]]
        }
        let copied = try connection.copyFrom("COPY member (id, name, note) FROM STDIN", rows: rows)
        #expect(copied == 100_000)
        let summary = try connection.query("SELECT count(*) AS n, count(note) AS with_note FROM member").rows[0]
        #expect(try summary.decode("n", as: Int.self) == 100_000)
        #expect(try summary.decode("with_note", as: Int.self) == 99_900)
        for index in 1...tricky.count {
            let note: String = try connection.query("SELECT note FROM member WHERE id = \(index)").rows[0].decode("note")
            #expect(note == tricky[index % tricky.count])
        }
    }

    @Test func aNULAbortsTheCopyNamingItsRowAndColumn() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE member (id integer PRIMARY KEY, name text)")
        let error = #expect(throws: PostgresError.self) {
            let rows: [[String?]] = [["1", "Ana"], ["2", "Bo\u{0}b"]]
            try connection.copyFrom("COPY member (id, name) FROM STDIN", rows: rows)
        }
        #expect(error?.message.contains("row 2, column 2 contains a NUL character") == true)
        #expect(try connection.query("SELECT count(*) AS n FROM member").rows[0].decode("n", as: Int.self) == 0)
    }

    @Test func aBadRowAbortsTheWholeCopy() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TABLE member (id integer PRIMARY KEY)")
        let error = #expect(throws: PostgresError.self) {
            let badRows: [[String?]] = [["1"], ["2"], ["two"]]
            try connection.copyFrom("COPY member (id) FROM STDIN", rows: badRows)
        }
        #expect(error?.sqlState == "22P02")
        #expect(try connection.query("SELECT count(*) AS n FROM member").rows[0].decode("n", as: Int.self) == 0)
        // The connection is still usable afterwards.
        #expect(connection.isUsable)
    }
}

final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

struct RecordingLogHandler: LogHandler {
    final class Storage: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String] = []
        func append(_ message: String) {
            lock.lock()
            entries.append(message)
            lock.unlock()
        }
        var messages: [String] {
            lock.lock()
            defer { lock.unlock() }
            return entries
        }
    }

    let storage: Storage
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        storage.append(event.message.description)
    }
}

extension Double {
    var roundedToMicroseconds: Double { (self * 1_000_000).rounded() / 1_000_000 }

    @Test func aStatementUsedOnceIsNotPrepared() throws {
        let connection = try TestDatabase.connect()
        try connection.query("SELECT 1 AS once_only")
        let prepared = try connection.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE '%once_only%'")
        #expect(try prepared.rows[0].decode("n", as: Int.self) == 0, "a one-shot command pays no round trip to prepare")
    }

    @Test func statementsArePreparedOncePerConnectionAndRecoverFromSchemaChanges() throws {
        let connection = try TestDatabase.connect()
        try connection.runScript("CREATE TABLE prepared_check (id integer, name text)")
        for id in 0..<3 { try connection.query("INSERT INTO prepared_check VALUES (\(id), \("name \(id)"))") }
        let prepared = try connection.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO prepared_check%'")
        #expect(try prepared.rows[0].decode("n", as: Int.self) == 1, "one statement, prepared once (on its second use), executed three times")
        for _ in 0..<2 { #expect(try connection.query("SELECT * FROM prepared_check WHERE id = \(1)").columns.names == ["id", "name"]) }
        // A migration changes the result's shape: at most one call fails, and the next one prepares it anew.
        try connection.runScript("ALTER TABLE prepared_check ADD COLUMN extra integer")
        _ = try? connection.query("SELECT * FROM prepared_check WHERE id = \(1)")
        #expect(try connection.query("SELECT * FROM prepared_check WHERE id = \(1)").columns.names == ["id", "name", "extra"])
    }
}
