import FabricModel
import IBWire

/// What each node's subnet management agent does with an SMP that reached it.
extension SimulatedFabric.State {
    /// Answers `request` at `arrival`; returns the status and the response payload.
    mutating func answer(_ request: SMP, at arrival: Arrival) -> (MADStatus, SMPBytes) {
        let type = nodes[arrival.node].type
        let isGet = request.method == .get
        guard isGet || request.method == .set else { return (.methodNotSupported, request.payload) }
        switch request.attribute {
        case .nodeInfo where isGet:
            var info = nodes[arrival.node].nodeInfo
            info.localPortNumber = PortNumber(UInt8(arrival.port))
            if type != .switch, let guid = nodes[arrival.node].port(arrival.port)?.guid { info.portGUID = guid }
            return (.ok, SMPBytes(info.bytes))
        case .nodeDescription where isGet:
            return (.ok, SMPBytes(nodes[arrival.node].nodeDescription.bytes))
        case .portInfo:
            return portInfo(request, at: arrival)
        case .switchInfo where type == .switch:
            guard var info = nodes[arrival.node].switchInfo else { return (.methodAttributeNotSupported, request.payload) }
            if !isGet {
                let written = SwitchInfo(bytes: request.payload.array)
                info.linearFDBTop = written.linearFDBTop
                info.lifeTime = written.lifeTime
                // PortStateChange is cleared by writing 1.
                if written.portStateChange { info.portStateChange = false }
                nodes[arrival.node].switchInfo = info
            }
            return (.ok, SMPBytes(info.bytes))
        case .smInfo where isGet:
            // Answered by an SM running on the port the SMP came in on (port 0 on a switch).
            let smPort = PortAddress(node: arrival.node, port: PortNumber(UInt8(type == .switch ? 0 : arrival.port)))
            guard let info = subnetManagers[smPort] else { return (.methodAttributeNotSupported, request.payload) }
            return (.ok, SMPBytes(info.bytes))
        case .linearForwardingTable where type == .switch:
            return forwardingTableBlock(request, node: arrival.node)
        case .multicastForwardingTable where type == .switch:
            return multicastTableBlock(request, node: arrival.node)
        case .pKeyTable:
            return pKeyTableBlock(request, at: arrival)
        case .slToVLMappingTable:
            return slToVLTable(request, at: arrival)
        case .vlArbitrationTable:
            return vlArbitrationBlock(request, at: arrival)
        default:
            return (.methodAttributeNotSupported, request.payload)
        }
    }

    private mutating func forwardingTableBlock(_ request: SMP, node index: Int) -> (MADStatus, SMPBytes) {
        let capacity = nodes[index].switchInfo?.linearFDBCap ?? 0
        let block = Int(request.attributeModifier)
        let entries = LinearForwardingTableBlock.entriesPerBlock
        guard block < capacity / entries else { return (.invalidAttributeValue, request.payload) }
        let range = (block * entries)..<((block + 1) * entries)
        // A block's payload is its 64 output ports, one byte each in LID order (IBA 14.2.5.10):
        // copied as they are, since a third of the SMPs of a sweep are blocks.
        if request.method == .set {
            if nodes[index].forwardingTable.count < range.upperBound {
                nodes[index].forwardingTable += [UInt8](repeating: 255, count: range.upperBound - nodes[index].forwardingTable.count)
            }
            nodes[index].forwardingTable.replaceSubrange(range, with: request.payload)
        }
        let table = nodes[index].forwardingTable
        return (.ok, range.upperBound <= table.count ? SMPBytes(table[range]) : SMPBytes(range.map { $0 < table.count ? table[$0] : 255 }))
    }

    /// A MulticastForwardingTable block (32 MLIDs at one position of 16 ports): past MulticastFDBCap, 0x1C.
    private mutating func multicastTableBlock(_ request: SMP, node index: Int) -> (MADStatus, SMPBytes) {
        let capacity = nodes[index].switchInfo?.multicastFDBCap ?? 0
        let (block, position) = MulticastForwardingTableBlock.blockAndPosition(of: request.attributeModifier)
        let entries = MulticastForwardingTableBlock.entriesPerBlock
        guard block * entries < capacity, position * MulticastForwardingTableBlock.portsPerPosition <= nodes[index].ports.count - 1
        else { return (.invalidAttributeValue, request.payload) }
        let key = MulticastForwardingTableBlock.modifier(block: block, position: position)
        if request.method == .set {
            let masks = MulticastForwardingTableBlock(bytes: request.payload.array).portMasks
            nodes[index].multicastBlocks[key] = masks.allSatisfy { $0 == 0 } ? nil : masks
        }
        let masks = nodes[index].multicastBlocks[key] ?? [UInt16](repeating: 0, count: entries)
        return (.ok, SMPBytes(MulticastForwardingTableBlock(portMasks: masks).bytes))
    }

