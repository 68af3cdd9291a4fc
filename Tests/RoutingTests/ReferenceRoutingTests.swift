import FabricModel
import IBWire
import Routing
import Testing

/// A plain, slow statement of the min-hop rules (dictionaries, a fresh minimum search per LID),
/// against which the optimized `computeMinHopRoutes` must agree entry for entry.
private func referenceRoutes(_ fabric: Fabric, lids: LIDAssignment) -> [Int: [LID: PortNumber]] {
    let switches = fabric.switches
    func switchLinks(_ node: Int) -> [(port: PortNumber, neighbor: Int)] {
        fabric[node].knownPorts.compactMap { port in
            guard let remote = port.remote, fabric[remote.node].type == .switch else { return nil }
            return (port.number, remote.node)
        }
    }
    var tables: [Int: [LID: PortNumber]] = [:]
    var load: [PortAddress: Int] = [:]
    // Endports by the switch they hang off (and the port there), each switch's list by base LID.
    var attached: [Int: [(endport: LIDAssignment.Endport, port: PortNumber)]] = [:]
    for endport in lids.endports.sorted(by: { $0.base < $1.base }) {
        if fabric[endport.address.node].type == .switch {
            attached[endport.address.node, default: []].append((endport, .management))
        } else if let remote = fabric[endport.address]?.remote, fabric[remote.node].type == .switch {
            attached[remote.node, default: []].append((endport, remote.port))
        }
    }
    func distances(to target: Int) -> [Int: Int] {
        var distance: [Int: Int] = [target: 0]
        var queue = [target]
        while !queue.isEmpty {
            let current = queue.removeFirst()
            for (_, neighbor) in switchLinks(current) where distance[neighbor] == nil {
                distance[neighbor] = distance[current]! + 1
                queue.append(neighbor)
            }
        }
        return distance
    }
    // Forced routes (one min-hop port) are counted before any choice.
    for target in switches {
        guard let endports = attached[target] else { continue }
        let distance = distances(to: target)
        let lidCount = endports.reduce(0) { $0 + $1.endport.count }
        for here in switches where here != target {
            guard let hops = distance[here] else { continue }
            let candidates = switchLinks(here).filter { distance[$0.neighbor] == hops - 1 }
            if candidates.count == 1 { load[PortAddress(node: here, port: candidates[0].port), default: 0] += lidCount }
        }
    }
    for target in switches {
        guard let endports = attached[target] else { continue }
        let distance = distances(to: target)
        for (endport, port) in endports {
            for lid in lids.lids(of: endport.address) { tables[target, default: [:]][lid] = port }
        }
        for here in switches where here != target {
            guard let hops = distance[here] else { continue }
            let candidates = switchLinks(here).filter { distance[$0.neighbor] == hops - 1 }
            for (endport, _) in endports {
                var portUses: [PortNumber: Int] = [:]
                var neighborUses: [Int: Int] = [:]
                for lid in lids.lids(of: endport.address) {
                    let best = candidates.min { a, b in
                        let ka = (neighborUses[a.neighbor, default: 0], portUses[a.port, default: 0], load[PortAddress(node: here, port: a.port), default: 0], a.port.rawValue)
                        let kb = (neighborUses[b.neighbor, default: 0], portUses[b.port, default: 0], load[PortAddress(node: here, port: b.port), default: 0], b.port.rawValue)
                        return ka < kb
                    }!
                    tables[here, default: [:]][lid] = best.port
                    if candidates.count > 1 { load[PortAddress(node: here, port: best.port), default: 0] += 1 }
                    portUses[best.port, default: 0] += 1
                    neighborUses[best.neighbor, default: 0] += 1
                }
            }
        }
    }
    return tables
}

@Suite struct ReferenceRoutingTests {
    @Test(arguments: smallFabrics.map(\.name), [UInt8(0), 1, 2])
    func optimizedRoutesMatchTheReference(name: String, lmc: UInt8) throws {
        var fabric = try smallFabric(name)
        if name.hasPrefix("torus") { fabric.setSwitchInfo(fabric.switches[1], enhancedPort0: true) }
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        let tables = computeMinHopRoutes(fabric, lids: lids)
        let reference = referenceRoutes(fabric, lids: lids)
        var mismatches: [String] = []
        for sw in fabric.switches {
            for lid in lids.allLIDs {
                let expected = reference[sw]?[lid] ?? LinearForwardingTableBlock.unrouted
                let actual = tables.port(switch: sw, lid: lid)
                if expected != actual { mismatches.append("\(fabric[sw].description) LID \(lid): \(actual), reference \(expected)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
