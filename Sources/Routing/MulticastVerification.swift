import FabricModel
import IBWire

/// What the multicast forwarding tables of a subnet do, group by group (MLID): each group's ports on the
/// switches should make one tree over the links that are up. A packet a member sends then reaches every other
/// member once: no loop (a loop repeats packets forever), every switch link of the tree set at both ends (set at
/// one end, packets cross it one way only), and no member cut off from the others.
public struct MulticastVerification: Sendable, Equatable {
    /// MLIDs that some switch forwards.
    public var groups: Int
    /// One line per fault, naming the MLID and the ports.
    public var problems: [String]

    public var summary: String {
        if groups == 0 { return "no multicast group is forwarded" }
        let verdict = problems.isEmpty ? "each a loop-free tree, set at both ends of its links, reaching all its members"
            : "\(problems.count) fault(s)"
        return "\(groups) group(s): \(verdict)"
    }
}

/// Checks each MLID's tree in `tables` (the ports each switch forwards it out of, by MLID and switch node
/// index) against the links of `fabric`. A member is a CA port a switch forwards to, or a switch's own port 0.
public func verifyMulticast(_ fabric: Fabric, tables: [LID: [Int: [PortNumber]]]) -> MulticastVerification {
    var problems: [String] = []
    for (mlid, bySwitch) in tables.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
        let name = "MLID 0x" + String(mlid.rawValue, radix: 16)
        var pieces = UnionFind(count: fabric.nodes.count)
        var members: [(node: Int, name: String)] = []
        for (node, ports) in bySwitch.sorted(by: { $0.key < $1.key }) {
            for port in ports.sorted() {
                let here = PortAddress(node: node, port: port)
                if port == .management {
                    members.append((node, fabric[node].description))
                    continue
                }
                guard let far = fabric[here]?.remote else {
                    problems.append("\(name): \(fabric.describe(here)) forwards out of a port with no link")
                    continue
                }
                guard fabric[far.node].type == .switch else {
                    members.append((node, fabric.describe(far)))
                    continue
                }
                guard bySwitch[far.node]?.contains(far.port) == true else {
                    problems.append("\(name): the link \(fabric.describe(here)) - \(fabric.describe(far)) is set at one end only")
                    continue
                }
                // Each link is seen from both ends: joined once, from its lower end.
                guard (node, port.rawValue) < (far.node, far.port.rawValue) else { continue }
                if !pieces.join(node, far.node) {
                    problems.append("\(name): a loop, closed by the link \(fabric.describe(here)) - \(fabric.describe(far))")
                }
            }
        }
        if members.isEmpty {
            problems.append("\(name): forwarded by \(bySwitch.count) switch(es) but no member is left")
            continue
        }
        var byPiece: [Int: [String]] = [:]
        for member in members { byPiece[pieces.root(of: member.node), default: []].append(member.name) }
        if byPiece.count > 1 {
            let parts = byPiece.values.map { $0.prefix(3).joined(separator: ", ") + ($0.count > 3 ? ", ..." : "") }.sorted()
            problems.append("\(name): its members are in \(byPiece.count) pieces that do not reach one another: " + parts.joined(separator: " | "))
        }
    }
    return MulticastVerification(groups: tables.count, problems: problems)
}

/// Sets of nodes joined by links, for finding loops and pieces.
private struct UnionFind {
    private var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    mutating func root(of node: Int) -> Int {
        var node = node
        while parent[node] != node {
            parent[node] = parent[parent[node]]
            node = parent[node]
        }
        return node
    }

    /// Joins the sets of `a` and `b`; false if they were one set already.
    mutating func join(_ a: Int, _ b: Int) -> Bool {
        let (rootA, rootB) = (root(of: a), root(of: b))
        guard rootA != rootB else { return false }
        parent[rootA] = rootB
        return true
    }
}