    /// A P_KeyTable block of 32 entries: on a CA, of the port the SMP came in on; on a switch, of the port
    /// in modifier bits 16-23. Endports hold PartitionCap entries, switch ports PartitionEnforcementCap.
    private mutating func pKeyTableBlock(_ request: SMP, at arrival: Arrival) -> (MADStatus, SMPBytes) {
        let isSwitch = nodes[arrival.node].type == .switch
        let number = isSwitch ? Int(request.attributeModifier >> 16 & 0xFF) : arrival.port
        let block = Int(request.attributeModifier & 0xFFFF)
        guard let port = nodes[arrival.node].port(number) else { return (.invalidAttributeValue, request.payload) }
        let capacity = isSwitch && number != 0
            ? Int(nodes[arrival.node].switchInfo?.partitionEnforcementCap ?? 0)
            : Int(nodes[arrival.node].nodeInfo.partitionCap)
        let perBlock = PKeyTableBlock.entriesPerBlock
        guard block * perBlock < max(capacity, 1) else { return (.invalidAttributeValue, request.payload) }
        var keys = port.pKeys
        if request.method == .set {
            let written = PKeyTableBlock(bytes: request.payload.array).keys
            let needed = min(block * perBlock + perBlock, max(capacity, 1))
            if keys.count < needed { keys += [PKey](repeating: .invalid, count: needed - keys.count) }
            for (offset, key) in written.enumerated() where block * perBlock + offset < needed { keys[block * perBlock + offset] = key }
            while let last = keys.last, last == .invalid { keys.removeLast() }
            nodes[arrival.node].ports[number]?.pKeys = keys
        }
        let shown = (0..<perBlock).map { block * perBlock + $0 < keys.count ? keys[block * perBlock + $0] : .invalid }
        return (.ok, SMPBytes(PKeyTableBlock(keys: shown).bytes))
    }

    /// ibsim's defaults: SL i to VL i, SL 15 to VL 7; arbitration high "0:4, 1..14:0", low "0:0, 1..14:4".
    static let defaultSLToVL: UInt64 = 0x0123_4567_89AB_CDE7
    static func defaultArbitration(_ block: UInt8) -> [VLArbitrationEntry] {
        var all = [VLArbitrationEntry](repeating: VLArbitrationEntry(vl: 0, weight: 0), count: 64)
        for vl in 0..<15 {
            let weight: UInt8 = (vl == 0) == (block >= 3) ? 4 : 0
            all[vl] = VLArbitrationEntry(vl: UInt8(vl), weight: weight)
        }
        return block % 2 == 1 ? Array(all[0..<32]) : Array(all[32..<64])
    }

    /// SLtoVLMappingTable as ibsim keeps it: a switch's modifier names the input (bits 8-15) and output
    /// (bits 0-7) ports, both of which must exist (0x1C otherwise); a CA has one table per port.
    private mutating func slToVLTable(_ request: SMP, at arrival: Arrival) -> (MADStatus, SMPBytes) {
        let isSwitch = nodes[arrival.node].type == .switch
        let (input, output) = SLToVLMappingTable.ports(of: request.attributeModifier)
        let portNumber = isSwitch ? output.index : arrival.port
        let key = isSwitch ? input.rawValue : 0
        guard var port = nodes[arrival.node].port(portNumber), !isSwitch || nodes[arrival.node].port(input.index) != nil else {
            return (.invalidAttributeValue, request.payload)
        }
        if request.method == .set {
            port.slToVL[key] = SLToVLMappingTable(bytes: request.payload.array).packed
            nodes[arrival.node].ports[portNumber] = port
        }
        return (.ok, SMPBytes(SLToVLMappingTable(packed: port.slToVL[key] ?? Self.defaultSLToVL).bytes))
    }

