import FabricModel
import IBWire
import Routing
import SubnetAdministration
import TestSupport
import Testing

/// SLtoVLMappingTableRecord and VLArbitrationTableRecord from a snapshot holding the tables a sweep read.
@Suite struct VirtualLaneRecordTests {
    static let folded = SLToVLMappingTable(vls: [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7])
    static let low = VLArbitrationTableBlock(entries: (0..<8).map { VLArbitrationEntry(vl: UInt8($0), weight: $0 == 0 ? 0 : 4) })

    /// A 2-level fat tree whose linked ports hold `folded` (switch pairs: a table naming its input port in SL 15)
    /// and low-priority block 1.
    private func harness(lmc: UInt8 = 0) throws -> SAHarness {
        var h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4), lmc: lmc)
        var lanes = VirtualLaneTables()
        for (index, node) in h.fabric.nodes.enumerated() {
            let linked = node.knownPorts.filter { $0.remote != nil }.map(\.number)
            for out in linked {
                lanes.arbitration[PortAddress(node: index, port: out)] = [.lowFirst: Self.low]
                if node.type == .switch {
                    for input in [PortNumber.management] + linked {
                        var vls = Self.folded.vls
                        vls[15] = input.rawValue
                        lanes.slToVL[.init(node: index, input: input, output: out)] = SLToVLMappingTable(vls: vls)
                    }
                } else {
                    lanes.slToVL[.init(node: index, input: .management, output: out)] = Self.folded
                }
            }
        }
        let old = h.snapshot
        h.snapshot = SASnapshot(fabric: old.fabric, lids: old.lids, tables: old.tables, sm: old.sm, partitions: old.partitions, virtualLanes: lanes)
        h.sa.publish(h.snapshot)
        return h
    }

    @Test func aSwitchPairsTableByLIDAndPorts() throws {
        let h = try harness()
        var asked = SLToVLMappingTableRecord()
        asked.lid = h.lid("leaf-0")
        asked.inputPort = 2
        asked.outputPort = 1
        let answer = h.ask(.get, .slToVLMappingTableRecord, mask: 0x7, data: asked.bytes, from: "host-1")
        #expect(answer[0].status == .ok)
        let record = answer[0].record(SLToVLMappingTableRecord.self)
        #expect(record.lid == h.lid("leaf-0") && record.inputPort == 2 && record.outputPort == 1)
        #expect(record.table.vl(forSL: 15) == 2 && record.table.vl(forSL: 9) == 1)
        // Every (input, output) pair of its ports 0-4, known or not (unknown ones are zero, as OpenSM's unwritten).
        let all = h.table(SLToVLMappingTableRecord.self, mask: 0x1, query: asked, from: "host-1")
        let ports = h.fabric[h.port("leaf-0").node].ports.compactMap { $0 }.count
        #expect(all.status == .ok && all.records.count == ports * ports)
        let unknown = all.records.filter { $0.table.packed == 0 }
        // (every port of a leaf is linked here: only the tables out of port 0 are unknown)
        #expect(unknown.count == ports && unknown.allSatisfy { $0.outputPort == .management })
        // A Get naming only the LID matches many records.
        #expect(h.ask(.get, .slToVLMappingTableRecord, mask: 0x1, data: asked.bytes, from: "host-1")[0].status == .saTooManyRecords)
        #expect(h.ask(.get, .slToVLMappingTableRecord, mask: 0x100, data: asked.bytes, from: "host-1")[0].status == .saRequestInvalid)
    }

    @Test func aCAHasOneTableUnderPortsZeroForAnyOfItsLIDs() throws {
        let h = try harness(lmc: 1)
        var asked = SLToVLMappingTableRecord()
        asked.lid = LID(h.lid("host-2").rawValue + 1)
        let answer = h.ask(.get, .slToVLMappingTableRecord, mask: 0x7, data: asked.bytes, from: "host-1")
        #expect(answer[0].status == .ok)
        let record = answer[0].record(SLToVLMappingTableRecord.self)
        #expect(record.lid == h.lid("host-2") && record.inputPort == 0 && record.outputPort == 0 && record.table == Self.folded)
    }

    @Test func arbitrationBlocksOfEveryPortAndACAsUnderItsOwnPortNumber() throws {
        let h = try harness()
        var asked = VLArbitrationTableRecord()
        asked.lid = h.lid("host-2")
        asked.outputPort = 0
        asked.blockNumber = 1
        let answer = h.ask(.get, .vlArbitrationTableRecord, mask: 0x7, data: asked.bytes, from: "host-1")
        #expect(answer[0].status == .ok)
        let record = answer[0].record(VLArbitrationTableRecord.self)
        #expect(record.outputPort == h.port("host-2").port && record.blockNumber == 1 && record.block == Self.low)
        asked.blockNumber = 3
        let high = h.ask(.get, .vlArbitrationTableRecord, mask: 0x7, data: asked.bytes, from: "host-1")[0].record(VLArbitrationTableRecord.self)
        #expect(high.blockNumber == 3 && high.block == VLArbitrationTableBlock())
        // A switch: 4 blocks for each of its ports.
        asked.lid = h.lid("leaf-0")
        let all = h.table(VLArbitrationTableRecord.self, mask: 0x1, query: asked, from: "host-1")
        let ports = h.fabric[h.port("leaf-0").node].ports.compactMap { $0 }.count
        #expect(all.status == .ok && all.records.count == 4 * ports)
        #expect(h.table(VLArbitrationTableRecord.self, from: "host-1").records.count > all.records.count)
    }
}
