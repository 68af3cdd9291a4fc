import FabricModel
import IBWire

/// Anything that tells which port a switch forwards a LID out of: computed tables, tables read
/// back from a fabric, tables parsed from `dump_lfts` output.
public protocol ForwardingLookup {
    /// The output port of switch `node` (a node index) for `lid`; nil or 255 when it has none.
    func outputPort(switch node: Int, lid: LID) -> PortNumber?
}

extension ForwardingTables: ForwardingLookup {
    public func outputPort(switch node: Int, lid: LID) -> PortNumber? { port(switch: node, lid: lid) }
}

/// A lookup given as a closure.
public struct ClosureForwardingLookup: ForwardingLookup {
    let body: (Int, LID) -> PortNumber?
    public init(_ body: @escaping (Int, LID) -> PortNumber?) { self.body = body }
    public func outputPort(switch node: Int, lid: LID) -> PortNumber? { body(node, lid) }
}

/// What following the tables from every switch to every assigned LID found.
public struct RouteVerification: Sendable {
    /// (switch, LID) pairs whose destination is reachable from the switch over links.
    public var pairsChecked = 0
    public var delivered = 0
    /// Pairs that ended before their endport: no entry or 255, an unlinked port, port 0 at the
    /// wrong switch, a CA or router that is not the destination.
    public var undelivered = 0
    /// Pairs whose packets would circle forever.
    public var loops = 0
    /// Pairs delivered on a path longer than the min-hop distance.
    public var longerThanMinHop = 0
    /// Pairs whose destination is not reachable from the switch at all (not checked, not errors).
    public var unreachablePairs = 0
    /// Longest delivered path in hops (links crossed, switch to destination port).
    public var maxHops = 0
    public var meanHops = 0.0
    /// LIDs routed out of each inter-switch port (switch, port) by that switch.
    public var linkLoads: [PortAddress: Int] = [:]
    public var maxLinkLoad = 0
    public var minLinkLoad = 0
    public var meanLinkLoad = 0.0
    /// The first problems, one line each (`switch "leaf-3" LID 17: loop`).
    public var problems: [String] = []
    /// How many problems there were in all (`problems` keeps the first `problemLimit`).
    public var problemCount = 0
    public static let problemLimit = 20

    /// Every checked pair delivered on a min-hop path.
    public var isValid: Bool { undelivered == 0 && loops == 0 && longerThanMinHop == 0 }

    /// One line: `verified 1200 pairs: all delivered, min-hop; max 4 hops, mean 3.10; link load max 40 mean 38.5`.
    public var summary: String {
        var text = "verified \(pairsChecked) pairs: "
        if isValid {
            text += "all delivered, min-hop"
        } else {
            text += "\(delivered) delivered, \(undelivered) undelivered, \(loops) loops, \(longerThanMinHop) longer than min-hop"
        }
        text += "; max \(maxHops) hops, mean " + format(meanHops)
        text += "; link load max \(maxLinkLoad) min \(minLinkLoad) mean " + format(meanLinkLoad)
        return text
    }

    /// `summary`, then the problems listed, then how many more there were.
    public var report: String {
        var lines = [summary] + problems
        if problemCount > problems.count { lines.append("... and \(problemCount - problems.count) more") }
        return lines.joined(separator: "\n")
    }

    mutating func note(_ problem: @autoclosure () -> String) {
        problemCount += 1
        if problems.count < Self.problemLimit { problems.append(problem()) }
    }
}

/// How following a LID from a switch ended.
private enum Outcome: UInt8 { case delivered, deadEnd, unlinked, wrongPortZero, reachesCA, loop }

private func format(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}

/// Verifies routes given as a closure (switch node index, LID) → output port.
public func verifyRoutes(_ fabric: Fabric, lids: LIDAssignment, lookup: @escaping (Int, LID) -> PortNumber?) -> RouteVerification {
    verifyRoutes(fabric, lids: lids, tables: ClosureForwardingLookup(lookup))
}

