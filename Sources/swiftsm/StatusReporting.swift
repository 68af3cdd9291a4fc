import FabricModel
import IBTransport
import IBWire
import Monitoring
import SubnetManager

/// Folding what the SM does into the status its listener serves (the daemon keeps one `SMStatus`
/// behind a lock, updates it with these, and hands `StatusServer` a closure returning a copy).
extension SMStatus {
    /// A finished sweep: counted by kind; the last sweep, ports, problems and degraded links replaced.
    mutating func recordSweep(_ report: SweepReport, kind: String, duration: Duration, finishedAt: Double) {
        sweepsByKind[kind, default: 0] += 1
        lastSweep = LastSweep(kind: kind, finishedAt: finishedAt, durationSeconds: Self.seconds(duration),
                              result: report.isHealthy ? .healthy : .problems)
        (activePorts, linkedPorts) = report.activePorts
        problems = report.problems.map(\.description)
        let fabric = report.discovery.fabric
        degradedLinks = LinkHealth.degraded(fabric).map { link in
            DegradedLink(from: fabric.describe(link.a), to: fabric.describe(link.b), width: link.width.upperDescription,
                         speed: link.speed.rawValue, couldBeWidth: link.couldBeWidth?.upperDescription,
                         couldBeSpeed: link.couldBeSpeed?.rawValue, dataRateGbps: link.dataRate, possibleGbps: link.possibleDataRate)
        }
    }

    /// A sweep that could not run at all.
    mutating func recordFailedSweep(kind: String, problem: String, duration: Duration, finishedAt: Double) {
        sweepsByKind[kind, default: 0] += 1
        lastSweep = LastSweep(kind: kind, finishedAt: finishedAt, durationSeconds: Self.seconds(duration), result: .failed)
        problems = [problem]
    }

    /// SMP totals from the client's counters (they only grow, as the client lives as long as the SM).
    mutating func setSMPs(_ statistics: SMPStatistics) {
        smps = statistics.sent.sorted { $0.key < $1.key }.map {
            SMPCount(method: "\($0.key.method)", attribute: "\($0.key.attribute)", outcome: "sent", count: $0.value)
        } + [SMPCount(method: "any", attribute: "any", outcome: "timeout", count: statistics.timeouts),
             SMPCount(method: "any", attribute: "any", outcome: "error-status", count: statistics.errorStatuses)]
    }

    /// SA totals from the SA service's counters (they only grow, as the service lives as long as the SM).
    mutating func setSARequests(_ counters: SAServiceCounters) {
        saRequests = counters.answers.sorted { $0.key < $1.key }.map {
            $0.key == .other ? SACount(attribute: "other", method: "other", status: "other", count: $0.value)
                : SACount(attribute: "\($0.key.attribute)", method: "\($0.key.method)", status: $0.key.status?.saName ?? "none", count: $0.value)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
