import Configuration
import Foundation
import IBWire
import Logging
import Monitoring
import SubnetManager
import Synchronization
import SystemBoundary

/// What `swiftsm run` tells the outside: systemd (READY=1 once the first heavy pass has the subnet up as
/// MASTER, or once STANDBY; a STATUS= line whenever it changes; WATCHDOG=1 pings) and the listener's
/// `SMStatus`. Fed by the daemon's observer after every pass.
final class ServiceReporter: Sendable {
    let notifier: ServiceNotifier
    let logger: Logger
    private struct State {
        var status = SMStatus()
        var ready = false
        var statusLine = ""
        var daemon: SubnetManagerDaemon?
    }
    private let state = Mutex(State())

    init(notifier: ServiceNotifier, logger: Logger) {
        self.notifier = notifier
        self.logger = logger
    }

    /// The daemon whose SMP counters the status shows.
    func attach(_ daemon: SubnetManagerDaemon) {
        state.withLock { $0.daemon = daemon }
    }

    /// After every pass: the status follows the daemon's, and systemd hears of any change.
    func observe(_ daemonStatus: DaemonStatus) {
        let (becameReady, line) = state.withLock { state -> (Bool, String?) in
            state.status.apply(daemonStatus)
            let own = daemonStatus.own
            let up = (own.state == .master && (daemonStatus.sweeps[.heavy] ?? 0) > 0) || own.state == .standby
            let becameReady = up && !state.ready
            if up { state.ready = true }
            let line = Self.statusLine(daemonStatus)
            guard line != state.statusLine else { return (becameReady, nil) }
            state.statusLine = line
            return (becameReady, line)
        }
        do {
            if becameReady {
                try notifier.ready(status: line ?? state.withLock { $0.statusLine })
            } else if let line {
                try notifier.status(line)
            }
        } catch {
            logger.warning("cannot notify systemd: \(error)")
        }
    }

    /// The status the listener serves, with the SMP and SA counters as they are now.
    func snapshot() -> SMStatus {
        state.withLock { state in
            var status = state.status
            if let daemon = state.daemon {
                status.setSMPs(daemon.client.statistics)
                status.setSARequests(daemon.subnetAdministration.statistics)
            }
            return status
        }
    }

    /// SIGHUP: the file was read again. The daemon's settings are fixed while it runs: say which keys
    /// changed and that they apply at the next start.
    func reloaded(from old: SMConfiguration, to new: SMConfiguration) {
        try? notifier.reloading()
        let changed = new.differences(from: old)
        if changed.isEmpty {
            logger.notice("SIGHUP: configuration re-read, nothing changed")
        } else {
            logger.warning("SIGHUP: configuration re-read; \(changed.joined(separator: ", ")) changed and take effect when swiftsm run restarts")
        }
        try? notifier.ready(status: state.withLock { $0.statusLine })
    }

    /// WATCHDOG=1 at half the interval systemd expects, until cancelled (nothing without WatchdogSec).
    func pingWatchdog() async {
        guard let interval = notifier.watchdogInterval else { return }
        while !Task.isCancelled {
            try? notifier.watchdog()
            try? await Task.sleep(for: interval / 2)
        }
    }

    func stopping() {
        try? notifier.stopping()
    }

    /// `MASTER, priority 5; last heavy sweep healthy in 1.9 s; 20736 of 20736 ports ACTIVE`.
    static func statusLine(_ status: DaemonStatus) -> String {
        var parts = ["\(status.own.state), priority \(status.own.priority)"]
        if let last = status.lastSweep {
            parts.append("last \(last.kind.rawValue) sweep \(last.healthy ? "healthy" : "with problems") in \(SweepStatistics.milliseconds(last.duration)) ms")
        }
        if let ports = status.activePorts { parts.append("\(ports.active) of \(ports.planned) ports ACTIVE") }
        if !status.problems.isEmpty { parts.append("\(status.problems.count) problem(s)") }
        return parts.joined(separator: "; ")
    }
}

extension SMStatus {
    /// The daemon's published status, in the listener's terms.
    mutating func apply(_ daemon: DaemonStatus) {
        state = switch daemon.own.state {
        case .notActive: .notActive
        case .discovering: .discovering
        case .standby: .standby
        case .master: .master
        }
        priority = Int(daemon.own.priority)
        portGUID = daemon.own.guid == .zero ? nil : "\(daemon.own.guid)"
        sweepsByKind = Dictionary(uniqueKeysWithValues: daemon.sweeps.map { ($0.key.rawValue, $0.value) })
        if let last = daemon.lastSweep {
            lastSweep = LastSweep(kind: last.kind.rawValue, finishedAt: Date().timeIntervalSince1970, durationSeconds: Self.seconds(last.duration),
                                  result: last.healthy ? .healthy : .problems)
        }
        if let ports = daemon.activePorts { (activePorts, linkedPorts) = (ports.active, ports.planned) }
        problems = daemon.problems.map(\.description)
        trapsByNumber = Dictionary(uniqueKeysWithValues: daemon.trapsReceived.map { ("\($0.key)", $0.value) })
    }
}
