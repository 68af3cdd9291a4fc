import Foundation

/// `swiftsm status` for a person: a few lines from an `SMStatus`.
public enum StatusText {
    public static func lines(_ status: SMStatus, now: Double = Date().timeIntervalSince1970) -> [String] {
        var lines = ["state: \(status.state.rawValue.uppercased()), priority \(status.priority)" + (status.portGUID.map { ", port \($0)" } ?? "")]
        let sweeps = status.sweepsByKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        lines.append("sweeps: " + (sweeps.isEmpty ? "none yet" : sweeps.joined(separator: ", ")))
        if let last = status.lastSweep {
            let ago = max(0, now - last.finishedAt)
            lines.append("last sweep: \(last.kind), \(last.result.rawValue), took \(format(last.durationSeconds)) s, \(format(ago)) s ago")
        }
        lines.append("ports ACTIVE: \(status.activePorts) of \(status.linkedPorts) linked")
        let sent = status.smps.filter { $0.outcome == "sent" }.reduce(0) { $0 + $1.count }
        let failed = status.smps.filter { $0.outcome != "sent" }.map { "\($0.count) \($0.outcome)" }
        lines.append("SMPs: \(sent) sent" + (failed.isEmpty ? "" : ", " + failed.joined(separator: ", ")))
        let traps = status.trapsByNumber.sorted { $0.key < $1.key }.map { "\($0.value) of \($0.key)" }
        lines.append("traps: " + (traps.isEmpty ? "none" : traps.joined(separator: ", ")))
        let saTotal = status.saRequests.reduce(0) { $0 + $1.count }
        let saBusy = status.saRequests.filter { $0.status == "busy" }.reduce(0) { $0 + $1.count }
        lines.append("SA requests: " + (saTotal == 0 ? "none" : "\(saTotal), \(saBusy) answered BUSY"))
        let commonest = status.saRequests.sorted { ($0.count, $1.attribute, $1.method, $1.status) > ($1.count, $0.attribute, $0.method, $0.status) }
        for request in commonest.prefix(8) { lines.append("  \(request.count) \(request.attribute) \(request.method) \(request.status)") }
        if commonest.count > 8 { lines.append("  ... and \(commonest.count - 8) more kinds") }
        lines.append("degraded links: \(status.degradedLinks.count)")
        for link in status.degradedLinks.prefix(10) {
            let could = [link.couldBeWidth, link.couldBeSpeed].compactMap { $0 }.joined(separator: " ")
            lines.append("  \(link.from) <-> \(link.to)  \(link.width) \(link.speed), could be \(could)")
        }
        if status.degradedLinks.count > 10 { lines.append("  ... and \(status.degradedLinks.count - 10) more") }
        lines.append("problems: \(status.problems.count)")
        for problem in status.problems.prefix(10) { lines.append("  \(problem)") }
        return lines
    }

    static func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
