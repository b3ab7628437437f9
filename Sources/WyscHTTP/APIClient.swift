import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import WyscApplication
import WyscJudging
import WyscWorkflow

/// A failed API call: the server's error code and message, or why it could not be reached.
public struct APIClientError: Error, Sendable, CustomStringConvertible {
    /// nil when the server could not be reached at all.
    public var status: Int?
    public var code: String
    public var message: String
    public var description: String { message }
}

/// Talks to `wysc serve` with a personal token: what the remote CLI and the tests use.
public struct APIClient: Sendable {
    public let server: URL
    public let token: String?
    let timeout: TimeAmount
    /// Called with the server's API version when it is newer than this client's.
    let newerServer: (@Sendable (Int) -> Void)?
    /// The largest answer read: a page of JSON or a piece of a proposal's file is far smaller.
    static let answerLimit = 64 * 1024 * 1024
    /// One client for the process (never shut down: it lives as long as the process). A connection
    /// that cannot be made fails at once rather than being retried until the request's deadline:
    /// `send` retries, a few times, briefly.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(server: URL, token: String?, timeout: TimeInterval = 30, newerServer: (@Sendable (Int) -> Void)? = nil) {
        self.server = server
        self.token = token
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.newerServer = newerServer
    }

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// One HTTP exchange; a connection failure is retried (up to `attempts`) with the same request,
    /// which is safe because changes carry an Idempotency-Key.
    public func send(
        _ method: String, _ path: String, query: [String: String?] = [:], json: Data? = nil, headers: [String: String] = [:], attempts: Int = 3
    ) async throws -> Answer {
        var components = URLComponents(url: server.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        if !items.isEmpty { components.queryItems = items }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        if let json {
            request.body = .bytes(ByteBuffer(bytes: json))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        var attempt = 1
        while true {
            do {
                let response = try await Self.client.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: Self.answerLimit)
                var fields: [String: String] = [:]
                for (name, value) in response.headers { fields[name] = fields[name].map { "\($0), \(value)" } ?? value }
                let answer = Answer(status: Int(response.status.code), headers: fields, body: Data(body.readableBytesView))
                if let text = answer.header(WyscAPI.versionHeader), let version = Int(text), version > WyscAPI.version {
                    newerServer?(version)
                }
                return answer
            } catch let error as APIClientError {
                throw error
            } catch {
                if attempt >= attempts {
                    throw APIClientError(
                        status: nil, code: "unreachable",
                        message: "cannot reach the wysc server at \(server.absoluteString): \(Self.reason(error))")
                }
                attempt += 1
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// Why a request failed, in words (the client's errors describe themselves tersely).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            return "no answer in time"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the connection was closed"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "its TLS certificate is for another host name"
        case NIOSSLError.handshakeFailed(let reason):
            // The library's reason names its own source files: say what a person can act on.
            if "\(reason)".contains("CERTIFICATE_VERIFY_FAILED") { return "its TLS certificate is not trusted by this machine" }
            return "the TLS handshake failed (is it an https server?)"
        default:
            return "\(error)"
        }
    }

    /// Decodes a successful answer, or throws the server's error.
    public func decode<T: Decodable>(_ type: T.Type, from answer: Answer) throws -> T {
        guard (200..<300).contains(answer.status) else {
            if let error = try? APIJSON.decoder.decode(APIErrorBody.self, from: answer.body) {
                throw APIClientError(status: answer.status, code: error.error.code, message: error.error.message)
            }
            throw APIClientError(status: answer.status, code: "http_\(answer.status)", message: "the server answered \(answer.status)")
        }
        do {
            return try APIJSON.decoder.decode(type, from: answer.body)
        } catch {
            throw APIClientError(status: answer.status, code: "bad_answer", message: "the server's answer could not be read: \(error)")
        }
    }

    public func get<T: Decodable>(_ path: String, query: [String: String?] = [:], as type: T.Type = T.self) async throws -> T {
        try decode(type, from: try await send("GET", path, query: query))
    }

    // MARK: The calls the remote CLI makes

    public func whoami() async throws -> WhoAmI { try await get(Endpoint.whoami.path()) }
    public func competitions() async throws -> [CompetitionSummary] { try await get(Endpoint.competitions.path()) }
    public func phaseStatus(_ slug: String) async throws -> PhaseStatus { try await get(Endpoint.phase.path(slug: slug)) }
    public func checkTransition(_ slug: String, to: String?) async throws -> TransitionCheck {
        try await get(Endpoint.phaseCheck.path(slug: slug), query: ["to": to])
    }

    public func advancePhase(_ slug: String, to: String?, from: String?, forceReason: String?) async throws -> TransitionRecord {
        var body: [String: String] = [:]
        body["to"] = to
        body["from"] = from
        body["force_reason"] = forceReason
        let answer = try await send(
            "POST", Endpoint.phaseAdvance.path(slug: slug), json: try JSONEncoder().encode(body),
            headers: ["Idempotency-Key": UUID().uuidString])
        return try decode(TransitionRecord.self, from: answer)
    }

    public func teamStatus(_ slug: String, team: String?, university: String?) async throws -> [TeamStatus] {
        try await get(Endpoint.teamStatus.path(slug: slug), query: ["team": team, "university": university])
    }

    public func rubric(_ slug: String) async throws -> Rubric { try await get(Endpoint.rubric.path(slug: slug)) }
    public func queue(_ slug: String, judge: String?) async throws -> [QueueItem] {
        try await get(Endpoint.queue.path(slug: slug), query: ["judge": judge])
    }

    /// The scorecard as it stands, with its revision; nil when there is none yet.
    public func scorecard(_ slug: String, proposal: Int, judge: String?) async throws -> Scorecard? {
        let answer = try await send("GET", Endpoint.scorecard.path(slug: slug, proposal: proposal), query: ["judge": judge])
        if answer.status == 404, (try? APIJSON.decoder.decode(APIErrorBody.self, from: answer.body))?.error.code == WyscError.Code.noScorecard {
            return nil
        }
        return try decode(Scorecard.self, from: answer)
    }

    /// Sends a scorecard over the revision the caller read (If-Match), once (Idempotency-Key).
    public func submitScorecard(
        _ slug: String, proposal: Int, values: [String: String], comment: String?, feedback: String? = nil, draft: Bool, judge: String?,
        revision: Int
    ) async throws -> ScorecardOutcome {
        struct Body: Encodable {
            var scores: [String: String]
            var comment: String?
            var feedback: String?
            var draft: Bool
            var judge: String?
        }
        let json = try JSONEncoder().encode(Body(scores: values, comment: comment, feedback: feedback, draft: draft, judge: judge))
        let answer = try await send(
            "PUT", Endpoint.scorecard.path(slug: slug, proposal: proposal), json: json,
            headers: ["Idempotency-Key": UUID().uuidString, "If-Match": "\"\(revision)\""])
        return try decode(ScorecardOutcome.self, from: answer)
    }

    public func feedback(_ slug: String, team: String?) async throws -> [TeamFeedback] {
        try await get(Endpoint.feedback.path(slug: slug), query: ["team": team])
    }

    /// A proposal's current version, or every version.
    public func proposal(_ slug: String, number: Int, allVersions: Bool, judge: String? = nil) async throws -> [ProposalView] {
        try await get(Endpoint.proposal.path(slug: slug, proposal: number), query: ["versions": allVersions ? "all" : nil, "judge": judge])
    }

    /// Bytes `range` of a proposal's file, only while it is still the file of `file.sha256` (If-Range).
    public func proposalFilePiece(
        _ slug: String, proposal: Int, file: ProposalFile, range: Range<Int>, judge: String? = nil
    ) async throws -> Data {
        let answer = try await send(
            "GET", Endpoint.proposalFile.path(slug: slug, proposal: proposal, file: file.number), query: ["judge": judge],
            headers: ["Range": "bytes=\(range.lowerBound)-\(range.upperBound - 1)", "If-Range": "\"\(file.sha256)\""])
        if answer.status == 200 {
            throw APIClientError(
                status: 200, code: "file_changed", message: "file \(file.number) of proposal #\(proposal) changed on the server: download it again")
        }
        guard answer.status == 206 else {
            _ = try decode(APIErrorBody.self, from: answer)  // throws the server's error
            throw APIClientError(status: answer.status, code: "bad_answer", message: "the server answered \(answer.status)")
        }
        guard answer.body.count == range.count else {
            throw APIClientError(
                status: 206, code: "bad_answer",
                message: "the server sent \(answer.body.count) bytes of file \(file.number) instead of \(range.count)")
        }
        return answer.body
    }

    public func results(_ slug: String, round: String?, method: NormalizationMethod) async throws -> ResultsReport {
        try await get(Endpoint.results.path(slug: slug), query: ["round": round, "method": method.rawValue])
    }
}
