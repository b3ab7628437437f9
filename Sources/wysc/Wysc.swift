import ArgumentParser
import Foundation
import WyscApplication
import WyscHTTP
import WyscPostgres

@main
struct Wysc: AsyncParsableCommand {
    static let version = "0.1.0"

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
                    AuditCommand.self, Demo.self,
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

    /// Maps the errors of the lower layers; nil for argument-parser's own (help, usage, exit codes).
    init?(_ error: any Error) {
        switch error {
        case let error as WyscError:
            let codes: [WyscError.Kind: Int32] = [
                .badInput: Self.badInput, .refused: Self.failure, .conflict: Self.conflict, .stale: Self.conflict, .permissionDenied: Self.permissionDenied,
                .notFound: Self.badInput, .unavailable: Self.unavailable, .failure: Self.failure,
            ]
            self.init(message: error.message, exitCode: codes[error.kind] ?? Self.failure)
        case let error as APIClientError:
            let code: Int32 = switch (error.status, error.code) {
            case (nil, _), (503?, _): Self.unavailable
            case (400?, _), (404?, _), (413?, _), (422?, _): Self.badInput
            case (401?, _), (403?, _): Self.permissionDenied
            case (409?, "refused"): Self.failure
            case (409?, _), (412?, _), (429?, _): Self.conflict
            default: Self.failure
            }
            self.init(message: error.message, exitCode: code)
        case let error as MigrationError:
            self.init(message: error.description, exitCode: Self.failure)
        case let error as PostgresError:
            switch error.kind {
            case .connectionFailed, .connectionLost, .poolClosed, .poolTimeout, .transactionOutcomeUnknown:
                self.init(message: error.description, exitCode: Self.unavailable)
            case .server where error.sqlState == .uniqueViolation:
                self.init(message: "someone changed the same thing at the same moment; try again (\(error.description))", exitCode: Self.conflict)
            case .server where error.isTransient:
                self.init(message: "\(error.description); gave up after retrying, try again", exitCode: Self.conflict)
            case .server where error.sqlState == .insufficientPrivilege:
                self.init(message: error.description, exitCode: Self.permissionDenied)
            default:
                self.init(message: error.description, exitCode: Self.failure)
            }
        default:
            return nil
        }
    }
}
