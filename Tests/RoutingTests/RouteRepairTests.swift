import FabricModel
import IBWire
import Routing
import Testing

/// Tables repaired after a link goes down and comes back (`repairRoutes`), against the same fabric routed
/// anew: every pair delivered, no credit loop where the engine promises none, as many min-hop pairs,
/// and exactly the blocks that differ reported as changed.
@Suite struct RouteRepairTests {
    /// The blocks (node, block) where two tables of the same switches differ.
    static func differingBlocks(_ a: ForwardingTables, _ b: ForwardingTables) -> Set<[Int]> {
        var result = Set<[Int]>()
        for node in a.switches {
            for block in 0..<a.blockCount where a.block(switch: node, number: block) != b.block(switch: node, number: block) {
                result.insert([node, block])
            }
        }
        return result
    }

    static func reported(_ repair: RoutingRepair) -> Set<[Int]>? {
        repair.changedBlocks.map { Set($0.flatMap { node, blocks in blocks.map { [node, $0] } }) }
    }

    /// An inter-switch link of `fabric`: the `index`-th, counted from the first switch's ports.
    static func interSwitchLink(_ fabric: Fabric, index: Int = 0) -> PortAddress {
        let ends = fabric.switches.flatMap { node in
            fabric[node].knownPorts.filter { $0.remote.map { fabric[$0.node].type == .switch && $0.node > node } ?? false }
                .map { PortAddress(node: node, port: $0.number) }
        }
        return ends[index % ends.count]
    }

    static let cases: [(name: String, kind: FabricKind, options: GeneratorOptions, link: Int)] = [
        ("fat-tree-3 leaf uplink", .fatTree3, GeneratorOptions(radix: 6), 0),
        ("fat-tree-3 spine link", .fatTree3, GeneratorOptions(radix: 6), 40),
        ("fat-tree-2", .fatTree2, GeneratorOptions(radix: 8), 3),
        ("torus-2d", .torus2D, GeneratorOptions(dimensions: [4, 4]), 5),
        ("torus-3d", .torus3D, GeneratorOptions(dimensions: [3, 3, 3]), 7),
        ("dragonfly", .dragonfly, GeneratorOptions(), 2),
    ]

    @Test(arguments: cases.indices, RoutingEngineKind.allCases)
    func aLinkDownAndBackIsRepairedAsWellAsARouteAnew(caseIndex: Int, engine: RoutingEngineKind) throws {
        let entry = Self.cases[caseIndex]
        let fabric = try generateFabric(entry.kind, options: entry.options)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        let end = Self.interSwitchLink(fabric, index: entry.link)
        let far = try #require(fabric[end]?.remote)
        var broken = fabric
        broken.disconnect(end)

        let first = route(fabric, lids: lids, engines: [engine])
        var previous = first
        for (before, after) in [(fabric, broken), (broken, fabric)] {
            let repair = repairRoutes(previous, from: before, to: after, lids: lids, engines: [engine])
            let anew = route(after, lids: lids, engines: [engine])
            let label = "\(entry.name), \(engine), link \(fabric.describe(end)) - \(fabric.describe(far)) \(after.links.count < before.links.count ? "down" : "up")"
            let verification = verifyRoutes(after, lids: lids, tables: repair.routed.tables)
            let reference = verifyRoutes(after, lids: lids, tables: anew.tables)
            #expect(verification.isDelivered, "\(label): \(verification.report)")
            #expect(verification.failures(promised: repair.routed.guarantees).isEmpty, "\(label): \(verification.report)")
            if anew.guarantees.isDeadlockFree { #expect(verification.creditLoop == nil, "\(label): \(verification.creditLoopDescription ?? "")") }
            #expect(verification.minHopShare >= reference.minHopShare, "\(label): repaired \(verification.summary); anew \(reference.summary)")
            if let blocks = Self.reported(repair) {
                #expect(blocks == Self.differingBlocks(previous.tables, repair.routed.tables), "\(label): blocks reported")
                #expect(repair.routed.engine == engine.rawValue)
                // The repair changes what the change needs, routing anew may change much more.
                print("\(label): repaired \(blocks.count) block(s) (anew: \(Self.differingBlocks(previous.tables, anew.tables).count)); "
                      + "min-hop \(verification.minHopShare) vs \(reference.minHopShare), worst link load \(verification.maxLinkLoad) vs \(reference.maxLinkLoad)")
            } else {
                print("\(label): routed anew (\(repair.routed.notes.last ?? ""))")
            }
            previous = repair.routed
        }
    }

    /// Where the engines can repair, they do (the seam is used, not only the fallback).
    @Test func minHopAndTheDefaultEngineRepairAFatTreeAndATorus() throws {
        for (kind, options) in [(FabricKind.fatTree3, GeneratorOptions(radix: 6)), (.torus2D, GeneratorOptions(dimensions: [4, 4]))] {
            let fabric = try generateFabric(kind, options: options)
            let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
            var broken = fabric
            broken.disconnect(Self.interSwitchLink(fabric, index: 1))
            for engine in [RoutingEngineKind.minhop, .deadlockFree] {
                let previous = route(fabric, lids: lids, engines: [engine])
                let down = repairRoutes(previous, from: fabric, to: broken, lids: lids, engines: [engine])
                #expect(down.changedBlocks != nil, "\(kind) \(engine): \(down.routed.notes)")
                let up = repairRoutes(down.routed, from: broken, to: fabric, lids: lids, engines: [engine])
                #expect(up.changedBlocks != nil, "\(kind) \(engine): \(up.routed.notes)")
            }
        }
    }

    /// A host unplugged: its LIDs are unrouted everywhere (as a route anew leaves them), nothing else moves.
    @Test func aHostUnpluggedIsUnroutedEverywhere() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1))
        let host = PortAddress(node: fabric.channelAdapters[3], port: PortNumber(1))
        var unplugged = fabric
        unplugged.disconnect(host)
        let previous = route(fabric, lids: lids, engines: [.deadlockFree])
        let repair = repairRoutes(previous, from: fabric, to: unplugged, lids: lids, engines: [.deadlockFree])
        let anew = route(unplugged, lids: lids, engines: [.deadlockFree])
        #expect(repair.changedBlocks != nil)
        #expect(repair.routed.tables == anew.tables || verifyRoutes(unplugged, lids: lids, tables: repair.routed.tables).isValid)
        for lid in lids.lids(of: host) {
            for node in fabric.switches { #expect(repair.routed.tables.port(switch: node, lid: lid) == LinearForwardingTableBlock.unrouted) }
        }
        let changed = Self.differingBlocks(previous.tables, repair.routed.tables)
        #expect(Set(changed.map { $0[1] }) == Set(lids.lids(of: host).map { Int($0.rawValue) / 64 }))
    }
}
