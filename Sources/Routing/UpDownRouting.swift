import FabricModel
import IBWire

/// Up*/down* routing with roots found automatically on any topology.
///
/// Switches are ranked by their distance from the roots (then by slot), and a link is "up" toward
/// the lower rank. A route climbs zero or more up links, then takes zero or more down links, never
/// up after down: the channel dependency graph is acyclic, so the routes are deadlock-free on one VL.
///
/// Roots: the switches farthest from any CA when some switch has no CA (the spines of a fat tree,
/// so that its routes stay min-hop); otherwise, and whenever those roots leave a pair unrouted, the
/// centre of each component (the switch whose farthest switch is nearest). Among the shortest legal
/// next hops, each LID takes the port that carries the fewest LIDs so far (lowest port on ties).
/// A switch's own LID that the rule cannot reach from every switch (another root) is reached by
/// shortest paths outside it: only CA-to-CA routes are promised deadlock-free.
public struct UpDownEngine: RoutingEngine {
    public init() {}
    public var name: String { RoutingEngineKind.updn.rawValue }

    public func route(_ fabric: Fabric, lids: LIDAssignment) throws(RoutingEngineError) -> RoutedTables {
        let graph = SwitchGraph(fabric)
        var tables = ForwardingTables(graph: graph, top: lids.maxLID)
        guard graph.count > 0 else { return RoutedTables(tables: tables, engine: name, guarantees: guarantees) }
        let destinations = RoutingDestinations(fabric: fabric, lids: lids, graph: graph)
        let rowCount = Int(lids.maxLID.rawValue) + 1
        let farthest = farthestFromHosts(graph, destinations)
        let describe = { (roots: [Int]) in roots.prefix(4).map { "\"\(fabric.nodes[graph.nodes[$0]].description)\"" }.joined(separator: ", ") + (roots.count > 4 ? " and \(roots.count - 4) more" : "") }
        if !farthest.isEmpty, let entries = upDownEntries(graph, destinations, roots: farthest, rowCount: rowCount) {
            tables.entries = entries
            return RoutedTables(tables: tables, engine: name, guarantees: guarantees,
                                notes: ["updn: \(farthest.count) root(s), the switches farthest from any CA: \(describe(farthest))"])
        }
        let centers = graph.centers()
        guard let entries = upDownEntries(graph, destinations, roots: centers, rowCount: rowCount) else {
            throw RoutingEngineError(engine: name, reason: "a pair is unreachable from the centre roots")  // cannot happen: a centre per component
        }
        tables.entries = entries
        return RoutedTables(tables: tables, engine: name, guarantees: guarantees, notes: ["updn: root(s) at the centre: \(describe(centers))"])
    }

    private var guarantees: RoutingGuarantees { RoutingGuarantees(minHop: false, deadlockFreeVLs: 1) }
}

/// The switches farthest (in links) from any switch a CA hangs off, when that is more than 0.
func farthestFromHosts(_ graph: SwitchGraph, _ destinations: RoutingDestinations) -> [Int] {
    var distance = [Int32](repeating: -1, count: graph.count)
    var queue: [Int32] = []
    for slot in 0..<graph.count where destinations.hasHosts[slot] {
        distance[slot] = 0
        queue.append(Int32(slot))
    }
    graph.spreadHops(&distance, from: &queue)
    let farthest = distance.max() ?? 0
    guard farthest > 0 else { return [] }
    return (0..<graph.count).filter { distance[$0] == farthest }
}

/// The order of up*/down*: rank (links from the nearest root; components without a root get their
/// centre as one), then slot. A link from a to b is up when key[b] < key[a].
func upDownKeys(_ graph: SwitchGraph, roots: [Int]) -> [Int] {
    var rank = [Int32](repeating: -1, count: graph.count)
    var queue: [Int32] = []
    func spread() { graph.spreadHops(&rank, from: &queue) }
    for root in roots where rank[root] < 0 {
        rank[root] = 0
        queue.append(Int32(root))
    }
    spread()
    if rank.contains(-1) {
        for center in graph.centers() where rank[center] < 0 {
            rank[center] = 0
            queue = [Int32(center)]
            spread()
        }
    }
    return (0..<graph.count).map { Int(rank[$0]) * graph.count + $0 }
}

