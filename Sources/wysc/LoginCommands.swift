import ArgumentParser
import Foundation
import WyscApplication
import WyscHTTP
import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#endif

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
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
                "\(server) is plain http: your token will travel in clear and anyone on the way can read it. Use https:// unless this network is yours alone."
            )
        }
        let token: String
        if isatty(STDIN_FILENO) == 1 {
            guard let typed = getpass("Token: ") else { throw CommandFailure(message: "no token was given", exitCode: CommandFailure.usage) }
            token = String(cString: typed).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            token = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !token.isEmpty else { throw CommandFailure(message: "no token was given", exitCode: CommandFailure.usage) }
        let who = try await APIClient(server: url, token: token, newerServer: NewerServerWarning.once).whoami()
        try LoginStore.save(.init(server: server, token: token))
        Terminal.success(
            "Logged in to \(server) as \(who.label)\(who.competition.map { " (competition \($0))" } ?? ""). The token is in \(LoginStore.path).")
    }

    /// Addresses that never leave this machine.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.")
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Forget the stored token.")

    func run() async throws {
        Terminal.message(LoginStore.remove() ? "Logged out: removed \(LoginStore.path)." : "Not logged in.")
    }
}
