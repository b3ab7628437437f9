import ArgumentParser
import Foundation
import WyscApplication
import WyscHTTP
import WyscPostgres

@main
struct Wysc: AsyncParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "wysc",
        abstract: "Run the World Youth Smart City Innovation Competition: phases, teams, judging and results.",
        discussion: """
            Without --database-url, DATABASE_URL or PG* variables, wysc uses its own PostgreSQL cluster \
            in .wysc/postgres (WYSC_HOME or --data-dir to move it), creating and starting it as needed.

            Judges see their proposals with wysc judge queue and score them with wysc score; \
            universities follow their teams with wysc team status. Both work from anywhere after \
            wysc login --server URL with the personal token an organizer gave them.

            Exit codes: 0 ok, 1 failure, 64 usage, 65 bad input data, 69 database unavailable, \
            75 conflict (try again), 77 permission denied.
            """,
        version: version,
        groupedSubcommands: [
            CommandGroup(name: "Judging (judges)", subcommands: [ScoreCommand.self]),
            CommandGroup(name: "Working remotely (judges and universities)", subcommands: [Login.self, Logout.self]),
            CommandGroup(name: "Setting up (organizers and operators)", subcommands: [Local.self, DB.self, Serve.self, TokenCommand.self]),
            CommandGroup(
                name: "Running a competition (organizers)",
                subcommands: [
                    CompetitionCommand.self, PhaseCommand.self, UniversityCommand.self, TeamCommand.self, LectureCommand.self,
                    WorkshopCommand.self, ProposalCommand.self, JudgeCommand.self, AssignCommand.self, JudgingCommand.self, ResultsCommand.self,
                    WorkflowCommand.self,
                    NotifyCommand.self, OrganizerCommand.self, AuditCommand.self, Demo.self,
                ]),
        ]
    )

    /// Runs the command and turns every error into a message on stderr and a documented exit code.
    static func main() async {
        Terminal.configure()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Terminal.error(failure.message)
            Foundation.exit(failure.exitCode)
        } catch {
            if let failure = CommandFailure(error) {
                Terminal.error(failure.message)
                Foundation.exit(failure.exitCode)
            }
            exit(withError: error)
        }
    }
}

/// An error on its way out of the program: the message for stderr and the exit code.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32

    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let badInput: Int32 = 65
    static let unavailable: Int32 = 69
    static let conflict: Int32 = 75
    static let permissionDenied: Int32 = 77

    init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// The exit code of each kind of application error: the one table the CLI keeps.
    static let exitCodes: [WyscError.Kind: Int32] = [
        .badInput: badInput, .refused: failure, .conflict: conflict, .stale: conflict, .permissionDenied: permissionDenied,
        .notFound: badInput, .unavailable: unavailable, .failure: failure,
    ]

    /// What to do next, in this program's words, for the codes whose remedy is a command or a flag.
    static let hints: [String: String] = [
        WyscError.Code.judgeRequired: "say which judge with --judge EMAIL (or WYSC_JUDGE)",
        WyscError.Code.competitionRequired: "say which with --competition SLUG or WYSC_COMPETITION",
        WyscError.Code.noCompetition: "create one with wysc competition create SLUG --workflow FILE",
        WyscError.Code.guardsFailed: "to go on anyway: wysc phase advance --force --reason \"…\"",
        WyscError.Code.conflictOfInterest: "an organizer reassigns it with wysc assign --rebalance",
        WyscError.Code.assignmentHasScorecards: "wysc assign --rebalance keeps every unaffected assignment",
        WyscError.Code.tokenSubjectRequired: "give it with --for",
        WyscError.Code.tokenCompetitionRequired: "give it with --competition SLUG",
        WyscError.Code.schemaOutdated: "run wysc db migrate",
    ]

    /// Maps the errors of the lower layers; nil for argument-parser's own (help, usage, exit codes).
    init?(_ error: any Error) {
        switch error {
        case let error as APIClientError:
            // The server's code is a kind's (or a finer code of one); without an answer, it is unreachable.
            let kind = WyscError.Kind(rawValue: error.code) ?? WyscError.Code.kinds[error.code] ?? Self.kind(status: error.status, code: error.code)
            self.init(message: error.message + Self.hint(error.code), exitCode: Self.exitCodes[kind] ?? Self.failure)
        case let error as ValidationError:
            // Thrown by a command's run(): argument-parser wraps what validate() throws, and would
            // print the root command's usage under this one, which is not what the user ran.
            self.init(message: error.message, exitCode: Self.usage)
        case is WyscError, is PostgresError, is MigrationError:
            let classified = WyscError(classifying: error)
            // The operator at the terminal gets the details a remote caller would not.
            self.init(
                message: (classified.detail ?? classified.message) + Self.hint(classified.code),
                exitCode: Self.exitCodes[classified.kind] ?? Self.failure)
        default:
            return nil
        }
    }

    static func hint(_ code: String) -> String {
        hints[code].map { " (\($0))" } ?? ""
    }

    /// The kind behind an HTTP answer whose code is not a kind's: finer application codes and the HTTP layer's own.
    static func kind(status: Int?, code: String) -> WyscError.Kind {
        switch status {
        case nil, 503?: .unavailable
        case 401?, 403?: .permissionDenied
        case 404?: .notFound
        case 409?, 429?: .conflict
        case 412?: .stale
        case 400?, 413?, 422?: .badInput
        default: .failure
        }
    }
}
