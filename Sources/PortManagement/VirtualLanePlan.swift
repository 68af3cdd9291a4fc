import FabricModel
import IBWire

/// The QoS tables every port gets: OpenSM's defaults (`qos_max_vls`, `qos_high_limit`, `qos_vlarb_high`,
/// `qos_vlarb_low`, `qos_sl2vl` in opensm.conf; OSM_DEFAULT_QOS_* in osm_base.h).
public struct VirtualLaneDefaults: Sendable, Hashable {
    /// VLHighLimit in PortInfo.
    public var highLimit: UInt8
    /// The high- and low-priority arbitration entries, in order (missing ones are VL 0, weight 0).
    public var highPriority: [VLArbitrationEntry]
    public var lowPriority: [VLArbitrationEntry]
    /// The VL of SL 0...15 before it is fitted to a port's operational VLs.
    public var slToVL: [UInt8]

    public init(highLimit: UInt8, highPriority: [VLArbitrationEntry], lowPriority: [VLArbitrationEntry], slToVL: [UInt8]) {
        self.highLimit = highLimit
        self.highPriority = highPriority
        self.lowPriority = lowPriority
        self.slToVL = slToVL
    }

    /// OpenSM 3.3's: high "0:4,1:0,...,14:0", low "0:0,1:4,...,14:4", SL i to VL i (SL 15 to VL 7), high limit 0.
    public static let openSM = VirtualLaneDefaults(
        highLimit: 0,
        highPriority: (0..<15).map { VLArbitrationEntry(vl: UInt8($0), weight: $0 == 0 ? 4 : 0) },
        lowPriority: (0..<15).map { VLArbitrationEntry(vl: UInt8($0), weight: $0 == 0 ? 0 : 4) },
        slToVL: (0..<15).map { UInt8($0) } + [7])

    /// What OpenSM does with a VL a port does not operate: it keeps the VL's low bits (`vl & mask`, the mask
    /// one less than the number of data VLs, 0 for VL0 only). VL 15 (drop) in an SL2VL table stays 15.
    public static func fit(_ vl: UInt8, operationalVLs: UInt8) -> UInt8 {
        guard operationalVLs > 0 else { return 0 }
        let mask = UInt8((1 << (Int(operationalVLs) - 1)) - 1)
        return vl & mask
    }

    /// The SL2VL table for a port that operates `operationalVLs` (the PortInfo code).
    public func slToVLTable(operationalVLs: UInt8) -> SLToVLMappingTable {
        SLToVLMappingTable(vls: slToVL.map { $0 == 15 ? 15 : Self.fit($0, operationalVLs: operationalVLs) })
    }

    /// The arbitration blocks for a port with these capacities and operational VLs, with how many leading
    /// entries of each count (the port's VLArbitrationHighCap/LowCap; the rest of a block are not the port's).
    public func arbitrationBlocks(highCap: UInt8, lowCap: UInt8, operationalVLs: UInt8) -> [VLArbitrationTableBlock.Block: VirtualLanePlan.Arbitration] {
        var blocks: [VLArbitrationTableBlock.Block: VirtualLanePlan.Arbitration] = [:]
        func add(_ entries: [VLArbitrationEntry], cap: Int, first: VLArbitrationTableBlock.Block, second: VLArbitrationTableBlock.Block) {
            let all = (0..<64).map { index in
                let entry = index < entries.count ? entries[index] : VLArbitrationEntry(vl: 0, weight: 0)
                return VLArbitrationEntry(vl: Self.fit(entry.vl, operationalVLs: operationalVLs), weight: entry.weight)
            }
            let perBlock = VLArbitrationTableBlock.entriesPerBlock
            if cap > 0 { blocks[first] = .init(entries: Array(all[0..<min(cap, perBlock)])) }
            // OpenSM writes `cap % 32` entries here, none for a cap of 64: the whole second block is meant.
            if cap > perBlock { blocks[second] = .init(entries: Array(all[perBlock..<min(cap, 2 * perBlock)])) }
        }
        add(lowPriority, cap: Int(lowCap), first: .lowFirst, second: .lowSecond)
        add(highPriority, cap: Int(highCap), first: .highFirst, second: .highSecond)
        return blocks
    }
}

