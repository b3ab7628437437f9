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
        abstract: "Run the HTTP admin endpoint: the JSON API for judges and universities with tokens, /healthz, /readyz, /metrics.",
        discussion: """
            The API is described in OpenAPI/openapi.yaml, also served at /openapi.yaml. Tokens come from \
            wysc token create. SIGTERM (or Ctrl-C) lets requests in flight finish, then exits 0.

            Examples:
              wysc serve                                  # 127.0.0.1:8080
              wysc serve --host 0.0.0.0 --port 8080 --connections 16
              DATABASE_URL=postgresql://wysc@db/wysc wysc serve
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed on start).") var port = 8080
    @Option(help: "Database connections in the pool.") var connections = 8
    @Option(name: .customLong("request-timeout"), help: "Seconds a request may spend in the database (per statement and waiting for a connection).")
    var requestTimeout = 15
    @Option(
        name: .customLong("trusted-proxy"),
        help: ArgumentHelp(
            "The address of a reverse proxy in front of wysc whose X-Forwarded-For is believed (repeat for several; also WYSC_TRUSTED_PROXIES, comma-separated). None by default.",
            valueName: "address"))
    var trustedProxies: [String] = []
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...500).contains(connections) else { throw ValidationError("--connections must be between 1 and 500") }
        guard (1...600).contains(requestTimeout) else { throw ValidationError("--request-timeout must be between 1 and 600 seconds") }
    }

    func run() async throws {
        var serverLogger = Logger.cli
        if ProcessInfo.processInfo.environment["WYSC_LOG_LEVEL"] == nil { serverLogger.logLevel = .info }
        let logger = serverLogger
        let source = database.source
        if case .local(let cluster) = source {
            _ = try await runBlocking { try cluster.start(logger: logger) }
        }
        var configuration = source.configuration
        configuration.statementTimeout = .seconds(requestTimeout)
        let pool = PostgresPool(configuration: configuration, maxConnections: connections, acquireTimeout: .seconds(requestTimeout), logger: logger)
        if case .local = source {
            _ = try await pool.withConnection { try Migrator(logger: logger).migrate(on: $0) }
        }
        let application = Application(pool: pool, logger: logger)
        let fromEnvironment = (ProcessInfo.processInfo.environment["WYSC_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let settings = ServerSettings(
            host: host, port: port, requestTimeout: .seconds(requestTimeout), trustedProxies: Set(trustedProxies + fromEnvironment))
        do {
            try await WyscServer.run(application: application, settings: settings, logger: logger) { bound in
                Terminal.message("wysc serve: listening on http://\(host):\(bound) (OpenAPI at /openapi.yaml)")
            }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        Terminal.message("wysc serve: stopped.")
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Personal tokens for the HTTP API: create (shown once), list, revoke.",
        discussion: """
            A token is at least 256 random bits; only its SHA-256 is stored. It speaks for one role and one \
            identity: an organizer (by name), a judge (by email, in one competition) or a university (by name).

            Examples:
              wysc token create --role judge --for amina@example.org --competition wysc-2026 --expires 2026-12-31
              wysc token create --role university --for "Seoul National University"
              wysc token create --role organizer --for ana
              wysc token list
              wysc token revoke 7
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once.")
        @Option(help: "organizer, judge or university.") var role: Role
        @Option(name: .customLong("for"), help: "The organizer's name, the judge's email, or the university's name.") var subject: String
        @Option(help: ArgumentHelp("The token stops working on this day (YYYY-MM-DD, UTC).", valueName: "date")) var expires: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        enum Role: String, ExpressibleByArgument, CaseIterable { case organizer, judge, university }

        func run() async throws {
            var expiry: Date?
            if let expires {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withFullDate]
                // Four-digit years only: the formatter would take year 99999, which PostgreSQL cannot store.
                guard expires.utf8.count == 10, expires.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil, let day = formatter.date(from: expires)
                else { throw ValidationError("--expires must be a date such as 2026-12-31") }
                expiry = day.addingTimeInterval(86_400)
            }
            let (token, info) = try await database.withApplication { application in
                var slug = competition.slug ?? ProcessInfo.processInfo.environment["WYSC_COMPETITION"]
                if role == .judge && slug == nil { slug = try await application.onlyCompetitionSlug() }
                return try await application.createToken(
                    role: TokenRole(rawValue: role.rawValue)!, for: subject, competition: slug, expires: expiry, as: DirectModeActor.current)
            }
            Terminal.output(token + "\n")
            Terminal.message("Token \(info.id) for \(info.label)\(info.competition.map { " in \($0)" } ?? "")\(info.expiresAt.map { ", until \($0.rfc3339)" } ?? ""). It is shown only now: give it to its holder, who runs wysc login --server URL.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tokens = try await database.withApplication { try await $0.tokens(as: DirectModeActor.current) }
            let table = DataTable(
                columns: ["id", "role", "for", "competition", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"],
                rows: tokens.map { token in
                    [
                        .integer(token.id), .text(token.role), .text(token.label), token.competition.map(Cell.text) ?? .null, .text(token.createdAt.rfc3339),
                        .text(token.createdBy), token.expiresAt.map { .text($0.rfc3339) } ?? .null, token.lastUsedAt.map { .text($0.rfc3339) } ?? .null,
                        token.revokedAt.map { .text($0.rfc3339) } ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")
        @Argument(help: "The token's id (wysc token list).") var id: Int
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { try await $0.revokeToken(id: id, as: DirectModeActor.current) }
            Terminal.success("Token \(id) revoked.")
        }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store your personal token for a wysc server (read from a prompt or stdin, never a flag).",
        discussion: """
            The token is checked with the server, then kept in ~/.config/wysc/login.json (mode 0600). \
            After that, wysc judge queue, wysc score, wysc team status, wysc phase show|check|advance and \
            wysc results work through the server.

            Examples:
              wysc login --server https://wysc.example.org          # prompts for the token
              echo "$TOKEN" | wysc login --server https://wysc.example.org
            """
    )

    @Option(help: "The server's address.") var server: String

    func run() async throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--server must be an address such as https://wysc.example.org")
        }
        if url.scheme == "http", !Self.isLoopback(url.host ?? "") {
            Terminal.warning(
                "\(server) is plain http: your token will travel in clear and anyone on the way can read it. Use https:// unless this network is yours alone.")
        }
        let token: String
        if isatty(STDIN_FILENO) == 1 {
            guard let typed = getpass("Token: ") else { throw CommandFailure(message: "no token was given", exitCode: CommandFailure.usage) }
            token = String(cString: typed).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            token = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !token.isEmpty else { throw CommandFailure(message: "no token was given", exitCode: CommandFailure.usage) }
        let who = try await APIClient(server: url, token: token).whoami()
        try LoginStore.save(.init(server: server, token: token))
        Terminal.success("Logged in to \(server) as \(who.label)\(who.competition.map { " (competition \($0))" } ?? ""). The token is in \(LoginStore.path.path).")
    }

    /// Addresses that never leave this machine.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.")
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Forget the stored token.")

    func run() async throws {
        Terminal.message(LoginStore.remove() ? "Logged out: removed \(LoginStore.path.path)." : "Not logged in.")
    }
}
