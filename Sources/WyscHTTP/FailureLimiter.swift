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

/// Failed authentications over the last minute, per client address and in all.
final class FailureLimiter: Sendable {
    struct Limits: Sendable {
        var slowAfter: Int, refuseAfter: Int
    }

    /// How to answer one failed attempt.
    struct Verdict: Equatable {
        var delay: Duration
        /// Seconds until attempts are checked again (429), when over a refusal limit.
        var refusedFor: Int?
    }

    private struct State {
        var perAddress: [String: [ContinuousClock.Instant]] = [:]
        var all: [ContinuousClock.Instant] = []
    }

    private let state = Mutex(State())
    let window: Duration = .seconds(60)
    let perAddress: Limits, overall: Limits
    /// Addresses remembered at most; past it, those without a recent failure are forgotten.
    let maxAddresses = 10_000
    private let now: @Sendable () -> ContinuousClock.Instant

    init(perAddress: Limits, overall: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.perAddress = perAddress
        self.overall = overall
        self.now = now
    }

    func recordFailure(_ address: String) -> Verdict {
        let now = self.now()
        let window = self.window
        return state.withLock { state in
            var recent = (state.perAddress[address] ?? []).filter { now - $0 < window }
            recent.append(now)
            state.perAddress[address] = recent
            state.all.removeAll { now - $0 >= window }
            state.all.append(now)
            if state.perAddress.count > maxAddresses {
                state.perAddress = state.perAddress.filter { $0.value.contains { now - $0 < window } }
            }
            func verdict(_ failures: [ContinuousClock.Instant], _ limits: Limits) -> Verdict {
                if failures.count > limits.refuseAfter, let oldest = failures.first {
                    return Verdict(delay: .zero, refusedFor: max(1, Int((window - (now - oldest)).components.seconds)))
                }
                let excess = failures.count - limits.slowAfter
                return Verdict(delay: excess > 0 ? min(.milliseconds(100) * excess, .seconds(1)) : .zero, refusedFor: nil)
            }
            let mine = verdict(recent, perAddress)
            let everyone = verdict(state.all, overall)
            return Verdict(
                delay: max(mine.delay, everyone.delay),
                refusedFor: [mine.refusedFor, everyone.refusedFor].compactMap { $0 }.max())
        }
    }
}
