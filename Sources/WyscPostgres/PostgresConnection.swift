internal import CLibPQ
import Foundation
import Logging
import Synchronization

/// Where to connect: whatever psql accepts.
///
/// `connectionString` may be a `postgresql://` URI, a `key=value` conninfo string or a bare database
/// name; it is handed to libpq unchanged (`PQconnectdbParams` with `expand_dbname`). Whatever it leaves
/// out comes from the PG* environment variables, `.pgpass` and `pg_service.conf`, as in psql.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var connectionString: String?
    public var applicationName: String
    /// Statements running longer are cancelled by the server (a bound on any request's database work).
    public var statementTimeout: Duration?

    public init(connectionString: String?, applicationName: String = "wysc", statementTimeout: Duration? = nil) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
    }

    /// The connection string with any password removed, for messages.
    public var description: String {
        guard let connectionString else { return "(PG* environment)" }
        return Self.redactingPassword(connectionString)
    }

    static func redactingPassword(_ text: String) -> String {
        var result = text
        // URI form: scheme://user:password@host
        if let scheme = result.range(of: "://"), let at = result[scheme.upperBound...].firstIndex(of: "@") {
            let userInfo = result[scheme.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result.replaceSubrange(result.index(after: colon)..<at, with: "***")
            }
        }
        // conninfo or URI query form: password=...
        if let range = result.range(of: "password=") {
            let end = result[range.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? result.endIndex
            result.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return result
    }
}

/// One libpq connection (`PGconn`).
///
/// Every call blocks the calling thread until PostgreSQL answers: call it from a thread pool
/// (`PostgresPool` does), never from Swift's cooperative threads. A connection is used by one
/// caller at a time; the lock only guarantees that misuse cannot corrupt libpq's state.
public final class PostgresConnection: Sendable {
    private let handle: Mutex<RawConnection?>
    private let noticeSink: NoticeSink
    /// Server process id, for logs and for tests that terminate a backend.
    public let backendPID: Int

    private init(owned connection: OpaquePointer, noticeSink: NoticeSink) {
        self.handle = Mutex(RawConnection(pointer: connection))
        self.noticeSink = noticeSink
        self.backendPID = Int(PQbackendPID(connection))
    }

    deinit { close() }

    /// Opens a connection and sets the session settings that value decoding relies on.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger) throws(PostgresError) -> PostgresConnection {
        var keywords = ["fallback_application_name"]
        var values = [configuration.applicationName]
        if getenv("PGCONNECT_TIMEOUT") == nil {
            keywords.append("connect_timeout")
            values.append("10")
        }
        // The session settings decoding relies on travel in the start-up message (no round trips),
        // unless the user sets options of their own: then they are set after connecting.
        let userOptions = getenv("PGOPTIONS") != nil || configuration.connectionString?.lowercased().contains("options") == true
        if !userOptions {
            keywords += ["client_encoding", "options"]
            values += ["UTF8", sessionSettings(configuration).map { "-c \($0.name)=\($0.value)" }.joined(separator: " ")]
        }
        if let connectionString = configuration.connectionString {
            // Last, so that what the user wrote overrides our defaults.
            keywords.append("dbname")
            values.append(connectionString)
        }
        let raw: OpaquePointer? = withCStringArray(keywords + [nil]) { keywordPointers in
            withCStringArray(values + [nil]) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let raw else { throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection") }
        guard PQstatus(raw) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines)
            let host = PQhost(raw).map { String(cString: $0) } ?? "default host"
            let port = PQport(raw).map { String(cString: $0) } ?? "default port"
            PQfinish(raw)  // a failed PGconn must still be freed
            throw PostgresError(
                .connectionFailed,
                message:
                    "could not connect to PostgreSQL at \(host), port \(port): \(reason.split(whereSeparator: \.isWhitespace).joined(separator: " "))"
            )
        }
        let sink = NoticeSink(logger: logger)
        PQsetNoticeReceiver(raw, noticeReceiver, Unmanaged.passUnretained(sink).toOpaque())
        let connection = PostgresConnection(owned: raw, noticeSink: sink)
        if PQparameterStatus(raw, "client_encoding").map({ String(cString: $0) }) != "UTF8" {
            guard PQsetClientEncoding(raw, "UTF8") == 0 else {
                throw PostgresError(.connectionFailed, message: "the server cannot use UTF-8 as the client encoding")
            }
        }
        if userOptions {
            // Our own constants, not input.
            try connection.runScript(sessionSettings(configuration).map { "SET \($0.name) TO '\($0.value)'" }.joined(separator: "; "))
        }
        return connection
    }

    /// Decoders read ISO dates in UTC; floats print exactly; a server's statements are bounded.
    private static func sessionSettings(_ configuration: PostgresConfiguration) -> [(name: String, value: String)] {
        var settings = [("DateStyle", "ISO,MDY"), ("TimeZone", "UTC"), ("extra_float_digits", "3")]
        if let timeout = configuration.statementTimeout {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            settings.append(("statement_timeout", "\(max(1, milliseconds))"))
        }
        return settings
    }

    /// Closes the connection. Later calls fail with `.connectionLost`.
    public func close() {
        handle.withLock { connection in
            if let connection { PQfinish(connection.pointer) }
            connection = nil
        }
    }

    /// Whether the connection can take a new statement: open, not inside a transaction, and not
    /// closed by the server while it sat idle (checked without a round trip).
    public var isUsable: Bool {
        handle.withLock { raw in
            guard let connection = raw?.pointer, PQstatus(connection) == CONNECTION_OK else { return false }
            // An idle server only speaks unprompted to say goodbye (a FATAL message, then end of
            // stream) or to notify. Read until nothing is pending: the end of stream marks it broken.
            // At most eight reads, so that a server that keeps talking cannot hold the caller here.
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            for _ in 0..<8 {
                guard poll(&descriptor, 1, 0) > 0 else { break }
                if PQconsumeInput(connection) == 0 || PQstatus(connection) != CONNECTION_OK { return false }
                while let notification = PQnotifies(connection) { PQfreemem(notification) }
            }
            return PQstatus(connection) == CONNECTION_OK && PQtransactionStatus(connection) == PQTRANS_IDLE
        }
    }

    /// Whether the connection is open and outside any transaction, as the last exchange left it
    /// (no system call: for handing a connection back after use; `isUsable` checks before the next).
    public var isIdle: Bool {
        handle.withLock { raw in
            guard let raw else { return false }
            return raw.queued.isEmpty && PQstatus(raw.pointer) == CONNECTION_OK && PQtransactionStatus(raw.pointer) == PQTRANS_IDLE
        }
    }

    /// Whether the last exchange left the connection open (libpq's `PQstatus`).
    public var isConnected: Bool {
        handle.withLock { raw in raw.map { PQstatus($0.pointer) == CONNECTION_OK } ?? false }
    }

    /// Whether the connection is inside a transaction block.
    public var isInTransaction: Bool {
        handle.withLock { raw in
            guard let connection = raw?.pointer else { return false }
            let status = PQtransactionStatus(connection)
            return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
        }
    }

    /// How many statements a connection keeps prepared; later new ones run unprepared.
    static let preparedStatementLimit = 512
    /// How many statement texts seen once a connection remembers (to prepare on their second use).
    static let seenStatementLimit = 2048

    /// Runs one statement with its parameters and returns its rows. Statements queued before it
    /// (`queue`) travel with it, in one round trip.
    ///
    /// A SQL text is prepared (PQprepare) on its second use on a connection and then executed by
    /// name, so PostgreSQL parses and plans it once; a text used once (a one-shot command) costs
    /// no extra round trip. Values travel only as parameters either way.
    @discardableResult
    public func query(_ query: SQLQuery) throws(PostgresError) -> QueryResult {
        try Self.refuseNUL(query.binds)
        return try handle.withLock { (raw) throws(PostgresError) -> QueryResult in
            guard var state = raw else { throw PostgresError(.connectionLost, message: "the connection is closed") }
            defer { raw = state }
            let statements = state.queued + [query]
            state.queued = []
            return try Self.run(statements, on: &state).last!
        }
    }

    /// Runs statements that do not depend on each other's answers in one round trip (after any
    /// queued ones) and returns their rows in order. The first error is thrown; the statements
    /// after it are not run.
    public func queries(_ queries: [SQLQuery]) throws(PostgresError) -> [QueryResult] {
        for query in queries { try Self.refuseNUL(query.binds) }
        return try handle.withLock { (raw) throws(PostgresError) -> [QueryResult] in
            guard var state = raw else { throw PostgresError(.connectionLost, message: "the connection is closed") }
            defer { raw = state }
            let queued = state.queued
            state.queued = []
            return Array(try Self.run(queued + queries, on: &state).dropFirst(queued.count))
        }
    }

    /// Queues a statement whose only answer that matters is an error (an audit row), to be sent
    /// with the next statement, or with COMMIT at the latest, instead of waiting a round trip for
    /// it now. Inside a transaction only; outside one it runs at once. Its error, if any, is
    /// thrown by the statement it travels with, and the transaction fails.
    public func queue(_ query: SQLQuery) throws(PostgresError) {
        try Self.refuseNUL(query.binds)
        try handle.withLock { (raw) throws(PostgresError) in
            guard var state = raw else { throw PostgresError(.connectionLost, message: "the connection is closed") }
            defer { raw = state }
            if state.queued.isEmpty && PQtransactionStatus(state.pointer) == PQTRANS_IDLE {
                _ = try Self.run([query], on: &state)
            } else {
                state.queued.append(query)
            }
        }
    }

    /// Starts a transaction without waiting for the answer: BEGIN travels with the first statement.
    func queueBegin(_ statement: SQLQuery) {
        handle.withLock { raw in raw?.queued.append(statement) }
    }

    /// Forgets the statements not sent yet (the transaction they belong to is being rolled back).
    func discardQueued() {
        handle.withLock { raw in raw?.queued = [] }
    }

    private static func refuseNUL(_ binds: [String?]) throws(PostgresError) {
        // Scanned as contiguous bytes: through String's UTF-8 view, byte by byte, it took 9% of
        // the server's database threads.
        func hasNUL(_ text: String) -> Bool { text.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? text.utf8.contains(0) }
        if let position = binds.firstIndex(where: { $0.map(hasNUL) == true }) {
            throw PostgresError(.encoding, message: "parameter $\(position + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
    }

    /// Sends the queued statements alone, before a script or COPY (which cannot be pipelined).
    private static func flushQueued(_ state: inout RawConnection) throws(PostgresError) {
        guard !state.queued.isEmpty else { return }
        let statements = state.queued
        state.queued = []
        _ = try run(statements, on: &state)
    }

    /// The name `sql` is prepared under, preparing it now on its second use; nil: run it unnamed.
    private static func preparedName(_ sql: String, parameters: Int, state: inout RawConnection) throws(PostgresError) -> String? {
        if let name = state.prepared[sql] { return name }
        guard state.seen.contains(sql) else {
            if state.seen.count < seenStatementLimit { state.seen.insert(sql) }
            return nil
        }
        guard state.prepared.count < preparedStatementLimit else { return nil }
        let name = "wysc_\(state.nextStatement)"
        state.nextStatement += 1
        _ = try consume(PQprepare(state.pointer, name, sql, Int32(parameters), nil), connection: state.pointer, binds: [])
        state.prepared[sql] = name
        return name
    }

    /// Runs the statements and returns their rows: one exchange for one statement, one pipeline
    /// (libpq's pipeline mode, one Sync) for several. The first error is thrown; in a pipeline,
    /// the statements after it are not run.
    private static func run(_ statements: [SQLQuery], on state: inout RawConnection) throws(PostgresError) -> [QueryResult] {
        let connection = state.pointer
        var names: [String?] = []
        for statement in statements {
            names.append(try preparedName(statement.sql, parameters: statement.binds.count, state: &state))
        }
        if statements.count == 1 {
            let statement = statements[0]
            let result = send(statement, name: names[0], connection: connection, pipelined: false)
            return [
                try forgettingStalePlans(statement.sql, state: &state) { () throws(PostgresError) in
                    try consume(result, connection: connection, binds: statement.binds)
                }
            ]
        }
        guard PQenterPipelineMode(connection) == 1 else { throw connectionError(connection) }
        defer { PQexitPipelineMode(connection) }
        for (statement, name) in zip(statements, names) where send(statement, name: name, connection: connection, pipelined: true) == nil {
            throw connectionError(connection)
        }
        guard PQpipelineSync(connection) == 1 else { throw connectionError(connection) }
        var firstError: PostgresError?
        var results: [QueryResult] = []
        for statement in statements {
            // Each statement's results end with a null; a statement after an error is only "aborted".
            var answered = false
            while let result = PQgetResult(connection) {
                answered = true
                if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                    PQclear(result)
                    continue
                }
                do throws(PostgresError) {
                    results.append(
                        try forgettingStalePlans(statement.sql, state: &state) { () throws(PostgresError) in
                            try consume(result, connection: connection, binds: statement.binds)
                        })
                } catch {
                    firstError = firstError ?? error
                }
            }
            if !answered { firstError = firstError ?? connectionError(connection) }
        }
        if let sync = PQgetResult(connection) {
            if PQresultStatus(sync) != PGRES_PIPELINE_SYNC { firstError = firstError ?? connectionError(connection) }
            PQclear(sync)
        } else {
            firstError = firstError ?? connectionError(connection)
        }
        if var firstError {
            // A pipeline hands over the server's last words (a shutdown's FATAL) before libpq
            // notices the end of the stream: tell a lost connection as lost, as a single exchange does.
            let shutdown = firstError.sqlState?.rawValue.hasPrefix("57P") == true  // admin or crash shutdown
            if (PQstatus(connection) != CONNECTION_OK || shutdown) && firstError.kind == .server { firstError.kind = .connectionLost }
            throw firstError
        }
        return results
    }

    /// Runs statements that are each their own transaction in one round trip: one pipeline, with
    /// a Sync after each statement, so that one's error rolls back that one alone. Returns each
    /// statement's rows or error, in order. Statements the connection could not answer (it was
    /// lost) get `.connectionLost`: whether they were applied is not known.
    public func runEach(_ queries: [SQLQuery]) -> [Result<QueryResult, PostgresError>] {
        handle.withLock { raw -> [Result<QueryResult, PostgresError>] in
            guard var state = raw else { return queries.map { _ in .failure(PostgresError(.connectionLost, message: "the connection is closed")) } }
            defer { raw = state }
            do throws(PostgresError) {
                try Self.flushQueued(&state)
            } catch {
                return queries.map { _ in .failure(error) }
            }
            let connection = state.pointer
            // A statement refused before it is sent (a NUL, a failed PQprepare) is answered alone.
            var answers: [Result<QueryResult, PostgresError>?] = Array(repeating: nil, count: queries.count)
            var names: [String?] = Array(repeating: nil, count: queries.count)
            for (index, query) in queries.enumerated() {
                do throws(PostgresError) {
                    try Self.refuseNUL(query.binds)
                    names[index] = try Self.preparedName(query.sql, parameters: query.binds.count, state: &state)
                } catch {
                    answers[index] = .failure(error)
                }
            }
            guard PQenterPipelineMode(connection) == 1 else { return queries.map { _ in .failure(Self.connectionError(connection)) } }
            defer { PQexitPipelineMode(connection) }
            var sent: [Int] = []
            for (index, query) in queries.enumerated() where answers[index] == nil {
                guard Self.send(query, name: names[index], connection: connection, pipelined: true) != nil, PQpipelineSync(connection) == 1 else {
                    break
                }
                sent.append(index)
            }
            for index in sent {
                let query = queries[index]
                var answer: Result<QueryResult, PostgresError>?
                while let result = PQgetResult(connection) {
                    do throws(PostgresError) {
                        let rows = try Self.forgettingStalePlans(query.sql, state: &state) { () throws(PostgresError) in
                            try Self.consume(result, connection: connection, binds: query.binds)
                        }
                        answer = answer ?? .success(rows)
                    } catch {
                        answer = .failure(error)
                    }
                }
                // The statement's Sync: only then has its transaction ended (committed or not).
                var synced = false
                if let sync = PQgetResult(connection) {
                    synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
                    PQclear(sync)
                }
                guard synced, let answer, PQstatus(connection) == CONNECTION_OK else { break }
                // A shutdown's FATAL is the server's last words before the end of the stream.
                if case .failure(let error) = answer, error.sqlState?.rawValue.hasPrefix("57P") == true { break }
                answers[index] = answer
            }
            let lost = Self.connectionError(connection)
            return answers.map { $0 ?? .failure(PostgresError(.connectionLost, message: lost.message)) }
        }
    }

    /// Sends one statement (by name when prepared); without a pipeline, waits for its result.
    private static func send(_ statement: SQLQuery, name: String?, connection: OpaquePointer, pipelined: Bool) -> OpaquePointer? {
        let binds = statement.binds
        return withCStringArray(binds) { values -> OpaquePointer? in
            let count = Int32(binds.count)
            if pipelined {
                let sent =
                    if let name { PQsendQueryPrepared(connection, name, count, values, nil, nil, 0) } else {
                        PQsendQueryParams(connection, statement.sql, count, nil, values, nil, nil, 0)
                    }
                return sent == 1 ? connection : nil
            }
            if let name { return PQexecPrepared(connection, name, count, values, nil, nil, 0) }
            return PQexecParams(connection, statement.sql, count, nil, values, nil, nil, 0)
        }
    }

    /// The schema changed under a prepared statement ("cached plan must not change result type")
    /// or it is gone: forget it, so that its next use prepares it again.
    private static func forgettingStalePlans<R>(
        _ sql: String, state: inout RawConnection, _ body: () throws(PostgresError) -> R
    ) throws(PostgresError) -> R {
        do {
            return try body()
        } catch  where error.sqlState == .featureNotSupported || error.sqlState == .invalidStatementName {
            state.prepared[sql] = nil
            throw error
        }
    }

    /// Runs trusted SQL text that may hold several statements (migration files, session settings).
    /// It takes no parameters: never pass text that contains a value from outside the program.
    public func runScript(_ sql: String) throws(PostgresError) {
        try withConnection { (connection) throws(PostgresError) in
            _ = try Self.consume(PQexec(connection, sql), connection: connection, binds: [])
        }
    }

    /// Streams rows into `COPY … FROM STDIN` (text format) and returns how many were copied.
    /// `statement` must be the COPY statement itself, without parameters.
    @discardableResult @inlinable
    public func copyFrom(_ statement: SQLQuery, rows: some Sequence<[String?]>) throws(PostgresError) -> Int {
        // Iterated here, in the caller's module, where the sequence's type is known: a generic
        // sequence passed on would be walked through the runtime's generic metadata, row by row.
        var iterator = rows.makeIterator()
        return try copyFrom(statement, nextRow: { iterator.next() })
    }

    /// Streams the rows `nextRow` gives, until it gives nil, into `COPY … FROM STDIN`.
    @discardableResult
    public func copyFrom(_ statement: SQLQuery, nextRow: () -> [String?]?) throws(PostgresError) -> Int {
        guard statement.binds.isEmpty else {
            throw PostgresError(.encoding, message: "a COPY statement cannot take parameters")
        }
        return try withConnection { (connection) throws(PostgresError) -> Int in
            guard let start = PQexec(connection, statement.sql) else {
                throw Self.connectionError(connection)
            }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                _ = try Self.consume(start, connection: connection, binds: [])
                throw PostgresError(.unexpectedResponse, message: "the statement did not start COPY FROM STDIN")
            }
            PQclear(start)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 17)
            var abortReason: String?
            func flush() -> Bool {
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer.withUnsafeBufferPointer { bytes in
                    bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        PQputCopyData(connection, $0, Int32(bytes.count)) == 1
                    }
                }
            }
            var rowNumber = 0
            rowLoop: while let row = nextRow() {
                rowNumber += 1
                for (column, value) in row.enumerated() {
                    if column > 0 { buffer.append(UInt8(ascii: "\t")) }
                    guard var value else {
                        buffer.append(UInt8(ascii: "\\"))
                        buffer.append(UInt8(ascii: "N"))
                        continue
                    }
                    guard value.withUTF8({ Self.appendCopyText($0, to: &buffer) }) else {
                        abortReason = "row \(rowNumber), column \(column + 1) contains a NUL character"
                        break rowLoop
                    }
                }
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 1 << 16, !flush() { break }
            }
            if abortReason == nil, !buffer.isEmpty { _ = flush() }
            if PQputCopyEnd(connection, abortReason) != 1 {
                throw Self.connectionError(connection)
            }
            var copied = 0
            var firstError: PostgresError?
            while let result = PQgetResult(connection) {
                do throws(PostgresError) {
                    copied += try Self.consume(result, connection: connection, binds: []).affectedRows
                } catch {
                    firstError = firstError ?? error
                }
            }
            if let abortReason { throw PostgresError(.encoding, message: "COPY aborted: \(abortReason)") }
            if let firstError { throw firstError }
            return copied
        }
    }

    /// Appends a value in COPY's text format, copying the runs between escapes whole; false when
    /// the value holds a NUL, which the text format cannot carry.
    private static func appendCopyText(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) -> Bool {
        var runStart = 0
        for index in bytes.indices {
            let escaped: UInt8
            switch bytes[index] {
            case 0: return false
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(escaped)
            runStart = index + 1
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        return true
    }

    // MARK: Internals

    /// The raw connection, after sending what was queued (scripts and COPY cannot be pipelined).
    private func withConnection<R>(_ body: (OpaquePointer) throws(PostgresError) -> R) throws(PostgresError) -> R {
        try handle.withLock { (raw) throws(PostgresError) -> R in
            guard var state = raw else { throw PostgresError(.connectionLost, message: "the connection is closed") }
            if !state.queued.isEmpty {
                defer { raw = state }
                try Self.flushQueued(&state)
            }
            return try body(state.pointer)
        }
    }

    private static func connectionError(_ connection: OpaquePointer) -> PostgresError {
        let reason = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(.connectionLost, message: "lost the connection to PostgreSQL: \(reason.isEmpty ? "no reason given" : reason)")
    }

    /// Copies a result into Swift values, frees it, and turns errors into `PostgresError`.
    private static func consume(_ result: OpaquePointer?, connection: OpaquePointer, binds: [String?]) throws(PostgresError) -> QueryResult {
        guard let result else { throw connectionError(connection) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return copy(result)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
            if PQstatus(connection) != CONNECTION_OK {
                var error = serverError(result).redacting(binds)
                error.kind = .connectionLost
                throw error
            }
            throw serverError(result).redacting(binds)
        case PGRES_COPY_IN:
            PQputCopyEnd(connection, "COPY FROM STDIN must go through copyFrom")
            while let extra = PQgetResult(connection) { PQclear(extra) }
            throw PostgresError(.unexpectedResponse, message: "use copyFrom for COPY FROM STDIN")
        default:
            let status = String(cString: PQresStatus(PQresultStatus(result)))
            throw PostgresError(.unexpectedResponse, message: "unexpected result status \(status)")
        }
    }

    private static func serverError(_ result: OpaquePointer) -> PostgresError {
        // PG_DIAG_* are character-literal macros that Swift cannot import.
        func field(_ code: Unicode.Scalar) -> String? {
            PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
        }
        let fallback = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(
            .server, message: field("M") ?? fallback, sqlState: field("C").map(SQLState.init(rawValue:)),
            detail: field("D"), hint: field("H"), constraint: field("n"), table: field("t"), column: field("c"),
            schema: field("s")
        )
    }

    private static func copy(_ result: OpaquePointer) -> QueryResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        for column in 0..<columnCount {
            names.append(String(cString: PQfname(result, Int32(column))))
            types.append(PostgresType(rawValue: PQftype(result, Int32(column))))
        }
        let columns = PostgresColumns(names: names, types: types)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let pointer = PQgetvalue(result, Int32(row), Int32(column))!
                    values.append(
                        pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                        })
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return QueryResult(columns: columns, rows: rows, affectedRows: affected)
    }
}

