import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import WyscApplication
import WyscWorkflow

/// The pages of `wysc serve`: server-rendered from the templates in Web/ (embedded in the binary),
/// no JavaScript, over the same use cases and permissions as the API. A browser signs in with a
/// personal token once and then carries a session cookie; forms that change something carry the
/// session's CSRF token.
struct WebController {
    let application: WyscApplication.Application
    let pages: WebPages
    let limiter: FailureLimiter
    let settings: ServerSettings
    let logger: Logger

    static let sessionCookie = "wysc_session"
    static let loginCookie = "wysc_login"
    static let formLimit = 8 * 1024

    func register(on router: Router<WyscRequestContext>) {
        router.get("static/style.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: WebResources.stylesheet)))
        }
        router.get("login") { request, _ in
            if try await session(request) != nil { return redirect("/") }
            return loginPage(error: nil, status: .ok)
        }
        router.post("login") { request, context in
            let form = try await Self.form(request)
            guard let expected = request.cookies[Self.loginCookie]?.value, let given = form["csrf"], Self.equal(expected, given) else {
                return loginPage(error: "The sign-in form expired; please try again.", status: .forbidden)
            }
            guard let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty,
                let (cookie, _) = try await application.signIn(token: token)
            else {
                let verdict = limiter.recordFailure(context.clientAddress(request, trustedProxies: settings.trustedProxies))
                if let wait = verdict.refusedFor {
                    var response = pages.page(
                        "message", ["heading": "Too many attempts", "message": "Too many failed sign-ins; try again in \(wait) seconds."],
                        status: .tooManyRequests)
                    response.headers[.retryAfter] = String(wait)
                    return response
                }
                if verdict.delay > .zero { try await Task.sleep(for: verdict.delay) }
                return loginPage(error: "That token is unknown, expired or revoked.", status: .unauthorized)
            }
            return signedIn(cookie)
        }
        router.get("login/:code") { _, context in
            let code = try context.parameters.require("code")
            guard let (cookie, _) = try await application.signIn(code: code) else {
                return loginPage(error: "That sign-in link was used already, has expired, or its token was revoked.", status: .unauthorized)
            }
            return signedIn(cookie)
        }
        router.post("logout") { request, _ in
            if let cookie = request.cookies[Self.sessionCookie]?.value, let session = try await application.session(cookie: cookie) {
                let form = try await Self.form(request)
                guard let given = form["csrf"], Self.equal(session.csrf, given) else {
                    return pages.page("message", ["heading": "Not signed out", "message": "The form expired; please try again."], status: .forbidden)
                }
                try await application.signOut(cookie: cookie)
            }
            var response = redirect("/login")
            response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
            return response
        }
        router.get("/") { request, _ in
            try await page(request) { session in
                let competitions = try await application.competitions()
                    .filter { session.credential.competition == nil || session.credential.competition == $0.slug }
                var withPublicResults: Set<String> = []
                for competition in competitions where (try? await application.publicResults(competition: competition.slug)) != nil {
                    withPublicResults.insert(competition.slug)
                }
                let actor = session.credential.actor
                return (
                    "home",
                    [
                        "competitions": competitions.map { competition -> [String: Any] in
                            var values: [String: Any] = [
                                "slug": competition.slug, "title": competition.title, "phaseTitle": competition.phaseTitle,
                                "publicResults": withPublicResults.contains(competition.slug),
                            ]
                            switch actor {
                            case .organizer, .system: values["teamsLink"] = "Every team and its status"
                            case .university: values["teamsLink"] = "Your teams and their status"
                            case .judge: values["queueLink"] = true
                            }
                            return values
                        }
                    ]
                )
            }
        }
        router.get("c/:slug/results") { request, context in
            let slug = try context.parameters.require("slug")
            do {
                let results = try await application.publicResults(competition: slug)
                var values: [String: Any] = [
                    "title": results.title, "round": results.round, "publishedAt": Self.day(results.publishedAt),
                    "lines": results.lines.map {
                        ["rank": $0.rank, "team": $0.team, "university": $0.university, "city": $0.city, "score": String(format: "%.2f", $0.score)]
                    },
                ]
                if let session = try await session(request) { values.merge(chrome(session)) { $1 } }
                var response = pages.page("results", values)
                response.headers[.cacheControl] = "public, max-age=60"
                return response
            } catch let error as WyscError {
                return failure(error)
            }
        }
        router.get("c/:slug/teams") { request, context in
            let slug = try context.parameters.require("slug")
            return try await page(request, slug: slug) { session in
                let actor = session.credential.actor
                let statuses = try await application.teamStatus(competition: slug, team: nil, university: nil, as: actor)
                let feedback = try await teamFeedback(slug: slug, actor: actor)
                let collator = statuses.sorted { $0.team.localizedStandardCompare($1.team) == .orderedAscending }
                let competition = try await application.phaseStatus(competition: slug)
                let university: String?
                if case .university = actor { university = statuses.first?.university ?? session.credential.label } else { university = nil }
                return (
                    "teams",
                    [
                        "heading": university.map { "Teams of \($0)" } ?? "Every team", "competition": slug, "phase": competition.title,
                        "count": statuses.count, "university": university as Any,
                        "teams": collator.enumerated().map { index, status -> [String: Any] in
                            let notes = feedback[status.team] ?? []
                            return [
                                "index": index, "team": status.team, "university": status.university,
                                "steps": status.steps.map {
                                    [
                                        "step": $0.step, "state": $0.state, "stateClass": $0.state.replacingOccurrences(of: " ", with: "-"),
                                        "detail": $0.detail,
                                    ]
                                },
                                "hasFeedback": !notes.isEmpty, "feedback": notes,
                            ]
                        },
                    ]
                )
            }
        }
        router.get("c/:slug/queue") { request, context in
            let slug = try context.parameters.require("slug")
            return try await page(request, slug: slug) { session in
                let items = try await application.judgeQueue(judge: nil, competition: slug, as: session.credential.actor)
                return (
                    "queue",
                    [
                        "competition": slug, "round": items.first?.round ?? "", "deadline": items.first?.deadline.map(\.rfc3339) as Any,
                        "hasItems": !items.isEmpty,
                        "items": items.map {
                            [
                                "slug": slug, "proposal": $0.proposal, "title": $0.title, "status": $0.status,
                                "files": "\($0.filesOpened) of \($0.files) opened",
                            ]
                        },
                    ]
                )
            }
        }
        router.get("c/:slug/proposals/:proposal") { request, context in
            let slug = try context.parameters.require("slug")
            guard let number = Int(try context.parameters.require("proposal")) else {
                return failure(WyscError(.notFound, "there is no such proposal"))
            }
            return try await page(request, slug: slug) { session in
                let view = try await application.readProposal(.number(number), competition: slug, as: session.credential.actor)[0]
                return (
                    "proposal",
                    [
                        "slug": slug, "number": view.proposal, "title": view.title, "team": view.team as Any, "university": view.university as Any,
                        "version": view.version, "submittedAt": view.submittedAt.rfc3339, "tags": view.tags.joined(separator: ", "),
                        "link": view.link.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil } as Any,
                        "paragraphs": view.abstract.components(separatedBy: "\n\n").map { ["text": $0] },
                        "files": view.files.map {
                            [
                                "slug": slug, "number": view.proposal, "fileNumber": $0.number, "name": $0.name, "size": byteCountText($0.size),
                                "sha256": $0.sha256,
                            ]
                        },
                    ]
                )
            }
        }
        router.get("c/:slug/proposals/:proposal/files/:file") { request, context in
            let slug = try context.parameters.require("slug")
            guard let session = try await session(request) else { return redirect("/login") }
            guard let number = Int(try context.parameters.require("proposal")), let file = Int(try context.parameters.require("file")) else {
                return failure(WyscError(.notFound, "there is no such file"))
            }
            do {
                try Self.requireCompetition(session, slug)
                let found = try await application.proposalFile(proposal: number, file: file, competition: slug, as: session.credential.actor)
                return try ProposalController.download(found, request: request, application: application)
            } catch let error as WyscError {
                return failure(error)
            }
        }
    }

    // MARK: Pages

    /// A page for a signed-in person: without a session, the sign-in page; an error of the use case
    /// becomes a page with its status.
    func page(
        _ request: Request, slug: String? = nil, _ body: (WebSession) async throws -> (String, [String: Any])
    ) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/login") }
        do {
            if let slug { try Self.requireCompetition(session, slug) }
            let (name, values) = try await body(session)
            var response = pages.page(name, values.merging(chrome(session)) { $1 })
            response.headers[.cacheControl] = "no-store"
            return response
        } catch let error as WyscError {
            return failure(error, session: session)
        }
    }

    /// A judge's token is for one competition: its pages of any other are refused.
    static func requireCompetition(_ session: WebSession, _ slug: String) throws {
        if let bound = session.credential.competition, bound != slug {
            throw WyscError(.permissionDenied, "you signed in for competition '\(bound)'")
        }
    }

    func chrome(_ session: WebSession) -> [String: Any] {
        ["signedIn": ["label": session.credential.label, "csrf": session.csrf]]
    }

    func failure(_ error: WyscError, session: WebSession? = nil) -> Response {
        let status = APIError.statuses[error.kind] ?? .internalServerError
        if status == .internalServerError { logger.error("page failed: \(error)") }
        let heading =
            switch error.kind {
            case .permissionDenied: "Not yours to see"
            case .notFound: "Not found"
            default: "Something went wrong"
            }
        let message = status == .internalServerError ? "wysc could not show this page; the server's log says why." : error.message
        return pages.page("message", ["heading": heading, "message": message].merging(session.map(chrome) ?? [:]) { $1 }, status: status)
    }

    func session(_ request: Request) async throws -> WebSession? {
        guard let cookie = request.cookies[Self.sessionCookie]?.value else { return nil }
        return try await application.session(cookie: cookie)
    }

    /// Each team's feedback (organizers any time, a university once published), by team.
    func teamFeedback(slug: String, actor: Actor) async throws -> [String: [[String: Any]]] {
        guard case .university = actor else { return [:] }
        guard let all = try? await application.teamFeedback(competition: slug, as: actor) else { return [:] }
        var byTeam: [String: [[String: Any]]] = [:]
        for feedback in all {
            for review in feedback.reviews where !review.feedback.isEmpty {
                byTeam[feedback.team, default: []].append([
                    "judge": review.judge, "round": feedback.round, "total": String(format: "%.2f", review.total), "text": review.feedback,
                ])
            }
        }
        return byTeam
    }

    func loginPage(error: String?, status: HTTPResponse.Status) -> Response {
        let nonce = UUID().uuidString + UUID().uuidString
        var response = pages.page("login", ["error": error as Any, "csrf": nonce], status: status)
        response.setCookie(cookie(Self.loginCookie, nonce, maxAge: 3600))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func signedIn(_ value: String) -> Response {
        var response = redirect("/")
        response.setCookie(cookie(Self.sessionCookie, value, maxAge: Int(WyscApplication.Application.webSessionLifetime)))
        response.setCookie(cookie(Self.loginCookie, "", maxAge: 0))
        return response
    }

    /// HttpOnly, SameSite=Lax, and Secure unless the server listens on loopback only (plain http there).
    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(settings.host)
        return Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: !loopback, httpOnly: true, sameSite: .lax)
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    // MARK: Forms

    /// An `application/x-www-form-urlencoded` body, within `formLimit` bytes.
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await RouteSupport.body(request, limit: formLimit)
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    static func day(_ date: Date) -> String { String(date.rfc3339.prefix(10)) }
}

/// The templates, parsed once, and the headers every page carries.
struct WebPages: Sendable {
    let library: MustacheLibrary
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    init() {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in WebResources.templates {
            // The templates are part of the binary and a test renders each: a parse failure is a build defect.
            templates[name] = try! MustacheTemplate(string: text)
        }
        library = MustacheLibrary(templates: templates)
    }

    func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: name) ?? ""
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff", Self.referrerPolicy: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
