import FabricModel
import IBWire
import Routing

/// A set of switch ports (0...255) as the bits of an MFT entry.
public struct PortSet: Hashable, Sendable {
    public private(set) var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public init() {}
    public init(_ ports: some Sequence<PortNumber>) { for port in ports { insert(port) } }

    public mutating func insert(_ port: PortNumber) {
        let bit = UInt64(1) << UInt64(port.rawValue % 64)
        switch port.rawValue / 64 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }
    public func contains(_ port: PortNumber) -> Bool {
        let word = switch port.rawValue / 64 { case 0: words.0; case 1: words.1; case 2: words.2; default: words.3 }
        return word >> UInt64(port.rawValue % 64) & 1 != 0
    }
    public var isEmpty: Bool { words == (0, 0, 0, 0) }
    public var ports: [PortNumber] { (0...255).map { PortNumber(UInt8($0)) }.filter(contains) }
    /// The 16-bit MFT mask of ports 16 * position ... 16 * position + 15.
    public func mask(position: Int) -> UInt16 {
        var mask: UInt16 = 0
        for bit in 0..<16 where contains(PortNumber(UInt8(position * 16 + bit))) { mask |= 1 << UInt16(bit) }
        return mask
    }
    public static func == (a: PortSet, b: PortSet) -> Bool { a.words == b.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }
}

/// What every switch's MulticastForwardingTable should hold: for each switch (node index) and each MLID
/// in use, the ports a packet of that group leaves by. One spanning tree per group.
public struct MulticastProgram: Hashable, Sendable {
    /// `entries[switch][mlid]`: the ports; MLIDs of a switch not listed are empty.
    public var entries: [Int: [LID: PortSet]]
    /// The MLIDs of the groups, ascending.
    public var mlids: [LID]
    /// The root switch of each group's tree.
    public var roots: [LID: Int]

    public init(entries: [Int: [LID: PortSet]] = [:], mlids: [LID] = [], roots: [LID: Int] = [:]) {
        self.entries = entries
        self.mlids = mlids
        self.roots = roots
    }

    /// The highest MLID in use (what to write as MulticastFDBTop), nil with no groups.
    public var top: LID? { mlids.last }

    /// The MFT blocks of switch `node` that cover the MLIDs in use (0xC000 ... top), each with its
    /// attribute modifier, for ports 0...portCount.
    public func blocks(switch node: Int, portCount: Int) -> [(modifier: UInt32, block: MulticastForwardingTableBlock)] {
        guard let top else { return [] }
        let table = entries[node] ?? [:]
        let lastBlock = Int(top.rawValue - MulticastForwardingTableBlock.firstMLID) / MulticastForwardingTableBlock.entriesPerBlock
        var result: [(UInt32, MulticastForwardingTableBlock)] = []
        for block in 0...lastBlock {
            for position in 0...(portCount / MulticastForwardingTableBlock.portsPerPosition) {
                let masks = (0..<MulticastForwardingTableBlock.entriesPerBlock).map { entry -> UInt16 in
                    let mlid = LID(MulticastForwardingTableBlock.firstMLID + UInt16(block * 32 + entry))
                    return table[mlid]?.mask(position: position) ?? 0
                }
                result.append((MulticastForwardingTableBlock.modifier(block: block, position: position),
                               MulticastForwardingTableBlock(portMasks: masks)))
            }
        }
        return result
    }
}

extension SASnapshot {
    /// Where a member endport hangs off the switches: the switch and the port it is reached by.
    func attachment(of address: PortAddress) -> (switchNode: Int, port: PortNumber)? {
        if fabric[address.node].type == .switch { return (address.node, .management) }
        guard let remote = fabric[address]?.remote, fabric[remote.node].type == .switch else { return nil }
        return (remote.node, remote.port)
    }

    /// Each group's tree: the root is the switch whose farthest member switch is nearest (ties: lowest
    /// node index); the tree is the union of shortest paths from the member switches to the root, so
    /// it reaches every member and, being a tree, has no loop.
    func multicastProgram(groups: [(mlid: LID, members: [PortAddress])]) -> MulticastProgram {
        var program = MulticastProgram()
        let graph = index.switchAdjacency
        for group in groups.sorted(by: { $0.mlid < $1.mlid }) {
            program.mlids.append(group.mlid)
            var memberPorts: [Int: [PortNumber]] = [:]
            for member in group.members {
                guard let (node, port) = attachment(of: member) else { continue }
                memberPorts[node, default: []].append(port)
            }
            guard !memberPorts.isEmpty else { continue }
            let memberSwitches = memberPorts.keys.sorted()
            // Eccentricity over member switches, from one BFS per member switch.
            var worst = [Int](repeating: 0, count: fabric.nodes.count)
            var reachable = [Int](repeating: 0, count: fabric.nodes.count)
            for member in memberSwitches {
                let distance = graph.distances(from: member)
                for node in graph.switches where distance[node] >= 0 {
                    worst[node] = max(worst[node], distance[node])
                    reachable[node] += 1
                }
            }
            let candidates = graph.switches.filter { reachable[$0] == memberSwitches.count }
            guard let root = candidates.min(by: { (worst[$0], $0) < (worst[$1], $1) }) else { continue }
            program.roots[group.mlid] = root
            let parent = graph.parents(from: root)
            var ports: [Int: PortSet] = [:]
            for (node, list) in memberPorts { for port in list { ports[node, default: PortSet()].insert(port) } }
            for member in memberSwitches {
                var node = member
                while node != root, let link = parent[node] {
                    // Stop where an earlier member's branch already joined the tree.
                    let known = ports[node]?.contains(link.childPort) ?? false
                    ports[node, default: PortSet()].insert(link.childPort)
                    ports[link.parent, default: PortSet()].insert(link.parentPort)
                    if known { break }
                    node = link.parent
                }
            }
            for (node, set) in ports { program.entries[node, default: [:]][group.mlid] = set }
        }
        return program
    }
}

/// Switch-to-switch links for the multicast trees.
struct SwitchAdjacency: Sendable {
    struct Parent { var parent: Int; var parentPort: PortNumber; var childPort: PortNumber }
    let switches: [Int]
    /// Per node: (neighbour switch, local port, remote port), by local port.
    let neighbours: [[(node: Int, port: PortNumber, remotePort: PortNumber)]]

    init(_ fabric: Fabric) {
        switches = fabric.switches
        var neighbours = [[(node: Int, port: PortNumber, remotePort: PortNumber)]](repeating: [], count: fabric.nodes.count)
        for node in switches {
            for port in fabric[node].ports {
                guard let port, port.number != .management, let remote = port.remote, fabric[remote.node].type == .switch
                else { continue }
                neighbours[node].append((remote.node, port.number, remote.port))
            }
        }
        self.neighbours = neighbours
    }

    func distances(from start: Int) -> [Int] {
        var distance = [Int](repeating: -1, count: neighbours.count)
        distance[start] = 0
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in neighbours[node] where distance[next.node] < 0 {
                distance[next.node] = distance[node] + 1
                queue.append(next.node)
            }
        }
        return distance
    }

    /// BFS tree from `root`: each reached switch's parent link (lowest port first).
    func parents(from root: Int) -> [Int: Parent] {
        var parent: [Int: Parent] = [:]
        var seen = Set([root])
        var queue = [root]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in neighbours[node] where !seen.contains(next.node) {
                seen.insert(next.node)
                parent[next.node] = Parent(parent: node, parentPort: next.port, childPort: next.remotePort)
                queue.append(next.node)
            }
        }
        return parent
    }
}
