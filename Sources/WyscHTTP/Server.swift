import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import UnixSignals
import Synchronization
import WyscApplication
import WyscJudging
import WyscPostgres

/// How `wysc serve` listens and protects itself.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes: Int
    /// Failed authentications from one address within a minute before its failures are answered
    /// slowly, and before they are answered 429. A valid token is never held back.
    public var failuresBeforeSlowdown: Int
    public var failuresBeforeRefusal: Int
    /// The same, over all addresses together: many addresses guessing at once.
    public var globalFailuresBeforeSlowdown: Int
    public var globalFailuresBeforeRefusal: Int
    /// Peers whose X-Forwarded-For is believed (a reverse proxy in front of wysc). Empty by default:
    /// then the client's address is the TCP peer's, and a forged header changes nothing.
    public var trustedProxies: Set<String>

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
        failuresBeforeSlowdown: Int = 5, failuresBeforeRefusal: Int = 20, globalFailuresBeforeSlowdown: Int = 50,
        globalFailuresBeforeRefusal: Int = 200, trustedProxies: Set<String> = []
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.failuresBeforeSlowdown = failuresBeforeSlowdown
        self.failuresBeforeRefusal = failuresBeforeRefusal
        self.globalFailuresBeforeSlowdown = globalFailuresBeforeSlowdown
        self.globalFailuresBeforeRefusal = globalFailuresBeforeRefusal
        self.trustedProxies = trustedProxies
    }
}

/// The request context: Hummingbird's, plus the caller's address and credential.
public struct WyscRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var remoteAddress: String
    public var credential: Credential?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        credential = nil
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The client's address: the TCP peer's, or, when the peer is a trusted proxy, the nearest
    /// address in X-Forwarded-For that is not itself a trusted proxy.
    func clientAddress(_ request: Request, trustedProxies: Set<String>) -> String {
        guard trustedProxies.contains(remoteAddress) else { return remoteAddress }
        let hops = request.headers[values: Self.forwardedFor].joined(separator: ",")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) }.map { String($0.prefix(64)) } ?? remoteAddress
    }
}

