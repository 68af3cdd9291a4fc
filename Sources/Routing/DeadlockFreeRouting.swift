import FabricModel
import IBWire

/// The default engine: deadlock-free on one VL on any connected topology, with routes as short and
/// as balanced as that allows.
///
/// 1. Min-hop routes (`computeMinHopRoutes`) are computed and their channel dependency graph checked:
///    when it is acyclic, as on every fat tree, they are kept as they are (min-hop, today's balance).
/// 2. Otherwise every LID is routed on its own (Nue's idea, on one VL): a shortest-path search grows
///    the tree of routes toward the LID's switch, nearest switches first, then the least loaded path
///    (the sum over its channels of the LIDs they carry), and takes a next hop only if the dependency
///    it adds keeps the graph of all routes so far acyclic (`IncrementalDependencyGraph`).
///    The graph starts with the dependencies of up*/down* routes on a spanning tree from the centre
///    (the escape paths): a LID whose search cannot reach every switch of its component is routed
///    on that tree, which is always possible without a cycle.
public struct DeadlockFreeEngine: RoutingEngine {
    public init() {}
    public var name: String { RoutingEngineKind.deadlockFree.rawValue }

    /// Switches x LIDs above which min-hop routes without a credit loop are kept without searching
    /// for better balanced ones.
    static let secondOpinionLimit = 100_000

    /// Switches x LIDs up to which several destination orders are tried.
    static let ordersLimit = 250_000

    /// LIDs in base order, in reverse, nearest the centre first, farthest first.
    static func destinationOrders(graph: SwitchGraph, destinations: RoutingDestinations) -> [[Int]] {
        let count = destinations.groups.count
        var distance = [Int32](repeating: -1, count: graph.count)
        var queue: [Int32] = []
        if let center = graph.centers().first { graph.distances(to: center, into: &distance, queue: &queue) }
        let depth = { (group: Int) in distance[destinations.groups[group].slot] }
        let base = Array(0..<count)
        return [base, base.reversed(), base.sorted { (depth($0), $0) < (depth($1), $1) }, base.sorted { (-depth($0), $0) < (-depth($1), $1) }]
    }

    public func route(_ fabric: Fabric, lids: LIDAssignment) throws(RoutingEngineError) -> RoutedTables {
        let minHop = computeMinHopRoutes(fabric, lids: lids)
        let graph = SwitchGraph(fabric)
        var dependencies = ChannelDependencyGraph(graph: graph, fabric: fabric)
        dependencies.addUnicastRoutes(fabric: fabric, lids: lids, entries: minHop.entries)
        let loop = dependencies.findCycle()
        let destinations = RoutingDestinations(fabric: fabric, lids: lids, graph: graph)
        var keepMinHop = RoutedTables(tables: minHop, engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: 1),
                                      notes: ["\(name): the min-hop routes have no credit loop; kept as they are"])
        keepMinHop.dependencies = dependencies
        if loop == nil {
            // A fabric too large to route twice keeps them (the 11,664-host fat tree, say).
            if graph.count * (Int(lids.maxLID.rawValue) + 1) > Self.secondOpinionLimit { return keepMinHop }
        }
        // Which LIDs claim dependencies first shapes everything after: small fabrics try several orders
        // and keep the routes with the fewest longer pairs, then the least loaded channel.
        let orders = graph.count * (Int(lids.maxLID.rawValue) + 1) <= Self.ordersLimit
            ? Self.destinationOrders(graph: graph, destinations: destinations) : [Array(destinations.groups.indices)]
        var router = AcyclicRouter(fabric: fabric, graph: graph, links: dependencies, lids: lids)
        var tables = ForwardingTables(graph: graph, top: lids.maxLID)
        var bestScore: (Int, UInt64)?
        for order in orders {
            var candidate = AcyclicRouter(fabric: fabric, graph: graph, links: dependencies, lids: lids)
            let entries = candidate.routeAll(order: order)
            let score = orders.count == 1 ? (0, 0) : (candidate.longerPairs, caRouteLoad(entries, graph: graph, links: dependencies, destinations: destinations))
            if bestScore.map({ score < $0 }) ?? true {
                bestScore = score
                router = candidate
                tables.entries = entries
            }
        }
        if loop == nil {
            // Both are deadlock-free: the searched routes only if they are as short and carry the
            // CA-to-CA routes more evenly; where some switches have no CA (fat trees), only if they
            // also keep today's balance of LIDs per port.
            let searched = router.longerPairs == 0 ? caRouteLoad(tables.entries, graph: graph, links: dependencies, destinations: destinations) : UInt64.max
            guard searched < caRouteLoad(minHop.entries, graph: graph, links: dependencies, destinations: destinations),
                  !destinations.hasHosts.contains(false)
                    || maxPortLoad(tables.entries, graph: graph, links: dependencies) <= maxPortLoad(minHop.entries, graph: graph, links: dependencies)
            else { return keepMinHop }
            return RoutedTables(tables: tables, engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: 1),
                                notes: ["\(name): min-hop routes searched on the channel dependency graph balance better than the first min-hop routes"])
        }
        var notes = ["\(name): min-hop routes would have a credit loop through \(loop!.channels.count) channels; routed on an acyclic channel dependency graph"]
        if router.escapeRouted > 0 { notes.append("\(name): \(router.escapeRouted) LID(s) routed on the escape tree") }
        return RoutedTables(tables: tables, engine: name, guarantees: RoutingGuarantees(minHop: router.longerPairs == 0, deadlockFreeVLs: 1), notes: notes)
    }
}

