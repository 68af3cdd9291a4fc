import FabricModel
import IBWire
import Routing

/// Who the SM is, as the SA reports it (SMInfoRecord, ClassPortInfo, Notice issuer) and trusts it.
public struct SMIdentity: Hashable, Sendable {
    /// The SM's own port in the fabric.
    public var port: PortAddress
    public var guid: GUID
    public var lid: LID
    public var priority: UInt8
    public var state: SMState
    /// A request whose SA header carries this key is trusted (OpenSM's default key is 1).
    public var smKey: UInt64
    public var activityCount: UInt32

    public init(port: PortAddress, guid: GUID, lid: LID, priority: UInt8 = 0, state: SMState = .master, smKey: UInt64 = 1,
                activityCount: UInt32 = 0) {
        self.port = port
        self.guid = guid
        self.lid = lid
        self.priority = priority
        self.state = state
        self.smKey = smKey
        self.activityCount = activityCount
    }
}

/// Settings of how paths are described.
public struct PathOptions: Hashable, Sendable {
    /// PacketLifeTime of one switch hop, as a log2 code of 4.096 us (OpenSM's default
    /// packet_life_time is 0x12 for the whole path; here it grows with the hops taken).
    public var hopLifeTime: UInt8
    /// MTU code of ports whose PortInfo is not known (4: 2048 bytes).
    public var defaultMTU: UInt8
    /// How many multicast LIDs switches whose SwitchInfo is not known can hold.
    public var defaultMulticastFDBCap: Int

    public init(hopLifeTime: UInt8 = 12, defaultMTU: UInt8 = 4, defaultMulticastFDBCap: Int = 1024) {
        self.hopLifeTime = hopLifeTime
        self.defaultMTU = defaultMTU
        self.defaultMulticastFDBCap = defaultMulticastFDBCap
    }
}

/// What one sweep found and decided, frozen for the SA: the SA answers every query from the latest
/// snapshot, so a query never waits for a sweep. A class: queries share it without copying.
public final class SASnapshot: Sendable {
    public let fabric: Fabric
    public let lids: LIDAssignment
    public let tables: ForwardingTables
    public let sm: SMIdentity
    public let partitions: PartitionConfiguration
    public let subnetPrefix: UInt64
    public let options: PathOptions
    /// The SL2VL and VL arbitration tables the sweep read or wrote.
    public let virtualLanes: VirtualLaneTables
    /// Lookups built once per snapshot (shared by every copy).
    let index: SnapshotIndex

    public init(
        fabric: Fabric, lids: LIDAssignment, tables: ForwardingTables, sm: SMIdentity,
        partitions: PartitionConfiguration = .openSMDefault, subnetPrefix: UInt64 = GID.defaultPrefix,
        options: PathOptions = PathOptions(), virtualLanes: VirtualLaneTables = VirtualLaneTables()
    ) {
        self.virtualLanes = virtualLanes
        self.fabric = fabric
        self.lids = lids
        self.tables = tables
        self.sm = sm
        self.partitions = partitions
        self.subnetPrefix = subnetPrefix
        self.options = options
        index = SnapshotIndex(fabric: fabric, lids: lids, tables: tables, sm: sm, partitions: partitions, options: options)
    }

    /// The GID of an endport.
    public func gid(ofEndport index: Int) -> GID { GID(port: lids.endports[index].guid, prefix: subnetPrefix) }

    /// The endport (index into `lids.endports`) of a unicast GID on this subnet.
    public func endport(of gid: GID) -> Int? {
        guard gid.prefix == subnetPrefix || gid.prefix == GID.defaultPrefix else { return nil }
        return index.endportByGUID[gid.guid]
    }

    /// The P_Key table each endport should hold (default partition first), from the partitions.
    public var pKeyTables: [PortAddress: [PKey]] {
        var result: [PortAddress: [PKey]] = [:]
        for (position, endport) in lids.endports.enumerated() { result[endport.address] = index.pKeys[position] }
        return result
    }
}