/// Follows `tables` from every switch to every LID of every endport in `lids` (all 2^LMC of them)
/// and reports what is not delivered, loops, paths longer than the min-hop distance, and the load
/// of each inter-switch port (how many LIDs its switch routes out of it).
///
/// A pair (switch, LID) is checked when the LID's endport is reachable from the switch over links;
/// its path ends delivered at the endport's port (switch port 0 for a switch's own LIDs), or fails:
/// no entry/255 (`dead end`), a port that is not linked, port 0 at another switch, a CA or router
/// that is not the destination (`reaches CA`), or a switch seen twice (`loop`). Paths are followed
/// once per LID and switch (memoized), so a whole fabric costs one table lookup per pair.
public func verifyRoutes(_ fabric: Fabric, lids: LIDAssignment, tables: some ForwardingLookup) -> RouteVerification {
    var result = RouteVerification()
    let graph = SwitchGraph(fabric)
    let switchCount = graph.count
    guard switchCount > 0 else { return result }

    // Endports by the switch they hang off.
    var byTarget = [[Int]](repeating: [], count: switchCount)
    for (index, endport) in lids.endports.enumerated() {
        if let (slot, _) = attachment(of: endport, in: fabric, graph: graph) {
            byTarget[slot].append(index)
        } else {
            result.unreachablePairs += switchCount * endport.count  // cabled to no switch
        }
    }
    let stride = graph.maxPort + 1
    var portLoad = [Int](repeating: 0, count: switchCount * stride)
    var distance = [Int32](repeating: -1, count: switchCount)
    var queue: [Int32] = []

    // Per switch, for the LID being followed: stamp when known, and the outcome.
    var doneStamp = [Int32](repeating: -1, count: switchCount)
    var pathStamp = [Int32](repeating: -1, count: switchCount)
    var outcome = [Outcome](repeating: .delivered, count: switchCount)
    var hopsToGo = [Int32](repeating: 0, count: switchCount)
    var failedAt = [Int32](repeating: 0, count: switchCount)
    var detail = [Int32](repeating: 0, count: switchCount)
    var path: [Int32] = []
    var stamp: Int32 = 0
    var hopTotal = 0

    // The tables as flat rows (entries[lid * switchCount + slot]), read once through the lookup.
    let rows = Int(lids.maxLID.rawValue) + 1
    let entries: [UInt8]
    if let computed = tables as? ForwardingTables, computed.switches == graph.nodes, computed.top >= lids.maxLID {
        entries = computed.entries
    } else {
        var flat = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: rows * switchCount)
        for endport in lids.endports {
            for lid in Int(endport.base.rawValue)..<(Int(endport.base.rawValue) + endport.count) {
                for slot in 0..<switchCount {
                    flat[lid * switchCount + slot] = (tables.outputPort(switch: graph.nodes[slot], lid: LID(UInt16(lid))) ?? LinearForwardingTableBlock.unrouted).rawValue
                }
            }
        }
        entries = flat
    }
    // What each switch port is cabled to (node -1: nothing).
    var linkNode = [Int32](repeating: -1, count: switchCount * stride)
    var linkPort = [UInt8](repeating: 0, count: switchCount * stride)
    for (slot, index) in graph.nodes.enumerated() {
        for port in fabric.nodes[index].ports {
            guard let port, let remote = port.remote, port.number.index < stride else { continue }
            linkNode[slot * stride + port.number.index] = Int32(remote.node)
            linkPort[slot * stride + port.number.index] = remote.port.rawValue
        }
    }

    func name(_ slot: Int) -> String { "\"\(fabric.nodes[graph.nodes[slot]].description)\"" }

    for target in 0..<switchCount where !byTarget[target].isEmpty {
        graph.distances(to: target, into: &distance, queue: &queue)
        for endportIndex in byTarget[target] {
            let endport = lids.endports[endportIndex]
            let isSwitchPort = fabric.nodes[endport.address.node].type == .switch
            for offset in 0..<endport.count {
                let lid = LID(endport.base.rawValue + UInt16(offset))
                let lidRow = Int(lid.rawValue) * switchCount
                stamp += 1
                for start in 0..<switchCount {
                    guard distance[start] >= 0 else {
                        result.unreachablePairs += 1
                        continue
                    }
                    // Follow until a known switch or an end, then settle the path walked.
                    path.removeAll(keepingCapacity: true)
                    var current = start
                    var end: (outcome: Outcome, hops: Int32, at: Int32, detail: Int32)
                    while true {
                        if doneStamp[current] == stamp {
                            // Known from here on: one more hop from the switch before it.
                            end = (outcome[current], hopsToGo[current] + 1, failedAt[current], detail[current])
                            break
                        }
                        if pathStamp[current] == stamp {
                            end = (.loop, 0, Int32(current), 0)
                            break
                        }
                        pathStamp[current] = stamp
                        path.append(Int32(current))
                        let port = Int(entries[lidRow + current])
                        if port == Int(LinearForwardingTableBlock.unrouted.rawValue) {
                            end = (.deadEnd, 0, Int32(current), 255)
                            break
                        }
                        if port == 0 {
                            end = isSwitchPort && endport.address.node == graph.nodes[current]
                                ? (.delivered, 0, 0, 0) : (.wrongPortZero, 0, Int32(current), 0)
                            break
                        }
                        let remoteNode = port < stride ? Int(linkNode[current * stride + port]) : -1
                        guard remoteNode >= 0 else {
                            end = (.unlinked, 0, Int32(current), Int32(port))
                            break
                        }
                        let nextSlot = graph.slotOfNode[remoteNode]
                        if nextSlot >= 0 {
                            portLoad[current * stride + port] += 1
                            current = Int(nextSlot)
                            continue
                        }
                        let delivered = remoteNode == endport.address.node && linkPort[current * stride + port] == endport.address.port.rawValue
                        end = delivered ? (.delivered, 1, 0, 0) : (.reachesCA, 0, Int32(current), Int32(remoteNode))
                        break
                    }
                    // Settle the walked switches, last first (hops count from the last one).
                    var hops = end.hops
                    for slot in path.reversed() {
                        let s = Int(slot)
                        doneStamp[s] = stamp
                        outcome[s] = end.outcome
                        hopsToGo[s] = hops
                        failedAt[s] = end.at
                        detail[s] = end.detail
                        hops += 1
                    }

                    result.pairsChecked += 1
                    func problemPrefix() -> String { "switch \(name(start)) LID \(lid)" }
                    switch outcome[start] {
                    case .delivered:
                        result.delivered += 1
                        let taken = Int(hopsToGo[start])
                        hopTotal += taken
                        result.maxHops = max(result.maxHops, taken)
                        let shortest = Int(distance[start]) + (isSwitchPort ? 0 : 1)
                        if taken > shortest {
                            result.longerThanMinHop += 1
                            result.note("\(problemPrefix()): \(taken) hops, min-hop is \(shortest)")
                        }
                    case .loop:
                        result.loops += 1
                        result.note("\(problemPrefix()): loop (through \(name(Int(failedAt[start]))))")
                    case .deadEnd:
                        result.undelivered += 1
                        result.note("\(problemPrefix()): dead end at \(name(Int(failedAt[start]))) (no route)")
                    case .unlinked:
                        result.undelivered += 1
                        result.note("\(problemPrefix()): dead end at \(name(Int(failedAt[start]))) port \(detail[start]) (not linked)")
                    case .wrongPortZero:
                        result.undelivered += 1
                        result.note("\(problemPrefix()): delivered to port 0 of \(name(Int(failedAt[start]))), not its owner")
                    case .reachesCA:
                        result.undelivered += 1
                        result.note("\(problemPrefix()): reaches \"\(fabric.nodes[Int(detail[start])].description)\" from \(name(Int(failedAt[start]))), not its owner")
                    }
                }
            }
        }
    }

    result.meanHops = result.delivered > 0 ? Double(hopTotal) / Double(result.delivered) : 0
    var loads: [PortAddress: Int] = [:]
    for slot in 0..<switchCount {
        for edge in Int(graph.adjacencyStart[slot])..<Int(graph.adjacencyStart[slot + 1]) {
            let port = graph.adjacencyPort[edge]
            loads[PortAddress(node: graph.nodes[slot], port: PortNumber(port))] = portLoad[slot * stride + Int(port)]
        }
    }
    result.linkLoads = loads
    if !loads.isEmpty {
        result.maxLinkLoad = loads.values.max()!
        result.minLinkLoad = loads.values.min()!
        result.meanLinkLoad = Double(loads.values.reduce(0, +)) / Double(loads.count)
    }
    return result
}
