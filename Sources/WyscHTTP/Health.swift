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

/// /readyz: the database answers and its schema is current.
enum Health {
    struct Readiness: Encodable {
        var ready: Bool
        var reason: String?
    }

    static func readiness(_ application: WyscApplication.Application) async throws -> Reply {
        do {
            let (pending, _) = try await application.pendingMigrations()
            guard pending == 0 else {
                return try Reply.json(
                    Readiness(ready: false, reason: "\(pending) migration(s) not applied: run wysc db migrate"), status: .serviceUnavailable)
            }
            return try Reply.json(Readiness(ready: true))
        } catch {
            var reply = try Reply.json(Readiness(ready: false, reason: "the database is unavailable"), status: .serviceUnavailable)
            reply.headers[.retryAfter] = "5"
            return reply
        }
    }
}
