import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals
import WyscApplication
import WyscJudging
import WyscPostgres

/// The request context: Hummingbird's, plus the caller's address and credential.
public struct WyscRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var remoteAddress: String
    public var credential: Credential?
    /// The bearer token of a request whose handler has it checked by the statement that does
    /// the work (see `AuthMiddleware.leavesTokenToTheStatement`); `credential` is nil then.
    public var presentedToken: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        credential = nil
        presentedToken = nil
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The client's address: the TCP peer's, or, when the peer is a trusted proxy, the nearest
    /// address in X-Forwarded-For that is not itself a trusted proxy.
    func clientAddress(_ request: Request, trustedProxies: Set<String>) -> String {
        guard trustedProxies.contains(remoteAddress) else { return remoteAddress }
        let hops = request.headers[values: Self.forwardedFor].joined(separator: ",")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) }.map { String($0.prefix(64)) } ?? remoteAddress
    }
}
