import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WyscApplication
import WyscJudging
import WyscWorkflow

/// The JSON API over the application. Every route acts as the token's actor; the application
/// checks what that actor may do, so the rules are the same as on the command line.
struct Routes {
    let application: WyscApplication.Application
    let maxBodyBytes: Int

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func register(on api: RouterGroup<WyscRequestContext>) {
        api.get("whoami") { _, context in
            let credential = try Self.credential(context)
            let role = switch credential.actor {
            case .organizer, .system: "organizer"
            case .judge: "judge"
            case .university: "university"
            }
            return try Reply.json(WhoAmI(role: role, label: credential.label, competition: credential.competition)).response
        }
        api.get("competitions") { _, context in
            let credential = try Self.credential(context)
            var visible = try await application.competitions().filter { credential.competition == nil || $0.slug == credential.competition }
            if !credential.actor.isOrganizer {
                // A path on the organizers' machine is none of a judge's or a university's business.
                for index in visible.indices { visible[index].workflowFile = nil }
            }
            return try Reply.json(visible).response
        }
        api.get("competitions/:slug/phase") { _, context in
            try Reply.json(try await application.phaseStatus(competition: try Self.slug(context))).response
        }
        api.get("competitions/:slug/phase/check") { request, context in
            let slug = try Self.slug(context)
            return try Reply.json(
                try await application.checkTransition(competition: slug, to: request.uri.queryParameters.get("to"), as: try Self.actor(context))
            ).response
        }
        api.post("competitions/:slug/phase/advance") { request, context in
            let slug = try Self.slug(context)
            let actor = try Self.actor(context)
            let data = try await Self.body(request, limit: maxBodyBytes)
            return try await idempotent(request, actor: actor, body: data, render: { try Reply.json($0) }) { idempotency in
                let body = try JSONBody(data, allowed: ["to", "from", "force_reason"])
                var expected = try body.string("from")
                if expected == nil { expected = try await application.phaseStatus(competition: slug).phase }
                return try await application.advancePhase(
                    competition: slug, to: try body.string("to"), expectedPhase: expected, forceReason: try body.string("force_reason"), as: actor,
                    idempotency: idempotency)
            }
        }
        api.get("competitions/:slug/teams/status") { request, context in
            let slug = try Self.slug(context)
            let query = request.uri.queryParameters
            return try Reply.json(
                try await application.teamStatus(competition: slug, team: query.get("team"), university: query.get("university"), as: try Self.actor(context))
            ).response
        }
        api.get("competitions/:slug/rubric") { _, context in
            try Reply.json(try await application.rubric(competition: try Self.slug(context))).response
        }
        api.get("competitions/:slug/queue") { request, context in
            let slug = try Self.slug(context)
            return try Reply.json(
                try await application.judgeQueue(judge: request.uri.queryParameters.get("judge"), competition: slug, as: try Self.actor(context))
            ).response
        }
        api.get("competitions/:slug/scorecards/:proposal") { request, context in
            let slug = try Self.slug(context)
            let proposal = try Self.proposal(context)
            guard let card = try await application.scorecard(
                proposal: proposal, judge: request.uri.queryParameters.get("judge"), competition: slug, as: try Self.actor(context))
            else {
                throw WyscError(.notFound, "no scorecard for proposal #\(proposal) yet", code: WyscError.Code.noScorecard)
            }
            var reply = try Reply.json(card)
            reply.headers[.eTag] = Self.etag(card.revision)
            return reply.response
        }
        api.put("competitions/:slug/scorecards/:proposal") { request, context in
            let slug = try Self.slug(context)
            let proposal = try Self.proposal(context)
            let actor = try Self.actor(context)
            let data = try await Self.body(request, limit: maxBodyBytes)
            let expected = try request.headers[.ifMatch].map(Self.revision)
            return try await idempotent(request, actor: actor, body: data, render: Self.scorecardReply) { idempotency in
                let body = try JSONBody(data, allowed: ["scores", "comment", "draft", "judge"])
                return try await application.submitScorecard(
                    proposal: proposal, values: try body.scores("scores"), comment: try body.string("comment"), draft: try body.bool("draft") ?? false,
                    judge: try body.string("judge"), competition: slug, as: actor, expectedRevision: expected, idempotency: idempotency)
            }
        }
        api.post("competitions/:slug/conflicts") { request, context in
            let slug = try Self.slug(context)
            let data = try await Self.body(request, limit: maxBodyBytes)
            let body = try JSONBody(data, allowed: ["proposal", "reason", "judge"])
            guard let proposal = try body.integer("proposal") else { throw APIError(.badRequest, "missing_field", "field 'proposal' is required") }
            try await application.declareConflict(
                proposal: proposal, reason: try body.requiredString("reason"), judge: try body.string("judge"), competition: slug, as: try Self.actor(context))
            return try Reply.json(["declared": "true"], status: .created).response
        }
        api.get("competitions/:slug/results") { request, context in
            let slug = try Self.slug(context)
            let query = request.uri.queryParameters
            guard let method = NormalizationMethod(rawValue: query.get("method") ?? "zscore") else {
                throw APIError(.badRequest, "bad_parameter", "method must be zscore or raw")
            }
            return try Reply.json(try await application.results(round: query.get("round"), method: method, competition: slug, as: try Self.actor(context))).response
        }
        api.get("competitions/:slug/audit") { request, context in
            let slug = try Self.slug(context)
            let query = request.uri.queryParameters
            var since: Date?
            if let text = query.get("since") {
                guard let date = ISO8601DateFormatter().date(from: text) else {
                    throw APIError(.badRequest, "bad_parameter", "since must be a time such as 2026-05-01T00:00:00Z")
                }
                since = date
            }
            let limit = query.get("limit").flatMap(Int.init) ?? 1000
            return try Reply.json(
                try await application.auditLog(
                    AuditFilter(competition: slug, since: since, actor: query.get("actor"), action: query.get("action"), limit: min(max(limit, 1), 10_000)),
                    as: try Self.actor(context))
            ).response
        }
    }

