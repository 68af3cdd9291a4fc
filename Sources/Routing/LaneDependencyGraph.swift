import FabricModel
import IBWire

/// How a fabric's SL2VL tables place traffic of one SL on VLs, for verification.
public enum LaneAssignment: Sendable, Equatable {
    /// Every hop takes this VL (every known switch table maps the SL to it, or none is known: VL 0).
    case uniform(UInt8)
    /// The VL changes with the switch or its ports: the graph must follow the tables hop by hop.
    case perHop

    public init(_ tables: VirtualLaneTables?, fabric: Fabric, serviceLevel: UInt8) {
        guard let tables else { self = .uniform(0); return }
        var seen: UInt8?
        for (key, table) in tables.slToVL where fabric[key.node].type == .switch {
            let vl = table.vl(forSL: serviceLevel)
            if let seen, seen != vl { self = .perHop; return }
            seen = vl
        }
        self = .uniform(seen ?? 0)
    }
}

/// The channel dependency graph with channels (link, VL): a dependency joins the channel a packet arrives on,
/// with the VL the previous switch's SL2VL table gave it, to the channel it leaves on, with the VL this
/// switch's table gives it (SL2VL[input][output][SL]). A cycle may stay on one VL or cross several.
///
/// Used when the VLs change hop by hop (`LaneAssignment.perHop`); with one VL everywhere
/// `ChannelDependencyGraph` is the same graph, smaller and faster. Channels into and out of CAs are not nodes.
struct LaneDependencyGraph {
    let graph: SwitchGraph
    let stride: Int
    /// Channel index: `(slot * stride + port) * lanes + vl`.
    static let lanes = 16
    var successors: [Set<Int32>]

    init(graph: SwitchGraph) {
        self.graph = graph
        stride = graph.maxPort + 1
        successors = [Set<Int32>](repeating: [], count: graph.count * stride * Self.lanes)
    }

    func channel(slot: Int, port: Int, vl: UInt8) -> Int { (slot * stride + port) * Self.lanes + Int(vl) }

    /// Walks every CA-to-CA route on `serviceLevel`: from every switch port a CA hangs off, to every LID of a CA
    /// or router port, through the tables, taking at each switch the VL its SL2VL table gives (VL 0 where the
    /// table is not known). At a (switch, input port) already passed for a LID only the dependency into it is
    /// added: everything downstream of it follows from the pair.
    mutating func addUnicastRoutes(fabric: Fabric, lids: LIDAssignment, entries: [UInt8], tables: VirtualLaneTables, serviceLevel: UInt8) {
        let count = graph.count
        var remoteSlot = [Int](repeating: -1, count: count * stride)
        var remotePort = [Int](repeating: 0, count: count * stride)
        var sources: [(slot: Int, port: Int)] = []
        for (slot, index) in graph.nodes.enumerated() {
            for port in fabric.nodes[index].ports {
                guard let port, port.number != .management, let remote = port.remote, port.number.index < stride else { continue }
                if fabric.nodes[remote.node].type == .switch {
                    remoteSlot[slot * stride + port.number.index] = Int(graph.slotOfNode[remote.node])
                    remotePort[slot * stride + port.number.index] = remote.port.index
                } else {
                    sources.append((slot, port.number.index))
                }
            }
        }
        var laneOf = [UInt8](repeating: 0, count: count * stride * stride)
        for (key, table) in tables.slToVL {
            guard key.node < graph.slotOfNode.count, graph.slotOfNode[key.node] >= 0, key.input.index < stride, key.output.index < stride else { continue }
            laneOf[(Int(graph.slotOfNode[key.node]) * stride + key.input.index) * stride + key.output.index] = table.vl(forSL: serviceLevel)
        }
        let unrouted = Int(LinearForwardingTableBlock.unrouted.rawValue)
        var passed = [Int32](repeating: -1, count: count * stride)
        for endport in lids.endports where fabric.nodes[endport.address.node].type != .switch {
            for offset in 0..<endport.count {
                let lid = Int(endport.base.rawValue) + offset
                let row = lid * count
                guard row + count <= entries.count else { continue }
                for source in sources {
                    var slot = source.slot, inPort = source.port
                    var arriving = -1
                    for _ in 0...count {
                        let out = Int(entries[row + slot])
                        guard out != unrouted, out != 0, out < stride else { break }
                        let next = remoteSlot[slot * stride + out]
                        guard next >= 0 else { break }
                        let vl = laneOf[(slot * stride + inPort) * stride + out]
                        let leaving = channel(slot: slot, port: out, vl: vl)
                        if arriving >= 0 { successors[arriving].insert(Int32(leaving)) }
                        if passed[slot * stride + inPort] == Int32(lid) { break }
                        passed[slot * stride + inPort] = Int32(lid)
                        arriving = leaving
                        inPort = remotePort[slot * stride + out]
                        slot = next
                    }
                }
            }
        }
    }

    /// A cycle if there is one (channels searched in switch, port and VL order), nil when acyclic.
    func findCycle() -> CreditLoop? {
        var color = [UInt8](repeating: 0, count: successors.count)
        var stack: [(channel: Int, next: [Int32], position: Int)] = []
        for start in successors.indices where !successors[start].isEmpty && color[start] == 0 {
            color[start] = 1
            stack.append((start, successors[start].sorted(), 0))
            while !stack.isEmpty {
                let top = stack.count - 1
                guard stack[top].position < stack[top].next.count else {
                    color[stack[top].channel] = 2
                    stack.removeLast()
                    continue
                }
                let next = Int(stack[top].next[stack[top].position])
                stack[top].position += 1
                if color[next] == 1 {
                    let from = stack.firstIndex { $0.channel == next }!
                    return CreditLoop(channels: stack[from...].map { describe($0.channel) })
                }
                if color[next] == 0 {
                    color[next] = 1
                    stack.append((next, successors[next].sorted(), 0))
                }
            }
        }
        return nil
    }

    private func describe(_ channel: Int) -> Channel {
        let vl = UInt8(channel % Self.lanes)
        let slotPort = channel / Self.lanes
        return Channel(from: PortAddress(node: graph.nodes[slotPort / stride], port: PortNumber(UInt8(slotPort % stride))), vl: vl)
    }
}
