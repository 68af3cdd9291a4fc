import FabricModel
import IBWire

/// The LIDs every engine routes, grouped by the switch they leave the fabric at, and the parts of
/// the switch graph (components, centres) that engines choose roots from.
struct RoutingDestinations {
    /// One endport's LIDs, leaving the fabric of switches at `slot` through `port` (0: the switch itself).
    struct Group {
        var slot: Int
        var port: UInt8
        var base: Int
        var count: Int
        var isSwitch: Bool
    }

    /// Groups by base LID.
    let groups: [Group]
    /// Group indices by destination slot.
    let groupsBySlot: [[Int]]
    /// Whether a CA or router hangs off the slot (CA-to-CA routes start there).
    let hasHosts: [Bool]
    /// How many CA or router ports hang off each slot.
    let hostPorts: [Int]

    init(fabric: Fabric, lids: LIDAssignment, graph: SwitchGraph) {
        var groups: [Group] = []
        var bySlot = [[Int]](repeating: [], count: graph.count)
        var hostPorts = [Int](repeating: 0, count: graph.count)
        for endport in lids.endports.sorted(by: { $0.base < $1.base }) {
            guard let (slot, port) = attachment(of: endport, in: fabric, graph: graph) else { continue }
            let isSwitch = fabric.nodes[endport.address.node].type == .switch
            if !isSwitch { hostPorts[slot] += 1 }
            bySlot[slot].append(groups.count)
            groups.append(Group(slot: slot, port: port.rawValue, base: Int(endport.base.rawValue), count: endport.count, isSwitch: isSwitch))
        }
        self.groups = groups
        groupsBySlot = bySlot
        self.hostPorts = hostPorts
        hasHosts = hostPorts.map { $0 > 0 }
    }
}

extension SwitchGraph {
    /// The connected component of every slot (numbered from 0 in slot order).
    func components() -> (of: [Int32], count: Int) {
        var component = [Int32](repeating: -1, count: count)
        var next: Int32 = 0
        var queue: [Int32] = []
        for start in 0..<count where component[start] < 0 {
            component[start] = next
            queue.removeAll(keepingCapacity: true)
            queue.append(Int32(start))
            var head = 0
            while head < queue.count {
                let current = Int(queue[head])
                head += 1
                for edge in Int(adjacencyStart[current])..<Int(adjacencyStart[current + 1]) {
                    let other = Int(adjacencyNeighbor[edge])
                    if component[other] < 0 {
                        component[other] = next
                        queue.append(Int32(other))
                    }
                }
            }
            next += 1
        }
        return (component, Int(next))
    }

    /// One centre per component: the switch whose farthest switch is nearest (most links, then the
    /// lowest slot, on ties). Large components look at a sample of candidates only.
    func centers() -> [Int] {
        let (component, componentCount) = components()
        var members = [[Int]](repeating: [], count: componentCount)
        for slot in 0..<count { members[Int(component[slot])].append(slot) }
        var distance = [Int32](repeating: -1, count: count)
        var queue: [Int32] = []
        var result: [Int] = []
        for list in members {
            let candidates = list.count <= 1024 ? list : Swift.stride(from: 0, to: list.count, by: list.count / 256).map { list[$0] }
            var best = list[0]
            var bestKey = (Int32.max, 0, Int.max)
            for candidate in candidates {
                distances(to: candidate, into: &distance, queue: &queue)
                var eccentricity: Int32 = 0
                for slot in list { eccentricity = max(eccentricity, distance[slot]) }
                let degree = Int(adjacencyStart[candidate + 1] - adjacencyStart[candidate])
                let key = (eccentricity, -degree, candidate)
                if key < bestKey {
                    bestKey = key
                    best = candidate
                }
            }
            result.append(best)
        }
        return result
    }
}