extension DeadlockFreeEngine {
    /// Min-hop routes without a credit loop stay so after a repair that keeps them min-hop
    /// (`repairMinHopRoutes`) if the channel dependency graph stays acyclic. A cycle would have to use
    /// a dependency the changed routes made, so the graph kept from the last routing, with what those
    /// routes add, is searched (a few milliseconds on the 11,664-host tree, where building it anew takes
    /// far longer); if that holds a cycle, the exact graph of the new routes decides. Routes that were
    /// not all min-hop, or that would have a credit loop, are routed anew (nil).
    public func repair(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment) -> RoutingRepair? {
        guard previous.guarantees.minHop, previous.guarantees.isDeadlockFree,
              let repaired = repairMinHopRoutes(previous.tables, before: before, after: after, lids: lids)
        else { return nil }
        let graph = repaired.graph
        var dependencies = ChannelDependencyGraph(graph: graph, fabric: after)
        var notes = [repaired.note]
        let destinations = repaired.destinations
        var hostLID = [Bool](repeating: false, count: Int(lids.maxLID.rawValue) + 1)
        for group in destinations.groups where !group.isSwitch {
            for lid in group.base..<min(group.base + group.count, hostLID.count) { hostLID[lid] = true }
        }
        var exact = true
        if let held = previous.dependencies, dependencies.keep(held) {
            dependencies.addRoutes(through: repaired.changedEntries, entries: repaired.tables.entries, isHostLID: { hostLID[$0] })
            exact = false
        } else {
            dependencies.addUnicastRoutes(fabric: after, lids: lids, entries: repaired.tables.entries)
        }
        if !exact, dependencies.findCycle() != nil {
            notes.append("repair: the kept channel dependency graph with the new routes has a cycle; checked on the exact graph")
            dependencies = ChannelDependencyGraph(graph: graph, fabric: after)
            dependencies.addUnicastRoutes(fabric: after, lids: lids, entries: repaired.tables.entries)
            exact = true
        }
        if exact, dependencies.findCycle() != nil { return nil }
        var routed = RoutedTables(tables: repaired.tables, engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: 1), notes: notes)
        routed.dependencies = dependencies
        return RoutingRepair(routed: routed, changedBlocks: repaired.changedBlocksByNode, changedEntries: repaired.changedEntries.count)
    }
}

