import Foundation
import HTTPTypes
import Hummingbird
import WyscApplication
import WyscJudging
import WyscWorkflow

/// Judging: a judge's queue, scorecards (read with an ETag, written once per Idempotency-Key), conflicts and results.
struct ScorecardController {
    let application: WyscApplication.Application
    let maxBodyBytes: Int
    /// The API's token check, for a submission that brought its token unchecked.
    let authentication: AuthMiddleware

    var writes: IdempotentWrites { IdempotentWrites(application: application) }

    func register(on api: RouterGroup<WyscRequestContext>) {
        api.get(Endpoint.queue.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            return try Reply.json(
                try await application.judgeQueue(
                    judge: try RouteSupport.query(request, "judge", as: .email), competition: slug, as: try RouteSupport.actor(context))
            ).response
        }
        api.get(Endpoint.scorecard.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let proposal = try RouteSupport.proposal(context)
            guard
                let card = try await application.scorecard(
                    proposal: proposal, judge: try RouteSupport.query(request, "judge", as: .email), competition: slug,
                    as: try RouteSupport.actor(context))
            else {
                throw WyscError(.notFound, "no scorecard for proposal #\(proposal) yet", code: WyscError.Code.noScorecard)
            }
            var reply = try Reply.json(card)
            reply.headers[.eTag] = RouteSupport.etag(card.revision)
            return reply.response
        }
        api.post(Endpoint.conflicts.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let data = try await RouteSupport.body(request, limit: maxBodyBytes)
            let body = try JSONBody(data, allowed: ["proposal", "reason", "judge"])
            guard let proposal = try body.integer("proposal") else { throw APIError(.badRequest, "missing_field", "field 'proposal' is required") }
            try await application.declareConflict(
                proposal: proposal, reason: try body.requiredString("reason"), judge: try body.string("judge"), competition: slug,
                as: try RouteSupport.actor(context))
            return try Reply.json(["declared": "true"], status: .created).response
        }
        api.get(Endpoint.feedback.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            return try Reply.json(
                try await application.teamFeedback(
                    team: try RouteSupport.query(request, "team", as: .name), competition: slug, as: try RouteSupport.actor(context))
            ).response
        }
        api.get(Endpoint.results.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let method = NormalizationMethod(
                rawValue: try RouteSupport.choice(request, "method", of: NormalizationMethod.allCases.map(\.rawValue), absent: "model"))!
            return try Reply.json(
                try await application.results(
                    round: try RouteSupport.identifier(request, "round"), method: method, competition: slug, as: try RouteSupport.actor(context))
            ).response
        }
    }

    /// The answer to a scorecard, written directly: JSONEncoder's generic machinery cost more
    /// than the rest of the reply on judging's busiest path.
    /// Submitting a scorecard, judging's busiest request. Without an Idempotency-Key its token
    /// is checked by the statement that stores the scorecard (`group` leaves it unchecked).
    func registerSubmission(on group: RouterGroup<WyscRequestContext>) {
        group.put(Endpoint.scorecard.routerPath) { request, context in
            guard let token = context.presentedToken else { return try await submit(request, context) }
            do {
                return try await submit(request, context, presenting: token)
            } catch is TokenRefused {
                throw try await authentication.refusal(request, context)
            }
        }
    }

    private func submit(_ request: Request, _ context: WyscRequestContext) async throws -> Response {
        let slug = try RouteSupport.slug(context)
        let proposal = try RouteSupport.proposal(context)
        let actor = try RouteSupport.actor(context)
        let data = try await RouteSupport.body(request, limit: maxBodyBytes)
        let expected = request.headers[.ifMatch].map(RouteSupport.precondition)
        return try await writes.idempotent(request, actor: actor, body: data, render: Self.scorecardReply) { idempotency in
            let card = try Submission(data)
            return try await application.submitScorecard(
                proposal: proposal, values: card.scores, comment: card.comment, feedback: card.feedback, draft: card.draft, judge: card.judge,
                competition: slug, as: actor, expected: expected, idempotency: idempotency)
        }
    }

    private func submit(_ request: Request, _ context: WyscRequestContext, presenting token: String) async throws -> Response {
        let (slug, proposal, card): (String, Int, Submission)
        do {
            (slug, proposal, card) = (
                try context.parameters.require("slug"), try RouteSupport.proposal(context),
                try Submission(try await RouteSupport.body(request, limit: maxBodyBytes))
            )
        } catch {
            // A malformed request with a bad token is told about the token first.
            guard try await application.authenticate(token: token) != nil else { throw TokenRefused() }
            throw error
        }
        let outcome = try await application.submitScorecard(
            proposal: proposal, values: card.scores, comment: card.comment, feedback: card.feedback, draft: card.draft, judge: card.judge,
            competition: slug, presenting: token, expected: request.headers[.ifMatch].map(RouteSupport.precondition))
        return try Self.scorecardReply(outcome).response
    }

    /// A scorecard's request body.
    struct Submission {
        var scores: [String: String]
        var comment: String?
        var feedback: String?
        var draft: Bool
        var judge: String?

        init(_ data: Data) throws {
            let body = try JSONBody(data, allowed: ["scores", "comment", "feedback", "draft", "judge"])
            scores = try body.scores("scores")
            comment = try body.string("comment")
            feedback = try body.string("feedback")
            draft = try body.bool("draft") ?? false
            judge = try body.string("judge")
        }
    }

    @Sendable static func scorecardReply(_ outcome: ScorecardOutcome) throws -> Reply {
        var members: [String: JSONValue] = [
            "change": .string(outcome.change.rawValue), "revision": .integer(outcome.revision), "submitted": .bool(outcome.submitted),
        ]
        if let total = outcome.total { members["total"] = .number(total) }
        var reply = Reply.json(.object(members), status: outcome.change == .added ? .created : .ok)
        reply.headers[.eTag] = RouteSupport.etag(outcome.revision)
        return reply
    }
}