/// The `PGconn` pointer, only ever touched under the connection's lock.
private struct RawConnection: @unchecked Sendable {
    let pointer: OpaquePointer
    /// SQL text → the name it is prepared under on this connection.
    var prepared: [String: String] = [:]
    /// SQL texts run once, unprepared: the second use prepares them.
    var seen: Set<String> = []
    /// Statements to send with the next one (`queue`, a transaction's BEGIN).
    var queued: [SQLQuery] = []
    /// Names are never reused: a statement forgotten by the cache may still exist on the server.
    var nextStatement = 0
}

/// Receives server notices (e.g. "table does not exist, skipping") and logs them instead of
/// letting libpq print them on stderr.
private final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private let noticeReceiver: PQnoticeReceiver = { context, result in
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(Unicode.Scalar("V").value)).map { String(cString: $0) } ?? "NOTICE"
    let message = PQresultErrorField(result, Int32(Unicode.Scalar("M").value)).map { String(cString: $0) } ?? ""
    let level: Logger.Level = severity == "WARNING" ? .warning : .debug
    sink.logger.log(level: level, "\(message)", metadata: ["postgres_severity": "\(severity)"])
}

/// Packs optional strings into one NUL-separated buffer; the pointers live only inside `body`.
func withCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    var storage: [CChar] = []
    var offsets: [Int?] = []
    for string in strings {
        guard var string else {
            offsets.append(nil)
            continue
        }
        offsets.append(storage.count)
        string.withUTF8 { bytes in bytes.withMemoryRebound(to: CChar.self) { storage.append(contentsOf: $0) } }
        storage.append(0)
    }
    if storage.isEmpty { storage.append(0) }
    return try storage.withUnsafeBufferPointer { buffer in
        try body(offsets.map { offset in offset.map { buffer.baseAddress! + $0 } })
    }
}
