import FabricModel
import IBWire

/// Where an SMP ends up after the fabric has forwarded it.
struct Arrival {
    var node: Int
    /// The port it came in on (for the SM's own node, the SM's port).
    var port: Int
    /// For directed-route SMPs: the return path filled in hop by hop.
    var returnPath = SMPBytes()
}

extension SimulatedFabric.State {
    /// The most switch hops a LID-routed packet takes before the simulator calls it a loop.
    static let maxLIDRoutedHops = 16

    /// Forwards an outgoing directed-route SMP along its initial path, as each hop's agent does.
    /// Nil when a hop names a port that is absent, down, or on a node that does not forward.
    func forwardDirected(_ header: DirectedRouteHeader, from attachment: PortAddress) -> Arrival? {
        guard header.hopCount <= DirectedRoute.maxHops, !header.isReturning else { return nil }
        var here = Arrival(node: attachment.node, port: attachment.port.index, returnPath: header.returnPath)
        if header.hopCount == 0 { return here }
        for hop in 1...Int(header.hopCount) {
            // Fields are read in place: copying a whole node per hop costs more than forwarding it.
            let exit = Int(header.initialPath[hop])
            // A CA only sends out of the SM's own port, and never forwards.
            if nodes[here.node].type != .switch, hop > 1 || exit != here.port { return nil }
            guard exit != 0, exit < nodes[here.node].ports.count, !nodes[here.node].isDead || hop == 1 && here.node == attachment.node,
                  nodes[here.node].ports[exit]?.info.physicalState == .linkUp, let remote = nodes[here.node].ports[exit]?.remote
            else { return nil }
            here = Arrival(node: remote.node, port: remote.port.index, returnPath: here.returnPath)
            here.returnPath[hop] = UInt8(remote.port.index)
        }
        return here
    }

    /// Forwards a LID-routed packet from `start` to the port owning `lid`, through the forwarding tables
    /// and only across ACTIVE ports. Nil when it is dropped or loops.
    func forwardLIDRouted(to lid: LID, from start: Arrival, leavingBy sourcePort: Int) -> Arrival? {
        var here = start
        for hop in 0...Self.maxLIDRoutedHops {
            let node = nodes[here.node]
            if node.type == .switch {
                guard let port0 = node.port(0) else { return nil }
                if Self.owns(port0.info, lid) { return here }
                let top = node.switchInfo?.linearFDBTop ?? .unassigned
                let index = Int(lid.rawValue)
                guard lid <= top, index < node.forwardingTable.count else { return nil }
                let exit = Int(node.forwardingTable[index])
                if exit == 0 { return here }
                guard let next = Self.cross(node, exit) else { return nil }
                here = next
            } else {
                if let port = node.port(here.port), Self.owns(port.info, lid) { return here }
                // Only the sending CA puts a packet on its link; a CA never forwards.
                guard hop == 0, let next = Self.cross(node, sourcePort) else { return nil }
                here = next
            }
        }
        return nil
    }

    /// The far end of an ACTIVE link out of `exit`.
    private static func cross(_ node: SimulatedNode, _ exit: Int) -> Arrival? {
        guard let port = node.port(exit), port.info.state == .active, let remote = port.remote else { return nil }
        return Arrival(node: remote.node, port: remote.port.index)
    }

    /// Whether a port with this PortInfo answers to `lid` (its LMC range of LIDs).
    static func owns(_ info: PortInfo, _ lid: LID) -> Bool {
        let base = info.lid.rawValue
        guard base != 0 else { return false }
        let mask = ~((UInt16(1) << UInt16(min(info.lmc, 7))) - 1)
        return lid.rawValue & mask == base & mask
    }
}
