import FabricModel
import Foundation
import IBWire
import Routing
import TestSupport
import Testing

@Suite struct RoutingEngineTests {
    static let treeKinds: Set<FabricKind> = [.fatTree2, .fatTree3, .dualRail]

    /// The default engine on every generated kind, LMC 0 and 2: every pair delivered, no loop, no
    /// credit loop; fat trees stay min-hop (their min-hop routes are kept as they are).
    @Test(arguments: smallFabrics.map(\.name), [UInt8(0), 2])
    func defaultEngineIsDeadlockFreeOnEveryKind(name: String, lmc: UInt8) throws {
        let fabric = try smallFabric(name)
        let kind = smallFabrics.first { $0.name == name }!.kind
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        let routed = route(fabric, lids: lids, engines: RoutingEngineKind.defaultList)
        #expect(routed.engine == "deadlock-free")
        #expect(routed.guarantees.deadlockFreeVLs == 1)
        let verification = verifyRoutes(fabric, lids: lids, tables: routed.tables)
        #expect(verification.isDelivered, "\(name): \(verification.report)")
        #expect(verification.pairsChecked == fabric.switches.count * lids.lidCount)
        #expect(verification.creditLoopsChecked && verification.creditLoop == nil, "\(name): \(verification.creditLoopDescription ?? "")")
        #expect(verification.failures(promised: routed.guarantees).isEmpty)
        if Self.treeKinds.contains(kind) {
            #expect(verification.isValid, "\(name): \(verification.summary)")
            #expect(routed.guarantees.minHop)
            // Today's balance or better: the min-hop routes, or searched ones that load no port more.
            let today = verifyRoutes(fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids))
            #expect(verification.maxLinkLoad <= today.maxLinkLoad, "\(name): \(verification.summary); min-hop \(today.summary)")
        }
        print("\(name) LMC \(lmc): \(verification.summary)")
        // Deterministic.
        #expect(route(fabric, lids: lids, engines: RoutingEngineKind.defaultList).tables == routed.tables)
    }

    @Test(arguments: smallFabrics.map(\.name))
    func upDownIsDeadlockFreeOnEveryKind(name: String) throws {
        let fabric = try smallFabric(name)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1))
        let routed = try UpDownEngine().route(fabric, lids: lids)
        let verification = verifyRoutes(fabric, lids: lids, tables: routed.tables)
        #expect(verification.isDelivered, "\(name): \(verification.report)")
        #expect(verification.creditLoop == nil, "\(name): \(verification.creditLoopDescription ?? "")")
        if RoutingEngineTests.treeKinds.contains(smallFabrics.first { $0.name == name }!.kind) {
            // Roots at the spines: up*/down* on a fat tree is min-hop.
            #expect(verification.isValid, "\(name): \(verification.summary)")
        }
    }

    @Test func minHopOnATorusHasACreditLoopThatVerificationNames() throws {
        let fabric = try generateFabric(.torus2D, options: GeneratorOptions(dimensions: [4, 4]))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        let routed = route(fabric, lids: lids, engines: [.minhop])
        #expect(routed.engine == "minhop" && !routed.guarantees.isDeadlockFree)
        let verification = verifyRoutes(fabric, lids: lids, tables: routed.tables)
        #expect(verification.isValid)
        let loop = try #require(verification.creditLoop)
        #expect(loop.channels.count >= 2)
        #expect(verification.summary.hasSuffix("; credit loop through \(loop.channels.count) channels"))
        #expect(verification.creditLoopDescription?.hasPrefix("credit loop on VL 0 through") == true)
        // Every channel of the cycle is a switch port cabled to a switch, and each leads to the switch the next leaves.
        for (channel, next) in zip(loop.channels, loop.channels.dropFirst() + [loop.channels[0]]) {
            let remote = try #require(fabric[channel.from]?.remote)
            #expect(remote.node == next.from.node)
        }
        // Min-hop promised nothing about deadlock: not a failure for it; a failure for verify's default judgement.
        #expect(verification.failures(promised: routed.guarantees).isEmpty)
        #expect(!verification.failures(promised: nil).isEmpty)
    }

    @Test func aFallbackListSkipsAnEngineThatBreaksItsPromise() throws {
        let fabric = try generateFabric(.torus2D, options: GeneratorOptions(dimensions: [4, 4]))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        // An engine that claims deadlock freedom but routes min-hop on a torus hands over to the next.
        struct Liar: RoutingEngine {
            var name: String { "liar" }
            func route(_ fabric: Fabric, lids: LIDAssignment) throws(RoutingEngineError) -> RoutedTables {
                RoutedTables(tables: computeMinHopRoutes(fabric, lids: lids), engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: 1))
            }
        }
        let result = route(fabric, lids: lids, engines: [Liar(), UpDownEngine()])
        #expect(result.engine == "updn")
        #expect(result.notes.first?.contains("liar: promised deadlock freedom but left a credit loop") == true, "\(result.notes)")
        #expect(verifyRoutes(fabric, lids: lids, tables: result.tables).creditLoop == nil)
    }

    @Test func routingListsParse() {
        #expect((try? RoutingEngineKind.parseList("updn,minhop").get()) == [.updn, .minhop])
        #expect((try? RoutingEngineKind.parseList("deadlock-free").get()) == [.deadlockFree])
        guard case .failure(let error) = RoutingEngineKind.parseList("updn,nue") else {
            Issue.record("an unknown name parsed")
            return
        }
        #expect(error.reason.hasPrefix("unknown routing engine 'nue'"))
    }

    @Test func aRingOfDependenciesAddedByHandIsACycle() throws {
        let fabric = try generateFabric(.torus2D, options: GeneratorOptions(dimensions: [3, 3]))
        var graph = ChannelDependencyGraph(fabric: fabric)
        #expect(graph.findCycle() == nil)
        // A walk that never turns back until it returns to its start: a ring, each hop depending on the next.
        var hops: [PortAddress] = []
        var current = fabric.switches[0]
        var previous = -1
        repeat {
            // Leave by the lowest port that leads to a switch other than where we came from and keeps to one dimension.
            let port = fabric[current].knownPorts.first { port in
                guard let remote = port.remote else { return false }
                return fabric[remote.node].type == .switch && remote.node != previous
            }!
            hops.append(PortAddress(node: current, port: port.number))
            previous = current
            current = port.remote!.node
        } while current != fabric.switches[0] && hops.count < 10
        hops.append(hops[0])
        graph.addPath(hops)
        let cycle = graph.findCycle()
        #expect(cycle != nil, "path \(hops)")
    }
}

