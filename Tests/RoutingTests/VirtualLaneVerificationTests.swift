import FabricModel
import IBWire
import Routing
import TestSupport
import Testing

/// The channel dependency graph with channels (link, VL), the VL of each hop taken from the switches' SL2VL
/// tables: on a 5-switch ring min-hop routes make a credit loop each way on one VL; a dateline (the link
/// sw4-sw0 and whatever arrives over it on VL 1) breaks it, other tables do not.
@Suite struct VirtualLaneVerificationTests {
    /// sw0...sw4 in a ring (port 1 to the next, 2 to the previous), a host on port 3 of each.
    private func ring() throws -> (Fabric, LIDAssignment, ForwardingTables) {
        var builder = FabricBuilder()
        for index in 0..<5 {
            builder.addSwitch("sw\(index)", ports: 3)
            builder.addCA("h\(index)")
        }
        for index in 0..<5 {
            builder.link("sw\(index)", 1, "sw\((index + 1) % 5)", 2)
            builder.link("sw\(index)", 3, "h\(index)", 1)
        }
        let fabric = builder.fabric
        let lids = try assignLIDs(fabric)
        return (fabric, lids, computeMinHopRoutes(fabric, lids: lids))
    }

    /// Tables for every (input, output) pair of every switch: `vl(switch name, input, output, sl)`.
    private func tables(_ fabric: Fabric, _ vl: (String, PortNumber, PortNumber, UInt8) -> UInt8) -> VirtualLaneTables {
        var tables = VirtualLaneTables()
        for node in fabric.switches {
            let name = fabric[node].description
            for input in 0...3 {
                for output in 0...3 {
                    let vls = (0..<16).map { vl(name, PortNumber(UInt8(input)), PortNumber(UInt8(output)), UInt8($0)) }
                    tables.slToVL[.init(node: node, input: PortNumber(UInt8(input)), output: PortNumber(UInt8(output)))] = SLToVLMappingTable(vls: vls)
                }
            }
        }
        return tables
    }

    /// SL 0: VL 1 on the dateline link (out of sw4 port 1, out of sw0 port 2) and for what arrives over it; SL 1: VL 0.
    private func dateline(_ fabric: Fabric) -> VirtualLaneTables {
        tables(fabric) { name, input, output, sl in
            guard sl == 0 else { return 0 }
            let datelinePort: PortNumber? = name == "sw4" ? 1 : name == "sw0" ? 2 : nil
            return input == datelinePort || output == datelinePort ? 1 : 0
        }
    }

    @Test func oneVLHasACreditLoopThatADatelineOnASecondVLBreaks() throws {
        let (fabric, lids, routes) = try ring()
        let single = verifyRoutes(fabric, lids: lids, tables: routes)
        #expect(single.isValid)
        let loop = try #require(single.creditLoop)
        #expect(loop.channels.count == 5 && loop.channels.allSatisfy { $0.vl == 0 })
        #expect(single.creditLoopDescription?.hasPrefix("credit loop on VL 0 through 5 channels") == true)

        let lanes = dateline(fabric)
        let split = verifyRoutes(fabric, lids: lids, tables: routes, virtualLanes: lanes, serviceLevel: 0)
        #expect(split.creditLoopsChecked && split.creditLoop == nil, "\(split.creditLoopDescription ?? "")")
        #expect(split.pairsChecked == single.pairsChecked && split.isValid)
        // The same tables put SL 1 on VL 0 everywhere: the loop is back, on VL 0.
        let sl1 = verifyRoutes(fabric, lids: lids, tables: routes, virtualLanes: lanes, serviceLevel: 1)
        #expect(sl1.creditLoop?.channels.count == 5)
        #expect(sl1.creditLoopDescription?.hasPrefix("credit loop on VL 0") == true)
    }

    @Test func twoVLsThatDoNotSeparateTheRingKeepTheLoopAndNameItsVLs() throws {
        let (fabric, lids, routes) = try ring()
        // Each switch sends everything on the VL of its parity: the loop crosses VL 0 and VL 1 and closes.
        let parity = tables(fabric) { name, _, _, _ in UInt8(Int(name.dropFirst(2))! % 2) }
        let crossing = verifyRoutes(fabric, lids: lids, tables: routes, virtualLanes: parity)
        let loop = try #require(crossing.creditLoop)
        #expect(Set(loop.channels.map(\.vl)) == [0, 1])
        #expect(crossing.creditLoopDescription?.hasPrefix("credit loop across VLs 0, 1 through") == true)
        #expect(crossing.creditLoopDescription?.contains("(VL 1)") == true)
        // Everything on VL 3: one lane again, and the loop is named on it.
        let three = verifyRoutes(fabric, lids: lids, tables: routes, virtualLanes: tables(fabric) { _, _, _, _ in 3 })
        #expect(three.creditLoop?.channels.allSatisfy { $0.vl == 3 } == true)
        #expect(three.creditLoopDescription?.hasPrefix("credit loop on VL 3") == true)
    }

    @Test func aTreeHasNoLoopOnAnyLaneAssignment() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let lids = try assignLIDs(fabric)
        let routes = computeMinHopRoutes(fabric, lids: lids)
        let mixed = tables(fabric) { name, input, output, sl in UInt8((Int(input.rawValue) + Int(output.rawValue) + name.count + Int(sl)) % 4) }
        let result = verifyRoutes(fabric, lids: lids, tables: routes, virtualLanes: mixed, serviceLevel: 2)
        #expect(result.creditLoopsChecked && result.creditLoop == nil)
        #expect(LaneAssignment(mixed, fabric: fabric, serviceLevel: 2) == .perHop)
        #expect(LaneAssignment(nil, fabric: fabric, serviceLevel: 0) == .uniform(0))
    }
}
