import Foundation
import HTTPTypes
import Hummingbird
import WyscApplication
import WyscJudging
import WyscWorkflow

/// The phase of a competition: where it is, what would block the next step, taking it.
struct PhaseController {
    let application: WyscApplication.Application
    let maxBodyBytes: Int

    var writes: IdempotentWrites { IdempotentWrites(application: application) }

    func register(on api: RouterGroup<WyscRequestContext>) {
        api.get(Endpoint.phase.routerPath) { _, context in
            try Reply.json(try await application.phaseStatus(competition: try RouteSupport.slug(context))).response
        }
        api.get(Endpoint.phaseCheck.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            return try Reply.json(
                try await application.checkTransition(
                    competition: slug, to: try RouteSupport.identifier(request, "to"), as: try RouteSupport.actor(context))
            ).response
        }
        api.post(Endpoint.phaseAdvance.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let actor = try RouteSupport.actor(context)
            let data = try await RouteSupport.body(request, limit: maxBodyBytes)
            return try await writes.idempotent(request, actor: actor, body: data, render: { try Reply.json($0) }) { idempotency in
                let body = try JSONBody(data, allowed: ["to", "from", "force_reason"])
                return try await application.advancePhase(
                    competition: slug, to: try body.string("to"), expectedPhase: try body.string("from"),
                    forceReason: try body.string("force_reason"), as: actor,
                    idempotency: idempotency)
            }
        }
    }
}
