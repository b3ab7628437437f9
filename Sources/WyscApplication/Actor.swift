/// Who is acting: every use case is called on behalf of someone, who is written in the audit log
/// and whose rights are checked.
public enum Actor: Sendable, Hashable, CustomStringConvertible {
    /// Organizers run competitions. In direct mode (database credentials) the caller is one.
    case organizer(String)
    /// A judge, by id: sees and changes only their own assignments and scores.
    case judge(Int)
    /// A university, by id: sees only its own teams.
    case university(Int)
    /// wysc itself (the demo's simulated people are organizers; this is for scheduled work).
    case system

    /// How the actor is written in the audit log: `organizer:ana`, `judge:12`, `university:3`.
    public var description: String {
        switch self {
        case .organizer(let name): "organizer:\(name)"
        case .judge(let id): "judge:\(id)"
        case .university(let id): "university:\(id)"
        case .system: "system"
        }
    }

    public var isOrganizer: Bool {
        if case .organizer = self { return true }
        return false
    }

    /// Refuses anyone but an organizer, naming what they tried.
    func requireOrganizer(_ what: String) throws(WyscError) {
        guard isOrganizer || self == .system else {
            throw WyscError(.permissionDenied, "only organizers may \(what)")
        }
    }
}
