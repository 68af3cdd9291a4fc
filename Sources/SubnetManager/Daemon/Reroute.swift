import IBWire

extension DaemonLoop {
    /// Re-routes after link traps from `issuers`.
    mutating func reroute(after issuers: Set<LID>) async {
        await heavySweep(takeover: false)
    }
}
