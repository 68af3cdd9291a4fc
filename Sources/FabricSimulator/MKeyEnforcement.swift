import IBWire

/// The M_Key check each simulated agent makes before it acts on a Get or Set (IBA 14.2.4). ibsim does
/// not make it; real agents do.
///
/// - The key that guards a node is in the PortInfo of the port the SMP arrived on (a CA), or of port 0
///   (a switch: one key for the whole switch; the M_Key fields of its other ports are not used).
/// - Key 0, or the SMP carrying the key: everything is allowed, and a running lease timer stops.
/// - Another key: by MKeyProtectBits, 0 and 1 still allow a Get (1 reads the key as 0, see
///   `showsMKey`); everything else is refused. A refused SMP gets no answer at all, bumps
///   MKeyViolations (saturating), and starts the lease timer if the lease period is not 0.
/// - When the lease period passes with the timer running, the protect bits fall to 0. The simulator
///   notices it when the next SMP arrives at the node, which is the only time anyone can tell.
/// - Trap 256 (bad M_Key), which a real agent sends to the SM, is not simulated.
extension SimulatedFabric.State {
    /// Whether the agent at `arrival` lets `request` through; lease time is read from `clock`.
    mutating func passesMKeyCheck(_ request: SMP, at arrival: Arrival, clock: SimulatorClock) -> Bool {
        guard request.method == .get || request.method == .set else { return true }
        let number = nodes[arrival.node].type == .switch ? 0 : arrival.port
        guard var port = nodes[arrival.node].port(number) else { return true }
        // The common case, an unkeyed port, changes nothing: no need to write the port back.
        if port.info.mKey == 0 && port.mKeyLeaseDeadline == nil { return true }
        defer { nodes[arrival.node].ports[number] = port }
        let now = clock.elapsed

        if let deadline = port.mKeyLeaseDeadline, now >= deadline {
            port.info.mKeyProtectBits = 0
            port.mKeyLeaseDeadline = nil
        }
        if port.info.mKey == 0 || request.mKey == port.info.mKey {
            port.mKeyLeaseDeadline = nil
            return true
        }
        if request.method == .get && port.info.mKeyProtectBits < 2 { return true }

        if port.info.mKeyViolations < .max { port.info.mKeyViolations += 1 }
        if port.mKeyLeaseDeadline == nil && port.info.mKeyLeasePeriod != 0 {
            port.mKeyLeaseDeadline = now + .seconds(Int(port.info.mKeyLeasePeriod))
        }
        return false
    }

    /// Whether a PortInfo answer to `request` may show `info`'s M_Key: not to a Get with another key
    /// once the protect bits are set.
    static func showsMKey(_ info: PortInfo, to request: SMP) -> Bool {
        request.method != .get || info.mKeyProtectBits == 0 || request.mKey == info.mKey
    }
}