/// The most LIDs any switch routes out of one inter-switch port (the link load verification reports).
func maxPortLoad(_ entries: [UInt8], graph: SwitchGraph, links: ChannelDependencyGraph) -> Int {
    let switchCount = graph.count, stride = links.stride
    var load = [Int](repeating: 0, count: switchCount * stride)
    for (index, port) in entries.enumerated() where port != 0 && Int(port) < stride {
        let slot = index % switchCount
        if links.remoteSlot[slot * stride + Int(port)] >= 0 { load[slot * stride + Int(port)] += 1 }
    }
    return load.max() ?? 0
}

/// The most CA-to-CA routes any inter-switch channel carries under `entries` (LID-major): each
/// route from a switch with CAs, walked hop by hop, counts once per CA there.
func caRouteLoad(_ entries: [UInt8], graph: SwitchGraph, links: ChannelDependencyGraph, destinations: RoutingDestinations) -> UInt64 {
    let switchCount = graph.count, stride = links.stride
    var load = [UInt64](repeating: 0, count: switchCount * stride)
    let sources = (0..<switchCount).filter { destinations.hostPorts[$0] > 0 }
    for group in destinations.groups where !group.isSwitch {
        for lid in group.base..<(group.base + group.count) {
            let row = lid * switchCount
            for source in sources {
                var current = source
                var steps = 0
                while steps <= switchCount {
                    let port = Int(entries[row + current])
                    guard port != 0, port < stride else { break }
                    let next = Int(links.remoteSlot[current * stride + port])
                    guard next >= 0 else { break }
                    load[current * stride + port] += UInt64(destinations.hostPorts[source])
                    current = next
                    steps += 1
                }
            }
        }
    }
    return load.max() ?? 0
}

/// The per-LID searches of `DeadlockFreeEngine`, step 2.
struct AcyclicRouter {
    let graph: SwitchGraph
    let destinations: RoutingDestinations
    let stride: Int
    let remoteSlot: [Int32]
    let remotePort: [UInt8]
    let rowCount: Int
    let component: [Int32]
    let componentSize: [Int]
    /// The escape tree: each switch's port to its parent (0 at a root) and its tree links.
    var treeLinks: [[(neighbor: Int32, port: UInt8)]]
    var dependencies: IncrementalDependencyGraph
    /// How many LIDs' routes use each dependency, by (middle switch, in port, out port); the escape
    /// tree's are never let go.
    var dependencyUses: [Int32]
    /// The graph's generation when each dependency was last refused.
    var refusedAt: [UInt32]
    /// LIDs routed out of each channel so far.
    var load: [UInt64]
    private(set) var escapeRouted = 0
    /// (switch, LID) pairs routed on a path longer than min-hop.
    private(set) var longerPairs = 0

    init(fabric: Fabric, graph: SwitchGraph, links: ChannelDependencyGraph, lids: LIDAssignment) {
        self.graph = graph
        destinations = RoutingDestinations(fabric: fabric, lids: lids, graph: graph)
        stride = links.stride
        remoteSlot = links.remoteSlot
        remotePort = links.remotePort
        rowCount = Int(lids.maxLID.rawValue) + 1
        let (component, componentCount) = graph.components()
        self.component = component
        var sizes = [Int](repeating: 0, count: componentCount)
        for slot in 0..<graph.count { sizes[Int(component[slot])] += 1 }
        componentSize = sizes
        load = [UInt64](repeating: 0, count: graph.count * stride)
        dependencies = IncrementalDependencyGraph(channelCount: graph.count * stride)
        dependencyUses = [Int32](repeating: 0, count: graph.count * stride * stride)
        refusedAt = [UInt32](repeating: 0, count: graph.count * stride * stride)
        treeLinks = [[(neighbor: Int32, port: UInt8)]](repeating: [], count: graph.count)
        buildEscapeTree()
    }

