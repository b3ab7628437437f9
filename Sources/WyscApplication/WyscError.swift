import WyscPostgres

/// An error of wysc's use cases: what kind of failure it is, a message anyone may read, and a
/// stable code clients branch on (the kind's own, unless the case needs a finer one). The CLI
/// maps kinds to exit codes and the HTTP server to statuses, each with one table
/// (`CommandFailure.exitCodes`, `APIError.statuses`); neither reads the message.
public struct WyscError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The input (a file, a row, a field) is wrong; nothing was changed.
        case badInput = "bad_input"
        /// Not allowed now: the phase does not allow it, guards fail, a deadline passed. Nothing was changed.
        case refused
        /// Someone else changed the same thing first; trying again (after looking) may succeed.
        case conflict
        /// The caller's copy is out of date (an If-Match that no longer matches): look again, then change.
        case stale
        /// The caller may not do this.
        case permissionDenied = "forbidden"
        /// The thing named does not exist.
        case notFound = "not_found"
        /// A service wysc needs (PostgreSQL, its programs) is not available.
        case unavailable
        /// Anything else.
        case failure
    }

    /// The finer codes, where a client does something different for them than for their kind.
    public enum Code {
        /// An organizer acting for a judge did not say which judge.
        public static let judgeRequired = "judge_required"
        /// Several competitions exist and none was named.
        public static let competitionRequired = "competition_required"
        /// There is no competition at all yet.
        public static let noCompetition = "no_competition"
        /// A transition's guards fail; an organizer may force it with a reason.
        public static let guardsFailed = "guards_failed"
        /// A judge with a conflict of interest holds an assignment; an organizer rebalances.
        public static let conflictOfInterest = "conflict_of_interest"
        /// A fresh assignment would discard scorecards; rebalancing keeps them.
        public static let assignmentHasScorecards = "assignment_has_scorecards"
        /// A token was asked for without what its role needs (a name, a competition).
        public static let tokenSubjectRequired = "token_subject_required"
        public static let tokenCompetitionRequired = "token_competition_required"
        /// The database's schema is behind this wysc: its operator migrates it.
        public static let schemaOutdated = "schema_outdated"
        /// The judge has no scorecard for the proposal yet.
        public static let noScorecard = "no_scorecard"
        /// A scorecard names a criterion the rubric lacks, lacks one it needs, or a value off its scale.
        public static let rubricMismatch = "rubric_mismatch"

        /// The kind each finer code belongs to, for a client that reads only the code (the CLI in
        /// remote mode). The HTTP status of some differs from their kind's (`APIError.codeStatuses`).
        public static let kinds: [String: Kind] = [
            judgeRequired: .badInput, competitionRequired: .badInput, noCompetition: .notFound, guardsFailed: .refused,
            conflictOfInterest: .refused, assignmentHasScorecards: .refused, tokenSubjectRequired: .badInput,
            tokenCompetitionRequired: .badInput, schemaOutdated: .unavailable, noScorecard: .notFound, rubricMismatch: .badInput,
        ]
    }

    public var kind: Kind
    public var message: String
    public var code: String
    /// What an operator needs and a remote caller must not see (a server address, a constraint):
    /// printed by the CLI, logged by the server.
    public var detail: String?
    /// Seconds after which a retry may succeed, when the failure is passing.
    public var retryAfter: Int?

    public init(_ kind: Kind, _ message: String, code: String? = nil, detail: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.message = message
        self.code = code ?? kind.rawValue
        self.detail = detail
        self.retryAfter = retryAfter
    }

    public var description: String { message }
}

extension WyscError {
    /// Every error below the use cases in wysc's terms, classified once for the CLI and the server:
    /// wysc's own pass unchanged; PostgreSQL's become the kind the caller can act on; anything else
    /// is an internal failure whose text stays in `detail`.
    public init(classifying error: any Error) {
        switch error {
        case let error as WyscError:
            self = error
        case let error as PostgresError:
            self = Self.classify(error)
        case let error as MigrationError:
            self.init(.failure, error.description)
        default:
            self.init(.failure, "an internal error occurred", detail: "\(error)")
        }
    }

    static func classify(_ error: PostgresError) -> WyscError {
        let text = error.description
        switch error.kind {
        case .connectionFailed, .connectionLost, .poolClosed, .poolTimeout, .transactionOutcomeUnknown:
            return WyscError(.unavailable, "the database is unavailable; try again shortly", detail: text, retryAfter: 5)
        case .server where error.isTransient:
            return WyscError(
                .conflict, "too many concurrent changes; try again", detail: "\(text); gave up after retrying, try again", retryAfter: 1)
        case .server where error.sqlState == .uniqueViolation:
            return WyscError(
                .conflict, "someone changed the same thing at the same moment; try again",
                detail: "someone changed the same thing at the same moment; try again (\(text))", retryAfter: 1)
        case .server where error.sqlState == .queryCanceled:
            return WyscError(.unavailable, "the database took too long to answer; try again", detail: text, retryAfter: 5)
        case .server where error.sqlState == .insufficientPrivilege:
            return WyscError(.permissionDenied, "the database refused this change", detail: text)
        case .server where error.sqlState == .checkViolation:
            if let limit = TextLimitViolation(constraint: error.constraint) { return WyscError(.badInput, limit.message, detail: text) }
            return WyscError(.failure, "an internal error occurred", detail: text)
        default:
            return WyscError(.failure, "an internal error occurred", detail: text)
        }
    }
}