/// Per-snapshot lookups.
final class SnapshotIndex: Sendable {
    let endportByGUID: GUIDTable
    /// P_Keys of each endport, by endport index.
    let pKeys: [[PKey]]
    /// The same as the distinct lists and, per endport, which one it holds: endports share a few lists,
    /// so PathRecords read two small integers and lists that stay in cache.
    let pKeyLists: [[PKey]]
    let pKeyListOfEndport: [UInt32]
    /// MTU code and rate (in 100 Mb/s units) of the link of each port, `portBase[node] + port`.
    let portBase: [Int]
    let linkMTU: [UInt8]
    let linkRate: [UInt32]
    /// The smallest MulticastFDBCap of the switches.
    let multicastCap: Int
    /// For following LFTs without touching the model (PathRecords are the hot path): whether each node
    /// is a switch, its slot in the tables, the far end of each port (`portBase[node] + port`, node -1:
    /// no cable), and the tables LID-major (`entries[lid * switchCount + slot]`).
    let isSwitch: [Bool]
    let slotOfNode: [Int32]
    let remoteNode: [Int32]
    let remotePort: [UInt8]
    let entries: [UInt8]
    let switchCount: Int
    /// The same, packed for the walk (three arrays to hold, not eight).
    struct WalkNode { var portBase: Int32; var slot: Int32 }
    struct WalkLink { var remoteNode: Int32; var remotePort: UInt8; var mtu: UInt8; var rate: UInt32 }
    let walkNodes: [WalkNode]
    let walkLinks: [WalkLink]
    /// What each route gives, per switch and LID (`PathSummaries`).
    let summaries: PathSummaries
    /// The switch-to-switch links, for the multicast trees (recomputed after every join or leave otherwise).
    let switchAdjacency: SwitchAdjacency
    let lids: LIDAssignment
    let lidCount: Int

    init(fabric: Fabric, lids: LIDAssignment, tables: ForwardingTables, sm: SMIdentity, partitions: PartitionConfiguration, options: PathOptions) {
        endportByGUID = GUIDTable(lids.endports.enumerated().map { ($0.element.guid, $0.offset) })

        var base: [Int] = []
        var total = 0
        for node in fabric.nodes {
            base.append(total)
            total += node.ports.count
        }
        portBase = base
        var mtus = [UInt8](repeating: 0, count: total)
        var rates = [UInt32](repeating: 0, count: total)
        func portMTU(_ port: FabricPort) -> UInt8 {
            guard let info = port.info else { return options.defaultMTU }
            let cap = info.mtuCap
            return cap != 0 ? cap : options.defaultMTU
        }
        for (nodeIndex, node) in fabric.nodes.enumerated() {
            for port in node.ports {
                guard let port, let remote = port.remote, let peer = fabric[remote] else { continue }
                let slot = base[nodeIndex] + port.number.index
                var mtu = min(portMTU(port), portMTU(peer))
                if let neighbor = port.info?.neighborMTU, neighbor != 0 { mtu = min(mtu, neighbor) }
                mtus[slot] = mtu
                rates[slot] = min(dataRate(of: port), dataRate(of: peer))
            }
        }
        linkMTU = mtus
        linkRate = rates
        var remoteNodes = [Int32](repeating: -1, count: total)
        var remotePorts = [UInt8](repeating: 0, count: total)
        for (nodeIndex, node) in fabric.nodes.enumerated() {
            for port in node.ports {
                guard let port, let remote = port.remote else { continue }
                remoteNodes[base[nodeIndex] + port.number.index] = Int32(remote.node)
                remotePorts[base[nodeIndex] + port.number.index] = remote.port.rawValue
            }
        }
        remoteNode = remoteNodes
        remotePort = remotePorts
        isSwitch = fabric.nodes.map { $0.type == .switch }
        var slots = [Int32](repeating: -1, count: fabric.nodes.count)
        for (slot, node) in tables.switches.enumerated() { slots[node] = Int32(slot) }
        slotOfNode = slots
        switchCount = tables.switches.count
        lidCount = Int(tables.top.rawValue) + 1
        entries = tables.lidMajorEntries(switches: tables.switches, lidCount: lidCount)
        switchAdjacency = SwitchAdjacency(fabric)
        walkNodes = fabric.nodes.indices.map { WalkNode(portBase: Int32(base[$0]), slot: slots[$0]) }
        walkLinks = (0..<total).map { WalkLink(remoteNode: remoteNodes[$0], remotePort: remotePorts[$0], mtu: mtus[$0], rate: rates[$0]) }
        self.lids = lids
        var cap = Int.max
        for index in fabric.switches {
            cap = min(cap, fabric[index].switchInfo.map { $0.multicastFDBCap } ?? options.defaultMulticastFDBCap)
        }
        multicastCap = cap == Int.max ? options.defaultMulticastFDBCap : max(0, min(cap, 0x3FFF))
        pKeys = resolvePartitions(partitions, fabric: fabric, lids: lids, sm: sm)
        var listIndex: [[PKey]: UInt32] = [:]
        var lists: [[PKey]] = []
        pKeyListOfEndport = pKeys.map { keys in
            if let known = listIndex[keys] { return known }
            lists.append(keys)
            listIndex[keys] = UInt32(lists.count - 1)
            return UInt32(lists.count - 1)
        }
        pKeyLists = lists
        summaries = PathSummaries(walkNodes: walkNodes, walkLinks: walkLinks, tableEntries: entries, switches: tables.switches,
                                  lidCount: lidCount, lids: lids)
    }