    /// A breadth-first spanning tree from each component's centre, and the dependencies of every
    /// route along it (any turn between two tree links but a U-turn: up*/down* on a tree).
    private mutating func buildEscapeTree() {
        var parent = [Int32](repeating: -2, count: graph.count)
        var queue: [Int32] = []
        for center in graph.centers() {
            parent[center] = -1
            queue.append(Int32(center))
        }
        var head = 0
        while head < queue.count {
            let current = Int(queue[head])
            head += 1
            for edge in Int(graph.adjacencyStart[current])..<Int(graph.adjacencyStart[current + 1]) {
                let other = Int(graph.adjacencyNeighbor[edge])
                guard parent[other] == -2 else { continue }
                parent[other] = Int32(current)
                let port = graph.adjacencyPort[edge]
                treeLinks[current].append((Int32(other), port))
                treeLinks[other].append((Int32(current), remotePort[current * stride + Int(port)]))
                queue.append(Int32(other))
            }
        }
        for middle in 0..<graph.count {
            for incoming in treeLinks[middle] {
                // The channel from the neighbour into `middle`.
                let into = Int(incoming.neighbor) * stride + Int(remotePort[middle * stride + Int(incoming.port)])
                for outgoing in treeLinks[middle] where outgoing.neighbor != incoming.neighbor {
                    _ = dependencies.add(into, middle * stride + Int(outgoing.port))
                    dependencyUses[dependencyKey(into, middle * stride + Int(outgoing.port))] = 1 << 30
                }
            }
        }
    }

