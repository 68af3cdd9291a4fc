import IBWire

extension Fabric {
    /// The nodes linked to `index`, once per link (a node appears twice for two parallel links).
    public func neighbors(of index: Int) -> [Int] {
        nodes[index].ports.compactMap { $0?.remote?.node }
    }

    /// Groups of node indices that are linked together, each sorted, ordered by their first node.
    public var connectedComponents: [[Int]] {
        var component = Array(repeating: -1, count: nodes.count)
        var result: [[Int]] = []
        for start in nodes.indices where component[start] < 0 {
            var members = [start]
            component[start] = result.count
            var head = 0
            while head < members.count {
                let current = members[head]
                head += 1
                for port in nodes[current].ports {
                    guard let next = port?.remote?.node, component[next] < 0 else { continue }
                    component[next] = result.count
                    members.append(next)
                }
            }
            result.append(members.sorted())
        }
        return result
    }

    /// True when every node can reach every other over links (an empty fabric counts as connected).
    public var isConnected: Bool { connectedComponents.count <= 1 }

    /// How many links each node has (its degree), indexed like `nodes`.
    public var linkCounts: [Int] { nodes.map { $0.ports.reduce(0) { $0 + ($1?.remote == nil ? 0 : 1) } } }
}
