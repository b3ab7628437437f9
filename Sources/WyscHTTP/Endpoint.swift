import Foundation
import Hummingbird

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
