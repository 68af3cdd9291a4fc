import FabricModel
import IBWire

/// Min-hop tables repaired after links changed, and which entries differ from the tables before.
struct TableRepair {
    var tables: ForwardingTables
    /// Block numbers whose entries differ from the previous tables, by switch slot.
    var changedBlocks: [Int: [Int]]
    /// Entries that differ from the previous tables.
    var changedEntries: [(slot: Int, lid: Int)]
    /// Destination switches whose hop counts changed (their LIDs were checked at every switch).
    var affectedTargets: Int
    /// The switches and links of the fabric after the change, and its LIDs by destination switch.
    var graph: SwitchGraph
    var destinations: RoutingDestinations
    var nodes: [Int] { graph.nodes }
    /// LIDs routed out of each port of each switch, `slot * (stride + 1) + port`, for the next repair.
    var portLoads: [Int32]?

    var changedBlocksByNode: [Int: [Int]] { Dictionary(uniqueKeysWithValues: changedBlocks.map { (nodes[$0.key], $0.value) }) }

    var note: String {
        "repair: \(changedEntries.count) entries changed in \(changedBlocks.values.reduce(0) { $0 + $1.count }) block(s) of \(changedBlocks.count) switch(es); hop counts to \(affectedTargets) switch(es) changed"
    }
}