/// LID-major up*/down* entries for every LID of `destinations`, or nil when some switch cannot reach
/// a destination of its own component by a legal route.
func upDownEntries(_ graph: SwitchGraph, _ destinations: RoutingDestinations, roots: [Int], rowCount: Int) -> [UInt8]? {
    let switchCount = graph.count
    let key = upDownKeys(graph, roots: roots)
    let byKey = (0..<switchCount).sorted { key[$0] < key[$1] }
    let component = graph.components().of
    let stride = graph.maxPort + 1
    var entries = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: rowCount * switchCount)
    var load = [UInt32](repeating: 0, count: switchCount * stride)
    var distance = [Int32](repeating: -1, count: switchCount)
    var inDownSet = [Bool](repeating: false, count: switchCount)
    var queue: [Int32] = []
    var candidates: [UInt8] = []
    for target in 0..<switchCount where !destinations.groupsBySlot[target].isEmpty {
        // Switches that reach the target by down links only, nearest first.
        for slot in 0..<switchCount {
            distance[slot] = -1
            inDownSet[slot] = false
        }
        distance[target] = 0
        inDownSet[target] = true
        queue.removeAll(keepingCapacity: true)
        queue.append(Int32(target))
        var head = 0
        while head < queue.count {
            let current = Int(queue[head])
            head += 1
            for edge in Int(graph.adjacencyStart[current])..<Int(graph.adjacencyStart[current + 1]) {
                let other = Int(graph.adjacencyNeighbor[edge])
                // other -> current is a down link when current ranks below other.
                if distance[other] < 0, key[current] > key[other] {
                    distance[other] = distance[current] + 1
                    inDownSet[other] = true
                    queue.append(Int32(other))
                }
            }
        }
        // The others climb: every up neighbour ranks before them, so one pass in rank order settles them.
        for slot in byKey where distance[slot] < 0 {
            var best: Int32 = -1
            for edge in Int(graph.adjacencyStart[slot])..<Int(graph.adjacencyStart[slot + 1]) {
                let other = Int(graph.adjacencyNeighbor[edge])
                if key[other] < key[slot], distance[other] >= 0, best < 0 || distance[other] + 1 < best { best = distance[other] + 1 }
            }
            distance[slot] = best
        }
        // A switch's own LID may be out of legal reach (another root, say): those switches get shortest
        // paths to the routed ones, outside the rule. Only a CA's LID out of reach makes the roots unusable.
        var unrestricted = [Bool](repeating: false, count: switchCount)
        if (0..<switchCount).contains(where: { component[$0] == component[target] && distance[$0] < 0 }) {
            guard destinations.groupsBySlot[target].allSatisfy({ destinations.groups[$0].isSwitch }) else { return nil }
            queue.removeAll(keepingCapacity: true)
            for slot in 0..<switchCount where distance[slot] >= 0 { queue.append(Int32(slot)) }
            queue.sort { distance[Int($0)] < distance[Int($1)] }
            var head = 0
            while head < queue.count {
                let current = Int(queue[head])
                head += 1
                for edge in Int(graph.adjacencyStart[current])..<Int(graph.adjacencyStart[current + 1]) {
                    let other = Int(graph.adjacencyNeighbor[edge])
                    if distance[other] < 0 {
                        distance[other] = distance[current] + 1
                        unrestricted[other] = true
                        queue.append(Int32(other))
                    }
                }
            }
        }

        for g in destinations.groupsBySlot[target] {
            let group = destinations.groups[g]
            for lid in group.base..<(group.base + group.count) { entries[lid * switchCount + target] = group.port }
        }
        for slot in 0..<switchCount where slot != target && distance[slot] > 0 {
            candidates.removeAll(keepingCapacity: true)
            for edge in Int(graph.adjacencyStart[slot])..<Int(graph.adjacencyStart[slot + 1]) {
                let other = Int(graph.adjacencyNeighbor[edge])
                let down = key[other] > key[slot]
                // A switch that reaches the target downward keeps going down (never up after down).
                let legal = unrestricted[slot] || (inDownSet[slot] ? down && inDownSet[other] : !down)
                if legal, distance[other] == distance[slot] - 1 { candidates.append(graph.adjacencyPort[edge]) }
            }
            for g in destinations.groupsBySlot[target] {
                let group = destinations.groups[g]
                for lid in group.base..<(group.base + group.count) {
                    var best = candidates[0]
                    for port in candidates.dropFirst() where load[slot * stride + Int(port)] < load[slot * stride + Int(best)] { best = port }
                    load[slot * stride + Int(best)] += 1
                    entries[lid * switchCount + slot] = best
                }
            }
        }
    }
    return entries
}

extension SwitchGraph {
    /// Breadth-first over the inter-switch links from the slots in `queue` (whose hops are set): every slot
    /// not reached yet (-1) gets one more hop than the slot it is first reached from. `queue` is used up.
    func spreadHops(_ hops: inout [Int32], from queue: inout [Int32]) {
        var head = 0
        while head < queue.count {
            let current = Int(queue[head])
            head += 1
            for edge in Int(adjacencyStart[current])..<Int(adjacencyStart[current + 1]) {
                let other = Int(adjacencyNeighbor[edge])
                if hops[other] < 0 {
                    hops[other] = hops[current] + 1
                    queue.append(Int32(other))
                }
            }
        }
        queue.removeAll(keepingCapacity: true)
    }
}
