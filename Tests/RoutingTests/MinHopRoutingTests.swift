import FabricModel
import Foundation
import IBWire
import Routing
import TestSupport
import Testing

@Suite struct MinHopRoutingTests {
    @Test(arguments: smallFabrics.map(\.name), [UInt8(0), 1, 2])
    func everyKindIsRoutedMinHop(name: String, lmc: UInt8) throws {
        let fabric = try smallFabric(name)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        let tables = computeMinHopRoutes(fabric, lids: lids)
        #expect(tables.top == lids.maxLID)
        #expect(tables.switches == fabric.switches)
        let verification = verifyRoutes(fabric, lids: lids, tables: tables)
        #expect(verification.isValid, "\(verification.report)")
        #expect(verification.pairsChecked == fabric.switches.count * lids.lidCount)
        #expect(verification.delivered == verification.pairsChecked)
        #expect(verification.unreachablePairs == 0)
        // Deterministic.
        #expect(computeMinHopRoutes(fabric, lids: lids) == tables)
        // A switch's own LIDs go to port 0; LID 0 and unassigned LIDs stay unrouted.
        for index in fabric.switches {
            for lid in lids.lids(of: PortAddress(node: index, port: 0)) { #expect(tables.port(switch: index, lid: lid) == .management) }
            #expect(tables.port(switch: index, lid: LID(0)) == LinearForwardingTableBlock.unrouted)
        }
        // Blocks agree with single lookups.
        let someSwitch = fabric.switches[fabric.switches.count / 2]
        #expect(tables.blockCount == Int(lids.maxLID.rawValue) / 64 + 1)
        let flat = (0..<tables.blockCount).flatMap { tables.block(switch: someSwitch, number: $0) }
        #expect(flat.count == tables.blockCount * 64)
        #expect(Array(flat.prefix(Int(tables.top.rawValue) + 1)) == tables.table(switch: someSwitch))
        #expect(flat.dropFirst(Int(tables.top.rawValue) + 1).allSatisfy { $0 == LinearForwardingTableBlock.unrouted })
        // The transposed copy a sweep plans from is every switch's table, entry for entry: a sweep whose
        // switches answer with exactly that copy verifies the computed tables instead of their answers.
        let raw = tables.rawTablesBySwitch()
        #expect(raw.keys.sorted() == fabric.switches)
        for index in fabric.switches { #expect(raw[index] == tables.table(switch: index).map(\.rawValue)) }
    }

    @Test func twoHostsBackToBackHaveNoTables() throws {
        var builder = FabricBuilderLite()
        let fabric = builder.backToBack()
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1))
        let tables = computeMinHopRoutes(fabric, lids: lids)
        #expect(tables.switches.isEmpty)
        #expect(tables.port(switch: 0, lid: LID(2)) == LinearForwardingTableBlock.unrouted)
        let verification = verifyRoutes(fabric, lids: lids, tables: tables)
        #expect(verification.isValid && verification.pairsChecked == 0)
    }

    @Test func hostsCabledToEachOtherAndToNoSwitchStayUnrouted() throws {
        var builder = FabricBuilder()
        builder.addSwitch("sw1", ports: 4)
        builder.addSwitch("sw2", ports: 4)
        builder.addCA("h1")
        builder.addCA("h2", ports: 2)
        builder.addCA("h3")
        builder.addCA("h4")
        builder.link("sw1", 1, "h1", 1)
        builder.link("sw1", 2, "h2", 1)  // a dual-port host, both ports on sw1
        builder.link("sw1", 3, "h2", 2)
        builder.link("sw1", 4, "sw2", 4)
        builder.link("h3", 1, "h4", 1)  // a separate island
        let fabric = builder.fabric
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        #expect(lids.endports.count == 2 + 3 + 2)
        let tables = computeMinHopRoutes(fabric, lids: lids)
        let sw1 = builder.index("sw1"), sw2 = builder.index("sw2")
        #expect(tables.port(switch: sw1, lid: lids.lid(of: PortAddress(node: builder.index("h2"), port: 1))!) == 2)
        #expect(tables.port(switch: sw1, lid: lids.lid(of: PortAddress(node: builder.index("h2"), port: 2))!) == 3)
        #expect(tables.port(switch: sw2, lid: lids.lid(of: PortAddress(node: builder.index("h2"), port: 2))!) == 4)
        for island in ["h3", "h4"] {
            let lid = lids.lid(of: PortAddress(node: builder.index(island), port: 1))!
            #expect(tables.port(switch: sw1, lid: lid) == LinearForwardingTableBlock.unrouted)
        }
        let verification = verifyRoutes(fabric, lids: lids, tables: tables)
        #expect(verification.isValid, "\(verification.report)")
        #expect(verification.pairsChecked == 2 * 5)
        #expect(verification.unreachablePairs == 2 * 2)
        #expect(verification.maxHops == 2)
    }