    // MARK: Helpers

    static func credential(_ context: WyscRequestContext) throws -> Credential {
        guard let credential = context.credential else { throw APIError(.unauthorized, "unauthorized", "a token is required") }
        return credential
    }

    static func actor(_ context: WyscRequestContext) throws -> Actor { try credential(context).actor }

    /// The competition in the path; a token bound to another competition is refused.
    static func slug(_ context: WyscRequestContext) throws -> String {
        let slug = try context.parameters.require("slug")
        if let bound = try credential(context).competition, bound != slug {
            throw APIError(.forbidden, "forbidden", "this token is for competition '\(bound)'")
        }
        return slug
    }

    static func proposal(_ context: WyscRequestContext) throws -> Int {
        let text = try context.parameters.require("proposal")
        guard let number = Int(text) else { throw APIError(.badRequest, "bad_parameter", "the proposal is a number, not '\(text)'") }
        return number
    }

    static func etag(_ revision: Int) -> String { "\"\(revision)\"" }

    static func revision(_ header: String) throws -> Int {
        let text = header.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let revision = Int(text) else { throw APIError(.badRequest, "bad_header", "If-Match must be an ETag from this API, such as \"3\"") }
        return revision
    }

    static func body(_ request: Request, limit: Int) async throws -> Data {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, "payload_too_large", "the body is larger than \(limit) bytes")
        }
    }

    @Sendable static func scorecardReply(_ outcome: ScorecardOutcome) throws -> Reply {
        var reply = try Reply.json(outcome, status: outcome.change == .added ? .created : .ok)
        reply.headers[.eTag] = etag(outcome.revision)
        return reply
    }

    /// Runs a change once per Idempotency-Key: a retry gets the first answer and changes nothing.
    /// The key is claimed and answered inside the change's transaction (see `IdempotentRequest`).
    func idempotent<Outcome: Sendable>(
        _ request: Request, actor: Actor, body: Data, render: @escaping @Sendable (Outcome) throws -> Reply,
        _ work: (IdempotentRequest<Outcome>?) async throws -> Outcome
    ) async throws -> Response {
        guard let key = request.headers[Self.idempotencyKey] else { return try render(try await work(nil)).response }
        guard !key.isEmpty, key.count <= 200, !key.unicodeScalars.contains(where: { TextField.isControl($0) }) else {
            throw APIError(.badRequest, "bad_header", "Idempotency-Key must be 1 to 200 characters, without control characters")
        }
        let fingerprint = "\(request.method) \(request.uri.path)\n\(request.headers[.ifMatch] ?? "")\n" + String(decoding: body, as: UTF8.self)
        let idempotency = IdempotentRequest<Outcome>(key: key, actor: actor, request: fingerprint) { outcome in
            let reply = try render(outcome)
            return StoredAnswer(status: reply.status.code, body: String(decoding: reply.body, as: UTF8.self))
        }
        if let replay = try await replay(idempotency) { return replay }
        do {
            return try render(try await work(idempotency)).response
        } catch is IdempotencyKeyAnswered {
            // A request with the same key committed while this one waited for it.
            if let replay = try await replay(idempotency) { return replay }
            throw APIError(.conflict, "conflict", "a request with this Idempotency-Key was answered meanwhile; retry", headers: [.retryAfter: "1"])
        } catch {
            let answer = APIError.from(error, logger: application.logger)
            // A refusal is the answer to this request; an outage or a race is not, so a retry runs it again.
            if answer.status.code < 500 && answer.status != .conflict && answer.status != .tooManyRequests {
                let stored = try APIJSON.encoder.encode(APIErrorBody(error: .init(code: answer.code, message: answer.message)))
                try? await application.recordIdempotentRefusal(
                    idempotency, StoredAnswer(status: answer.status.code, body: String(decoding: stored, as: UTF8.self)))
            }
            throw answer
        }
    }

    /// The stored answer to this key, sent again; nil when it has none yet.
    private func replay<Outcome>(_ idempotency: IdempotentRequest<Outcome>) async throws -> Response? {
        switch try await application.idempotencyState(key: idempotency.key, actor: idempotency.actor, requestHash: idempotency.requestHash) {
        case .proceed:
            return nil
        case .mismatch:
            throw APIError(.unprocessableContent, "idempotency_key_reused", "this Idempotency-Key was already used for a different request")
        case .replay(let answer):
            var reply = Reply(status: HTTPResponse.Status(code: answer.status), body: Data(answer.body.utf8))
            reply.headers[HTTPField.Name("Idempotent-Replay")!] = "true"
            if let card = try? APIJSON.decoder.decode(ScorecardOutcome.self, from: reply.body) { reply.headers[.eTag] = Self.etag(card.revision) }
            return reply.response
        }
    }
}
