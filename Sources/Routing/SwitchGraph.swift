import FabricModel
import IBWire

/// The switches of a fabric and the links between them, in flat arrays for the routing and
/// verification loops. Switches are numbered by "slot" (0..<count) in node index order.
struct SwitchGraph {
    /// Node index per slot.
    let nodes: [Int]
    /// Slot per node index, -1 for non-switches.
    let slotOfNode: [Int32]
    /// Inter-switch links of slot s: `adjacencyStart[s]..<adjacencyStart[s + 1]`, ordered by port.
    let adjacencyStart: [Int32]
    let adjacencyPort: [UInt8]
    let adjacencyNeighbor: [Int32]
    /// The most ports any switch has (for per-port counters).
    let maxPort: Int

    var count: Int { nodes.count }

    init(_ fabric: Fabric) {
        var nodes: [Int] = []
        var slotOfNode = [Int32](repeating: -1, count: fabric.nodes.count)
        var maxPort = 0
        for (index, node) in fabric.nodes.enumerated() where node.type == .switch {
            slotOfNode[index] = Int32(nodes.count)
            nodes.append(index)
            maxPort = max(maxPort, node.ports.count - 1)
        }
        var start: [Int32] = [0]
        var ports: [UInt8] = []
        var neighbors: [Int32] = []
        start.reserveCapacity(nodes.count + 1)
        for index in nodes {
            for port in fabric.nodes[index].ports {
                guard let port, port.number != .management, let remote = port.remote else { continue }
                let slot = slotOfNode[remote.node]
                guard slot >= 0 else { continue }
                ports.append(port.number.rawValue)
                neighbors.append(slot)
            }
            start.append(Int32(ports.count))
        }
        self.nodes = nodes
        self.slotOfNode = slotOfNode
        self.adjacencyStart = start
        self.adjacencyPort = ports
        self.adjacencyNeighbor = neighbors
        self.maxPort = maxPort
    }

    /// Hop counts from every slot to `target` (-1: unreachable), breadth first over inter-switch links.
    func distances(to target: Int, into distance: inout [Int32], queue: inout [Int32]) {
        for i in distance.indices { distance[i] = -1 }
        distance[target] = 0
        queue.removeAll(keepingCapacity: true)
        queue.append(Int32(target))
        var head = 0
        adjacencyStart.withUnsafeBufferPointer { start in
            adjacencyNeighbor.withUnsafeBufferPointer { neighbor in
                distance.withUnsafeMutableBufferPointer { distance in
                    while head < queue.count {
                        let current = Int(queue[head])
                        head += 1
                        let next = distance[current] + 1
                        for edge in Int(start[current])..<Int(start[current + 1]) {
                            let other = Int(neighbor[edge])
                            if distance[other] < 0 {
                                distance[other] = next
                                queue.append(Int32(other))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where the packets of an endport's LIDs leave the fabric of switches: the switch slot and the
/// port out of it (0 for a switch's own LIDs), nil when the endport is not cabled to a switch.
func attachment(of endport: LIDAssignment.Endport, in fabric: Fabric, graph: SwitchGraph) -> (slot: Int, port: PortNumber)? {
    let address = endport.address
    guard address.node < fabric.nodes.count else { return nil }
    if fabric.nodes[address.node].type == .switch {
        let slot = graph.slotOfNode[address.node]
        return slot >= 0 ? (Int(slot), .management) : nil
    }
    guard let remote = fabric[address]?.remote, remote.node < fabric.nodes.count else { return nil }
    let slot = graph.slotOfNode[remote.node]
    return slot >= 0 ? (Int(slot), remote.port) : nil
}
