import FabricModel
import IBWire

/// What became of one multicast packet sent into the fabric: which CA ports received it and whether the
/// switches' MFTs made it go round.
public struct MulticastDelivery: Sendable, Equatable {
    /// CA ports the packet reached, each once per copy received (the sender is never among them).
    public var receivers: [PortAddress: Int]
    /// Switches the packet reached more than once: a loop, or two paths into one switch (never in a tree).
    public var switchesReachedTwice: Set<Int>
    /// Copies dropped because they would cross a link that is not ACTIVE.
    public var droppedAtInactiveLinks: Int

    /// Every port in `members` other than the sender received exactly one copy, and no switch saw two.
    public func reachesExactlyOnce(_ members: some Sequence<PortAddress>, sender: PortAddress) -> Bool {
        switchesReachedTwice.isEmpty && members.allSatisfy { $0 == sender || receivers[$0] == 1 }
    }
}

extension SimulatedFabric {
    /// Sends a packet to `mlid` from the CA port `sender`, as the hardware forwards it: over the sender's
    /// link, then at each switch out of every port its MFT entry for `mlid` names except the one it came
    /// in on, across ACTIVE links only. A switch reached twice forwards only the first copy, so a loop
    /// ends (and shows in `switchesReachedTwice`).
    public func sendMulticast(from sender: PortAddress, to mlid: LID) -> MulticastDelivery {
        state.withLock { state in
            var delivery = MulticastDelivery(receivers: [:], switchesReachedTwice: [], droppedAtInactiveLinks: 0)
            guard mlid.rawValue >= MulticastForwardingTableBlock.firstMLID, let port = state.nodes[sender.node].port(sender.port.index)
            else { return delivery }
            let offset = Int(mlid.rawValue - MulticastForwardingTableBlock.firstMLID)
            let block = offset / MulticastForwardingTableBlock.entriesPerBlock, entry = offset % MulticastForwardingTableBlock.entriesPerBlock
            var reached: Set<Int> = []
            // Copies in flight: the port each arrives at.
            var pending: [PortAddress] = []
            if state.nodes[sender.node].type == .switch {
                pending.append(PortAddress(node: sender.node, port: .management))
            } else if port.info.state == .active, let remote = port.remote {
                pending.append(remote)
            } else {
                delivery.droppedAtInactiveLinks += 1
            }
            while let arrival = pending.popLast() {
                let node = state.nodes[arrival.node]
                guard node.type == .switch else {
                    if arrival != sender { delivery.receivers[arrival, default: 0] += 1 }
                    continue
                }
                guard reached.insert(arrival.node).inserted else {
                    delivery.switchesReachedTwice.insert(arrival.node)
                    continue
                }
                for position in 0..<((node.ports.count + 15) / 16) {
                    let key = MulticastForwardingTableBlock.modifier(block: block, position: position)
                    guard let mask = node.multicastBlocks[key]?[entry], mask != 0 else { continue }
                    for bit in 0..<16 where mask & (1 << bit) != 0 {
                        let exit = position * 16 + bit
                        // Port 0 is the switch itself (its own QP would receive); a copy never goes back in.
                        guard exit != 0, exit != arrival.port.index, let out = node.port(exit), out.remote != nil else { continue }
                        guard out.info.state == .active, let remote = out.remote else {
                            delivery.droppedAtInactiveLinks += 1
                            continue
                        }
                        pending.append(remote)
                    }
                }
            }
            return delivery
        }
    }

    /// A port's GUID (a switch's ports share the node's).
    public func portGUID(_ port: PortAddress) -> GUID? {
        state.withLock { $0.nodes[port.node].port(port.port.index)?.guid }
    }

    /// A snapshot of a port's P_Key table (for a switch, of port `port`), for tests and simulated hosts.
    public func pKeys(_ port: PortAddress) -> [PKey] {
        state.withLock { $0.nodes[port.node].port(port.port.index)?.pKeys ?? [] }
    }

    /// The MFT entry of switch `node` for `mlid`: the ports it forwards to.
    public func multicastPorts(node: Int, mlid: LID) -> [PortNumber] {
        state.withLock { state in
            let switchNode = state.nodes[node]
            guard mlid.rawValue >= MulticastForwardingTableBlock.firstMLID else { return [] }
            let offset = Int(mlid.rawValue - MulticastForwardingTableBlock.firstMLID)
            let block = offset / MulticastForwardingTableBlock.entriesPerBlock, entry = offset % MulticastForwardingTableBlock.entriesPerBlock
            var ports: [PortNumber] = []
            for position in 0..<((switchNode.ports.count + 15) / 16) {
                let key = MulticastForwardingTableBlock.modifier(block: block, position: position)
                guard let mask = switchNode.multicastBlocks[key]?[entry] else { continue }
                for bit in 0..<16 where mask & (1 << bit) != 0 { ports.append(PortNumber(UInt8(position * 16 + bit))) }
            }
            return ports
        }
    }
}
