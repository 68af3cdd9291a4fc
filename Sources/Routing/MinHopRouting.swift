import Dispatch
import FabricModel
import Foundation
import IBWire
import Synchronization

/// The linear forwarding tables of every switch of a fabric: for each switch and each LID
/// 0...top, the output port (255, `LinearForwardingTableBlock.unrouted`, where it has none).
///
/// Stored flat, LID-major (`entries[lid * switchCount + slot]`), switches in node index order.
public struct ForwardingTables: Sendable, Equatable {
    /// The highest LID the tables hold (what to write as LinearFDBTop).
    public let top: LID
    /// The node indices of the switches the tables are for, ascending.
    public let switches: [Int]
    let slotOfNode: [Int32]
    var entries: [UInt8]

    /// Empty tables (every entry unrouted) for the switches of `fabric`.
    public init(fabric: Fabric, top: LID) {
        let graph = SwitchGraph(fabric)
        self.init(graph: graph, top: top)
    }

    init(graph: SwitchGraph, top: LID) {
        self.top = top
        switches = graph.nodes
        slotOfNode = graph.slotOfNode
        entries = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: (Int(top.rawValue) + 1) * graph.count)
    }

    /// How many 64-entry blocks cover LIDs 0...top.
    public var blockCount: Int { Int(top.rawValue) / LinearForwardingTableBlock.entriesPerBlock + 1 }

    /// True when `node` is one of the switches.
    public func hasSwitch(_ node: Int) -> Bool { node >= 0 && node < slotOfNode.count && slotOfNode[node] >= 0 }

    /// The output port of switch `node` for `lid`; 255 for LIDs above `top` and for non-switches.
    public func port(switch node: Int, lid: LID) -> PortNumber {
        guard hasSwitch(node), lid <= top else { return LinearForwardingTableBlock.unrouted }
        return PortNumber(entries[Int(lid.rawValue) * switches.count + Int(slotOfNode[node])])
    }

    /// Sets one entry (for tools and tests that edit tables).
    public mutating func setPort(_ port: PortNumber, switch node: Int, lid: LID) {
        precondition(hasSwitch(node) && lid <= top, "no such switch or LID above top")
        entries[Int(lid.rawValue) * switches.count + Int(slotOfNode[node])] = port.rawValue
    }

    /// LFT block `number` of switch `node`: the 64 ports for LIDs number*64 ..< number*64 + 64
    /// (255 past `top`), as `LinearForwardingTableBlock(ports:)` takes them.
    public func block(switch node: Int, number: Int) -> [PortNumber] {
        let first = number * LinearForwardingTableBlock.entriesPerBlock
        return (first..<(first + LinearForwardingTableBlock.entriesPerBlock)).map { lid in
            lid <= Int(top.rawValue) ? port(switch: node, lid: LID(UInt16(lid))) : LinearForwardingTableBlock.unrouted
        }
    }

    /// Switch `node`'s whole table as raw port numbers (LIDs 0...top).
    public func rawTable(switch node: Int) -> [UInt8] {
        guard hasSwitch(node) else { return [] }
        let slot = Int(slotOfNode[node]), count = switches.count
        return (0...Int(top.rawValue)).map { entries[$0 * count + slot] }
    }

    /// `table` (switch `node`'s, LIDs 0...top) with blocks `numbers` replaced by these tables' entries.
    public func patch(_ table: inout [UInt8], switch node: Int, blocks numbers: [Int]) {
        guard hasSwitch(node), table.count == Int(top.rawValue) + 1 else { return }
        let slot = Int(slotOfNode[node]), count = switches.count
        for number in numbers {
            let first = number * LinearForwardingTableBlock.entriesPerBlock
            for lid in first..<min(first + LinearForwardingTableBlock.entriesPerBlock, table.count) { table[lid] = entries[lid * count + slot] }
        }
    }

    /// The whole table of switch `node`, indexed by LID 0...top.
    public func table(switch node: Int) -> [PortNumber] {
        (0...Int(top.rawValue)).map { port(switch: node, lid: LID(UInt16($0))) }
    }

    /// Every switch's whole table as raw port numbers (LIDs 0...top), by node index: what programming
    /// writes. Copied 64 LIDs at a time, so that the rows read and the columns written stay in cache.
    public func rawTablesBySwitch() -> [Int: [UInt8]] {
        let rowCount = Int(top.rawValue) + 1
        var rows = [[UInt8]](repeating: [UInt8](repeating: 0, count: rowCount), count: switches.count)
        for blockStart in Swift.stride(from: 0, to: rowCount, by: LinearForwardingTableBlock.entriesPerBlock) {
            let blockEnd = min(blockStart + LinearForwardingTableBlock.entriesPerBlock, rowCount)
            for slot in switches.indices {
                rows[slot].withUnsafeMutableBufferPointer { row in
                    for lid in blockStart..<blockEnd { row[lid] = entries[lid * switches.count + slot] }
                }
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(switches, rows))
    }
}

