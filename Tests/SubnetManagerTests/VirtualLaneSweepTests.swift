import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import Routing
import SubnetManager
import TestSupport
import Testing

/// SL2VL and VL arbitration in the sweep on the simulator: written on the first sweep, only read on the
/// second, not even read by a running SM's next heavy pass; verification walks the VLs the switches report.
@Suite struct VirtualLaneSweepTests {
    @Test func firstSweepWritesSecondReadsAndKnownTablesAreNotReadAgain() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 6))
        let transport = SimulatorTransport(fabric: try SimulatedFabric(fabric))
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32))
        let sweep = SubnetSweep(client: client)
        let first = try await sweep.runOnce()
        #expect(first.isHealthy, "\(first.problems)")
        let lanes = first.apply.virtualLanes
        #expect(lanes.sets > 0 && lanes.failures.isEmpty && lanes.unsupported == 0)
        // Every leaf and spine port pair and every host port has its table, each the folded default on 8 VLs.
        #expect(!first.virtualLanes.slToVL.isEmpty)
        #expect(first.virtualLanes.slToVL.values.allSatisfy { $0.vls == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7] })
        #expect(first.verification.creditLoopsChecked && first.verification.creditLoop == nil)

        let second = try await sweep.runOnce()
        #expect(second.apply.setCount == 0)
        #expect(second.apply.virtualLanes.reads == lanes.reads && second.apply.virtualLanes.sets == 0)

        let remembered = try await sweep.runOnce(knownVirtualLanes: HeldVirtualLanes(second))
        #expect(remembered.apply.setCount == 0)
        #expect(remembered.apply.virtualLanes.reads == 0)
        #expect(remembered.virtualLanes == second.virtualLanes)
    }
}
