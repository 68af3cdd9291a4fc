import FabricModel
import IBTransport
import IBWire

/// Traps the simulated agents send, as ibsim's do: a switch whose port changed state sends Trap 128 from
/// its port 0, and a port whose IsSM capability changed sends Trap 144, each once (never repeated),
/// LID-routed to the port's MasterSMLID through the programmed tables across ACTIVE links. A trap whose
/// route fails, or that reaches a port where no SM listens, is lost. A port with no LID or no
/// MasterSMLID sends none.

/// A trap an agent sends: its MAD (nil when the port has no LID or MasterSMLID to send it with) and the
/// SM port its route reached (nil: lost on the way).
struct OutgoingTrap {
    var mad: [UInt8]?
    var source: LID
    var reached: PortAddress?
}

extension SimulatedFabric.State {
    /// A switch's port changed state: it sets SwitchInfo.PortStateChange and builds its Trap 128 (nil if
    /// `node` is no switch). The trap's route is taken now, with the link already changed.
    mutating func portStateChanged(onSwitch node: Int) -> OutgoingTrap? {
        guard nodes[node].type == .switch else { return nil }
        nodes[node].switchInfo?.portStateChange = true
        guard let port0 = nodes[node].port(0) else { return nil }
        var notice = Notice()
        notice.isGeneric = true
        notice.type = 1 // urgent
        notice.producerType = UInt32(NodeType.switch.rawValue)
        notice.trapNumber = 128
        notice.issuerLID = port0.info.lid
        notice.dataLID = port0.info.lid
        return trap(notice, from: PortAddress(node: node, port: .management))
    }

    /// Sets or clears IsSM (CapabilityMask bit 1) on `port`; when that changed it, the port's Trap 144.
    mutating func setIsSM(_ isSM: Bool, at port: PortAddress) -> OutgoingTrap? {
        guard var info = nodes[port.node].port(port.port.index)?.info else { return nil }
        let mask = isSM ? info.capabilityMask | 0x2 : info.capabilityMask & ~0x2
        guard mask != info.capabilityMask else { return nil }
        info.capabilityMask = mask
        nodes[port.node].ports[port.port.index]?.info = info
        var notice = Notice()
        notice.isGeneric = true
        notice.type = 4 // informational
        notice.producerType = UInt32(nodes[port.node].type.rawValue)
        notice.trapNumber = 144
        notice.issuerLID = info.lid
        notice.trap144LID = info.lid
        notice.trap144CapabilityMask = mask
        return trap(notice, from: port)
    }

    /// The Trap (class 0x01, method Trap, attribute Notice, TID 0) `port` sends to its MasterSMLID, and
    /// where its route ends; nil when the port has no LID or no MasterSMLID.
    private func trap(_ notice: Notice, from port: PortAddress) -> OutgoingTrap? {
        guard let info = nodes[port.node].port(port.port.index)?.info else { return nil }
        let smLID = info.masterSMLID
        guard info.lid != .unassigned, smLID != .unassigned else {
            return OutgoingTrap(mad: nil, source: info.lid, reached: nil)
        }
        let mad = SMP(method: .trap, attribute: .notice, transactionID: 0, addressing: .lidRouted(smLID),
                      payload: SMPBytes(notice.bytes)).encoded()
        let arrival = forwardLIDRouted(to: smLID, from: Arrival(node: port.node, port: port.port.index), leavingBy: port.port.index)
        return OutgoingTrap(mad: mad, source: info.lid, reached: arrival.map(smPort(at:)))
    }
}

extension SimulatedFabric {
    /// Puts `traps` on the wire, after the faults, and hands those that arrive to the listener at their
    /// destination port. Called with neither lock held.
    func send(_ traps: [OutgoingTrap]) {
        guard !traps.isEmpty else { return }
        var deliveries: [(InboundQueue, InboundMAD)] = []
        inbound.withLock { inbound in
            for trap in traps {
                guard let bytes = trap.mad else {
                    inbound.counters.trapsUnaddressed += 1
                    continue
                }
                inbound.counters.trapsSent += 1
                if inbound.trapFaults.dropNext > 0 {
                    inbound.trapFaults.dropNext -= 1
                    inbound.counters.trapsDroppedByFault += 1
                    continue
                }
                guard let port = trap.reached, let listener = inbound.listeners[port], listener.serves(ManagementClass.lidRoutedSMP.rawValue),
                      let mad = try? InboundMAD(bytes: bytes, source: .subnetManagement(trap.source))
                else {
                    inbound.counters.trapsLost += 1
                    continue
                }
                let copies = inbound.trapFaults.duplicate ? 2 : 1
                if copies == 2 { inbound.counters.trapsDuplicatedByFault += 1 }
                inbound.counters.trapsDelivered += copies
                for _ in 0..<copies { deliveries.append((listener.sink, mad)) }
            }
        }
        for (sink, mad) in deliveries { sink.yield(mad) }
    }

    /// Takes the link at `port` down and up again `cycles` times, `period` per cycle (half down, half
    /// up), ending up. Every transition sends its traps, as `setLink` does.
    public func flapLink(_ port: PortAddress, cycles: Int, period: Duration) async {
        for _ in 0..<max(0, cycles) {
            setLink(port, up: false)
            try? await Task.sleep(for: period / 2)
            setLink(port, up: true)
            try? await Task.sleep(for: period / 2)
        }
    }
}
