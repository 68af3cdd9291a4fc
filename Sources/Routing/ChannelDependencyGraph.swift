import Dispatch
import FabricModel
import Foundation
import IBWire
import Synchronization

/// One channel of the fabric: the buffer behind a switch's output port on one virtual lane.
public struct Channel: Hashable, Sendable {
    /// The switch and the port the channel leaves through.
    public var from: PortAddress
    public var vl: UInt8
    public init(from: PortAddress, vl: UInt8 = 0) {
        self.from = from
        self.vl = vl
    }
}

/// A cycle of channel dependencies: traffic that may wait on itself forever.
public struct CreditLoop: Sendable, Equatable {
    /// The channels of the cycle in order; the last one depends on the first.
    public var channels: [Channel]
    /// One line naming the channels: `credit loop on VL 0 through 4 channels: "sw-0"[1] -> "sw-1"[3] -> ...`;
    /// a loop that changes VL on the way names the VL of each channel: `credit loop across VLs 0, 1 through ...`.
    public func describe(in fabric: Fabric) -> String {
        let vls = Set(channels.map(\.vl))
        let names = channels.map { channel in
            "\"\(fabric.nodes[channel.from.node].description)\"[\(channel.from.port)]" + (vls.count > 1 ? " (VL \(channel.vl))" : "")
        }
        let lanes = vls.count > 1 ? "across VLs " + vls.sorted().map(String.init).joined(separator: ", ") : "on VL \(channels.first?.vl ?? 0)"
        return "credit loop \(lanes) through \(channels.count) channels: " + names.joined(separator: " -> ") + " -> " + (names.first ?? "")
    }
}

/// The channel dependency graph of one virtual lane over the inter-switch links of a fabric.
///
/// A dependency exists from channel a (into switch s) to channel b (out of s) when some route
/// leaves s through b after arriving through a. Channels into and out of CAs end or start every
/// route and never lie on a cycle, so only inter-switch channels are nodes. The dependencies of a
/// switch are kept as a bit matrix (in port x out port), so adding a route costs one bit per hop and
/// the graph stays small (switches x ports^2 bits) whatever the number of routes.
public struct ChannelDependencyGraph: Sendable {
    let graph: SwitchGraph
    let stride: Int
    /// The switch slot and port at the far end of each switch port, `slot * stride + port` (-1: not a switch).
    let remoteSlot: [Int32]
    let remotePort: [UInt8]
    /// Bit `(slot * stride + inPort) * stride + outPort`.
    var bits: [UInt64]
    public let vl: UInt8

    public init(fabric: Fabric, vl: UInt8 = 0) {
        self.init(graph: SwitchGraph(fabric), fabric: fabric, vl: vl)
    }

    init(graph: SwitchGraph, fabric: Fabric, vl: UInt8 = 0) {
        self.graph = graph
        self.vl = vl
        stride = graph.maxPort + 1
        var remoteSlot = [Int32](repeating: -1, count: graph.count * stride)
        var remotePort = [UInt8](repeating: 0, count: graph.count * stride)
        for (slot, index) in graph.nodes.enumerated() {
            for port in fabric.nodes[index].ports {
                guard let port, port.number != .management, let remote = port.remote, port.number.index < stride else { continue }
                let far = graph.slotOfNode[remote.node]
                guard far >= 0 else { continue }
                remoteSlot[slot * stride + port.number.index] = far
                remotePort[slot * stride + port.number.index] = remote.port.rawValue
            }
        }
        self.remoteSlot = remoteSlot
        self.remotePort = remotePort
        bits = [UInt64](repeating: 0, count: (graph.count * stride * stride + 63) / 64)
    }

    /// How many dependencies (distinct pairs of channels) the graph holds.
    public var dependencyCount: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Records that a route arrives at switch `node` through `inPort` and leaves through `outPort`.
    /// Ignored unless both ports are cabled to switches.
    public mutating func addDependency(at node: Int, from inPort: PortNumber, to outPort: PortNumber) {
        guard node < graph.slotOfNode.count, graph.slotOfNode[node] >= 0 else { return }
        let slot = Int(graph.slotOfNode[node])
        let q = inPort.index, r = outPort.index
        guard q < stride, r < stride, remoteSlot[slot * stride + q] >= 0, remoteSlot[slot * stride + r] >= 0 else { return }
        setBit(slot: slot, inPort: q, outPort: r)
    }

    /// Records the dependencies of one path given as the output ports it leaves through, switch by
    /// switch (for routes that are not in a unicast table, such as multicast trees).
    public mutating func addPath(_ hops: [PortAddress]) {
        for (leaving, next) in zip(hops, hops.dropFirst()) {
            guard let outSlot = slot(leaving.node), leaving.port.index < stride else { continue }
            let far = remoteSlot[outSlot * stride + leaving.port.index]
            guard far >= 0, graph.nodes[Int(far)] == next.node else { continue }
            addDependency(at: next.node, from: PortNumber(remotePort[outSlot * stride + leaving.port.index]), to: next.port)
        }
    }

