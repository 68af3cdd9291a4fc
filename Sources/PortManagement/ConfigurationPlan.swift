import FabricModel
import IBWire

/// What one port should hold. Nil fields are left as the port has them.
public struct PortSettings: Hashable, Sendable {
    /// Endports (CA ports, switch port 0): their base LID, LMC and the SM's LID.
    public var lid: LID?
    public var lmc: UInt8?
    public var masterSMLID: LID?
    public var subnetTimeout: UInt8?
    /// Linked ports: the smaller MTUCap and VLCap of the two ends.
    public var neighborMTU: UInt8?
    public var operationalVLs: UInt8?
    /// Ports with VL arbitration tables (more than one data VL): PortInfo.VLHighLimit.
    public var vlHighLimit: UInt8?
    /// Linked ports end up ACTIVE.
    public var activate: Bool
    /// Endports: the M_Key, protect bits and lease period (nil: leave them as they are).
    public var mKey: MKeyPolicy?
    /// Endports: the subnet prefix, the upper half of the port's GID (hosts build their GIDs from it).
    public var gidPrefix: UInt64?

    public init(lid: LID? = nil, lmc: UInt8? = nil, masterSMLID: LID? = nil, subnetTimeout: UInt8? = nil,
                neighborMTU: UInt8? = nil, operationalVLs: UInt8? = nil, activate: Bool = false, mKey: MKeyPolicy? = nil,
                gidPrefix: UInt64? = nil) {
        self.lid = lid
        self.lmc = lmc
        self.masterSMLID = masterSMLID
        self.subnetTimeout = subnetTimeout
        self.neighborMTU = neighborMTU
        self.operationalVLs = operationalVLs
        self.activate = activate
        self.mKey = mKey
        self.gidPrefix = gidPrefix
    }
}

/// What one switch's linear forwarding table should hold.
public struct SwitchProgram: Hashable, Sendable {
    /// LinearFDBTop: the highest LID the table routes.
    public var top: LID
    /// Output port for LIDs 0...top (255 = unrouted).
    public var entries: [UInt8]
    /// The only blocks that may differ from a table this SM wrote to the switch before (a repaired
    /// route knows them); nil: any block may.
    public var changedBlocks: [Int]?

    public init(top: LID, entries: [UInt8], changedBlocks: [Int]? = nil) {
        precondition(entries.count == Int(top.rawValue) + 1, "one entry per LID 0...top")
        self.top = top
        self.entries = entries
        self.changedBlocks = changedBlocks
    }

    public var blockCount: Int { (entries.count + 63) / 64 }

    /// Block `number` (64 entries, padded with 255 past the top).
    public func block(_ number: Int) -> [UInt8] {
        let start = number * 64
        var block = Array(entries[start..<min(start + 64, entries.count)])
        if block.count < 64 { block += [UInt8](repeating: 255, count: 64 - block.count) }
        return block
    }
}

/// The desired state of a fabric: every managed port and every switch's table. Pure data, computed
/// without I/O; `FabricProgrammer` makes the fabric match it.
public struct ConfigurationPlan: Sendable {
    public var ports: [PortAddress: PortSettings]
    public var switches: [Int: SwitchProgram]
    /// The SM's own port: configured before anything else.
    public var smPort: PortAddress?
    /// SL2VL and VL arbitration tables.
    public var virtualLanes: VirtualLanePlan

    public init(ports: [PortAddress: PortSettings] = [:], switches: [Int: SwitchProgram] = [:], smPort: PortAddress? = nil,
                virtualLanes: VirtualLanePlan = VirtualLanePlan()) {
        self.ports = ports
        self.switches = switches
        self.smPort = smPort
        self.virtualLanes = virtualLanes
    }

    /// The port settings every SM gives a fabric: LIDs on endports with the SM's LID and LMC, MTU and
    /// VLs agreed by both ends of each link, and every linked port activated. With `mKey`, endports get
    /// that M_Key too (only they use one: a switch's other ports are guarded by its port 0).
    public static func portSettings(
        for fabric: Fabric, lids: (PortAddress) -> LID?, lmc: UInt8, smLID: LID, subnetTimeout: UInt8, mKey: MKeyPolicy? = nil
    ) -> [PortAddress: PortSettings] {
        var result: [PortAddress: PortSettings] = [:]
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) {
                let address = PortAddress(node: index, port: port.number)
                if let settings = portSettings(of: address, in: fabric, lids: lids, lmc: lmc, smLID: smLID, subnetTimeout: subnetTimeout, mKey: mKey) {
                    result[address] = settings
                }

            }
        }
        return result
    }

    /// The settings of one port, as `portSettings(for:...)` gives them (nil: nothing to set).
    public static func portSettings(
        of address: PortAddress, in fabric: Fabric, lids: (PortAddress) -> LID?, lmc: UInt8, smLID: LID, subnetTimeout: UInt8, mKey: MKeyPolicy? = nil
    ) -> PortSettings? {
        let node = fabric[address.node]
        guard let port = fabric[address] else { return nil }
        var settings = PortSettings()
        let isEndport = node.type == .switch ? port.number == .management : port.remote != nil
        if isEndport, let lid = lids(address) {
            settings.lid = lid
            settings.lmc = node.type == .switch && node.switchInfo?.enhancedPort0 != true ? 0 : lmc
            settings.masterSMLID = smLID
            settings.subnetTimeout = subnetTimeout
            settings.mKey = mKey
            settings.gidPrefix = GID.defaultPrefix
        }
        if let remote = port.remote, let near = port.info, let far = fabric[remote]?.info {
            settings.neighborMTU = min(near.mtuCap, far.mtuCap)
            settings.operationalVLs = min(near.vlCap, far.vlCap)
            if near.vlCap > 1 { settings.vlHighLimit = VirtualLaneDefaults.openSM.highLimit }
            settings.activate = true
        }
        return settings == PortSettings() ? nil : settings
    }
}

extension Fabric {
    /// The directed route an SMP about `address` should take. A switch answers for any of its ports on
    /// its own route; a CA port is reached through its own link (agents such as ibsim's refuse a PortInfo
    /// Set for a port other than the one the SMP came in on).
    public func route(toPort address: PortAddress, nodeRoutes: [DirectedRoute]) -> DirectedRoute {
        let node = self[address.node]
        guard node.type != .switch, address != origin, let remote = self[address]?.remote else { return nodeRoutes[address.node] }
        if self[remote.node].type == .switch, let route = try? nodeRoutes[remote.node].appending(remote.port) { return route }
        // Cabled straight to the SM's own CA.
        if remote == origin { return (try? DirectedRoute.local.appending(remote.port)) ?? nodeRoutes[address.node] }
        return nodeRoutes[address.node]
    }
}
