import Foundation
import HTTPTypes
import Hummingbird
import WyscApplication
import WyscJudging
import WyscWorkflow

/// Who the caller is, the competitions they may see, team status, the rubric and the audit log.
struct CompetitionController {
    let application: WyscApplication.Application
    let maxBodyBytes: Int

    func register(on api: RouterGroup<WyscRequestContext>) {
        api.get(Endpoint.whoami.routerPath) { _, context in
            let credential = try RouteSupport.credential(context)
            let role =
                switch credential.actor {
                case .organizer, .system: "organizer"
                case .judge: "judge"
                case .university: "university"
                }
            return try Reply.json(WhoAmI(role: role, label: credential.label, competition: credential.competition)).response
        }
        api.get(Endpoint.competitions.routerPath) { _, context in
            let credential = try RouteSupport.credential(context)
            var visible = try await application.competitions().filter { credential.competition == nil || $0.slug == credential.competition }
            if !credential.actor.isOrganizer {
                // A path on the organizers' machine is none of a judge's or a university's business.
                for index in visible.indices { visible[index].workflowFile = nil }
            }
            return try Reply.json(visible).response
        }
        api.get(Endpoint.teamStatus.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            return try Reply.json(
                try await application.teamStatus(
                    competition: slug, team: try RouteSupport.query(request, "team", as: .name),
                    university: try RouteSupport.query(request, "university", as: .name), as: try RouteSupport.actor(context))
            ).response
        }
        api.get(Endpoint.rubric.routerPath) { _, context in
            try Reply.json(try await application.rubric(competition: try RouteSupport.slug(context))).response
        }
        api.get(Endpoint.audit.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            var since: Date?
            if let text = try RouteSupport.query(request, "since", as: .name) {
                guard let date = AuditFilter.since(text) else {
                    throw APIError(.badRequest, "bad_parameter", "since must be a time such as 2026-05-01T00:00:00Z (or a day, 2026-05-01)")
                }
                since = date
            }
            return try Reply.json(
                try await application.auditLog(
                    AuditFilter(
                        competition: slug, since: since, actor: try RouteSupport.query(request, "actor", as: .name),
                        action: try RouteSupport.query(request, "action", as: .name),
                        limit: try RouteSupport.integer(request, "limit", in: AuditFilter.limits) ?? 1000),
                    as: try RouteSupport.actor(context))
            ).response
        }
    }
}