    private func slot(_ node: Int) -> Int? {
        node < graph.slotOfNode.count && graph.slotOfNode[node] >= 0 ? Int(graph.slotOfNode[node]) : nil
    }

    @inline(__always)
    mutating func setBit(slot: Int, inPort: Int, outPort: Int) {
        let bit = (slot * stride + inPort) * stride + outPort
        bits[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    @inline(__always)
    func hasBit(slot: Int, inPort: Int, outPort: Int) -> Bool {
        let bit = (slot * stride + inPort) * stride + outPort
        return bits[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    /// Adds every CA-to-CA unicast route of `tables`: for each LID of a CA or router port, the paths
    /// from every switch a CA hangs off, as the tables forward them (dead ends and loops end a path).
    public mutating func addUnicastRoutes(fabric: Fabric, lids: LIDAssignment, tables: some ForwardingLookup) {
        addUnicastRoutes(fabric: fabric, lids: lids,
                         entries: tables.lidMajorEntries(switches: graph.nodes, lidCount: Int(lids.maxLID.rawValue) + 1))
    }

    /// The same from LID-major entries (`entries[lid * switchCount + slot]`). Runs of LIDs are shared
    /// out among the processors and their bits merged.
    mutating func addUnicastRoutes(fabric: Fabric, lids: LIDAssignment, entries: [UInt8]) {
        let switchCount = graph.count
        guard switchCount > 0 else { return }
        // Switches some CA or router hangs off: where CA-to-CA routes start.
        var sources: [Int32] = []
        for slot in 0..<switchCount {
            let node = fabric.nodes[graph.nodes[slot]]
            if node.ports.contains(where: { port in
                guard let port, port.number != .management, let remote = port.remote else { return false }
                return fabric.nodes[remote.node].type != .switch
            }) { sources.append(Int32(slot)) }
        }
        var destinationLIDs: [Int32] = []
        for endport in lids.endports where fabric.nodes[endport.address.node].type != .switch {
            for offset in 0..<endport.count { destinationLIDs.append(Int32(Int(endport.base.rawValue) + offset)) }
        }
        guard !sources.isEmpty, !destinationLIDs.isEmpty else { return }
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, destinationLIDs.count))
        let results = Mutex([[UInt64]](repeating: [], count: parts))
        let base = self
        let lidList = destinationLIDs, sourceList = sources
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var local = base
            let range = (lidList.count * part / parts)..<(lidList.count * (part + 1) / parts)
            local.walk(lids: lidList[range], sources: sourceList, entries: entries)
            results.withLock { $0[part] = local.bits }
        }
        let found = results.withLock { $0 }
        for part in found {
            for index in bits.indices { bits[index] |= part[index] }
        }
    }

    private mutating func walk(lids: ArraySlice<Int32>, sources: [Int32], entries: [UInt8]) {
        let switchCount = graph.count
        let stride = self.stride
        var seen = [Int32](repeating: -1, count: switchCount)
        let unrouted = Int(LinearForwardingTableBlock.unrouted.rawValue)
        // Millions of steps on a large fabric: through buffers, without a bounds or uniqueness check each.
        entries.withUnsafeBufferPointer { entries in
        remoteSlot.withUnsafeBufferPointer { remoteSlot in
        remotePort.withUnsafeBufferPointer { remotePort in
        seen.withUnsafeMutableBufferPointer { seen in
        bits.withUnsafeMutableBufferPointer { bits in
            for lid in lids {
                let row = Int(lid) * switchCount
                guard row + switchCount <= entries.count else { continue }
                for source in sources {
                    var current = Int(source)
                    var inPort = -1
                    while true {
                        let out = Int(entries[row + current])
                        let next = out != unrouted && out != 0 && out < stride ? Int(remoteSlot[current * stride + out]) : -1
                        if inPort >= 0, next >= 0 {
                            let bit = (current * stride + inPort) * stride + out
                            bits[bit >> 6] |= 1 << UInt64(bit & 63)
                        }
                        // Downstream of a switch seen for this LID is recorded already (or is a loop).
                        if seen[current] == lid || next < 0 { break }
                        seen[current] = lid
                        inPort = Int(remotePort[current * stride + out])
                        current = next
                    }
                }
            }
        }}}}}
    }

    /// A cycle of dependencies if there is one (the first found, searching channels in switch and
    /// port order), nil when the graph is acyclic: routes over it cannot deadlock on this lane.
    public func findCycle() -> CreditLoop? {
        let channelCount = graph.count * stride
        // 0 unvisited, 1 on the search path, 2 done.
        var color = [UInt8](repeating: 0, count: channelCount)
        var stack: [(channel: Int, nextPort: Int)] = []
        for start in 0..<channelCount where remoteSlot[start] >= 0 && color[start] == 0 {
            color[start] = 1
            stack.append((start, 0))
            while let top = stack.last {
                let far = Int(remoteSlot[top.channel])
                let inPort = Int(remotePort[top.channel])
                var advanced = false
                var port = top.nextPort
                while port < stride {
                    defer { port += 1 }
                    guard hasBit(slot: far, inPort: inPort, outPort: port) else { continue }
                    let next = far * stride + port
                    if color[next] == 1 {
                        // The path from `next` to the top of the stack, closed by this dependency.
                        let from = stack.firstIndex { $0.channel == next }!
                        let cycle = stack[from...].map { Channel(from: PortAddress(node: graph.nodes[$0.channel / stride], port: PortNumber(UInt8($0.channel % stride))), vl: vl) }
                        return CreditLoop(channels: cycle)
                    }
                    if color[next] == 0 {
                        stack[stack.count - 1].nextPort = port + 1
                        color[next] = 1
                        stack.append((next, 0))
                        advanced = true
                        break
                    }
                }
                if !advanced {
                    color[top.channel] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }
}

/// The credit loop of the CA-to-CA routes of `tables` on one VL, plus any `extraPaths` (output ports
/// switch by switch, e.g. multicast trees), or nil when their channel dependency graph is acyclic.
public func findCreditLoop(_ fabric: Fabric, lids: LIDAssignment, tables: some ForwardingLookup, extraPaths: [[PortAddress]] = []) -> CreditLoop? {
    var dependencies = ChannelDependencyGraph(fabric: fabric)
    dependencies.addUnicastRoutes(fabric: fabric, lids: lids, tables: tables)
    for path in extraPaths { dependencies.addPath(path) }
    return dependencies.findCycle()
}

extension ChannelDependencyGraph {
    /// The dependencies of `held` (a graph of the same switches before links changed) between channels
    /// that are still links, as this graph's.
    mutating func keep(_ held: ChannelDependencyGraph) -> Bool {
        guard held.stride == stride, held.graph.count == graph.count, held.bits.count == bits.count else { return false }
        bits = held.bits
        for slot in 0..<graph.count {
            let channels = (slot * stride)..<(slot * stride + stride)
            for channel in channels where held.remoteSlot[channel] >= 0
                && (remoteSlot[channel] != held.remoteSlot[channel] || remotePort[channel] != held.remotePort[channel]) {
                let port = channel - slot * stride
                // A channel gone (or cabled elsewhere): nothing depends on it or through it any more.
                for other in 0..<stride {
                    clearBit(slot: slot, inPort: port, outPort: other)
                    clearBit(slot: slot, inPort: other, outPort: port)
                }
            }
        }
        return true
    }

    @inline(__always)
    mutating func clearBit(slot: Int, inPort: Int, outPort: Int) {
        let bit = (slot * stride + inPort) * stride + outPort
        bits[bit >> 6] &= ~(1 << UInt64(bit & 63))
    }

    /// Adds every dependency the routes of `changed` entries (slot, LID) may have made under `entries`
    /// (LID-major): into each such switch from every neighbour that forwards the LID to it, and along
    /// the route from it to the LID's switch. Routes whose entries did not change keep the dependencies
    /// they had, so a graph that held the old routes' holds the new ones' after this.
    mutating func addRoutes(through changed: [(slot: Int, lid: Int)], entries: [UInt8], isHostLID: (Int) -> Bool) {
        let switchCount = graph.count
        let unrouted = Int(LinearForwardingTableBlock.unrouted.rawValue)
        for (slot, lid) in changed where isHostLID(lid) {
            let row = lid * switchCount
            let out = Int(entries[row + slot])
            guard out != unrouted, out != 0, out < stride, remoteSlot[slot * stride + out] >= 0 else { continue }
            for inPort in 1..<stride {
                let neighbor = Int(remoteSlot[slot * stride + inPort])
                if neighbor >= 0, Int(entries[row + neighbor]) == Int(remotePort[slot * stride + inPort]) {
                    setBit(slot: slot, inPort: inPort, outPort: out)
                }
            }
            var current = slot, leaving = out, steps = 0
            while steps <= switchCount {
                let next = Int(remoteSlot[current * stride + leaving])
                let onward = Int(entries[row + next])
                guard onward != unrouted, onward != 0, onward < stride, remoteSlot[next * stride + onward] >= 0 else { break }
                setBit(slot: next, inPort: Int(remotePort[current * stride + leaving]), outPort: onward)
                current = next
                leaving = onward
                steps += 1
            }
        }
    }
}
