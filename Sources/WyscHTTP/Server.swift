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

/// `wysc serve`: builds the router and runs it until SIGTERM or SIGINT, finishing in-flight requests.
public enum WyscServer {
    /// Runs the server. `onListening` gets the bound port (useful with port 0).
    public static func run(
        application: WyscApplication.Application, settings: ServerSettings, logger: Logger, onListening: (@Sendable (Int) async -> Void)? = nil
    ) async throws {
        let server = buildApplication(application: application, settings: settings, logger: logger, onListening: onListening)
        let sweeper = IdempotencyKeySweeper(application: application, logger: logger)
        var services: [any Service] = [server, sweeper]
        if let interval = settings.schedulerInterval {
            services.append(SchedulerService(application: application, interval: interval, transport: settings.mailTransport, logger: logger))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The HTTP application, not yet running: the router behind Hummingbird's HTTP/1 server.
    public static func buildApplication(
        application: WyscApplication.Application, settings: ServerSettings, logger: Logger, onListening: (@Sendable (Int) async -> Void)? = nil
    ) -> some ApplicationProtocol {
        Hummingbird.Application(
            router: buildRouter(application: application, settings: settings, logger: logger),
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "wysc"),
            onServerRunning: { channel in await onListening?(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }

    /// Every route with its middlewares: health, metrics and the document, then the API behind its
    /// tokens. `routes` receives every route added (for the test that the document lists them).
    public static func buildRouter(
        application: WyscApplication.Application, settings: ServerSettings, logger: Logger, routes: RouteTable = RouteTable()
    ) -> Router<WyscRequestContext> {
        let metrics = ServerMetrics(pool: application.pool)
        let base = Router(context: WyscRequestContext.self)
        let router = RecordingRouter(base, table: routes)
        router.add(middleware: ObservabilityMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: ErrorMiddleware(logger: logger))
        router.add(middleware: MethodNotAllowedMiddleware(table: routes))

        router.get("healthz") { _, _ in try Reply.json(["status": "ok"]).response }
        router.get("readyz") { _, _ in try await Health.readiness(application).response }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        let limiter = FailureLimiter(
            perAddress: .init(slowAfter: settings.failuresBeforeSlowdown, refuseAfter: settings.failuresBeforeRefusal),
            overall: .init(slowAfter: settings.globalFailuresBeforeSlowdown, refuseAfter: settings.globalFailuresBeforeRefusal))
        // The pages share the API's failure limiter: a wrong token is slowed the same way in either.
        WebController(application: application, pages: WebPages(), limiter: limiter, settings: settings, logger: logger).register(
            on: RecordingRouter(base, table: routes, isPage: true))
        let authentication = AuthMiddleware(application: application, limiter: limiter, trustedProxies: settings.trustedProxies)
        let api = router.group(RouterPath(Endpoint.prefix)).add(middleware: authentication)
        CompetitionController(application: application, maxBodyBytes: settings.maxBodyBytes).register(on: api)
        PhaseController(application: application, maxBodyBytes: settings.maxBodyBytes).register(on: api)
        var checkedByTheStatement = authentication
        checkedByTheStatement.leavesTokenToTheStatement = true
        let scorecards = ScorecardController(application: application, maxBodyBytes: settings.maxBodyBytes, authentication: authentication)
        scorecards.register(on: api)
        scorecards.registerSubmission(on: router.group(RouterPath(Endpoint.prefix)).add(middleware: checkedByTheStatement))
        ProposalController(application: application).register(on: api)
        return base
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

/// The scheduler in `wysc serve`: every interval, one pass over the competitions' deadlines and
/// reminders, then delivery of what is due in the outbox when a mail command is configured.
/// Several servers may run it on one database: each pass locks what it works on.
struct SchedulerService: Service {
    let application: WyscApplication.Application
    let interval: Duration
    let transport: (any MailTransport)?
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for step in try await application.schedulerTick() where step.kind != "busy" {
                        logger.info("scheduler: \(step.detail)", metadata: ["competition": "\(step.competition)", "kind": "\(step.kind)"])
                    }
                    if let transport {
                        let report = try await application.deliverNotifications(via: transport, as: .system)
                        if !report.sent.isEmpty || !report.failed.isEmpty || !report.deferred.isEmpty {
                            logger.info(
                                "notifications delivered",
                                metadata: [
                                    "sent": "\(report.sent.count)", "deferred": "\(report.deferred.count)", "failed": "\(report.failed.count)",
                                ])
                        }
                    }
                } catch {
                    logger.warning("the scheduler's pass failed; next pass in \(interval)", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
