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

/// Prometheus metrics through swift-metrics, on a registry of the server's own.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let pool: PostgresPool
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let counters = Mutex<[String: Metrics.Counter]>([:])

    init(pool: PostgresPool) {
        self.pool = pool
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
    }

    func record(route: String, method: String, status: Int, elapsed: Duration) {
        let counterKey = "\(route) \(method) \(status)"
        let counter = counters.withLock { cache in
            if let counter = cache[counterKey] { return counter }
            let counter = Metrics.Counter(
                label: "wysc_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            cache[counterKey] = counter
            return counter
        }
        counter.increment()
        let timerKey = "\(route) \(method)"
        let timer = timers.withLock { cache in
            if let timer = cache[timerKey] { return timer }
            let timer = Metrics.Timer(
                label: "wysc_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            cache[timerKey] = timer
            return timer
        }
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// The text exposition, with the pool's gauges as they are now.
    func exposition() -> String {
        let statistics = pool.statistics
        let connections = MetricNameDescriptor(
            namespace: "wysc", subsystem: "db_pool", metricName: "connections", unitName: "", helpText: "Database connections of the pool, by state")
        let waiting = MetricNameDescriptor(
            namespace: "wysc", subsystem: "db_pool", metricName: "waiting", unitName: "", helpText: "Requests waiting for a database connection")
        registry.makeGauge(descriptor: connections, labels: [("state", "in_use")]).set(Double(statistics.inUse))
        registry.makeGauge(descriptor: connections, labels: [("state", "idle")]).set(Double(statistics.idle))
        let pipelined = MetricNameDescriptor(
            namespace: "wysc", subsystem: "db_pool", metricName: "pipeline_waiting", unitName: "",
            helpText: "Statements waiting for a pipeline to carry them (scorecards)")
        registry.makeGauge(descriptor: waiting).set(Double(statistics.waiting))
        registry.makeGauge(descriptor: pipelined).set(Double(statistics.waitingForPipeline))
        return registry.emitToString()
    }
}
