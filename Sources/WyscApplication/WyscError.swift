/// A failure the user can act on, with the kind that decides the CLI's exit code and the HTTP status.
public struct WyscError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The input (a file, a row, a field) is wrong; nothing was changed.
        case badInput
        /// Not allowed now: the phase does not allow it, guards fail, a deadline passed. Nothing was changed.
        case refused
        /// Someone else changed the same thing first; trying again (after looking) may succeed.
        case conflict
        /// The caller's copy is out of date (an If-Match that no longer matches): look again, then change.
        case stale
        /// The caller may not do this.
        case permissionDenied
        /// The thing named does not exist.
        case notFound
        /// A service wysc needs (PostgreSQL, its programs) is not available.
        case unavailable
        /// Anything else.
        case failure
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
