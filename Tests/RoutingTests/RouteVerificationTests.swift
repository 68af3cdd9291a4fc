import FabricModel
import IBWire
import Routing
import TestSupport
import Testing

@Suite struct RouteVerificationTests {
    let fabric: Fabric
    let lids: LIDAssignment
    let tables: ForwardingTables

    init() throws {
        fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        tables = computeMinHopRoutes(fabric, lids: lids)
    }

    func uplink(_ leaf: String, to spine: String) -> PortNumber {
        fabric[fabric.named(leaf)].knownPorts.first { $0.remote?.node == fabric.named(spine) }!.number
    }
    func downlink(_ spine: String, to leaf: String) -> PortNumber { uplink(spine, to: leaf) }

    @Test func validTablesPass() {
        let verification = verifyRoutes(fabric, lids: lids, tables: tables)
        #expect(verification.isValid)
        #expect(verification.problems.isEmpty && verification.problemCount == 0)
        #expect(verification.maxHops == 3)  // leaf, spine, leaf, host
        #expect(verification.summary.hasPrefix("verified \(12 * 44) pairs: all delivered, min-hop; max 3 hops"))
        // The same through a closure.
        let viaClosure = verifyRoutes(fabric, lids: lids) { node, lid in tables.port(switch: node, lid: lid) }
        #expect(viaClosure.summary == verification.summary)
        #expect(viaClosure.linkLoads == verification.linkLoads)
    }