/// Min-hop tables for `after`, made from min-hop tables for `before` by changing only what the change of
/// links needs, instead of routing every LID anew (what `computeMinHopRoutes` does):
///
/// - an entry that leaves through a link that is gone takes the least loaded port one hop closer to
///   its destination (the rule `computeMinHopRoutes` follows, with the switch's loads as they are);
/// - for the destination switches whose hop counts changed (few: those to which the link was the only
///   shortest way from one of its ends, or to which a new link is a shortcut), every switch's entry
///   is checked and, when its next hop is no longer one hop closer, chosen again the same way;
/// - an endport cabled elsewhere (or to nothing) is routed anew (or unrouted) at every switch;
/// - a link that came back takes LIDs from its switch's busier ports, in LID order so that the moves
///   share few blocks, until it carries about as many as they do.
///
/// Every entry then leads one hop closer to its destination, so every pair is delivered on a min-hop
/// path. Balance differs from a full computation's (the choices see the loads left by the old routes);
/// verification reports both. Nil when the repair does not apply: the switches differ, the LID range
/// changed, or links both went and came in one change (a full computation is as cheap then).
func repairMinHopRoutes(_ previous: ForwardingTables, before: Fabric, after: Fabric, lids: LIDAssignment, previousLoads: [Int32]? = nil) -> TableRepair? {
    let old = SwitchGraph(before), new = SwitchGraph(after)
    guard old.nodes == new.nodes, previous.switches == new.nodes, previous.top == lids.maxLID else { return nil }
    let switchCount = new.count
    let stride = max(old.maxPort, new.maxPort) + 1
    let oldRemote = old.neighborTable(stride: stride), newRemote = new.neighborTable(stride: stride)
    var removed: [Int] = [], added: [Int] = []
    for channel in 0..<(switchCount * stride) where oldRemote[channel] != newRemote[channel] {
        if oldRemote[channel] >= 0 { removed.append(channel) }
        if newRemote[channel] >= 0 { added.append(channel) }
    }
    guard removed.isEmpty || added.isEmpty else { return nil }

    // Endports whose LIDs leave the fabric somewhere else now (or nowhere).
    let oldDestinations = RoutingDestinations(fabric: before, lids: lids, graph: old)
    let destinations = RoutingDestinations(fabric: after, lids: lids, graph: new)
    var oldExit: [Int: (slot: Int, port: UInt8)] = [:]
    for group in oldDestinations.groups { oldExit[group.base] = (group.slot, group.port) }
    let rowCount = Int(lids.maxLID.rawValue) + 1
    var groupOfLID = [Int32](repeating: -1, count: rowCount)
    var moved: [Int] = []
    for (index, group) in destinations.groups.enumerated() {
        for lid in group.base..<(group.base + group.count) where lid < rowCount { groupOfLID[lid] = Int32(index) }
        let before = oldExit.removeValue(forKey: group.base)
        if before?.slot != group.slot || before?.port != group.port { moved.append(index) }
    }
    let unplugged = oldDestinations.groups.filter { oldExit[$0.base] != nil }
    var tables = previous
    if removed.isEmpty && added.isEmpty && moved.isEmpty && unplugged.isEmpty {
        return TableRepair(tables: tables, changedBlocks: [:], changedEntries: [], affectedTargets: 0, graph: new, destinations: destinations, portLoads: previousLoads)
    }

    // Hop counts from the ends of the changed links and their neighbours, on the old links: with only
    // removals or only additions, they are also the new hop counts to every destination not affected.
    var rows: [Int: [Int32]] = [:]
    var queue: [Int32] = []
    func row(_ slot: Int) -> [Int32] {
        if let known = rows[slot] { return known }
        var distance = [Int32](repeating: -1, count: switchCount)
        old.distances(to: slot, into: &distance, queue: &queue)
        rows[slot] = distance
        return distance
    }
    let ends = Set((removed + added).flatMap { [$0 / stride, Int(oldRemote[$0] >= 0 ? oldRemote[$0] : newRemote[$0])] })
    for end in ends {
        _ = row(end)
        for edge in Int(new.adjacencyStart[end])..<Int(new.adjacencyStart[end + 1]) { _ = row(Int(new.adjacencyNeighbor[edge])) }
    }

    // Destinations whose hop counts change. A removed link a->b matters to t when b was a's only
    // neighbour one hop closer to t (with several removed, any neighbour left one hop closer keeps
    // every hop count: induction on the old distance). An added link matters to t when its ends were
    // two or more hops apart in distance to t.
    var affected = Set<Int>()
    for channel in removed {
        let a = channel / stride, b = Int(oldRemote[channel])
        let fromA = rows[a]!, fromB = rows[b]!
        let neighbors = (Int(new.adjacencyStart[a])..<Int(new.adjacencyStart[a + 1])).map { rows[Int(new.adjacencyNeighbor[$0])]! }
        for target in 0..<switchCount where fromB[target] >= 0 && fromA[target] == fromB[target] + 1 {
            if !neighbors.contains(where: { $0[target] == fromB[target] }) { affected.insert(target) }
        }
    }
    for channel in added {
        let fromA = rows[channel / stride]!, fromB = rows[Int(newRemote[channel])]!
        for target in 0..<switchCount where (fromA[target] < 0) != (fromB[target] < 0) || abs(fromA[target] - fromB[target]) >= 2 {
            affected.insert(target)
        }
    }
    for index in moved { affected.insert(destinations.groups[index].slot) }
    var targetRows: [Int: [Int32]] = [:]
    for target in affected {
        var distance = [Int32](repeating: -1, count: switchCount)
        new.distances(to: target, into: &distance, queue: &queue)
        targetRows[target] = distance
    }
    // New hop count from `slot` to `target` (rows hold what is needed: see above).
    func hops(_ slot: Int, _ target: Int) -> Int32 {
        if let distance = targetRows[target] { return distance[slot] }
        return rows[slot]![target]
    }

    // Per-port LID counts of every switch: kept from the last repair, else counted in one pass over the
    // tables (LID-major, so in memory order; a column per switch would touch a cache line per entry).
    var portLoads: [Int32]
    if let held = previousLoads, held.count == switchCount * (stride + 1) {
        portLoads = held
    } else {
        portLoads = [Int32](repeating: 0, count: switchCount * (stride + 1))
        tables.entries.withUnsafeBufferPointer { entries in
            portLoads.withUnsafeMutableBufferPointer { loads in
                for lid in 0..<rowCount {
                    let row = lid * switchCount
                    for slot in 0..<switchCount {
                        let port = Int(entries[row + slot])
                        if port < stride { loads[slot * (stride + 1) + port] += 1 }
                    }
                }
            }
        }
    }
    var changed: [(slot: Int, lid: Int)] = []
    func set(_ slot: Int, _ lid: Int, _ port: UInt8) {
        let at = lid * switchCount + slot
        let was = tables.entries[at]
        guard was != port else { return }
        if Int(was) < stride { portLoads[slot * (stride + 1) + Int(was)] -= 1 }
        if Int(port) < stride { portLoads[slot * (stride + 1) + Int(port)] += 1 }
        tables.entries[at] = port
        changed.append((slot, lid))
    }
    /// The least loaded port of `slot` one hop closer to `target` (lowest port on ties); 255 if none.
    func choose(_ slot: Int, toward target: Int) -> UInt8 {
        let distance = hops(slot, target)
        guard distance > 0 else { return LinearForwardingTableBlock.unrouted.rawValue }
        let base = slot * (stride + 1)
        var best = -1
        for edge in Int(new.adjacencyStart[slot])..<Int(new.adjacencyStart[slot + 1]) {
            let port = Int(new.adjacencyPort[edge])
            guard hops(Int(new.adjacencyNeighbor[edge]), target) == distance - 1 else { continue }
            if best < 0 || portLoads[base + port] < portLoads[base + best] { best = port }
        }
        return best < 0 ? LinearForwardingTableBlock.unrouted.rawValue : UInt8(best)
    }
    func rechoose(_ slot: Int, _ lid: Int) {
        let group = destinations.groups[Int(groupOfLID[lid])]
        set(slot, lid, slot == group.slot ? group.port : choose(slot, toward: group.slot))
    }

    // 1. Endports gone from the fabric of switches: unrouted everywhere.
    for group in unplugged {
        for lid in group.base..<min(group.base + group.count, rowCount) where groupOfLID[lid] < 0 {
            for slot in 0..<switchCount { set(slot, lid, LinearForwardingTableBlock.unrouted.rawValue) }
        }
    }
    // 2. Entries through links that are gone.
    for channel in removed {
        let slot = channel / stride, port = UInt8(channel % stride)
        for lid in 0..<rowCount where tables.entries[lid * switchCount + slot] == port {
            if groupOfLID[lid] >= 0 { rechoose(slot, lid) } else { set(slot, lid, LinearForwardingTableBlock.unrouted.rawValue) }
        }
    }
    // 3. Destinations whose hop counts changed: every switch whose next hop is not one hop closer.
    for target in affected.sorted() {
        let distance = targetRows[target]!
        for index in destinations.groupsBySlot[target] {
            let group = destinations.groups[index]
            for lid in group.base..<min(group.base + group.count, rowCount) {
                for slot in 0..<switchCount {
                    if slot == target {
                        set(slot, lid, group.port)
                        continue
                    }
                    let port = Int(tables.entries[lid * switchCount + slot])
                    let next = port < stride ? Int(newRemote[slot * stride + port]) : -1
                    if distance[slot] < 0 || next < 0 || distance[next] != distance[slot] - 1 { rechoose(slot, lid) }
                }
            }
        }
    }
    // 4. A link back: its switch moves LIDs to it from busier ports one hop closer too, first LIDs first.
    for channel in added {
        let slot = channel / stride, port = channel % stride, neighbor = Int(newRemote[channel])
        let base = slot * (stride + 1)
        for lid in 0..<rowCount where groupOfLID[lid] >= 0 {
            let target = destinations.groups[Int(groupOfLID[lid])].slot
            guard target != slot, !affected.contains(target), hops(neighbor, target) == hops(slot, target) - 1 else { continue }
            let current = Int(tables.entries[lid * switchCount + slot])
            guard current < stride, current != port, portLoads[base + current] > portLoads[base + port] + 1 else { continue }
            set(slot, lid, UInt8(port))
        }
    }

    // Entries set more than once count once, and only if they differ in the end.
    var blocks: [Int: Set<Int>] = [:]
    var differing: [(slot: Int, lid: Int)] = []
    var seen = Set<Int>()
    for (slot, lid) in changed where seen.insert(lid * switchCount + slot).inserted {
        guard tables.entries[lid * switchCount + slot] != previous.entries[lid * switchCount + slot] else { continue }
        differing.append((slot, lid))
        blocks[slot, default: []].insert(lid / LinearForwardingTableBlock.entriesPerBlock)
    }
    return TableRepair(tables: tables, changedBlocks: blocks.mapValues { $0.sorted() }, changedEntries: differing, affectedTargets: affected.count, graph: new, destinations: destinations, portLoads: portLoads)
}

extension SwitchGraph {
    /// The neighbour slot behind each port, `slot * stride + port` (-1: none or not a switch).
    func neighborTable(stride: Int) -> [Int32] {
        var table = [Int32](repeating: -1, count: count * stride)
        for slot in 0..<count {
            for edge in Int(adjacencyStart[slot])..<Int(adjacencyStart[slot + 1]) {
                table[slot * stride + Int(adjacencyPort[edge])] = adjacencyNeighbor[edge]
            }
        }
        return table
    }
}
