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

/// How `wysc serve` listens and protects itself.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes: Int
    /// Failed authentications from one address within a minute before its failures are answered
    /// slowly, and before they are answered 429. A valid token is never held back.
    public var failuresBeforeSlowdown: Int
    public var failuresBeforeRefusal: Int
    /// The same, over all addresses together: many addresses guessing at once.
    public var globalFailuresBeforeSlowdown: Int
    public var globalFailuresBeforeRefusal: Int
    /// Peers whose X-Forwarded-For is believed (a reverse proxy in front of wysc). Empty by default:
    /// then the client's address is the TCP peer's, and a forged header changes nothing.
    public var trustedProxies: Set<String>
    /// How often the scheduler acts on deadlines and reminders; nil: it does not run in this server.
    public var schedulerInterval: Duration?
    /// How notifications are delivered; nil: they wait in the outbox (`wysc notify send` later).
    public var mailTransport: (any MailTransport)?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
        failuresBeforeSlowdown: Int = 5, failuresBeforeRefusal: Int = 20, globalFailuresBeforeSlowdown: Int = 50,
        globalFailuresBeforeRefusal: Int = 200, trustedProxies: Set<String> = [], schedulerInterval: Duration? = .seconds(60),
        mailTransport: (any MailTransport)? = nil
    ) {
        self.schedulerInterval = schedulerInterval
        self.mailTransport = mailTransport
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.failuresBeforeSlowdown = failuresBeforeSlowdown
        self.failuresBeforeRefusal = failuresBeforeRefusal
        self.globalFailuresBeforeSlowdown = globalFailuresBeforeSlowdown
        self.globalFailuresBeforeRefusal = globalFailuresBeforeRefusal
        self.trustedProxies = trustedProxies
    }
}
