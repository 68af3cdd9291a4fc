import Dispatch
import FabricModel
import Foundation
import IBWire
import Synchronization

/// Anything that tells which port a switch forwards a LID out of: computed tables, tables read
/// back from a fabric, tables parsed from `dump_lfts` output.
public protocol ForwardingLookup {
    /// The output port of switch `node` (a node index) for `lid`; nil or 255 when it has none.
    func outputPort(switch node: Int, lid: LID) -> PortNumber?

    /// The entries of `switches` (node indices) for LIDs 0..<lidCount as one array, LID by LID:
    /// entry `lid * switches.count + slot`, 255 where there is none. The default asks `outputPort`.
    func lidMajorEntries(switches: [Int], lidCount: Int) -> [UInt8]
}

extension ForwardingLookup {
    public func lidMajorEntries(switches: [Int], lidCount: Int) -> [UInt8] { entriesByLookup(switches: switches, lidCount: lidCount) }

    func entriesByLookup(switches: [Int], lidCount: Int) -> [UInt8] {
        var entries = [UInt8](repeating: LinearForwardingTableBlock.unrouted.rawValue, count: lidCount * switches.count)
        for lid in 0..<lidCount {
            for (slot, node) in switches.enumerated() {
                if let port = outputPort(switch: node, lid: LID(UInt16(lid))) { entries[lid * switches.count + slot] = port.rawValue }
            }
        }
        return entries
    }
}

extension ForwardingTables: ForwardingLookup {
    public func outputPort(switch node: Int, lid: LID) -> PortNumber? { port(switch: node, lid: lid) }

    public func lidMajorEntries(switches nodes: [Int], lidCount: Int) -> [UInt8] {
        guard nodes == switches, lidCount <= Int(top.rawValue) + 1 else { return entriesByLookup(switches: nodes, lidCount: lidCount) }
        return lidCount == Int(top.rawValue) + 1 ? entries : Array(entries[0..<(lidCount * nodes.count)])
    }
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
    /// Whether the channel dependency graph of the CA-to-CA routes was built and searched for a cycle.
    public var creditLoopsChecked = false
    /// A cycle in that graph: routes that can deadlock (nil: none, or not checked).
    public var creditLoop: CreditLoop?
    /// `creditLoop` in words, naming its channels.
    public var creditLoopDescription: String?
    /// The first problems, one line each (`switch "leaf-3" LID 17: loop`).
    public var problems: [String] = []
    /// How many problems there were in all (`problems` keeps the first `problemLimit`).
    public var problemCount = 0
    public static let problemLimit = 20

    /// Every checked pair delivered on a min-hop path.
    public var isValid: Bool { undelivered == 0 && loops == 0 && longerThanMinHop == 0 }

    /// Every checked pair delivered, none looping (whatever the length of the paths).
    public var isDelivered: Bool { undelivered == 0 && loops == 0 }

    /// The share of delivered pairs that take a min-hop path (1 when none is delivered).
    public var minHopShare: Double { delivered > 0 ? Double(delivered - longerThanMinHop) / Double(delivered) : 1 }

    /// What is wrong with the routes for an engine that promises `guarantees`: undelivered pairs and
    /// loops always; paths longer than min-hop if it promised min-hop; a credit loop if it promised
    /// deadlock freedom (or, with nil, always: what `swiftsm verify` judges by). Empty: fine.
    public func failures(promised guarantees: RoutingGuarantees?) -> [String] {
        var failures: [String] = []
        if !isDelivered { failures.append("\(undelivered) pair(s) undelivered, \(loops) looping") }
        if guarantees?.minHop == true, longerThanMinHop > 0 { failures.append("\(longerThanMinHop) pair(s) longer than min-hop") }
        if guarantees?.isDeadlockFree ?? true, let creditLoopDescription { failures.append(creditLoopDescription) }
        return failures
    }

