import Foundation
import Hummingbird

/// The API's version, sent on every answer as `Wysc-API-Version`. It grows when routes or fields are
/// added; a client older than its server says so (its commands may lack what the server offers).
public enum WyscAPI {
    public static let version = 2
    public static let versionHeader = "Wysc-API-Version"
}

/// Every route of the JSON API, named once: the controllers register these patterns and the API
/// client builds its requests from them, so the two cannot drift apart.
public enum Endpoint: String, CaseIterable, Sendable {
    case whoami = "whoami"
    case competitions = "competitions"
    case phase = "competitions/:slug/phase"
    case phaseCheck = "competitions/:slug/phase/check"
    case phaseAdvance = "competitions/:slug/phase/advance"
    case teamStatus = "competitions/:slug/teams/status"
    case rubric = "competitions/:slug/rubric"
    case queue = "competitions/:slug/queue"
    case proposal = "competitions/:slug/proposals/:proposal"
    case proposalFile = "competitions/:slug/proposals/:proposal/files/:file"
    case scorecard = "competitions/:slug/scorecards/:proposal"
    case conflicts = "competitions/:slug/conflicts"
    case results = "competitions/:slug/results"
    case feedback = "competitions/:slug/feedback"
    case audit = "competitions/:slug/audit"

    /// Where the API lives on the server.
    public static let prefix = "api/v1"

    /// The pattern the router matches, under `prefix`.
    var routerPath: RouterPath { RouterPath(rawValue) }

    /// The path of a request: the pattern with its parameters filled in (percent-encoded).
    public func path(slug: String? = nil, proposal: Int? = nil, file: Int? = nil) -> String {
        let filled = rawValue.split(separator: "/").map { part -> String in
            switch part {
            case ":slug": slug.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 } ?? String(part)
            case ":proposal": proposal.map(String.init) ?? String(part)
            case ":file": file.map(String.init) ?? String(part)
            default: String(part)
            }
        }
        return Self.prefix + "/" + filled.joined(separator: "/")
    }
}
