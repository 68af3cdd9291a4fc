import FabricSimulator
import IBTransport

/// The `--stats` report: SMPs by kind and the time of each phase, on stderr.
enum SweepStatistics {
    static func print(_ statistics: SMPStatistics, phases: [(String, Duration)], simulator: SimulatorCounters? = nil, port: UMadTransport? = nil) {
        var lines = ["SMPs sent: \(statistics.totalSent) (timeouts \(statistics.timeouts), error statuses \(statistics.errorStatuses))"]
        for (kind, count) in statistics.sent.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(kind): \(count)")
        }
        for (phase, duration) in phases {
            lines.append("\(phase): \(milliseconds(duration)) ms")
        }
        if let port {
            lines.append("responses dropped: \(port.unmatchedResponses) matching no request (late or duplicate), \(port.mismatchedResponses) not fitting their request")
        }
        if let simulator {
            lines.append("simulator: answered \(simulator.answered), lost \(simulator.dropped), VL15 overflow \(simulator.overflowed), undeliverable \(simulator.undeliverable), unanswered \(simulator.unanswered), refused by M_Key \(simulator.refusedByMKey), bounced (no SM) \(simulator.bounced)")
        }
        printError(lines.joined(separator: "\n"))
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(Int(value.rounded()))
    }
}
