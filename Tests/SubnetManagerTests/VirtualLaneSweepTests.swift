import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import Routing
@testable import SubnetManager
import TestSupport
import Testing

/// SL2VL and VL arbitration in the sweep on the simulator: written on the first sweep, only read on the
/// second, not even read by a running SM's next heavy pass; verification walks the VLs the switches report.
@Suite struct VirtualLaneSweepTests {
    @Test func firstSweepWritesSecondReadsAndKnownTablesAreNotReadAgain() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 6))
        let transport = SimulatorTransport(fabric: try SimulatedFabric(fabric))
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32))
        let sweep = SubnetSweep(client: client, options: Self.withQoS)
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

    /// Tables remembered from the last heavy pass are trusted only where the ports were not reset since:
    /// a CA port back in INIT, or a switch with a linked port not ACTIVE, is read again.
    @Test func rememberedTablesOfResetPortsAreNotTrusted() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let client = SMPClient(transport: SimulatorTransport(fabric: try SimulatedFabric(fabric)))
        _ = try await SubnetSweep(client: client, options: Self.withQoS).runOnce()
        // A later pass discovers the ports ACTIVE, as a running SM's next heavy pass does.
        let report = try await SubnetSweep(client: client, options: Self.withQoS).runOnce()
        let held = HeldVirtualLanes(report)
        var observed = report.discovery.fabric
        #expect(held.known(in: observed).slToVL.count == report.apply.virtualLanes.slToVL.count)
        let host = try #require(observed.channelAdapters.first)
        let leaf = try #require(observed[host].knownPorts.first?.remote?.node)
        var hostPort = try #require(observed[host].knownPorts.first)
        hostPort.state = .initialize
        try observed.setPort(hostPort, of: host)
        // (the leaf's port toward that host is still ACTIVE in this model: only the host's own tables go)
        let known = held.known(in: observed)
        #expect(!known.slToVL.keys.contains { $0.port.node == host })
        #expect(!known.arbitration.keys.contains { $0.port.node == host })
        #expect(known.slToVL.keys.contains { $0.port.node == leaf })
        var leafPort = try #require(observed[leaf].knownPorts.first { $0.remote?.node == host })
        leafPort.state = .initialize
        try observed.setPort(leafPort, of: leaf)
        let afterSwitchReset = held.known(in: observed)
        #expect(!afterSwitchReset.slToVL.keys.contains { $0.port.node == leaf })
        #expect(afterSwitchReset.slToVL.keys.contains { observed[$0.port.node].type == .switch })
    }
}

extension VirtualLaneSweepTests {
    /// `--qos` (or opensm.conf `qos TRUE`) programs the tables; the sweep's default does not.
    static var withQoS: SweepOptions {
        var options = SweepOptions()
        options.virtualLanes = true
        return options
    }

    /// The default, as OpenSM's (`qos FALSE`): no SL2VL or VL arbitration SMP at all.
    @Test func withQoSOffNoTableIsReadOrWritten() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let client = SMPClient(transport: SimulatorTransport(fabric: try SimulatedFabric(fabric)))
        let report = try await SubnetSweep(client: client).runOnce()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.apply.virtualLanes.reads == 0 && report.apply.virtualLanes.sets == 0)
        #expect(client.statistics.sent.keys.allSatisfy { $0.attribute != .slToVLMappingTable && $0.attribute != .vlArbitrationTable })
        #expect(report.verification.creditLoopsChecked)
    }
}