    @Test func catchesALoop() {
        var broken = tables
        let lid = lids.lid(of: fabric.port1("host-5"))!  // on leaf-1
        // spine-0 sends it to leaf-0, leaf-0 sends it back to spine-0.
        broken.setPort(downlink("spine-0", to: "leaf-0"), switch: fabric.named("spine-0"), lid: lid)
        broken.setPort(uplink("leaf-0", to: "spine-0"), switch: fabric.named("leaf-0"), lid: lid)
        let verification = verifyRoutes(fabric, lids: lids, tables: broken)
        #expect(!verification.isValid)
        #expect(verification.loops >= 2)  // from spine-0 and leaf-0 at least
        #expect(verification.undelivered == 0)
        #expect(verification.problems.contains("switch \"leaf-0\" LID \(lid): loop (through \"leaf-0\")")
            || verification.problems.contains("switch \"leaf-0\" LID \(lid): loop (through \"spine-0\")"), "\(verification.problems)")
    }

    @Test func catchesADeadEnd() {
        var broken = tables
        let lid = lids.lid(of: fabric.port1("host-12"))!  // on leaf-3
        broken.setPort(LinearForwardingTableBlock.unrouted, switch: fabric.named("leaf-3"), lid: lid)
        let verification = verifyRoutes(fabric, lids: lids, tables: broken)
        #expect(!verification.isValid)
        // Every switch's path to host-12 ends at leaf-3.
        #expect(verification.undelivered == 12)
        #expect(verification.problems.contains("switch \"spine-2\" LID \(lid): dead end at \"leaf-3\" (no route)"))
    }

    @Test func catchesAnUnlinkedPortPortZeroAndAWrongHost() throws {
        let mesh = try generateFabric(.mesh2D, options: GeneratorOptions(dimensions: [3, 3]))
        let meshLIDs = try assignLIDs(mesh, options: LIDAssignmentOptions())
        var broken = computeMinHopRoutes(mesh, lids: meshLIDs)
        let corner = mesh.named("sw-0-0")
        let unlinked = mesh[corner].knownPorts.first { $0.remote == nil }!.number
        let far = meshLIDs.lid(of: mesh.port1("host-8"))!
        broken.setPort(unlinked, switch: corner, lid: far)
        let middleLID = meshLIDs.lid(of: mesh.port1("host-4"))!
        broken.setPort(.management, switch: corner, lid: middleLID)
        let localHostPort = mesh[corner].knownPorts.first { $0.remote.map { mesh[$0.node].type == .channelAdapter } ?? false }!.number
        let otherLID = meshLIDs.lid(of: mesh.port0("sw-2-2"))!
        broken.setPort(localHostPort, switch: corner, lid: otherLID)
        let verification = verifyRoutes(mesh, lids: meshLIDs, tables: broken)
        #expect(verification.problems.contains("switch \"sw-0-0\" LID \(far): dead end at \"sw-0-0\" port \(unlinked) (not linked)"))
        #expect(verification.problems.contains("switch \"sw-0-0\" LID \(middleLID): delivered to port 0 of \"sw-0-0\", not its owner"))
        #expect(verification.problems.contains("switch \"sw-0-0\" LID \(otherLID): reaches \"host-0\" from \"sw-0-0\", not its owner"))
        #expect(verification.undelivered >= 3 && !verification.isValid)
    }

    @Test func catchesAPathLongerThanMinHop() {
        var broken = tables
        let lid = lids.lid(of: fabric.port1("host-4"))!  // on leaf-1
        // leaf-0 -> spine-0 -> leaf-2 -> spine-1 -> leaf-1: delivered, two hops too many.
        broken.setPort(uplink("leaf-0", to: "spine-0"), switch: fabric.named("leaf-0"), lid: lid)
        broken.setPort(downlink("spine-0", to: "leaf-2"), switch: fabric.named("spine-0"), lid: lid)
        broken.setPort(uplink("leaf-2", to: "spine-1"), switch: fabric.named("leaf-2"), lid: lid)
        let verification = verifyRoutes(fabric, lids: lids, tables: broken)
        #expect(!verification.isValid)
        #expect(verification.loops == 0 && verification.undelivered == 0)
        #expect(verification.longerThanMinHop >= 2)
        #expect(verification.problems.contains("switch \"leaf-0\" LID \(lid): 5 hops, min-hop is 3"))
        #expect(verification.problems.contains("switch \"spine-0\" LID \(lid): 4 hops, min-hop is 2"))
        #expect(verification.maxHops == 5)
    }

    @Test func problemsAreCapped() {
        var broken = tables
        let spine = fabric.named("spine-1")
        for lid in lids.allLIDs { broken.setPort(LinearForwardingTableBlock.unrouted, switch: spine, lid: lid) }
        let verification = verifyRoutes(fabric, lids: lids, tables: broken)
        // Its own 44 pairs, and every path of another switch through it.
        #expect(verification.problemCount == verification.undelivered)
        #expect(verification.problemCount > 44)
        #expect(verification.problems.count == RouteVerification.problemLimit)
        #expect(verification.report.hasSuffix("... and \(verification.problemCount - 20) more"))
        #expect(verification.report.split(separator: "\n").count == 1 + 20 + 1)
    }

    @Test(arguments: ["lmc0", "lmc2"])
    func opensmTablesFromDumpLFTsAreValidAndMinHop(variant: String) throws {
        // Captured from opensm 3.3.23 -o, dump_lfts and ibnetdiscover against ibsim (fat-tree-2 radix 4).
        let fabric = try TopologyFile.parse(fixture("opensm-\(variant).ibnetdiscover"), source: "fixture")
        let dump = try DumpLFTs.parse(fixture("opensm-\(variant).dump_lfts"))
        #expect(dump.switches.count == 6)
        #expect(dump[GUID(0x200003)]?.description == "leaf-3")
        #expect(dump[GUID(0x200003)]?.ports[6] == .management || dump[GUID(0x200003)]?.ports[16] == .management)
        let lids = LIDAssignment(observedIn: fabric)
        #expect(lids.endports.count == 14)
        let verification = verifyRoutes(fabric, lids: lids, tables: dump.lookup(for: fabric))
        #expect(verification.isValid, "\(verification.report)")
        #expect(verification.pairsChecked == 6 * lids.lidCount)
        print("opensm \(variant) fat-tree-2 radix 4: \(verification.summary)")
        // Ours on the same fabric and LIDs.
        let ours = verifyRoutes(fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids))
        print("swiftsm \(variant) fat-tree-2 radix 4: \(ours.summary)")
        #expect(ours.isValid)
        #expect(ours.maxLinkLoad <= verification.maxLinkLoad)
    }

    @Test func dumpLFTsParserRejectsGarbage() {
        #expect(throws: DumpLFTs.ParseError.self) { try DumpLFTs.parse("0x0001 003 : (x)\n") }
        let header = "Unicast lids [0x0-0x2] of switch Lid 1 guid 0x0000000000200000 (sw):\n  Lid  Out   Destination\n       Port     Info \n"
        #expect(throws: DumpLFTs.ParseError.self) { try DumpLFTs.parse(header + "0x0001 000 : (Switch)\n2 valid lids dumped \n") }
        #expect(throws: DumpLFTs.ParseError.self) { try DumpLFTs.parse(header + "0x0001 000 : (Switch)\n") }
        #expect(throws: DumpLFTs.ParseError.self) { try DumpLFTs.parse(header + "garbage\n1 valid lids dumped \n") }
        let parsed = try? DumpLFTs.parse(header + "0x0001 000 : (Switch portguid 0x0000000000200000: 'sw')\n0x0002 005 : (path #2 out of 2: portguid 0x1)\n2 valid lids dumped \n")
        #expect(parsed?[GUID(0x200000)]?.ports == [1: 0, 2: 5])
        #expect(parsed?[GUID(0x200000)]?.description == "sw")
    }
}