    /// Every spine-facing port of every leaf carries the same number of LIDs, within one.
    @Test(arguments: [UInt8(0), 1, 2])
    func twoLevelFatTreeUplinksAreBalanced(lmc: UInt8) throws {
        for options in [GeneratorOptions(radix: 8), GeneratorOptions(radix: 12), GeneratorOptions(radix: 16, leaves: 10, spines: 6, hostsPerSwitch: 10)] {
            let fabric = try generateFabric(.fatTree2, options: options)
            let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
            let tables = computeMinHopRoutes(fabric, lids: lids)
            let verification = verifyRoutes(fabric, lids: lids, tables: tables)
            #expect(verification.isValid)
            var uplinkLoads: [Int] = []
            for leaf in fabric.switches where fabric[leaf].description.hasPrefix("leaf") {
                let loads = fabric[leaf].knownPorts.filter { $0.remote.map { fabric[$0.node].description.hasPrefix("spine") } ?? false }
                    .map { verification.linkLoads[PortAddress(node: leaf, port: $0.number)]! }
                #expect(loads.max()! - loads.min()! <= 1, "\(fabric[leaf].description): \(loads)")
                uplinkLoads += loads
            }
            // Each leaf sends up every LID not its own or its hosts'.
            #expect(uplinkLoads.max()! - uplinkLoads.min()! <= 1)
            // A spine has one min-hop port per leaf: its downlinks carry that leaf's LIDs, plus
            // a share of the other spines' LIDs (two hops away through any leaf), spread evenly.
            let hostsPerLeaf = options.hostsPerSwitch ?? (options.radix! / 2)
            let spines = options.spines ?? (options.radix! / 2)
            let spine = fabric.named("spine-0")
            let downlinks = fabric[spine].knownPorts.filter { $0.remote != nil }.map { verification.linkLoads[PortAddress(node: spine, port: $0.number)]! - (1 + hostsPerLeaf << Int(lmc)) }
            #expect(downlinks.reduce(0, +) == spines - 1)
            #expect(downlinks.allSatisfy { $0 == 0 || $0 == 1 }, "\(downlinks)")
        }
    }

    @Test func threeLevelFatTreeIsBalancedToo() throws {
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 8))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        let verification = verifyRoutes(fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids))
        #expect(verification.isValid)
        for index in fabric.switches {
            let name = fabric[index].description
            guard name.hasPrefix("edge") || name.hasPrefix("agg") else { continue }
            // Upward ports: the upper half.
            let loads = (5...8).map { verification.linkLoads[PortAddress(node: index, port: PortNumber(UInt8($0)))]! }
            #expect(loads.max()! - loads.min()! <= 1, "\(name): \(loads)")
        }
    }

    /// The 2^LMC LIDs of a host leave every other leaf through distinct uplinks, toward distinct spines.
    @Test(arguments: [UInt8(1), 2])
    func lmcLIDsTakeDistinctPaths(lmc: UInt8) throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        let tables = computeMinHopRoutes(fabric, lids: lids)
        for host in fabric.channelAdapters {
            let address = PortAddress(node: host, port: 1)
            let homeLeaf = fabric[address]!.remote!.node
            for leaf in fabric.switches where leaf != homeLeaf && fabric[leaf].description.hasPrefix("leaf") {
                let ports = lids.lids(of: address).map { tables.port(switch: leaf, lid: $0) }
                #expect(Set(ports).count == ports.count, "\(fabric[host].description) from \(fabric[leaf].description): \(ports)")
                let spines = ports.map { fabric[PortAddress(node: leaf, port: $0)]!.remote!.node }
                #expect(Set(spines).count == ports.count)
            }
        }
        // Three-level tree: from an edge switch in another pod, distinct uplinks too, and
        // distinct next hops again at the aggregation switch above.
        let tree = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 8))
        let treeLIDs = try assignLIDs(tree, options: LIDAssignmentOptions(lmc: lmc))
        let treeTables = computeMinHopRoutes(tree, lids: treeLIDs)
        let host = PortAddress(node: tree.named("host-0"), port: 1)
        let edge = tree.named("edge-3-1")
        let ports = treeLIDs.lids(of: host).map { treeTables.port(switch: edge, lid: $0) }
        #expect(Set(ports).count == ports.count)
        #expect(verifyRoutes(tree, lids: treeLIDs, tables: treeTables).isValid)
    }

    @Test func tablesCanBeEdited() throws {
        let fabric = try smallFabric("mesh-3d")
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        var tables = computeMinHopRoutes(fabric, lids: lids)
        let original = tables
        let sw = fabric.switches[0]
        tables.setPort(7, switch: sw, lid: LID(3))
        #expect(tables.port(switch: sw, lid: LID(3)) == 7)
        #expect(tables != original)
        #expect(tables.port(switch: fabric.channelAdapters[0], lid: LID(3)) == LinearForwardingTableBlock.unrouted)
        #expect(tables.port(switch: sw, lid: LID(tables.top.rawValue + 1)) == LinearForwardingTableBlock.unrouted)
        let empty = ForwardingTables(fabric: fabric, top: LID(70))
        #expect(empty.blockCount == 2)
        #expect(empty.block(switch: sw, number: 1).count == 64)
    }

    /// ROUTING_BENCHMARK=1: the 11,664-host three-level fat tree (1,620 switches, 13,284 LIDs).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ROUTING_BENCHMARK"] == "1"))
    func benchmarkLargeFatTree() throws {
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 36))
        let clock = ContinuousClock()
        var lids: LIDAssignment?
        let assignTime = try clock.measure { lids = try assignLIDs(fabric, options: LIDAssignmentOptions()) }
        #expect(lids!.lidCount == 13_284)
        var tables: ForwardingTables?
        var best = Duration.seconds(1000)
        for _ in 0..<3 {
            let time = clock.measure { tables = computeMinHopRoutes(fabric, lids: lids!) }
            best = min(best, time)
        }
        var verification: RouteVerification?
        let verifyTime = clock.measure { verification = verifyRoutes(fabric, lids: lids!, tables: tables!) }
        print("benchmark fat-tree-3 radix 36: \(fabric.switches.count) switches, \(lids!.lidCount) LIDs: assign \(assignTime), route \(best) (best of 3), verify \(verifyTime)")
        print("benchmark \(verification!.summary)")
        #expect(verification!.isValid)
    }
}
