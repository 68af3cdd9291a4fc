import FabricModel
import IBWire

/// Small fabrics written out by hand for tests, with GUIDs counted the way ibsim counts them.
public struct FabricBuilder {
    public private(set) var fabric = Fabric()
    private var nextSwitchGUID: UInt64 = 0x20_0000
    private var nextCAGUID: UInt64 = 0x10_0000
    private var indexByName: [String: Int] = [:]

    public init() {}

    @discardableResult
    public mutating func addSwitch(_ name: String, ports: Int) -> Int {
        var node = FabricNode(type: .switch, guid: GUID(nextSwitchGUID), description: name, portCount: ports)
        nextSwitchGUID += 1
        for number in 0...ports { node.ports[number] = FabricPort(number: PortNumber(UInt8(number)), guid: node.guid) }
        return insert(node, name)
    }

    @discardableResult
    public mutating func addCA(_ name: String, ports: Int = 1) -> Int {
        var node = FabricNode(type: .channelAdapter, guid: GUID(nextCAGUID), description: name, portCount: ports)
        for number in 1...ports {
            node.ports[number] = FabricPort(number: PortNumber(UInt8(number)), guid: GUID(nextCAGUID + UInt64(number)))
        }
        nextCAGUID += UInt64(ports) + 1
        return insert(node, name)
    }

    private mutating func insert(_ node: FabricNode, _ name: String) -> Int {
        let index = try! fabric.add(node)
        indexByName[name] = index
        return index
    }

    /// Cables `a`[pa] to `b`[pb]; both ends come up physically, logically in Initialize.
    public mutating func link(_ a: String, _ pa: UInt8, _ b: String, _ pb: UInt8) {
        let ends = [PortAddress(node: indexByName[a]!, port: PortNumber(pa)), PortAddress(node: indexByName[b]!, port: PortNumber(pb))]
        for end in ends {
            var port = fabric[end]!
            port.state = .initialize
            port.physicalState = .linkUp
            try! fabric.setPort(port, of: end.node)
        }
        try! fabric.connect(ends[0], ends[1])
    }

    public func index(_ name: String) -> Int { indexByName[name]! }
}

/// The shape of a fabric that discovery must reproduce: nodes and links by GUID and port number.
public struct FabricShape: Equatable, CustomStringConvertible {
    public struct NodeShape: Hashable { public var guid: GUID, type: NodeType, description: String, portCount: Int, portGUIDs: [PortNumber: GUID] }
    public struct LinkEnd: Hashable, Comparable {
        public var guid: GUID, port: PortNumber
        public static func < (a: LinkEnd, b: LinkEnd) -> Bool { (a.guid, a.port) < (b.guid, b.port) }
    }
    public var nodes: Set<NodeShape>
    public var links: Set<[LinkEnd]>

    /// Switch port GUIDs are left out (every switch port shares port 0's); CA ports count when cabled.
    public init(_ fabric: Fabric) {
        nodes = Set(fabric.nodes.map { node in
            var guids: [PortNumber: GUID] = [:]
            for port in node.knownPorts where port.remote != nil || node.type == .switch { guids[port.number] = port.guid }
            return NodeShape(guid: node.guid, type: node.type, description: node.description, portCount: node.portCount,
                             portGUIDs: node.type == .switch ? [:] : guids)
        })
        links = Set(fabric.links.map { link in
            [LinkEnd(guid: fabric[link.a.node].guid, port: link.a.port), LinkEnd(guid: fabric[link.b.node].guid, port: link.b.port)].sorted()
        })
    }

    public var description: String { "\(nodes.count) nodes, \(links.count) links" }
}