    /// VLArbitrationTable as ibsim keeps it: block 1-4 (bits 16-31), a switch's output port (bits 0-15);
    /// only the port's capacity of entries is stored, a block past the capacity is refused (0x1C).
    private mutating func vlArbitrationBlock(_ request: SMP, at arrival: Arrival) -> (MADStatus, SMPBytes) {
        let isSwitch = nodes[arrival.node].type == .switch
        guard let (block, output) = VLArbitrationTableBlock.blockAndPort(of: request.attributeModifier) else {
            return (.invalidAttributeValue, request.payload)
        }
        let portNumber = isSwitch ? output.index : arrival.port
        guard var port = nodes[arrival.node].port(portNumber) else { return (.invalidAttributeValue, request.payload) }
        let cap = Int(block.isHighPriority ? port.info.vlArbitrationHighCap : port.info.vlArbitrationLowCap)
        let length = min(32, cap - block.firstEntry)
        guard length > 0 else { return (.invalidAttributeValue, request.payload) }
        if request.method == .set {
            port.vlArbitration[block.rawValue] = Array(VLArbitrationTableBlock(bytes: request.payload.array).entries.prefix(length))
            nodes[arrival.node].ports[portNumber] = port
        }
        let held = port.vlArbitration[block.rawValue] ?? Array(Self.defaultArbitration(block.rawValue).prefix(length))
        return (.ok, SMPBytes(VLArbitrationTableBlock(entries: held).bytes))
    }

    private mutating func portInfo(_ request: SMP, at arrival: Arrival) -> (MADStatus, SMPBytes) {
        // No copy of the node is held here: it would turn the Set below into a copy of all its ports.
        let isSwitch = nodes[arrival.node].type == .switch
        // On a CA, modifier 0 means the port the SMP came in on.
        let number = !isSwitch && request.attributeModifier == 0 ? arrival.port : Int(request.attributeModifier)
        guard request.attributeModifier <= 255, nodes[arrival.node].port(number) != nil else { return (.invalidAttributeValue, request.payload) }
        var status = MADStatus.ok
        // Like ibsim's agents, a CA takes a PortInfo Set only for the port the SMP came in on.
        if request.method == .set, !isSwitch, number != arrival.port {
            return (.invalidAttributeValue, request.payload)
        }
        if request.method == .set {
            status = setPortInfo(PortInfo(bytes: request.payload.array), node: arrival.node, port: number)
        }
        guard var info = nodes[arrival.node].ports[number]?.info else { return (.invalidAttributeValue, request.payload) }
        info.localPortNumber = PortNumber(UInt8(arrival.port))
        if !Self.showsMKey(info, to: request) { info.mKey = 0 }
        return (status, SMPBytes(info.bytes))
    }

    /// Applies a PortInfo Set with ibsim's rules: addresses are stored even when the state change is
    /// refused; the state machine is INIT -> ARMED -> ACTIVE, ACTIVE only once the peer is ARMED or ACTIVE;
    /// asking for the current state again, or any state on switch port 0, is refused (0x1C).
    /// Unlike ibsim, the M_Key fields are kept (on endports only: port 0 holds a switch's key).
    private mutating func setPortInfo(_ written: PortInfo, node: Int, port number: Int) -> MADStatus {
        guard var port = nodes[node].ports[number] else { return .invalidAttributeValue }
        let isSwitch = nodes[node].type == .switch
        var info = port.info
        if !isSwitch || number == 0 {
            info.lid = written.lid
            info.masterSMLID = written.masterSMLID
            info.masterSMSL = written.masterSMSL
            if !isSwitch || nodes[node].switchInfo?.enhancedPort0 == true { info.lmc = written.lmc }
            info.mKey = written.mKey
            info.mKeyLeasePeriod = written.mKeyLeasePeriod
            info.mKeyProtectBits = written.mKeyProtectBits
            info.mKeyViolations = written.mKeyViolations
        }
        info.gidPrefix = written.gidPrefix
        info.subnetTimeout = written.subnetTimeout
        info.clientReregister = written.clientReregister
        if written.linkWidthEnabled != 0 { info.linkWidthEnabled = written.linkWidthEnabled }
        if written.linkSpeedEnabled != 0 { info.linkSpeedEnabled = written.linkSpeedEnabled }

        var status = MADStatus.ok
        if written.neighborMTU != 0 {
            if written.neighborMTU <= info.mtuCap { info.neighborMTU = written.neighborMTU } else { status = .invalidAttributeValue }
        }
        if written.operationalVLs != 0 {
            if written.operationalVLs <= info.vlCap { info.operationalVLs = written.operationalVLs } else { status = .invalidAttributeValue }
        }
        let peerState = port.remote.flatMap { nodes[$0.node].port($0.port.index)?.info.state }
        switch (written.state, info.state) {
        case (.noChange?, _):
            break
        case (_, _) where isSwitch && number == 0:
            status = .invalidAttributeValue
        case (.down?, _):
            // The link retrains at once: a cabled port comes back in Initialize.
            info.state = port.remote == nil ? .down : .initialize
        case (.armed?, .initialize?):
            info.state = .armed
        case (.active?, .armed?) where peerState == .armed || peerState == .active:
            info.state = .active
        default:
            status = .invalidAttributeValue
        }
        port.info = info
        nodes[node].ports[number] = port
        return status
    }
}
