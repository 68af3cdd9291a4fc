import FabricModel
import IBWire
import Routing
@testable import SubnetAdministration
import Testing
import TestSupport

@Suite struct PathSummaryTests {
    /// The per-(switch, LID) summaries give what walking the LFTs gives, for every pair of endports,
    /// on fabrics with mixed link speeds and MTUs, removed links, and a table with a broken entry.
    @Test func summariesAgreeWithTheWalk() throws {
        let cases: [(FabricKind, GeneratorOptions, UInt8)] = [
            (.fatTree2, GeneratorOptions(radix: 8), 0), (.fatTree3, GeneratorOptions(radix: 4), 1),
            (.torus2D, GeneratorOptions(dimensions: [4, 3]), 0), (.random, GeneratorOptions(switches: 10, hosts: 12, seed: 3, removeLinks: 2), 2),
            (.dragonfly, GeneratorOptions(), 0),
        ]
        for (kind, options, lmc) in cases {
            var fabric = try generateFabric(kind, options: options)
            // Some slower, narrower and smaller-MTU links.
            for (position, link) in fabric.links.enumerated() where position % 3 == 0 {
                var port = fabric[link.a]!
                port.width = position % 2 == 0 ? .x1 : .x4
                port.speed = position % 5 == 0 ? .ddr : .qdr
                var info = PortInfo()
                info.mtuCap = UInt8(2 + position % 3)
                port.info = info
                try fabric.setPort(port, of: link.a.node)
            }
            var h = try SAHarness(fabric, lmc: lmc)
            // Break one switch's entry for one LID: the summaries must say so as the walk does.
            var tables = h.tables
            let victim = tables.switches[tables.switches.count / 2]
            let lid = h.lids.endports[h.lids.endports.count / 2].base
            tables.setPort(LinearForwardingTableBlock.unrouted, switch: victim, lid: lid)
            let snapshot = SASnapshot(fabric: h.fabric, lids: h.lids, tables: tables, sm: h.snapshot.sm)
            h.snapshot = snapshot
            var compared = 0
            for source in h.lids.endports {
                for destination in h.lids.endports {
                    for offset in 0..<destination.count {
                        let dlid = LID(destination.base.rawValue + UInt16(offset))
                        let walked = snapshot.forward(from: source.address, to: destination.address, dlid: dlid)
                        let quick = snapshot.quickForward(from: source.address, to: destination.address, dlid: dlid)
                        #expect(walked?.hops == quick?.hops && walked?.mtu == quick?.mtu && walked?.rate == quick?.rate,
                                "\(kind): \(fabric.describe(source.address)) -> \(fabric.describe(destination.address)) LID \(dlid)")
                        compared += 1
                    }
                }
            }
            #expect(compared > 100)
        }
    }
}
