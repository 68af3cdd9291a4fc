import FabricModel
import IBWire
import TestSupport

/// An outside judge of unicast tables for credit loops, written apart from the routing engines and
/// `verifyRoutes` (it shares no code with them): it follows every CA-to-CA route hop by hop through
/// tables as `dump_lfts` printed them, collects the channel dependency graph (a channel is a switch
/// output port that leads to a switch; a dependency, two consecutive channels of one route), and
/// looks for a cycle by removing channels without predecessors until none is left (Kahn).
struct CreditLoopJudge {
    var pairs = 0
    var delivered = 0
    var minHopPairs = 0
    /// CA-to-CA routes through each inter-switch channel.
    var channelLoad: [PortAddress: Int] = [:]
    var dependencies: [PortAddress: Set<PortAddress>] = [:]
    /// Channels left on cycles (or behind them) after Kahn's removal: empty when there is no cycle.
    var channelsOnCycles: [PortAddress] = []

    var maxChannelLoad: Int { channelLoad.values.max() ?? 0 }
    var minHopShare: Double { delivered > 0 ? Double(minHopPairs) / Double(delivered) : 0 }

    init(fabric: Fabric, tables: [Int: [UInt16: PortNumber]]) {
        // Every CA port with a link and its LIDs (base .. base + 2^LMC - 1), as the fabric shows them.
        var endports: [(address: PortAddress, lids: [UInt16])] = []
        for (index, node) in fabric.nodes.enumerated() where node.type != .switch {
            for port in node.knownPorts where port.remote != nil && port.lid.rawValue > 0 {
                let count = 1 << Int(port.lmc)
                endports.append((PortAddress(node: index, port: port.number), (0..<count).map { port.lid.rawValue + UInt16($0) }))
            }
        }
        // Hop counts between switches, breadth first from each.
        let switches = fabric.nodes.indices.filter { fabric.nodes[$0].type == .switch }
        var hopsFrom: [Int: [Int: Int]] = [:]
        for start in switches {
            var distance = [start: 0]
            var queue = [start]
            var head = 0
            while head < queue.count {
                let current = queue[head]
                head += 1
                for port in fabric.nodes[current].knownPorts {
                    guard let remote = port.remote, fabric.nodes[remote.node].type == .switch, distance[remote.node] == nil else { continue }
                    distance[remote.node] = distance[current]! + 1
                    queue.append(remote.node)
                }
            }
            hopsFrom[start] = distance
        }

        for source in endports {
            guard let first = fabric.nodes[source.address.node].port(source.address.port)?.remote,
                  fabric.nodes[first.node].type == .switch else { continue }
            for destination in endports where destination.address != source.address {
                guard let last = fabric.nodes[destination.address.node].port(destination.address.port)?.remote,
                      let shortest = hopsFrom[first.node]?[last.node] else { continue }
                for lid in destination.lids {
                    pairs += 1
                    var current = first.node
                    var previousChannel: PortAddress?
                    var channels: [PortAddress] = []
                    var visited: Set<Int> = []
                    var arrived = false
                    while visited.insert(current).inserted {
                        guard let out = tables[current]?[lid], out.rawValue != 255, out.rawValue != 0,
                              let remote = fabric.nodes[current].port(out)?.remote else { break }
                        let channel = PortAddress(node: current, port: out)
                        if fabric.nodes[remote.node].type != .switch {
                            arrived = remote == destination.address
                            break
                        }
                        if let previousChannel { dependencies[previousChannel, default: []].insert(channel) }
                        previousChannel = channel
                        channels.append(channel)
                        current = remote.node
                    }
                    guard arrived else { continue }
                    delivered += 1
                    if channels.count == shortest { minHopPairs += 1 }
                    for channel in channels { channelLoad[channel, default: 0] += 1 }
                }
            }
        }

        // Kahn: repeatedly drop channels that no remaining channel depends on.
        var nodes = Set(dependencies.keys)
        for targets in dependencies.values { nodes.formUnion(targets) }
        var incoming: [PortAddress: Int] = [:]
        for targets in dependencies.values { for target in targets { incoming[target, default: 0] += 1 } }
        var ready = nodes.filter { incoming[$0, default: 0] == 0 }
        var removed = 0
        while let channel = ready.popFirst() {
            removed += 1
            for target in dependencies[channel] ?? [] {
                incoming[target]! -= 1
                if incoming[target] == 0 { ready.insert(target) }
            }
        }
        channelsOnCycles = removed == nodes.count ? [] : nodes.filter { incoming[$0, default: 0] > 0 }.sorted()
    }

    var summary: String {
        let share = (minHopShare * 10000).rounded() / 100
        return "\(delivered)/\(pairs) CA-to-CA pairs delivered, \(share)% min-hop, worst channel \(maxChannelLoad) routes, "
            + (channelsOnCycles.isEmpty ? "no credit loop" : "credit loop among \(channelsOnCycles.count) channels")
    }
}
