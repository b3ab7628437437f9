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
        let text = try context.parameters.require("proposal")
        guard let number = Int(text) else { throw APIError(.badRequest, "bad_parameter", "the proposal is a number, not '\(text)'") }
        return number
    }

    static func etag(_ revision: Int) -> String { "\"\(revision)\"" }

    static func revision(_ header: String) throws -> Int {
        let text = header.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "").trimmingCharacters(
            in: CharacterSet(charactersIn: "\""))
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
            if let card = try? APIJSON.decoder.decode(ScorecardOutcome.self, from: reply.body) {
                reply.headers[.eTag] = RouteSupport.etag(card.revision)
            }
            return reply.response
        }
    }
}
