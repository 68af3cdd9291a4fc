#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// systemd's service notification protocol (sd_notify): datagrams of `KEY=value` lines to the socket
/// named by $NOTIFY_SOCKET. Without that variable (not started by systemd, or not Type=notify) every
/// call does nothing, so a daemon can call it unconditionally.
public struct ServiceNotifier: Sendable {
    /// The socket path; nil when not run by systemd as Type=notify.
    public let socketPath: String?
    /// The watchdog interval systemd expects pings within ($WATCHDOG_USEC, for this process only).
    public let watchdogInterval: Duration?

    /// Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID from the environment.
    public init() {
        let environment = Self.environment
        self.init(socketPath: environment["NOTIFY_SOCKET"], watchdogMicroseconds: environment["WATCHDOG_USEC"],
                  watchdogPID: environment["WATCHDOG_PID"])
    }

    /// For tests and callers that pass the environment themselves.
    public init(socketPath: String?, watchdogMicroseconds: String? = nil, watchdogPID: String? = nil) {
        self.socketPath = (socketPath?.isEmpty ?? true) ? nil : socketPath
        let forUs = watchdogPID.map { Int32($0) == getpid() } ?? true
        if forUs, let text = watchdogMicroseconds, let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds)
        } else {
            watchdogInterval = nil
        }
    }

    public var isEnabled: Bool { socketPath != nil }

    /// READY=1, with a status line: the SM is up (MASTER after its first sweep, or STANDBY).
    public func ready(status: String? = nil) throws(SystemError) {
        try send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// STATUS=...: one line that `systemctl status` shows.
    public func status(_ text: String) throws(SystemError) {
        try send(["STATUS=\(text)"])
    }

    /// WATCHDOG=1: still alive. Send at least every `watchdogInterval / 2`.
    public func watchdog() throws(SystemError) {
        try send(["WATCHDOG=1"])
    }

    /// RELOADING=1 while re-reading the configuration (SIGHUP), READY=1 when done.
    public func reloading() throws(SystemError) {
        try send(["RELOADING=1"])
    }

    /// STOPPING=1 at the start of a clean shutdown.
    public func stopping() throws(SystemError) {
        try send(["STOPPING=1"])
    }

    /// Any set of assignments, one datagram.
    public func send(_ assignments: [String]) throws(SystemError) {
        guard let socketPath else { return }
        // A newline inside a value would start another assignment.
        let lines = assignments.map { String($0.map { $0 == "\n" ? " " : $0 }) }
        try UnixDatagram.send(Array(lines.joined(separator: "\n").utf8), to: socketPath)
    }

    private static var environment: [String: String] {
        var result: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }
}