@Suite struct RoutingEngineEdgeCaseTests {
    /// Two rings of five switches that min-hop routes around in circles, not cabled to each other, and a
    /// lone switch: every engine delivers every reachable pair, and the deadlock-free ones leave no loop.
    @Test(arguments: RoutingEngineKind.allCases)
    func separateRingsAndALoneSwitch(kind: RoutingEngineKind) throws {
        var builder = FabricBuilder()
        for ring in 0..<2 {
            for index in 0..<5 { builder.addSwitch("r\(ring)-\(index)", ports: 4) }
            for index in 0..<5 {
                builder.link("r\(ring)-\(index)", 1, "r\(ring)-\((index + 1) % 5)", 2)
                builder.addCA("h\(ring)-\(index)")
                builder.link("r\(ring)-\(index)", 3, "h\(ring)-\(index)", 1)
            }
        }
        builder.addSwitch("lone", ports: 4)
        builder.addCA("h-lone")
        builder.link("lone", 1, "h-lone", 1)
        let fabric = builder.fabric
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1))
        let routed = route(fabric, lids: lids, engines: [kind])
        #expect(routed.engine == kind.rawValue)
        let verification = verifyRoutes(fabric, lids: lids, tables: routed.tables)
        #expect(verification.isDelivered, "\(kind): \(verification.report)")
        // Each ring's 5 switches reach their ring's 5 switch LIDs and 10 host LIDs; the lone switch its own 3.
        #expect(verification.pairsChecked == 2 * 5 * 15 + 3)
        #expect(verification.unreachablePairs > 0)
        if kind == .minhop {
            #expect(verification.creditLoop != nil)
        } else {
            #expect(verification.creditLoop == nil, "\(kind): \(verification.creditLoopDescription ?? "")")
        }
    }
}

@Suite struct OpenSMEngineNameTests {
    /// opensm.conf's routing_engine list in SwiftSM's terms: its deadlock-free engines and ftree become the
    /// default, the order and fallback are kept, repeats collapse, names we do not know are dropped.
    @Test func openSMNamesMapToSwiftSMEngines() {
        #expect(RoutingEngineKind.fromOpenSM(["minhop"]) == [.minhop])
        #expect(RoutingEngineKind.fromOpenSM(["updn", "minhop"]) == [.updn, .minhop])
        #expect(RoutingEngineKind.fromOpenSM(["Nue", "dfsssp", "minhop"]) == [.deadlockFree, .minhop])
        #expect(RoutingEngineKind.fromOpenSM(["ftree"]) == [.deadlockFree])
        #expect(RoutingEngineKind.fromOpenSM(["chain-of-unknowns"]) == RoutingEngineKind.defaultList)
        #expect(RoutingEngineKind.fromOpenSM([]) == RoutingEngineKind.defaultList)
    }
}
