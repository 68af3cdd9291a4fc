import Prometheus
import Synchronization

/// SwiftSM's metrics in a swift-prometheus registry (the swift-metrics backend): `publish(status)` brings the
/// gauges to the status and advances the counters by what the status's totals grew since the last publish
/// (counters never go down). `prometheusText()` is the exposition text `/metrics` serves.
///
/// Other code may record its own metrics into the same registry through swift-metrics with `factory`
/// (`Counter(label:dimensions:factory:)`), under names not used here.
public final class SMMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    /// Totals already added to each counter, by metric name and labels.
    private let published = Mutex<[String: Int]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "swiftsm", metricName: name, unitName: "", helpText: help)
    }

    static var state: MetricNameDescriptor { name("sm_state", "1 for the state the SM is in (SMInfo states, plus starting), 0 for the others") }
    static var priority: MetricNameDescriptor { name("sm_priority", "The SM's priority (0-15)") }
    static var sweeps: MetricNameDescriptor { name("sweeps_total", "Sweeps run, by kind") }
    static var lastSweepTime: MetricNameDescriptor { name("last_sweep_timestamp_seconds", "When the last sweep finished, in seconds since 1970") }
    static var lastSweepDuration: MetricNameDescriptor { name("last_sweep_duration_seconds", "How long the last sweep took") }
    static var lastSweepHealthy: MetricNameDescriptor { name("last_sweep_healthy", "1 when the last sweep left every linked port ACTIVE and every route min-hop") }
    static var activePorts: MetricNameDescriptor { name("ports_active", "Linked ports that are ACTIVE") }
    static var linkedPorts: MetricNameDescriptor { name("ports_linked", "Ports with a cable to another port") }
    static var problems: MetricNameDescriptor { name("problems", "Problems the last sweep left") }
    static var smps: MetricNameDescriptor { name("smps_total", "SMPs by method, attribute and outcome (sent, timeout, error-status)") }
    static var traps: MetricNameDescriptor { name("traps_total", "Traps received, by trap number") }
    static var saRequests: MetricNameDescriptor { name("sa_requests_total", "SA requests by attribute, method and the status answered (busy: BUSY answers; none: not answered)") }
    static var degradedLinks: MetricNameDescriptor { name("degraded_links", "Links that trained below the width or speed both ends support") }

    /// Brings every metric to `status`. Safe to call from any thread (the HTTP listener calls it per scrape).
    public func publish(_ status: SMStatus) {
        for state in SMStatus.State.allCases {
            registry.makeGauge(descriptor: Self.state, labels: [("state", state.rawValue)]).set(to: state == status.state ? 1.0 : 0.0)
        }
        registry.makeGauge(descriptor: Self.priority).set(Double(status.priority))
        registry.makeGauge(descriptor: Self.activePorts).set(Double(status.activePorts))
        registry.makeGauge(descriptor: Self.linkedPorts).set(Double(status.linkedPorts))
        registry.makeGauge(descriptor: Self.problems).set(Double(status.problems.count))
        registry.makeGauge(descriptor: Self.degradedLinks).set(Double(status.degradedLinks.count))
        if let last = status.lastSweep {
            registry.makeGauge(descriptor: Self.lastSweepTime).set(last.finishedAt)
            registry.makeGauge(descriptor: Self.lastSweepDuration).set(last.durationSeconds)
            registry.makeGauge(descriptor: Self.lastSweepHealthy).set(to: last.result == .healthy ? 1.0 : 0.0)
        }
        for (kind, count) in status.sweepsByKind {
            advance(Self.sweeps, labels: [("kind", kind)], to: count)
        }
        for smp in status.smps {
            advance(Self.smps, labels: [("method", smp.method), ("attribute", smp.attribute), ("outcome", smp.outcome)], to: smp.count)
        }
        for (trap, count) in status.trapsByNumber {
            advance(Self.traps, labels: [("trap", trap)], to: count)
        }
        for request in status.saRequests {
            advance(Self.saRequests, labels: [("attribute", request.attribute), ("method", request.method), ("status", request.status)], to: request.count)
        }
    }

    /// Raises a counter to `total`, never lowers it.
    private func advance(_ descriptor: MetricNameDescriptor, labels: [(String, String)], to total: Int) {
        let key = descriptor.name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = published.withLock { published -> Int in
            let before = published[key] ?? 0
            guard total > before else { return 0 }
            published[key] = total
            return total - before
        }
        let counter = registry.makeCounter(descriptor: descriptor, labels: labels)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric in the registry.
    public func prometheusText() -> String { registry.emitToString() }
}
