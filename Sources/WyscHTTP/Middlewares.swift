import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals
import WyscApplication
import WyscJudging
import WyscPostgres

/// Turns every error below it into a JSON error answer.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WyscRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError.from(error, logger: logger).response
        }
    }
}

/// Requests and latency by route pattern and status, a request id on every answer, one log line each.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = WyscRequestContext
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code, elapsed: elapsed)
        response.headers[HTTPField.Name("X-Request-Id")!] = context.id
        response.headers[HTTPField.Name(WyscAPI.versionHeader)!] = String(WyscAPI.version)
        logger.info(
            "request",
            metadata: [
                "request_id": "\(context.id)", "method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }
}

/// Bearer tokens. A valid token always passes; failed attempts are answered slowly, then with 429,
/// per client address and over all addresses, so that guessing is slow without locking anyone out.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WyscRequestContext
    let application: WyscApplication.Application
    let limiter: FailureLimiter
    let trustedProxies: Set<String>
    /// For the routes whose one statement checks the token itself (a scorecard): the token is
    /// passed on unchecked, saving the request a round trip, unless an Idempotency-Key asks for
    /// the caller to be known first.
    var leavesTokenToTheStatement = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let token = Self.bearerToken(header) else {
            throw APIError(.unauthorized, "unauthorized", "send a token: Authorization: Bearer <token> (wysc login stores one)")
        }
        var context = context
        if leavesTokenToTheStatement && request.headers[RouteSupport.idempotencyKey] == nil {
            context.presentedToken = token
            return try await next(request, context)
        }
        guard let credential = try await application.authenticate(token: token) else { throw try await refusal(request, context) }
        context.credential = credential
        return try await next(request, context)
    }

    /// The answer to a refused token, counted against the client: slower with each failure, then 429.
    func refusal(_ request: Request, _ context: Context) async throws -> APIError {
        let verdict = limiter.recordFailure(context.clientAddress(request, trustedProxies: trustedProxies))
        if let wait = verdict.refusedFor {
            return APIError(
                .tooManyRequests, "too_many_requests", "too many failed attempts; try again in \(wait) s", headers: [.retryAfter: String(wait)])
        }
        if verdict.delay > .zero { try await Task.sleep(for: verdict.delay) }
        return APIError(.unauthorized, "unauthorized", "the token is unknown, expired or revoked")
    }
}

extension AuthMiddleware {
    /// The token of an `Authorization: Bearer <token>` header (the scheme in any case, blanks around the token ignored).
    static func bearerToken(_ header: String) -> String? {
        let scheme = header.prefix(7)
        guard scheme.count == 7, scheme.lowercased() == "bearer " else { return nil }
        var token = header.dropFirst(7)
        while let first = token.first, first == " " || first == "\t" { token.removeFirst() }
        while let last = token.last, last == " " || last == "\t" { token.removeLast() }
        return token.isEmpty ? nil : String(token)
    }
}
