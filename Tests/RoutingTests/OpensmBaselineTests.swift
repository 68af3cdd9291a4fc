import FabricModel
import Foundation
import IBWire
import Routing
import TestSupport
import Testing

/// Real `opensm -o` configures a generated fabric under ibsim; `dump_lfts` and `ibnetdiscover`
/// read back its LIDs and forwarding tables; `verifyRoutes` judges them, and our own routes on the
/// same fabric and LIDs are judged the same way (the link-load figures are printed for comparison).
@Suite(.serialized, .ownThread) struct OpensmBaselineTests {
    static let fabrics: [(name: String, kind: FabricKind, options: GeneratorOptions, lmc: UInt8)] = [
        ("fat-tree-2 radix 8", .fatTree2, GeneratorOptions(radix: 8), 0),
        ("fat-tree-2 radix 8 LMC 2", .fatTree2, GeneratorOptions(radix: 8), 2),
        ("fat-tree-3 radix 6, 2 links removed", .fatTree3, GeneratorOptions(radix: 6, seed: 2, removeLinks: 2), 0),
        ("torus-2d 4x4 LMC 1", .torus2D, GeneratorOptions(dimensions: [4, 4]), 1),
        ("dragonfly", .dragonfly, GeneratorOptions(), 0),
    ]

    @Test(arguments: fabrics.indices)
    func opensmRoutesAreValidAndMinHop(index: Int) throws {
        let (name, kind, options, lmc) = Self.fabrics[index]
        let topology = try generateTopology(kind, options: options)
        let ibsim = try IbsimFabric(topology: topology)
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let environment = ["SIM_HOST": "host-0", "OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory]
        let opensm = try ibsim.run("/usr/sbin/opensm", ["-o", "-l", "\(lmc)", "-f", directory + "/opensm.log"], timeout: 90, environment: environment)
        #expect(opensm.status == 0, "opensm failed: \(opensm.stdout) \(opensm.stderr)")
        let dump = try ibsim.run("/usr/sbin/dump_lfts", [], timeout: 60, environment: environment)
        #expect(dump.status == 0, "dump_lfts failed: \(dump.stderr)")
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: environment)
        #expect(discovered.status == 0, "ibnetdiscover failed: \(discovered.stderr)")

        let fabric = try TopologyFile.parse(discovered.stdout, source: "ibnetdiscover (\(name))")
        let lids = LIDAssignment(observedIn: fabric, lmc: lmc)
        #expect(lids.problems == [])
        #expect(lids.endports.count == fabric.switches.count + fabric.channelAdapters.count)
        // What opensm persisted is what the ports hold.
        let (persisted, warnings) = try GUID2LIDTable.load(path: directory + "/guid2lid")
        #expect(warnings == [])
        #expect(persisted == lids.table)

        let tables = try DumpLFTs.parse(dump.stdout)
        #expect(tables.switches.count == fabric.switches.count)
        let theirs = verifyRoutes(fabric, lids: lids, tables: tables.lookup(for: fabric))
        #expect(theirs.isValid, "\(theirs.report)")
        #expect(theirs.pairsChecked == fabric.switches.count * lids.lidCount)

        let ours = verifyRoutes(fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids))
        #expect(ours.isValid, "\(ours.report)")
        #expect(ours.maxHops == theirs.maxHops)
        #expect(ours.meanHops == theirs.meanHops)  // both min-hop: the same path lengths
        print("baseline \(name): opensm  \(theirs.summary)")
        print("baseline \(name): swiftsm \(ours.summary)")
    }
}