    /// One line: `verified 1200 pairs: all delivered, min-hop; max 4 hops, mean 3.10; link load max 40 mean 38.5`.
    public var summary: String {
        var text = "verified \(pairsChecked) pairs: "
        if isValid {
            text += "all delivered, min-hop"
        } else if isDelivered {
            text += "all delivered, " + format(minHopShare * 100) + "% min-hop (\(longerThanMinHop) longer)"
        } else {
            text += "\(delivered) delivered, \(undelivered) undelivered, \(loops) loops, \(longerThanMinHop) longer than min-hop"
        }
        text += "; max \(maxHops) hops, mean " + format(meanHops)
        text += "; link load max \(maxLinkLoad) min \(minLinkLoad) mean " + format(meanLinkLoad)
        if creditLoopsChecked { text += creditLoop.map { "; credit loop through \($0.channels.count) channels" } ?? "; no credit loop" }
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
/// once per LID and switch (memoized), so a whole fabric costs one table lookup per pair; the
/// destination switches are shared out among the processors (the 11,664-host tree has 21.5 million
/// pairs), and the parts merged in order, so the result does not depend on how many there are.
///
/// With `creditLoops`, it also builds the channel dependency graph of every CA-to-CA route, plus `extraPaths`
/// (output ports switch by switch, e.g. multicast trees), and reports a cycle. Channels are (link, VL): with
/// `virtualLanes` (the switches' SL2VL tables) each hop of a route on `serviceLevel` takes the VL its switch's
/// table gives for the ports it passes; without, or when every table gives the SL one VL, all hops use that VL.
/// (`extraPaths` are followed on that one VL only: they carry no ports in.)
public func verifyRoutes(_ fabric: Fabric, lids: LIDAssignment, tables: some ForwardingLookup, creditLoops: Bool = true,
                         extraPaths: [[PortAddress]] = [], virtualLanes: VirtualLaneTables? = nil, serviceLevel: UInt8 = 0) -> RouteVerification {
    let graph = SwitchGraph(fabric)
    guard graph.count > 0 else { return RouteVerification() }
    let entries = tables.lidMajorEntries(switches: graph.nodes, lidCount: Int(lids.maxLID.rawValue) + 1)
    var result = followRoutes(fabric, graph: graph, lids: lids, entries: entries)
    if creditLoops {
        switch LaneAssignment(virtualLanes, fabric: fabric, serviceLevel: serviceLevel) {
        case .uniform(let vl):
            var dependencies = ChannelDependencyGraph(graph: graph, fabric: fabric, vl: vl)
            dependencies.addUnicastRoutes(fabric: fabric, lids: lids, entries: entries)
            for path in extraPaths { dependencies.addPath(path) }
            result.creditLoop = dependencies.findCycle()
        case .perHop:
            var dependencies = LaneDependencyGraph(graph: graph)
            dependencies.addUnicastRoutes(fabric: fabric, lids: lids, entries: entries, tables: virtualLanes ?? VirtualLaneTables(), serviceLevel: serviceLevel)
            result.creditLoop = dependencies.findCycle()
        }
        result.creditLoopsChecked = true
        result.creditLoopDescription = result.creditLoop?.describe(in: fabric)
    }
    return result
}

private func followRoutes(_ fabric: Fabric, graph: SwitchGraph, lids: LIDAssignment, entries: [UInt8]) -> RouteVerification {
    let walk = RouteWalk(fabric: fabric, graph: graph, lids: lids, entries: entries)

    // Contiguous runs of destination switches with about as many LIDs each.
    let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    let lidsPerTarget = walk.byTarget.map { $0.reduce(0) { $0 + lids.endports[$1].count } }
    let share = max(1, (lidsPerTarget.reduce(0, +) + parts - 1) / parts)
    var runs: [Range<Int>] = []
    var runStart = 0, runLIDs = 0
    for (target, count) in lidsPerTarget.enumerated() {
        runLIDs += count
        if runLIDs >= share { runs.append(runStart..<(target + 1)); runStart = target + 1; runLIDs = 0 }
    }
    if runStart < graph.count || runs.isEmpty { runs.append(runStart..<graph.count) }

    let targetRuns = runs
    let results = Mutex([RouteWalk.Part?](repeating: nil, count: runs.count))
    DispatchQueue.concurrentPerform(iterations: targetRuns.count) { index in
        let part = walk.follow(targets: targetRuns[index])
        results.withLock { $0[index] = part }
    }
    return walk.merge(results.withLock { $0.map { $0! } })
}
