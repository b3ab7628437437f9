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
        api.put(Endpoint.scorecard.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let proposal = try RouteSupport.proposal(context)
            let actor = try RouteSupport.actor(context)
            let data = try await RouteSupport.body(request, limit: maxBodyBytes)
            let expected = request.headers[.ifMatch].map(RouteSupport.precondition)
            return try await writes.idempotent(request, actor: actor, body: data, render: Self.scorecardReply) { idempotency in
                let body = try JSONBody(data, allowed: ["scores", "comment", "feedback", "draft", "judge"])
                return try await application.submitScorecard(
                    proposal: proposal, values: try body.scores("scores"), comment: try body.string("comment"),
                    feedback: try body.string("feedback"),
                    draft: try body.bool("draft") ?? false,
                    judge: try body.string("judge"), competition: slug, as: actor, expected: expected, idempotency: idempotency)
            }
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
