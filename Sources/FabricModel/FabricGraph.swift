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

extension Fabric {
    /// The same fabric with its nodes in `order` (a permutation of the node indices): links and the
    /// origin follow their nodes.
    public func renumbered(_ order: [Int]) -> Fabric {
        precondition(order.count == nodes.count && Set(order).count == nodes.count, "order must be a permutation")
        var newIndex = [Int](repeating: 0, count: nodes.count)
        for (position, old) in order.enumerated() { newIndex[old] = position }
        var result = Fabric()
        for old in order {
            var node = nodes[old]
            for number in node.ports.indices {
                if let remote = node.ports[number]?.remote {
                    node.ports[number]?.remote = PortAddress(node: newIndex[remote.node], port: remote.port)
                }
            }
            // The GUIDs were unique here, so they are in the copy.
            try! result.add(node)
        }
        result.origin = origin.map { PortAddress(node: newIndex[$0.node], port: $0.port) }
        return result
    }

    /// Shortest directed routes from the origin to every node, by node index (nil where unreachable).
    /// Breadth-first, ports in increasing order, so the same fabric always gives the same routes. Only
    /// switches forward; the origin node sends out of its own port (any port, if it is a switch).
    public func shortestRoutes() -> [DirectedRoute?] {
        var routes = [DirectedRoute?](repeating: nil, count: nodes.count)
        guard let origin else { return routes }
        routes[origin.node] = .local
        var queue = [origin.node]
        var head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            let node = nodes[current]
            guard node.type == .switch || current == origin.node, let here = routes[current] else { continue }
            for port in node.knownPorts {
                if node.type != .switch && port.number != origin.port { continue }
                guard let remote = port.remote, routes[remote.node] == nil,
                      let route = try? here.appending(port.number) else { continue }
                routes[remote.node] = route
                queue.append(remote.node)
            }
        }
        return routes
    }
}
