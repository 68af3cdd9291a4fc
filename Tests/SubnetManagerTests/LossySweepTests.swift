import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import Testing

/// Sweeps of a large fabric that loses SMPs (requests and responses) still end with every port ACTIVE
/// and every route verified.
@Suite struct LossySweepTests {
    @Test(arguments: [0.05, 0.20, 0.40])
    func convergesDespiteLoss(loss: Double) async throws {
        // 1,024 hosts and 320 switches: 3,072 links, about 60,000 SMPs before loss.
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 16))
        let transport = SimulatorTransport(fabric: try SimulatedFabric(fabric), options: SimulatorOptions(dropProbability: loss, seed: 42))
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(2), retries: 25))
        let report = try await SubnetSweep(client: client).runOnce()
        #expect(transport.counters.dropped > 0)
        // Lost responses to state changes were retried, refused (the port was already there), and read back.
        if loss >= 0.2 { #expect(client.statistics.errorStatuses > 0) }
        #expect(report.problems.isEmpty, "\(loss): \(report.problems.prefix(3))")
        #expect(report.activePorts.active == 2 * fabric.links.count)
        #expect(report.verification.isValid)
        // And the result holds: a loss-free second sweep finds nothing to change.
        let clean = SimulatorTransport(fabric: transport.fabric)
        let second = try await SubnetSweep(client: SMPClient(transport: clean)).runOnce()
        #expect(second.isHealthy)
        #expect(second.apply.setCount == 0)
    }
}