/// An error answer: HTTP status, a stable code and a message.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The status of each kind of application error: the one table the server keeps.
    static let statuses: [WyscError.Kind: HTTPResponse.Status] = [
        .badInput: .badRequest, .refused: .conflict, .conflict: .conflict, .stale: .preconditionFailed, .permissionDenied: .forbidden,
        .notFound: .notFound, .unavailable: .serviceUnavailable, .failure: .internalServerError,
    ]

    /// The API's answer to any error thrown below it; details of failures stay in the log.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            let code = error.status == .contentTooLarge ? "payload_too_large" : error.status == .notFound ? "not_found" : "http_error"
            return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            let classified = WyscError(classifying: error)
            if let detail = classified.detail {
                let level: Logger.Level = classified.kind == .failure ? .error : .warning
                logger.log(level: level, "\(classified.message)", metadata: ["error": "\(detail)"])
            }
            var headers: HTTPFields = [:]
            if let seconds = classified.retryAfter { headers[.retryAfter] = String(seconds) }
            return APIError(statuses[classified.kind] ?? .internalServerError, classified.code, classified.message, headers: headers)
        }
    }

    var response: Response {
        let body = (try? APIJSON.encoder.encode(APIErrorBody(error: .init(code: code, message: message)))) ?? Data()
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

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
        logger.info(
            "request",
            metadata: [
                "request_id": "\(context.id)", "method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }
}

/// Prometheus metrics through swift-metrics, on a registry of the server's own.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let pool: PostgresPool
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let counters = Mutex<[String: Metrics.Counter]>([:])

    init(pool: PostgresPool) {
        self.pool = pool
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]
        self.factory = factory
    }

    func record(route: String, method: String, status: Int, elapsed: Duration) {
        let counterKey = "\(route) \(method) \(status)"
        let counter = counters.withLock { cache in
            if let counter = cache[counterKey] { return counter }
            let counter = Metrics.Counter(
                label: "wysc_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            cache[counterKey] = counter
            return counter
        }
        counter.increment()
        let timerKey = "\(route) \(method)"
        let timer = timers.withLock { cache in
            if let timer = cache[timerKey] { return timer }
            let timer = Metrics.Timer(label: "wysc_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            cache[timerKey] = timer
            return timer
        }
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// The text exposition, with the pool's gauges as they are now.
    func exposition() -> String {
        let statistics = pool.statistics
        let connections = MetricNameDescriptor(
            namespace: "wysc", subsystem: "db_pool", metricName: "connections", unitName: "", helpText: "Database connections of the pool, by state")
        let waiting = MetricNameDescriptor(
            namespace: "wysc", subsystem: "db_pool", metricName: "waiting", unitName: "", helpText: "Requests waiting for a database connection")
        registry.makeGauge(descriptor: connections, labels: [("state", "in_use")]).set(Double(statistics.inUse))
        registry.makeGauge(descriptor: connections, labels: [("state", "idle")]).set(Double(statistics.idle))
        registry.makeGauge(descriptor: waiting).set(Double(statistics.waiting))
        return registry.emitToString()
    }
}

/// Bearer tokens. A valid token always passes; failed attempts are answered slowly, then with 429,
/// per client address and over all addresses, so that guessing is slow without locking anyone out.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WyscRequestContext
    let application: WyscApplication.Application
    let limiter: FailureLimiter
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let token = Self.bearerToken(header) else {
            throw APIError(.unauthorized, "unauthorized", "send a token: Authorization: Bearer <token> (wysc login stores one)")
        }
        guard let credential = try await application.authenticate(token: token) else {
            let verdict = limiter.recordFailure(context.clientAddress(request, trustedProxies: trustedProxies))
            if let wait = verdict.refusedFor {
                throw APIError(
                    .tooManyRequests, "too_many_requests", "too many failed attempts; try again in \(wait) s",
                    headers: [.retryAfter: String(wait)])
            }
            if verdict.delay > .zero { try await Task.sleep(for: verdict.delay) }
            throw APIError(.unauthorized, "unauthorized", "the token is unknown, expired or revoked")
        }
        var context = context
        context.credential = credential
        return try await next(request, context)
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

/// Failed authentications over the last minute, per client address and in all.
final class FailureLimiter: Sendable {
    struct Limits: Sendable {
        var slowAfter: Int, refuseAfter: Int
    }

    /// How to answer one failed attempt.
    struct Verdict: Equatable {
        var delay: Duration
        /// Seconds until attempts are checked again (429), when over a refusal limit.
        var refusedFor: Int?
    }

    private struct State {
        var perAddress: [String: [ContinuousClock.Instant]] = [:]
        var all: [ContinuousClock.Instant] = []
    }

    private let state = Mutex(State())
    let window: Duration = .seconds(60)
    let perAddress: Limits, overall: Limits
    /// Addresses remembered at most; past it, those without a recent failure are forgotten.
    let maxAddresses = 10_000
    private let now: @Sendable () -> ContinuousClock.Instant

    init(perAddress: Limits, overall: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.perAddress = perAddress
        self.overall = overall
        self.now = now
    }

    func recordFailure(_ address: String) -> Verdict {
        let now = self.now()
        let window = self.window
        return state.withLock { state in
            var recent = (state.perAddress[address] ?? []).filter { now - $0 < window }
            recent.append(now)
            state.perAddress[address] = recent
            state.all.removeAll { now - $0 >= window }
            state.all.append(now)
            if state.perAddress.count > maxAddresses {
                state.perAddress = state.perAddress.filter { $0.value.contains { now - $0 < window } }
            }
            func verdict(_ failures: [ContinuousClock.Instant], _ limits: Limits) -> Verdict {
                if failures.count > limits.refuseAfter, let oldest = failures.first {
                    return Verdict(delay: .zero, refusedFor: max(1, Int((window - (now - oldest)).components.seconds)))
                }
                let excess = failures.count - limits.slowAfter
                return Verdict(delay: excess > 0 ? min(.milliseconds(100) * excess, .seconds(1)) : .zero, refusedFor: nil)
            }
            let mine = verdict(recent, perAddress), everyone = verdict(state.all, overall)
            return Verdict(
                delay: max(mine.delay, everyone.delay),
                refusedFor: [mine.refusedFor, everyone.refusedFor].compactMap { $0 }.max())
        }
    }
}

/// `wysc serve`: builds the router and runs it until SIGTERM or SIGINT, finishing in-flight requests.
public enum WyscServer {
    /// Runs the server. `onListening` gets the bound port (useful with port 0).
    public static func run(
        application: WyscApplication.Application, settings: ServerSettings, logger: Logger, onListening: (@Sendable (Int) async -> Void)? = nil
    ) async throws {
        let router = makeRouter(application: application, settings: settings, logger: logger)
        let server = Hummingbird.Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "wysc"),
            onServerRunning: { channel in await onListening?(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
        let sweeper = IdempotencyKeySweeper(application: application, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [server, sweeper], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func makeRouter(application: WyscApplication.Application, settings: ServerSettings, logger: Logger) -> Router<WyscRequestContext> {
        let metrics = ServerMetrics(pool: application.pool)
        let router = Router(context: WyscRequestContext.self)
        router.add(middleware: ObservabilityMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: ErrorMiddleware(logger: logger))

        router.get("healthz") { _, _ in try Reply.json(["status": "ok"]).response }
        router.get("readyz") { _, _ in try await Health.readiness(application).response }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        let limiter = FailureLimiter(
            perAddress: .init(slowAfter: settings.failuresBeforeSlowdown, refuseAfter: settings.failuresBeforeRefusal),
            overall: .init(slowAfter: settings.globalFailuresBeforeSlowdown, refuseAfter: settings.globalFailuresBeforeRefusal))
        let api = router.group("api/v1").add(
            middleware: AuthMiddleware(application: application, limiter: limiter, trustedProxies: settings.trustedProxies))
        Routes(application: application, maxBodyBytes: settings.maxBodyBytes).register(on: api)
        return router
    }
}

/// Forgets idempotency keys past their retention (24 hours): at start, then every ten minutes.
struct IdempotencyKeySweeper: Service {
    let application: WyscApplication.Application
    let logger: Logger
    let interval: Duration = .seconds(600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let expired = try await application.expireIdempotencyKeys()
                    if expired > 0 { logger.info("expired idempotency keys", metadata: ["count": "\(expired)"]) }
                } catch {
                    logger.warning("could not expire idempotency keys; will try again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// /readyz: the database answers and its schema is current.
enum Health {
    struct Readiness: Encodable {
        var ready: Bool
        var reason: String?
    }

    static func readiness(_ application: WyscApplication.Application) async throws -> Reply {
        do {
            let states = try await application.pool.withConnection { try Migrator(logger: application.logger).status(on: $0) }
            let pending = states.filter { $0.status != .applied }
            guard pending.isEmpty else {
                return try Reply.json(
                    Readiness(ready: false, reason: "\(pending.count) migration(s) not applied: run wysc db migrate"), status: .serviceUnavailable)
            }
            return try Reply.json(Readiness(ready: true))
        } catch {
            var reply = try Reply.json(Readiness(ready: false, reason: "the database is unavailable"), status: .serviceUnavailable)
            reply.headers[.retryAfter] = "5"
            return reply
        }
    }
}

/// An answer as data, so that idempotent requests can store and replay it.
struct Reply {
    var status: HTTPResponse.Status
    var body: Data
    var headers: HTTPFields = [:]

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Reply {
        Reply(status: status, body: try APIJSON.encoder.encode(value))
    }

    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