/// Min-hop routes for every LID of `lids` on every switch of `fabric`.
///
/// Hop counts come from one breadth-first search per destination switch over the inter-switch
/// links (every linked port counts; CAs never forward). A LID is routed toward the switch its
/// endport hangs off: at that switch, port 0 for the switch's own LIDs, the cabled port for a CA
/// or router port; elsewhere, among the output ports whose neighbor is one hop closer, the one
/// carrying the fewest LIDs so far at that switch (ties: the lowest port number), where the LIDs of
/// routes that have only one min-hop port are counted before any choice is made. Destinations are
/// taken switch by switch (node order), their endports by base LID. The 2^LMC LIDs of one endport
/// first spread over different next-hop switches, then different ports, then by load, so each
/// LID of a host takes its own path where the fabric offers one. Unreachable LIDs, and the LIDs of
/// ports cabled to no switch, stay 255. Deterministic.
public func computeMinHopRoutes(_ fabric: Fabric, lids: LIDAssignment) -> ForwardingTables {
    let graph = SwitchGraph(fabric)
    let switchCount = graph.count
    var tables = ForwardingTables(graph: graph, top: lids.maxLID)
    guard switchCount > 0, !lids.endports.isEmpty else { return tables }

    // Endports grouped by the switch they hang off, each group by base LID.
    var groupStart = [Int32](repeating: 0, count: switchCount + 1)
    var attachedPort = [UInt8](repeating: 0, count: lids.endports.count)
    var attachedSlot = [Int32](repeating: -1, count: lids.endports.count)
    for (index, endport) in lids.endports.enumerated() {
        guard let (slot, port) = attachment(of: endport, in: fabric, graph: graph) else { continue }
        attachedSlot[index] = Int32(slot)
        attachedPort[index] = port.rawValue
        groupStart[slot + 1] += 1
    }
    for slot in 0..<switchCount { groupStart[slot + 1] += groupStart[slot] }
    var fill = groupStart
    var groupBase = [Int32](repeating: 0, count: Int(groupStart[switchCount]))
    var groupCount = [Int32](repeating: 0, count: Int(groupStart[switchCount]))
    var groupPort = [UInt8](repeating: 0, count: Int(groupStart[switchCount]))
    let byBase = lids.endports.indices.sorted { lids.endports[$0].base < lids.endports[$1].base }
    for index in byBase where attachedSlot[index] >= 0 {
        let slot = Int(attachedSlot[index])
        let at = Int(fill[slot])
        fill[slot] += 1
        groupBase[at] = Int32(lids.endports[index].base.rawValue)
        groupCount[at] = Int32(lids.endports[index].count)
        groupPort[at] = attachedPort[index]
    }

    // A switch's choices depend only on its own earlier choices (the loads of its ports), so the
    // switches are shared out among the processors, each part walking the destinations in order:
    // the same tables as one pass, in about half the time on two cores.
    let groups = EndportGroups(start: groupStart, base: groupBase, count: groupCount, port: groupPort)
    let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, switchCount))
    let ranges = (0..<parts).map { part in (switchCount * part / parts)..<(switchCount * (part + 1) / parts) }
    let rowCount = Int(lids.maxLID.rawValue) + 1
    let columns = Mutex([[UInt8]](repeating: [], count: parts))
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let chosen = chooseRoutes(at: ranges[part], graph: graph, groups: groups, rowCount: rowCount)
        columns.withLock { $0[part] = chosen }
    }
    let chosen = columns.withLock { $0 }
    tables.entries.withUnsafeMutableBufferPointer { entries in
        for (part, range) in ranges.enumerated() {
            let width = range.count
            chosen[part].withUnsafeBufferPointer { column in
                for lid in 0..<rowCount {
                    for offset in 0..<width { entries[lid * switchCount + range.lowerBound + offset] = column[lid * width + offset] }
                }
            }
        }
    }
    return tables
}