/// The desired SL2VL and VL arbitration tables of a fabric: pure data from the discovered PortInfos and the
/// operational VLs the port settings give each link. `FabricProgrammer` makes the fabric match it.
///
/// As OpenSM's osm_qos.c (non-optimized programming): every CA port and every linked switch port gets the
/// VL arbitration tables its VLArbitrationHighCap/LowCap allow, unless it has one data VL only (VLCap 1); a
/// port that supports SL mapping (a switch: its port 0 says so) gets the SL2VL table, on a switch one per
/// (input, output) pair; switch port 0 only when it is enhanced. With one operational data VL the tables are
/// still written (every SL to VL 0): a vendor table that sends an SL to a VL the port does not run drops it.
/// Unlike OpenSM, input ports that are down are left out (nothing arrives through them; the sweep that
/// brings them up programs them), which saves most reads on a fabric with many unused ports.
public struct VirtualLanePlan: Sendable, Hashable {
    /// One SL2VL table: a CA port's (`input` 0) or a switch's pair of ports.
    public struct TableKey: Hashable, Sendable, Comparable {
        /// The port the packets leave through (a CA port: the port itself).
        public var port: PortAddress
        /// The port they came in through (0 on a CA).
        public var input: PortNumber
        public init(port: PortAddress, input: PortNumber) {
            self.port = port
            self.input = input
        }
        public static func < (a: TableKey, b: TableKey) -> Bool { (a.port, a.input) < (b.port, b.input) }
    }

    /// The entries of a VL arbitration block that the port holds (its capacity), in order.
    public struct Arbitration: Hashable, Sendable {
        public var entries: [VLArbitrationEntry]
        public init(entries: [VLArbitrationEntry]) { self.entries = entries }
        public var block: VLArbitrationTableBlock { VLArbitrationTableBlock(entries: entries) }
        /// Whether a block read from the port holds these entries (what lies past the capacity is ignored).
        public func isHeld(by block: VLArbitrationTableBlock) -> Bool { Array(block.entries.prefix(entries.count)) == entries }
    }

    public struct ArbitrationKey: Hashable, Sendable, Comparable {
        public var port: PortAddress
        public var block: VLArbitrationTableBlock.Block
        public init(port: PortAddress, block: VLArbitrationTableBlock.Block) {
            self.port = port
            self.block = block
        }
        public static func < (a: ArbitrationKey, b: ArbitrationKey) -> Bool { (a.port, a.block.rawValue) < (b.port, b.block.rawValue) }
    }

    public var slToVL: [TableKey: SLToVLMappingTable]
    public var arbitration: [ArbitrationKey: Arbitration]

    public init(slToVL: [TableKey: SLToVLMappingTable] = [:], arbitration: [ArbitrationKey: Arbitration] = [:]) {
        self.slToVL = slToVL
        self.arbitration = arbitration
    }

    public var isEmpty: Bool { slToVL.isEmpty && arbitration.isEmpty }

    /// The tables `fabric` should hold. `operationalVLs` gives the OperationalVLs each port will have once
    /// its settings are applied (nil: the port keeps what discovery read).
    public static func plan(for fabric: Fabric, operationalVLs: (PortAddress) -> UInt8? = { _ in nil },
                            defaults: VirtualLaneDefaults = .openSM) -> VirtualLanePlan {
        var plan = VirtualLanePlan()
        func operating(_ address: PortAddress, _ info: PortInfo) -> UInt8 { operationalVLs(address) ?? info.operationalVLs }
        func arbitrate(_ address: PortAddress, _ info: PortInfo) {
            guard info.vlCap > 1 else { return }
            let blocks = defaults.arbitrationBlocks(highCap: info.vlArbitrationHighCap, lowCap: info.vlArbitrationLowCap,
                                                    operationalVLs: operating(address, info))
            for (block, entries) in blocks { plan.arbitration[ArbitrationKey(port: address, block: block)] = entries }
        }
        for (index, node) in fabric.nodes.enumerated() {
            if node.type == .switch {
                let enhanced = node.switchInfo?.enhancedPort0 == true
                let linked = node.knownPorts.filter { $0.remote != nil && $0.info != nil }
                for port in linked { arbitrate(PortAddress(node: index, port: port.number), port.info!) }
                let port0 = node.port(.management)?.info
                if enhanced, let port0 { arbitrate(PortAddress(node: index, port: .management), port0) }
                guard port0?.supportsSLMapping == true else { continue }
                let inputs = [PortNumber.management] + linked.map(\.number)
                var outputs = linked.map { ($0.number, $0.info!) }
                if enhanced, let port0 { outputs.insert((.management, port0), at: 0) }
                for (output, info) in outputs {
                    let address = PortAddress(node: index, port: output)
                    let table = defaults.slToVLTable(operationalVLs: operating(address, info))
                    for input in inputs { plan.slToVL[TableKey(port: address, input: input)] = table }
                }
            } else {
                for port in node.knownPorts where port.remote != nil {
                    guard let info = port.info else { continue }
                    let address = PortAddress(node: index, port: port.number)
                    arbitrate(address, info)
                    if info.supportsSLMapping {
                        plan.slToVL[TableKey(port: address, input: .management)] = defaults.slToVLTable(operationalVLs: operating(address, info))
                    }
                }
            }
        }
        return plan
    }
}
