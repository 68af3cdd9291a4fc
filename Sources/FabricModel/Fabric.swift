import IBWire

/// Where a port sits: a node (by index into `Fabric.nodes`) and a port number on it.
public struct PortAddress: Hashable, Sendable, Comparable {
    public var node: Int
    public var port: PortNumber
    public init(node: Int, port: PortNumber) {
        self.node = node
        self.port = port
    }
    public static func < (a: PortAddress, b: PortAddress) -> Bool { (a.node, a.port) < (b.node, b.port) }
}

/// A port of a node as discovered or described.
public struct FabricPort: Hashable, Sendable {
    public var number: PortNumber
    /// Port GUID (for a switch, every port shares port 0's GUID).
    public var guid: GUID
    public var lid: LID
    public var lmc: UInt8
    public var state: PortState
    public var physicalState: PhysicalPortState
    public var width: LinkWidth
    public var speed: LinkSpeed
    /// The port at the other end of this port's cable, if linked.
    public var remote: PortAddress?
    /// The PortInfo as the port reported it, when it was read from a fabric.
    public var info: PortInfo?

    public init(
        number: PortNumber, guid: GUID, lid: LID = .unassigned, lmc: UInt8 = 0, state: PortState = .down,
        physicalState: PhysicalPortState = .polling, width: LinkWidth = .x4, speed: LinkSpeed = .sdr,
        remote: PortAddress? = nil, info: PortInfo? = nil
    ) {
        self.number = number
        self.guid = guid
        self.lid = lid
        self.lmc = lmc
        self.state = state
        self.physicalState = physicalState
        self.width = width
        self.speed = speed
        self.remote = remote
        self.info = info
    }
}

/// A switch, channel adapter or router.
public struct FabricNode: Hashable, Sendable {
    public var type: NodeType
    public var guid: GUID
    public var systemImageGUID: GUID
    /// The NodeDescription text.
    public var description: String
    /// The number of external ports (NodeInfo.NumPorts).
    public var portCount: Int
    public var vendorID: UInt32
    public var deviceID: UInt16
    public var revision: UInt32
    /// Indexed by port number, 0...portCount; nil where nothing is known about a port (a CA has no port 0).
    public var ports: [FabricPort?]
    /// The NodeInfo as the node reported it, when read from a fabric.
    public var nodeInfo: NodeInfo?
    /// Switches only: the SwitchInfo as read.
    public var switchInfo: SwitchInfo?

    public init(
        type: NodeType, guid: GUID, systemImageGUID: GUID? = nil, description: String, portCount: Int,
        vendorID: UInt32 = 0, deviceID: UInt16 = 0, revision: UInt32 = 0
    ) {
        self.type = type
        self.guid = guid
        self.systemImageGUID = systemImageGUID ?? guid
        self.description = description
        self.portCount = portCount
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.revision = revision
        self.ports = Array(repeating: nil, count: portCount + 1)
    }

    public func port(_ number: PortNumber) -> FabricPort? {
        number.index < ports.count ? ports[number.index] : nil
    }

    /// The external ports that are known, in order.
    public var knownPorts: [FabricPort] { ports.dropFirst().compactMap { $0 } }

    /// The node's base LID: port 0's for a switch, the first known port's otherwise.
    public var baseLID: LID {
        if type == .switch { return ports.first??.lid ?? .unassigned }
        return knownPorts.first?.lid ?? .unassigned
    }
}

/// One cable: two ports, each end written once.
public struct Link: Hashable, Sendable {
    public var a: PortAddress
    public var b: PortAddress
}

/// A whole subnet: nodes, their ports, and the links between them.
public struct Fabric: Sendable {
    public private(set) var nodes: [FabricNode] = []
    private var indexByGUID: [GUID: Int] = [:]
    /// The node and port the fabric was seen from (the SM's own port), when it came from a sweep.
    public var origin: PortAddress?

    public init() {}

    /// Adds a node; its GUID must be new.
    @discardableResult
    public mutating func add(_ node: FabricNode) throws(FabricError) -> Int {
        guard indexByGUID[node.guid] == nil else { throw .duplicateGUID(node.guid, node.description) }
        nodes.append(node)
        indexByGUID[node.guid] = nodes.count - 1
        return nodes.count - 1
    }

    public func index(of guid: GUID) -> Int? { indexByGUID[guid] }
    public func node(_ guid: GUID) -> FabricNode? { indexByGUID[guid].map { nodes[$0] } }

    /// Borrowed, not copied: `fabric[node].guid` in a hot loop must not retain every array of the node.
    public subscript(index: Int) -> FabricNode {
        _read { yield nodes[index] }
        _modify {
            let guid = nodes[index].guid
            yield &nodes[index]
            precondition(nodes[index].guid == guid, "a node's GUID is its identity")
        }
    }

    public subscript(address: PortAddress) -> FabricPort? { nodes[address.node].port(address.port) }

    /// Sets or replaces a port of a node.
    public mutating func setPort(_ port: FabricPort, of node: Int) throws(FabricError) {
        guard port.number.index < nodes[node].ports.count else {
            throw .portOutOfRange(nodes[node].description, port.number, nodes[node].portCount)
        }
        nodes[node].ports[port.number.index] = port
    }

    /// Links two existing ports, both ends. Fails if either end already has another peer.
    public mutating func connect(_ a: PortAddress, _ b: PortAddress) throws(FabricError) {
        guard let portA = self[a], let portB = self[b] else {
            let missing = self[a] == nil ? a : b
            throw .portOutOfRange(nodes[missing.node].description, missing.port, nodes[missing.node].portCount)
        }
        if let peer = portA.remote, peer != b { throw .inconsistentLink(describe(a), describe(peer), describe(b)) }
        if let peer = portB.remote, peer != a { throw .inconsistentLink(describe(b), describe(peer), describe(a)) }
        nodes[a.node].ports[a.port.index]?.remote = b
        nodes[b.node].ports[b.port.index]?.remote = a
    }

    /// Unplugs the link at `a`, both ends (a running SM's model after a link went down).
    public mutating func disconnect(_ a: PortAddress) {
        guard let b = self[a]?.remote else { return }
        nodes[a.node].ports[a.port.index]?.remote = nil
        nodes[b.node].ports[b.port.index]?.remote = nil
    }

    /// Every link once, ordered by its lower end.
    public var links: [Link] {
        var result: [Link] = []
        for (index, node) in nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) {
                guard let remote = port.remote else { continue }
                let here = PortAddress(node: index, port: port.number)
                if here < remote { result.append(Link(a: here, b: remote)) }
            }
        }
        return result
    }

    public var switches: [Int] { nodes.indices.filter { nodes[$0].type == .switch } }
    public var channelAdapters: [Int] { nodes.indices.filter { nodes[$0].type == .channelAdapter } }

    /// `"sw1"[3]`, for messages.
    public func describe(_ address: PortAddress) -> String { "\"\(nodes[address.node].description)\"[\(address.port)]" }
}

/// Why a fabric model could not be built as asked.
public enum FabricError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicateGUID(GUID, String)
    case portOutOfRange(String, PortNumber, Int)
    case inconsistentLink(String, String, String)

    public var description: String {
        switch self {
        case .duplicateGUID(let guid, let name): "duplicate GUID \(guid) (node \"\(name)\")"
        case .portOutOfRange(let name, let port, let count): "port \(port) of \"\(name)\" is beyond its \(count) ports"
        case .inconsistentLink(let port, let peer, let other):
            "\(port) is linked to \(peer) and also to \(other)"
        }
    }
}
