import ArgumentParser
import Foundation
import WyscApplication

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
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token and print it once.")
        @Option(help: "organizer, judge or university.") var role: Role
        @Option(name: .customLong("for"), help: "The organizer's name, the judge's email, or the university's name.") var subject: String
        @Option(help: ArgumentHelp("The token stops working on this day (YYYY-MM-DD, UTC).", valueName: "date")) var expires: String?
        @Option(
            help: ArgumentHelp(
                "Also print a one-time sign-in link for the web pages of the server at this address (it works once, for 15 minutes).",
                valueName: "server-url"))
        var link: String?
        @OptionGroup var competition: CompetitionOptions
        @OptionGroup var database: DatabaseOptions

        enum Role: String, ExpressibleByArgument, CaseIterable {
            case organizer, judge, university

            var tokenRole: TokenRole {
                switch self {
                case .organizer: .organizer
                case .judge: .judge
                case .university: .university
                }
            }
        }

        func validate() throws {
            if let link, URL(string: link)?.host == nil || !(link.hasPrefix("https://") || link.hasPrefix("http://")) {
                throw ValidationError("--link must be the server's address, such as https://wysc.example.org")
            }
        }

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
            let (token, info, code) = try await database.withApplication { application in
                var slug = competition.slug ?? ProcessEnvironment.values["WYSC_COMPETITION"]
                if role == .judge && slug == nil { slug = try await application.onlyCompetitionSlug() }
                let (token, info) = try await application.createToken(
                    role: role.tokenRole, for: subject, competition: slug, expires: expiry, as: DirectModeActor.current)
                let code = link == nil ? nil : try await application.createSignInCode(tokenID: info.id, as: DirectModeActor.current)
                return (token, info, code)
            }
            Terminal.output(token + "\n")
            if let link, let code {
                let base = link.hasSuffix("/") ? String(link.dropLast()) : link
                Terminal.output("\(base)/login/\(code)\n")
                Terminal.message("The link signs its holder in to the web pages once, within 15 minutes; the token keeps working after.")
            }
            Terminal.message(
                "Token \(info.id) for \(info.label)\(info.competition.map { " in \($0)" } ?? "")\(info.expiresAt.map { ", until \($0.rfc3339)" } ?? ""). It is shown only now: give it to its holder, who runs wysc login --server URL."
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never the tokens themselves).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tokens = try await database.withApplication { try await $0.tokens(as: DirectModeActor.current) }
            let table = DataTable(
                columns: ["id", "role", "for", "competition", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"],
                rows: tokens.map { token in
                    [
                        .integer(token.id), .text(token.role), .text(token.label), token.competition.map(Cell.text) ?? .null,
                        .text(token.createdAt.rfc3339),
                        .text(token.createdBy), token.expiresAt.map { .text($0.rfc3339) } ?? .null,
                        token.lastUsedAt.map { .text($0.rfc3339) } ?? .null,
                        token.revokedAt.map { .text($0.rfc3339) } ?? .null,
                    ]
                })
            Terminal.output(table.render(output.format))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: it stops working at once.")
        @Argument(help: "The token's id (wysc token list).") var id: Int
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await database.withApplication { try await $0.revokeToken(id: id, as: DirectModeActor.current) }
            Terminal.success("Token \(id) revoked.")
        }
    }
}
