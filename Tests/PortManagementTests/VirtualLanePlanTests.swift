import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
@testable import PortManagement
import TestSupport
import Testing

/// The SL2VL and VL arbitration tables OpenSM's defaults give, which ports get them, and their programming
/// by reconciliation on the simulator.
@Suite struct VirtualLanePlanTests {
    @Test func slsOfVLsAPortDoesNotRunKeepTheirLowBitsAsOpenSMDoes() {
        let defaults = VirtualLaneDefaults.openSM
        // OperationalVLs 5 (VL0-14): the table as written, SL 15 to VL 7.
        #expect(defaults.slToVLTable(operationalVLs: 5).vls == (0..<15).map { UInt8($0) } + [7])
        // 4 (VL0-7): SL 8-14 fold onto VL 0-6.
        #expect(defaults.slToVLTable(operationalVLs: 4).vls == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7])
        #expect(defaults.slToVLTable(operationalVLs: 2).vls == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        // One data VL: every SL on VL 0.
        #expect(defaults.slToVLTable(operationalVLs: 1).vls == [UInt8](repeating: 0, count: 16))
        #expect(VirtualLaneDefaults.fit(15, operationalVLs: 4) == 7)
    }

    @Test func arbitrationBlocksFollowThePortsCapacities() {
        let defaults = VirtualLaneDefaults.openSM
        let blocks = defaults.arbitrationBlocks(highCap: 8, lowCap: 8, operationalVLs: 4)
        #expect(Set(blocks.keys) == [.lowFirst, .highFirst])
        #expect(blocks[.lowFirst]!.entries == (0..<8).map { VLArbitrationEntry(vl: UInt8($0), weight: $0 == 0 ? 0 : 4) })
        #expect(blocks[.highFirst]!.entries == (0..<8).map { VLArbitrationEntry(vl: UInt8($0), weight: $0 == 0 ? 4 : 0) })
        // Two data VLs: VL 2-14 fold onto VL 0-1.
        let two = defaults.arbitrationBlocks(highCap: 0, lowCap: 4, operationalVLs: 2)
        #expect(Set(two.keys) == [.lowFirst])
        #expect(two[.lowFirst]!.entries.map(\.vl) == [0, 1, 0, 1])
        // A 64-entry table fills both of its blocks (OpenSM's `cap % 32` would write none to the second).
        let full = defaults.arbitrationBlocks(highCap: 64, lowCap: 40, operationalVLs: 5)
        #expect(full[.highSecond]!.entries.count == 32 && full[.lowSecond]!.entries.count == 8)
        #expect(full[.lowFirst]!.entries.count == 32)
        // What lies past a port's capacity is not compared.
        var read = full[.lowSecond]!.block
        read.bytes[40] = 7
        #expect(full[.lowSecond]!.isHeld(by: read))
    }

    /// sw (ports 1-4, 1-2 linked) with h1 and h2; port 0 says it supports SL mapping, as ibsim's does.
    private func discovered() async throws -> (DiscoveryResult, SimulatorTransport, SMPClient) {
        var builder = FabricBuilder()
        builder.addSwitch("sw", ports: 4)
        builder.addCA("h1")
        builder.addCA("h2")
        builder.link("sw", 1, "h1", 1)
        builder.link("sw", 2, "h2", 1)
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric))
        let client = SMPClient(transport: transport)
        return (await FabricDiscoverer(client: client).discover(), transport, client)
    }

    @Test func everyCAPortAndEveryPairOfLinkedSwitchPortsGetsATable() async throws {
        let (result, _, _) = try await discovered()
        let fabric = result.fabric
        let plan = VirtualLanePlan.plan(for: fabric)
        let sw = fabric.switches[0]
        let hosts = fabric.channelAdapters
        // Switch: outputs 1 and 2 (not port 0: not enhanced; not 3-4: down), inputs 0, 1, 2.
        let switchKeys = plan.slToVL.keys.filter { $0.port.node == sw }
        #expect(Set(switchKeys.map(\.port.port)) == [1, 2])
        #expect(Set(switchKeys.map(\.input)) == [0, 1, 2])
        #expect(switchKeys.count == 6)
        for host in hosts { #expect(plan.slToVL[.init(port: PortAddress(node: host, port: 1), input: 0)] != nil) }
        #expect(plan.slToVL.count == 8)
        // Arbitration: 2 blocks (caps 8 and 8) on each of the 4 linked ports.
        #expect(plan.arbitration.count == 8)
        #expect(plan.arbitration.keys.allSatisfy { $0.port.port != .management })
        // With the links run on one VL the tables still come, all SLs to VL 0; no port with VLCap 1 arbitrates.
        let single = VirtualLanePlan.plan(for: fabric, operationalVLs: { _ in 1 })
        #expect(single.slToVL.values.allSatisfy { $0.vls.allSatisfy { $0 == 0 } })
        var narrowed = fabric
        for (index, node) in fabric.nodes.enumerated() {
            for var port in node.ports.compactMap({ $0 }) {
                port.info?.vlCap = 1
                try narrowed.setPort(port, of: index)
            }
        }
        #expect(VirtualLanePlan.plan(for: narrowed).arbitration.isEmpty)
        #expect(VirtualLanePlan.plan(for: narrowed).slToVL.count == 8)
    }

    @Test func programmingSetsWhatDiffersAndASecondPassOnlyReads() async throws {
        let (result, _, client) = try await discovered()
        let plan = VirtualLanePlan.plan(for: result.fabric)
        let programmer = FabricProgrammer(client: client)
        let first = await programmer.programVirtualLanes(plan, fabric: result.fabric, routes: result.routes)
        #expect(first.failures.isEmpty, "\(first.failures)")
        // The simulator starts from ibsim's defaults: SL 8-14 on VL 8-14, which 8 operational VLs fold onto 0-6;
        // its arbitration defaults already match OpenSM's on 8 entries.
        #expect(first.sets == plan.slToVL.count)
        #expect(first.reads == plan.slToVL.count + plan.arbitration.count)
        #expect(first.slToVL == plan.slToVL)
        let second = await programmer.programVirtualLanes(plan, fabric: result.fabric, routes: result.routes)
        #expect(second.sets == 0 && second.failures.isEmpty)
        #expect(second.reads == plan.slToVL.count + plan.arbitration.count)
        // Tables known to be held are not even read.
        let known = await programmer.programVirtualLanes(plan, fabric: result.fabric, routes: result.routes, known: second)
        #expect(known.reads == 0 && known.sets == 0)
        #expect(known.slToVL == plan.slToVL)
    }
}