    func slot(_ address: PortAddress) -> Int { portBase[address.node] + address.port.index }
}

/// Data rate of a port's link in 100 Mb/s units (4x QDR: 400).
func dataRate(of port: FabricPort) -> UInt32 {
    let lanes: UInt32 = switch port.width {
    case .x1: 1
    case .x2: 2
    case .x8: 8
    case .x12: 12
    default: 4
    }
    let perLane: UInt32 = switch port.speed {
    case .sdr: 25
    case .ddr: 50
    case .qdr, .fdr10: 100
    case .fdr: 140
    case .edr: 250
    case .hdr: 500
    case .ndr: 1000
    case .unknown: 25
    }
    return lanes * perLane
}

/// IBA rate codes and their rates in 100 Mb/s units.
let rateCodes: [(code: UInt8, rate: UInt32)] = [
    (2, 25), (5, 50), (3, 100), (11, 140), (6, 200), (15, 250), (7, 400), (19, 280), (12, 560), (20, 500), (8, 600),
    (9, 800), (16, 1000), (13, 1120), (10, 1200), (14, 1680), (17, 2000), (18, 3000), (21, 4000), (22, 6000),
]

/// The rate of an IBA rate code (0 for an unknown code).
func rate(ofCode code: UInt8) -> UInt32 { rateCodes.first { $0.code == code }?.rate ?? 0 }

/// The code of the fastest rate not above `rate`.
func rateCode(for rate: UInt32) -> UInt8 {
    var best: (code: UInt8, rate: UInt32) = (2, 25)
    for entry in rateCodes where entry.rate <= rate && entry.rate > best.rate { best = entry }
    return best.code
}

/// Each endport's P_Keys: the default partition (0x7FFF) first, then by partition number; a port in
/// a partition both ways gets both keys.
func resolvePartitions(_ configuration: PartitionConfiguration, fabric: Fabric, lids: LIDAssignment, sm: SMIdentity) -> [[PKey]] {
    var keys = [Set<PKey>](repeating: [], count: lids.endports.count)
    for partition in configuration.partitions {
        for member in partition.members {
            for (position, endport) in lids.endports.enumerated() {
                let node = fabric[endport.address.node]
                let selected: Bool = switch member.selector {
                case .all: true
                case .allCAs: node.type == .channelAdapter
                case .allSwitches: node.type == .switch
                case .allRouters: node.type == .router
                case .smPort: endport.address == sm.port
                case .guid(let guid): endport.guid == guid || node.guid == guid
                }
                guard selected else { continue }
                switch member.membership {
                case .full: keys[position].insert(PKey(partition.pKey | 0x8000))
                case .limited: keys[position].insert(PKey(partition.pKey))
                case .both:
                    keys[position].insert(PKey(partition.pKey | 0x8000))
                    keys[position].insert(PKey(partition.pKey))
                }
            }
        }
    }
    return keys.map { set in
        set.sorted { a, b in
            func order(_ key: PKey) -> (Int, UInt16, Int) { (key.base == 0x7FFF ? 0 : 1, key.base, key.isFullMember ? 0 : 1) }
            return order(a) < order(b)
        }
    }
}
