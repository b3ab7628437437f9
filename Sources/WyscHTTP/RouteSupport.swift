import Foundation
import HTTPTypes
import Hummingbird
import WyscApplication
import WyscJudging
import WyscWorkflow

/// What every controller needs: the caller, the competition in the path, the body within its limit.
enum RouteSupport {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

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
        try pathNumber(context, "proposal")
    }

    /// A number in the path, from 1 (the document says so; 0 or "x" is a malformed request).
    static func pathNumber(_ context: WyscRequestContext, _ name: String) throws -> Int {
        let text = try context.parameters.require(name)
        guard let number = Int(text), number >= 1 else {
            throw APIError(.badRequest, "bad_parameter", "the \(name) is a whole number from 1, not \(quoted(text))")
        }
        return number
    }

    /// A query parameter as text: nil when absent; refused (400, naming it) when empty, longer than
    /// `field` allows, or holding a control character. Every query text passes here, so none
    /// reaches the database unchecked (PostgreSQL refuses NUL).
    static func query(_ request: Request, _ name: String, as field: TextField) throws -> String? {
        guard let value = request.uri.queryParameters.get(name) else { return nil }
        guard !value.isEmpty else { throw APIError(.badRequest, "bad_parameter", "\(name) is empty: leave it out or give a value") }
        if let problem = field.problem(value, field: name) { throw APIError(.badRequest, "bad_parameter", problem) }
        return value
    }

    /// A phase or round id from the workflow (lowercase letters, digits, '_' and '-', from a letter):
    /// malformed is 400; well formed but not in the workflow is the application's 404.
    static func identifier(_ request: Request, _ name: String) throws -> String? {
        guard let value = request.uri.queryParameters.get(name) else { return nil }
        guard WorkflowIdentifier.isValid(value) else {
            throw APIError(
                .badRequest, "bad_parameter",
                "\(name) \(quoted(value)) is not an id: lowercase letters, digits, '_' and '-', from a letter, at most \(WorkflowIdentifier.maxLength)"
            )
        }
        return value
    }

    /// One of a fixed set of words, or `absent` when not given.
    static func choice(_ request: Request, _ name: String, of allowed: [String], absent: String) throws -> String {
        guard let value = request.uri.queryParameters.get(name) else { return absent }
        guard allowed.contains(value) else {
            let choices = allowed.dropLast().joined(separator: ", ") + " or " + (allowed.last ?? "")
            throw APIError(.badRequest, "bad_parameter", "\(name) must be \(choices), not \(quoted(value))")
        }
        return value
    }

    /// A whole number within `range`, or nil when absent.
    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(
                .badRequest, "bad_parameter", "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(quoted(text))")
        }
        return value
    }

    static func etag(_ revision: Int) -> String { "\"\(revision)\"" }

    /// What an If-Match asks for (RFC 9110 §13.1.1): `*`, or a list of entity tags. Our ETags are
    /// revisions, `"3"`. A weak tag never matches (If-Match compares strongly), and neither does
    /// anything else that is not one of ours, malformed or not: the precondition then fails (412)
    /// and nothing is written, which is the safe answer to a condition that cannot be confirmed.
    static func precondition(_ header: String) -> RevisionPrecondition {
        let items = header.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
        if items == ["*"] { return RevisionPrecondition(revisions: [], anyExisting: true) }
        var revisions: Set<Int> = []
        for item in items where item.count >= 3 && item.first == "\"" && item.last == "\"" {
            let tag = item.dropFirst().dropLast()
            if tag.count <= 18, tag.allSatisfy({ $0.isASCII && $0.isNumber }), let revision = Int(tag) { revisions.insert(revision) }
        }
        return RevisionPrecondition(revisions: revisions)
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
}

/// Changes made once per Idempotency-Key (see `IdempotentRequest`).
struct IdempotentWrites {
    let application: WyscApplication.Application

    /// Runs a change once per Idempotency-Key: a retry gets the first answer and changes nothing.
    /// The key is claimed and answered inside the change's transaction (see `IdempotentRequest`).
    func idempotent<Outcome: Sendable>(
        _ request: Request, actor: Actor, body: Data, render: @escaping @Sendable (Outcome) throws -> Reply,
        _ work: (IdempotentRequest<Outcome>?) async throws -> Outcome
    ) async throws -> Response {
        guard let key = request.headers[RouteSupport.idempotencyKey] else { return try render(try await work(nil)).response }
        guard !key.isEmpty, key.unicodeScalars.count <= 200, !key.unicodeScalars.contains(where: { TextField.isControl($0) }) else {
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
            // A refusal of the request itself is its answer; an outage, a race or a refusal for the
            // moment (the phase, a guard) is not, so a retry runs it again. A scorecard that does not
            // fit the rubric is 409 but never fits it on a retry either.
            let forTheMoment =
                answer.status.code >= 500 || answer.status == .tooManyRequests
                || (answer.status == .conflict && answer.code != WyscError.Code.rubricMismatch)
            if !forTheMoment {
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
            if let card = try? APIJSON.decoder.decode(ScorecardOutcome.self, from: reply.body) {
                reply.headers[.eTag] = RouteSupport.etag(card.revision)
            }
            return reply.response
        }
    }
}