/// Endports grouped by the switch slot they hang off: group `g` of slot `s` for g in
/// start[s]..<start[s + 1], its LIDs base[g]..<base[g] + count[g], cabled to port[g] of that switch.
private struct EndportGroups: Sendable {
    let start: [Int32]
    let base: [Int32]
    let count: [Int32]
    let port: [UInt8]
}

/// The output ports of the switches in `switches` (slots) for every LID, as `computeMinHopRoutes`
/// chooses them: LID-major, `switches.count` entries a LID.
private func chooseRoutes(at switches: Range<Int>, graph: SwitchGraph, groups: EndportGroups, rowCount: Int) -> [UInt8] {
    let switchCount = graph.count
    let width = switches.count
    let groupStart = groups.start, groupBase = groups.base, groupCount = groups.count, groupPort = groups.port
    var entries = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: rowCount * width)
    let stride = graph.maxPort + 1
    var load = [UInt32](repeating: 0, count: width * stride)
    var distance = [Int32](repeating: -1, count: switchCount)
    var queue: [Int32] = []
    queue.reserveCapacity(switchCount)
    var candidatePort = [UInt8](repeating: 0, count: stride)
    var candidateNeighbor = [Int32](repeating: 0, count: stride)
    var candidateUses = [Int32](repeating: 0, count: stride)
    var neighborStamp = [Int32](repeating: -1, count: switchCount)
    var neighborUses = [Int32](repeating: 0, count: switchCount)
    var stamp: Int32 = 0

    // Routes with a single min-hop choice will load their port whatever is decided elsewhere: count
    // them all first, so that the balanced choices see those loads from the start (on a dragonfly,
    // most routes are forced, and balancing without them overloads the ports they use).
    for target in 0..<switchCount where groupStart[target] < groupStart[target + 1] {
        graph.distances(to: target, into: &distance, queue: &queue)
        var lidsOfTarget: UInt32 = 0
        for g in Int(groupStart[target])..<Int(groupStart[target + 1]) { lidsOfTarget += UInt32(groupCount[g]) }
        for here in switches {
            let hops = distance[here]
            guard hops > 0 else { continue }
            var onlyPort = -1
            var candidates = 0
            for edge in Int(graph.adjacencyStart[here])..<Int(graph.adjacencyStart[here + 1])
            where distance[Int(graph.adjacencyNeighbor[edge])] == hops - 1 {
                candidates += 1
                onlyPort = Int(graph.adjacencyPort[edge])
            }
            if candidates == 1 { load[(here - switches.lowerBound) * stride + onlyPort] &+= lidsOfTarget }
        }
    }

    for target in 0..<switchCount where groupStart[target] < groupStart[target + 1] {
        graph.distances(to: target, into: &distance, queue: &queue)
        let groups = Int(groupStart[target])..<Int(groupStart[target + 1])
        if switches.contains(target) {
            let column = target - switches.lowerBound
            for g in groups {
                for lid in Int(groupBase[g])..<Int(groupBase[g] + groupCount[g]) { entries[lid * width + column] = groupPort[g] }
            }
        }
        entries.withUnsafeMutableBufferPointer { entries in
        load.withUnsafeMutableBufferPointer { load in
        distance.withUnsafeBufferPointer { distance in
        graph.adjacencyStart.withUnsafeBufferPointer { adjacencyStart in
        graph.adjacencyPort.withUnsafeBufferPointer { adjacencyPort in
        graph.adjacencyNeighbor.withUnsafeBufferPointer { adjacencyNeighbor in
        candidatePort.withUnsafeMutableBufferPointer { candidatePort in
        candidateNeighbor.withUnsafeMutableBufferPointer { candidateNeighbor in
            for here in switches {
                let hops = distance[here]
                guard hops > 0 else { continue }
                let column = here - switches.lowerBound
                // Output ports one hop closer to the target, by port number.
                var candidates = 0
                for edge in Int(adjacencyStart[here])..<Int(adjacencyStart[here + 1]) {
                    let neighbor = adjacencyNeighbor[edge]
                    if distance[Int(neighbor)] == hops - 1 {
                        candidatePort[candidates] = adjacencyPort[edge]
                        candidateNeighbor[candidates] = neighbor
                        candidates += 1
                    }
                }
                let loadBase = column * stride
                if candidates == 1 {
                    // Its load was counted up front.
                    let port = candidatePort[0]
                    for g in groups {
                        for lid in Int(groupBase[g])..<Int(groupBase[g] + groupCount[g]) {
                            entries[lid * width + column] = port
                        }
                    }
                    continue
                }
                // Single LIDs take the least loaded candidate, lowest port on ties. Done level by
                // level: the candidates at the lowest load, in port order, then the next load —
                // the same choices as a fresh minimum search per LID, without the k-fold scan.
                var level: UInt32 = 0
                var cursor = -1  // -1: level unknown (after a multi-LID group changed loads)
                for g in groups {
                    let first = Int(groupBase[g])
                    let count = Int(groupCount[g])
                    if count == 1 {
                        while true {
                            if cursor < 0 || cursor == candidates {
                                level = UInt32.max
                                for c in 0..<candidates { level = min(level, load[loadBase + Int(candidatePort[c])]) }
                                cursor = 0
                            }
                            while cursor < candidates && load[loadBase + Int(candidatePort[cursor])] != level { cursor += 1 }
                            if cursor < candidates { break }
                        }
                        let port = Int(candidatePort[cursor])
                        entries[first * width + column] = UInt8(port)
                        load[loadBase + port] &+= 1
                        cursor += 1
                        continue
                    }
                    cursor = -1
                    // Several LIDs of one endport: different next hops first, then different ports.
                    stamp += 1
                    for c in 0..<candidates { candidateUses[c] = 0 }
                    for lid in first..<(first + count) {
                        var best = 0
                        var bestKey = (Int32.max, Int32.max, UInt32.max)
                        for c in 0..<candidates {
                            let neighbor = Int(candidateNeighbor[c])
                            let neighborUse = neighborStamp[neighbor] == stamp ? neighborUses[neighbor] : 0
                            let key = (neighborUse, candidateUses[c], load[loadBase + Int(candidatePort[c])])
                            if key < bestKey {
                                best = c
                                bestKey = key
                            }
                        }
                        let port = Int(candidatePort[best])
                        let neighbor = Int(candidateNeighbor[best])
                        entries[lid * width + column] = UInt8(port)
                        load[loadBase + port] &+= 1
                        candidateUses[best] += 1
                        if neighborStamp[neighbor] != stamp {
                            neighborStamp[neighbor] = stamp
                            neighborUses[neighbor] = 0
                        }
                        neighborUses[neighbor] += 1
                    }
                }
            }
        }}}}}}}}
    }
    return entries
}
