import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import WyscApplication
import WyscJudging
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

    func register(on router: some RouterMethods<WyscRequestContext>) {
        registerDashboard(on: router)
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
            guard let expected = request.cookies[Self.loginCookie]?.value, let given = form["csrf"], constantTimeEqual(expected, given) else {
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
                guard let given = form["csrf"], constantTimeEqual(session.csrf, given) else {
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
                            case .organizer, .system:
                                values["teamsLink"] = "Every team and its status"
                                values["dashboardLink"] = true
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
            let pageNumber = max(1, request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1)
            return try await page(request, slug: slug) { session in
                let actor = session.credential.actor
                // Organizers see every team, a page of them at a time; a university has few.
                let window = actor.isOrganizer ? ((pageNumber - 1) * Self.teamsPerPage)..<(pageNumber * Self.teamsPerPage) : nil
                // Independent reads, each on its own pooled connection.
                async let statusesRead = application.teamStatus(competition: slug, team: nil, university: nil, window: window, as: actor)
                async let countsRead = actor.isOrganizer ? application.registrationCounts(competition: slug, as: actor) : nil
                async let feedbackRead = teamFeedback(slug: slug, actor: actor)
                async let competitionRead = application.phaseStatus(competition: slug)
                let statuses = try await statusesRead
                let total = try await countsRead?.teams ?? statuses.count
                let feedback = try await feedbackRead
                let collator = statuses.sorted { $0.team.localizedStandardCompare($1.team) == .orderedAscending }
                let competition = try await competitionRead
                let university: String?
                if case .university = actor { university = statuses.first?.university ?? session.credential.label } else { university = nil }
                return (
                    "teams",
                    [
                        "heading": university.map { "Teams of \($0)" } ?? "Every team", "competition": slug, "phase": competition.title,
                        "count": total, "university": university as Any,
                        "previous": (window != nil && pageNumber > 1 ? ["slug": slug, "page": pageNumber - 1] : nil) as [String: Any]? as Any,
                        "next": (window.map { $0.upperBound < total } == true ? ["slug": slug, "page": pageNumber + 1] : nil) as [String: Any]?
                            as Any,
                        "pageNote": window.map { "Teams \(min($0.lowerBound + 1, total))–\(min($0.upperBound, total)) of \(total), in name order." }
                            as Any,
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

    // MARK: The organizers' dashboard

    func registerDashboard(on router: some RouterMethods<WyscRequestContext>) {
        router.get("c/:slug/dashboard") { request, context in
            let slug = try context.parameters.require("slug")
            let query = request.uri.queryParameters
            return try await page(request, slug: slug) { session in
                try await dashboard(
                    slug: slug, actor: session.credential.actor, notice: query.get("done").flatMap { Self.notices[$0] },
                    action: query.get("action").map { String($0.prefix(100)) }, actorFilter: query.get("actor").map { String($0.prefix(100)) })
            }
        }
        router.post("c/:slug/advance") { request, context in
            let slug = try context.parameters.require("slug")
            return try await action(request, slug: slug) { session, form in
                _ = try await application.advancePhase(competition: slug, to: nil, expectedPhase: form["from"], as: session.credential.actor)
                return "advanced"
            }
        }
        router.post("c/:slug/publish") { request, context in
            let slug = try context.parameters.require("slug")
            return try await action(request, slug: slug) { session, _ in
                _ = try await application.publishResults(competition: slug, as: session.credential.actor)
                return "published"
            }
        }
    }

    static let teamsPerPage = 20
    /// The longest list the dashboard draws; the CLI has the rest (`wysc judging progress`, `wysc results`).
    static let rowsShown = 100

    static let notices = ["advanced": "The competition moved to its next phase.", "published": "The results are published."]

    /// A form that changes something: signed in, the session's CSRF token, and the box ticked.
    func action(_ request: Request, slug: String, _ body: (WebSession, [String: String]) async throws -> String) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/login") }
        let form = try await Self.form(request)
        guard let given = form["csrf"], constantTimeEqual(session.csrf, given) else {
            return pages.page("message", ["heading": "Nothing was done", "message": "The form expired; please try again."], status: .forbidden)
        }
        guard form["confirm"] == "yes" else {
            return failure(WyscError(.badInput, "tick the box to confirm; nothing was done"), session: session)
        }
        do {
            try Self.requireCompetition(session, slug)
            let done = try await body(session, form)
            return redirect("/c/\(slug)/dashboard?done=\(done)")
        } catch let error as WyscError {
            return failure(error, session: session)
        }
    }

    func dashboard(slug: String, actor: Actor, notice: String?, action: String?, actorFilter: String?) async throws -> (String, [String: Any]) {
        guard actor.isOrganizer else { throw WyscError(.permissionDenied, "the dashboard is for organizers") }
        // The reads are independent: each runs on its own pooled connection, so the page waits for
        // the slowest one rather than for their sum.
        var filter = AuditFilter(competition: slug, action: action?.isEmpty == false ? action : nil, limit: 25)
        filter.actor = actorFilter?.isEmpty == false ? actorFilter : nil
        async let statusRead = application.phaseStatus(competition: slug)
        async let definitionRead = application.workflow(competition: slug)
        async let competitionsRead = application.competitions()
        async let countsRead = application.registrationCounts(competition: slug, as: actor)
        async let lecturesRead = application.lectures(competition: slug)
        async let progressRead = try? application.judgingProgress(round: nil, competition: slug, as: actor)
        async let reportRead = try? application.results(round: nil, method: .model, competition: slug, as: actor)
        async let auditRead = application.auditLog(filter, as: actor)
        async let publishedRead = application.isPublished(competition: slug)
        let status = try await statusRead
        let definition = try await definitionRead
        let current = definition.phases.firstIndex { $0.id == status.phase } ?? 0
        var values: [String: Any] = ["slug": slug, "title": try await competitionsRead.first { $0.slug == slug }?.title ?? slug]
        if let notice { values["notice"] = notice }
        values["phases"] = definition.phases.enumerated().map { index, phase -> [String: Any] in
            var line: [String: Any] = [
                "id": phase.id, "title": phase.title, "current": index == current,
                "position": index < current ? "done" : index == current ? "current" : "later",
            ]
            if let deadline = phase.deadline { line["deadline"] = deadline.rfc3339 }
            if let at = phase.atDeadline { line["atDeadline"] = at.rawValue }
            return line
        }
        if !status.next.isEmpty,
            let check = try? await application.checkTransition(competition: slug, to: status.next.count == 1 ? nil : status.next[0], as: actor)
        {
            values["next"] = [
                "from": check.from, "to": check.to, "hasFailures": !check.failures.isEmpty,
                "failures": check.failures.map { ["text": $0.description] },
                "hasActions": !check.actions.isEmpty, "actions": check.actions.map { ["text": $0] },
            ]
        }
        let counts = try await countsRead
        values["teams"] = counts.teams
        values["members"] = counts.members
        values["universities"] = counts.universities
        values["eligible"] = counts.eligible
        values["ineligible"] = counts.ineligible
        values["undecided"] = counts.undecided
        let lectures = try await lecturesRead
        values["hasLectures"] = !lectures.isEmpty
        values["lectures"] = lectures.map {
            [
                "week": $0.lecture.week, "title": $0.lecture.title, "attended": $0.attended, "members": $0.members,
                "quiz": $0.averageQuiz.map(EligibilityRules.format) ?? "–",
            ]
        }
        if let progress = await progressRead, !progress.judges.isEmpty {
            let assigned = progress.judges.map(\.assigned).reduce(0, +)
            let submitted = progress.judges.map(\.submitted).reduce(0, +)
            // What needs attention: judges and proposals still missing scorecards, fewest in first.
            let judges = progress.judges.filter { $0.missing > 0 }.sorted { ($0.submitted, $0.judge) < ($1.submitted, $1.judge) }
            let proposals = progress.proposals.filter { $0.submitted < $0.assigned }.sorted {
                ($0.submitted, $0.proposal) < ($1.submitted, $1.proposal)
            }
            values["judging"] = [
                "round": progress.round, "assigned": assigned, "submitted": submitted, "deadline": progress.deadline?.rfc3339 as Any,
                "overdue": progress.overdue, "missing": assigned - submitted,
                "judgesDone": progress.judges.count - judges.count, "judgeCount": progress.judges.count,
                "proposalsDone": progress.proposals.count - proposals.count, "proposalCount": progress.proposals.count,
                "hasJudges": !judges.isEmpty, "hasProposals": !proposals.isEmpty,
                "moreProposals": (proposals.count > Self.rowsShown ? proposals.count - Self.rowsShown : nil) as Int? as Any,
                "judges": judges.map {
                    [
                        "judge": $0.judge, "assigned": $0.assigned, "submitted": $0.submitted, "missing": $0.missing,
                        "late": progress.overdue && $0.missing > 0,
                    ]
                },
                "proposals": proposals.prefix(Self.rowsShown).map {
                    [
                        "slug": slug, "proposal": $0.proposal, "team": $0.team, "assigned": $0.assigned, "submitted": $0.submitted,
                        "late": progress.overdue && $0.submitted < $0.assigned,
                    ]
                },
            ]
        }
        if let report = await reportRead, !report.lines.isEmpty {
            values["ranking"] = Self.ranking(report, rubric: definition.rubric, slug: slug)
        }
        let audit = try await auditRead
        values["audit"] = audit.map {
            ["at": $0.occurredAt.rfc3339, "actor": $0.actor, "action": $0.action, "subject": $0.subject, "reason": $0.reason ?? ""]
        }
        values["auditCount"] = audit.count
        values["filterAction"] = action ?? ""
        values["filterActor"] = actorFilter ?? ""
        let published = try await publishedRead
        // Only a final ranking is published (Scoring.publish refuses anything else): offer it once the last round is ranked.
        let lastRanked = (values["ranking"] as? [String: Any])?["round"] as? String == definition.rounds.last?.id
        values["canPublish"] = !published && lastRanked
        return ("dashboard", values)
    }

    /// The ranking table and the judges' chart: each judge's mean total as a dot and the spread
    /// around it as a line, on the rubric's scale (inline SVG, drawn here, no script).
    static func ranking(_ report: ResultsReport, rubric: Rubric, slug: String) -> [String: Any] {
        let left = 180.0
        let width = 440.0
        let low = Double(rubric.scaleMin)
        let high = Double(rubric.scaleMax)
        func x(_ value: Double) -> String { String(format: "%.1f", left + (min(max(value, low), high) - low) / max(high - low, 1) * width) }
        let rows = report.judges.enumerated().map { index, judge -> [String: Any] in
            let y = 30 + index * 22
            return [
                "name": String(judge.judge.prefix(28)), "y": y, "textY": y + 4, "mean": x(judge.mean), "low": x(judge.mean - judge.spread),
                "high": x(judge.mean + judge.spread),
            ]
        }
        let bottom = 30 + report.judges.count * 22
        let ticks = stride(from: rubric.scaleMin, through: rubric.scaleMax, by: max(1, (rubric.scaleMax - rubric.scaleMin) / 9)).map {
            ["x": x(Double($0)), "value": $0, "bottom": bottom, "label": 14] as [String: Any]
        }
        return [
            "round": report.round, "published": report.published, "cut": report.cut, "scaleMin": rubric.scaleMin, "scaleMax": rubric.scaleMax,
            "height": bottom + 10, "judges": rows, "ticks": ticks,
            "more": (report.lines.count > rowsShown ? report.lines.count - rowsShown : nil) as Int? as Any,
            "lines": report.lines.prefix(rowsShown).map {
                [
                    "slug": slug, "rank": $0.rank, "proposal": $0.proposal, "team": $0.team, "score": String(format: "%.2f", $0.score),
                    "low": String(format: "%.2f", $0.low ?? $0.score), "high": String(format: "%.2f", $0.high ?? $0.score),
                    "topProbability": $0.topProbability.map { "\(Int(($0 * 100).rounded()))%" } ?? "", "rawMean": String(format: "%.2f", $0.rawMean),
                    "judges": $0.judges, "uncertain": $0.uncertain,
                ]
            },
        ]
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
        let html = library.render(Self.present(values) ?? [:], withTemplate: name) ?? ""
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

/// An optional that may sit inside an `Any`.
private protocol OptionalValue {
    var wrappedValue: Any? { get }
}

extension Optional: OptionalValue {
    fileprivate var wrappedValue: Any? { self.map { $0 as Any } }
}

extension WebPages {
    /// The values without their absent ones, at every depth: a template's `{{#deadline}}` section
    /// must see "nothing", not an empty optional wrapped in `Any`.
    static func present(_ value: Any) -> Any? {
        if let optional = value as? any OptionalValue { return optional.wrappedValue.flatMap(present) }
        if let dictionary = value as? [String: Any] { return dictionary.compactMapValues(present) }
        if let array = value as? [[String: Any]] { return array.compactMap { present($0) } }
        return value
    }
}
