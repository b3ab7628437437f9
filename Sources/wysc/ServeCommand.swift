import ArgumentParser
import Foundation
import Logging
import WyscApplication
import WyscHTTP
import WyscPostgres

#if canImport(Glibc)
    import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP admin endpoint: the JSON API for judges and universities with tokens, /healthz, /readyz, /metrics.",
        discussion: """
            The API is described in OpenAPI/openapi.yaml, also served at /openapi.yaml. Tokens come from \
            wysc token create. SIGTERM (or Ctrl-C) lets requests in flight finish, then exits 0.

            Examples:
              wysc serve                                  # 127.0.0.1:8080
              wysc serve --host 0.0.0.0 --port 8080 --connections 16
              DATABASE_URL=postgresql://wysc@db/wysc wysc serve
              wysc serve --mail-command 'msmtp -t'        # the scheduler also delivers notifications
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed on start).") var port = 8080
    @Option(help: "Database connections in the pool (up to half of them carry concurrent scorecards together, in pipelines).")
    var connections = 8
    @Option(name: .customLong("request-timeout"), help: "Seconds a request may spend in the database (per statement and waiting for a connection).")
    var requestTimeout = 15
    @Option(
        name: .customLong("trusted-proxy"),
        help: ArgumentHelp(
            "The address of a reverse proxy in front of wysc whose X-Forwarded-For is believed (repeat for several; also WYSC_TRUSTED_PROXIES, comma-separated). None by default.",
            valueName: "address"))
    var trustedProxies: [String] = []
    @Option(
        name: .customLong("scheduler-interval"),
        help: "Seconds between the scheduler's passes over deadlines, reminders and the outbox (0: no scheduler in this server).")
    var schedulerInterval = 60
    @Option(
        name: .customLong("auth-failure-limit"),
        help: ArgumentHelp(
            "Failed authentications one address may make within a minute before it is answered 429 (slowed down from a quarter of that on; all addresses together may make ten times as many). A valid token is never held back.",
            valueName: "count"))
    var authFailureLimit = 20
    @OptionGroup var mail: MailOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...500).contains(connections) else { throw ValidationError("--connections must be between 1 and 500") }
        guard (1...600).contains(requestTimeout) else { throw ValidationError("--request-timeout must be between 1 and 600 seconds") }
        guard (0...86_400).contains(schedulerInterval) else { throw ValidationError("--scheduler-interval must be between 0 and 86400 seconds") }
        guard (4...1_000_000).contains(authFailureLimit) else { throw ValidationError("--auth-failure-limit must be between 4 and 1000000") }
    }

    func run() async throws {
        var serverLogger = Logger.cli
        if ProcessEnvironment.values["WYSC_LOG_LEVEL"] == nil { serverLogger.logLevel = .info }
        let logger = serverLogger
        let application = try await CompositionRoot.open(
            database.source, connections: connections, requestTimeout: .seconds(requestTimeout), migrating: .localOnly, logger: logger
        ).application
        let fromEnvironment = (ProcessEnvironment.values["WYSC_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let transport = try mail.transport()
        let settings = ServerSettings(
            host: host, port: port, failuresBeforeSlowdown: authFailureLimit / 4, failuresBeforeRefusal: authFailureLimit,
            globalFailuresBeforeSlowdown: authFailureLimit * 10 / 4, globalFailuresBeforeRefusal: authFailureLimit * 10,
            trustedProxies: Set(trustedProxies + fromEnvironment),
            schedulerInterval: schedulerInterval == 0 ? nil : .seconds(schedulerInterval), mailTransport: transport)
        if transport == nil && schedulerInterval > 0 {
            Terminal.message("wysc serve: mail is off (no --mail-command or WYSC_MAIL_COMMAND); notifications wait in the outbox.")
        }
        do {
            try await WyscServer.run(application: application, settings: settings, logger: logger) { bound in
                Terminal.message("wysc serve: listening on http://\(host):\(bound) (OpenAPI at /openapi.yaml)")
            }
        } catch {
            await application.close()
            throw error
        }
        await application.close()
        Terminal.message("wysc serve: stopped.")
    }
}