    /// LID-major entries for every LID, in base LID order; then, on fabrics small enough
    /// (`improvementLimit`), `improvementPasses` passes that take each LID's routes out again and
    /// search them anew with every other LID's load known, keeping the new routes unless they are longer.
    mutating func routeAll(improvementPasses: Int = 4, improvementLimit: Int = 1_000_000, order: [Int]? = nil) -> [UInt8] {
        let ordered = (order ?? Array(destinations.groups.indices)).map { destinations.groups[$0] }
        let switchCount = graph.count
        var entries = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: rowCount * switchCount)
        var search = Search(count: switchCount)
        var distance = [Int32](repeating: -1, count: switchCount)
        var queue: [Int32] = []
        var distanceTarget = -1
        let passes = switchCount * rowCount <= improvementLimit ? 1 + improvementPasses : 1
        for pass in 0..<passes {
            for group in ordered {
                if group.slot != distanceTarget {
                    graph.distances(to: group.slot, into: &distance, queue: &queue)
                    distanceTarget = group.slot
                }
                for lid in group.base..<(group.base + group.count) {
                    let row = lid * switchCount
                    entries[row + group.slot] = group.port
                    var oldLonger = Int.max
                    if pass > 0 {
                        oldLonger = longer(entries, row: row, target: group.slot, distance: distance)
                        release(entries, row: row, target: group.slot)
                    }
                    let searched = searchRoutes(to: group.slot, into: &search)
                    if !searched { escapeRoutes(to: group.slot, into: &search) }
                    let newLonger = search.settledSlots.reduce(0) { $0 + (search.hops[$1] > distance[$1] ? 1 : 0) }
                    if newLonger > oldLonger {
                        // Keep the routes it had: the graph without them and the new search is a
                        // subset of the one that held them, so they go back without a cycle.
                        if searched { for (from, to) in search.added { dependencies.remove(from, to) } }
                        hold(entries, row: row, target: group.slot)
                        continue
                    }
                    if !searched && pass == 0 { escapeRouted += 1 }
                    for slot in search.settledSlots where slot != group.slot { entries[row + slot] = search.port[slot] }
                    hold(entries, row: row, target: group.slot)
                }
            }
        }
        longerPairs = 0
        for group in destinations.groups {
            graph.distances(to: group.slot, into: &distance, queue: &queue)
            for lid in group.base..<(group.base + group.count) {
                longerPairs += longer(entries, row: lid * switchCount, target: group.slot, distance: distance)
            }
        }
        return entries
    }

    /// The dependencies of one LID's routes: into each switch that forwards it on, then onward.
    private func treeDependencies(_ entries: [UInt8], row: Int, target: Int) -> [(from: Int, to: Int)] {
        var result: [(from: Int, to: Int)] = []
        for slot in 0..<graph.count where slot != target {
            let port = Int(entries[row + slot])
            guard port != 0, port < stride else { continue }
            let next = Int(remoteSlot[slot * stride + port])
            guard next >= 0, next != target else { continue }
            let onward = Int(entries[row + next])
            guard onward != 0, onward < stride else { continue }
            result.append((slot * stride + port, next * stride + onward))
        }
        return result
    }

    private func dependencyKey(_ from: Int, _ to: Int) -> Int {
        (Int(remoteSlot[from]) * stride + Int(remotePort[from])) * stride + to % stride
    }

    /// Adds one LID's routes to the channel loads and the dependency counts.
    private mutating func hold(_ entries: [UInt8], row: Int, target: Int) {
        for (from, to) in treeDependencies(entries, row: row, target: target) {
            let key = dependencyKey(from, to)
            if dependencyUses[key] == 0 { _ = dependencies.add(from, to) }
            dependencyUses[key] += 1
        }
        addLoad(entries, row: row, target: target, sign: 1)
    }

    /// Takes one LID's routes out of the loads and counts, and out of the graph where no other uses them.
    private mutating func release(_ entries: [UInt8], row: Int, target: Int) {
        for (from, to) in treeDependencies(entries, row: row, target: target) {
            let key = dependencyKey(from, to)
            dependencyUses[key] -= 1
            if dependencyUses[key] == 0 { dependencies.remove(from, to) }
        }
        addLoad(entries, row: row, target: target, sign: -1)
    }

    /// A channel's load counts the CA-to-CA routes through it (64 each), then, much less, the
    /// switches that send the LID through it (1 each).
    private mutating func addLoad(_ entries: [UInt8], row: Int, target: Int, sign: Int64) {
        for slot in 0..<graph.count where slot != target {
            let port = Int(entries[row + slot])
            guard port != 0, port < stride, remoteSlot[slot * stride + port] >= 0 else { continue }
            load[slot * stride + port] = UInt64(Int64(load[slot * stride + port]) + sign)
            let weight = sign * Int64(destinations.hostPorts[slot]) * 64
            guard weight != 0 else { continue }
            var current = slot, steps = 0
            while current != target, steps <= graph.count {
                let out = Int(entries[row + current])
                guard out != 0, out < stride, remoteSlot[current * stride + out] >= 0 else { break }
                let channel = current * stride + out
                load[channel] = UInt64(Int64(load[channel]) + weight)
                current = Int(remoteSlot[channel])
                steps += 1
            }
        }
    }

    /// (switch, LID) pairs of one LID routed longer than min-hop.
    private func longer(_ entries: [UInt8], row: Int, target: Int, distance: [Int32]) -> Int {
        var count = 0
        for slot in 0..<graph.count where slot != target && distance[slot] > 0 {
            var current = slot, hops: Int32 = 0
            while current != target, hops <= Int32(graph.count) {
                let port = Int(entries[row + current])
                guard port != 0, port < stride, remoteSlot[current * stride + port] >= 0 else { break }
                current = Int(remoteSlot[current * stride + port])
                hops += 1
            }
            if hops > distance[slot] { count += 1 }
        }
        return count
    }

    /// State of one search, reused.
    struct Search {
        var settled: [Int32]
        var stamp: Int32 = 0
        var hops: [Int32]
        var cost: [UInt64]
        /// The port out of each settled switch, and the channel that is.
        var port: [UInt8]
        var channel: [Int32]
        /// The next switch toward the target, and the CAs whose routes reach each switch.
        var parent: [Int32]
        var behind: [UInt64]
        var settledSlots: [Int] = []
        var heap = CandidateHeap()
        var added: [(Int, Int)] = []

        init(count: Int) {
            settled = [Int32](repeating: 0, count: count)
            hops = [Int32](repeating: 0, count: count)
            cost = [UInt64](repeating: 0, count: count)
            port = [UInt8](repeating: 0, count: count)
            channel = [Int32](repeating: -1, count: count)
            parent = [Int32](repeating: -1, count: count)
            behind = [UInt64](repeating: 0, count: count)
        }

        mutating func start() {
            stamp += 1
            settledSlots.removeAll(keepingCapacity: true)
            heap.removeAll()
            added.removeAll(keepingCapacity: true)
        }
    }

    private func pushNeighbors(of slot: Int, into search: inout Search) {
        for edge in Int(graph.adjacencyStart[slot])..<Int(graph.adjacencyStart[slot + 1]) {
            let other = Int(graph.adjacencyNeighbor[edge])
            guard search.settled[other] != search.stamp else { continue }
            let backPort = remotePort[slot * stride + Int(graph.adjacencyPort[edge])]
            let channel = other * stride + Int(backPort)
            search.heap.push(.init(hops: search.hops[slot] + 1, cost: search.cost[slot] + load[channel] * load[channel], slot: Int32(other), port: backPort, parent: Int32(slot)))
        }
    }

    /// Grows the tree of routes toward `target`; false (and nothing kept) when some switch of its
    /// component could not be reached without closing a cycle.
    private mutating func searchRoutes(to target: Int, into search: inout Search) -> Bool {
        search.start()
        search.settled[target] = search.stamp
        search.hops[target] = 0
        search.cost[target] = 0
        search.channel[target] = -1
        search.settledSlots.append(target)
        pushNeighbors(of: target, into: &search)
        while let candidate = search.heap.pop() {
            let slot = Int(candidate.slot)
            guard search.settled[slot] != search.stamp else { continue }
            let into = slot * stride + Int(candidate.port)
            let parent = Int(candidate.parent)
            if parent != target {
                let onward = Int(search.channel[parent])
                // The graph only grew since a refusal of the same dependency: refused again, without the search.
                let key = dependencyKey(into, onward)
                if refusedAt[key] == dependencies.generation { continue }
                switch dependencies.add(into, onward) {
                case .refused:
                    refusedAt[key] = dependencies.generation
                    continue
                case .added: search.added.append((into, onward))
                case .present: break
                }
            }
            search.settled[slot] = search.stamp
            search.hops[slot] = candidate.hops
            search.cost[slot] = candidate.cost
            search.port[slot] = candidate.port
            search.channel[slot] = Int32(into)
            search.parent[slot] = Int32(parent)
            search.settledSlots.append(slot)
            pushNeighbors(of: slot, into: &search)
        }
        if search.settledSlots.count == componentSize[Int(component[target])] { return true }
        for (from, to) in search.added { dependencies.remove(from, to) }
        return false
    }

    /// Routes toward `target` along the escape tree (whose dependencies the graph holds from the start).
    private func escapeRoutes(to target: Int, into search: inout Search) {
        search.start()
        search.settled[target] = search.stamp
        search.hops[target] = 0
        search.settledSlots.append(target)
        var head = 0
        while head < search.settledSlots.count {
            let current = search.settledSlots[head]
            head += 1
            for link in treeLinks[current] where search.settled[Int(link.neighbor)] != search.stamp {
                let other = Int(link.neighbor)
                let backPort = remotePort[current * stride + Int(link.port)]
                search.settled[other] = search.stamp
                search.port[other] = backPort
                search.channel[other] = Int32(other * stride + Int(backPort))
                search.parent[other] = Int32(current)
                search.hops[other] = search.hops[current] + 1
                search.settledSlots.append(other)
            }
        }
    }
}
