import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import TestSupport
import Testing

/// Before configuring, a sweep looks for other SMs and does not fight a MASTER that outranks it.
@Suite struct OtherSubnetManagerTests {
    private func fabricWithAnotherSM(priority: UInt8, state: SMState, guid: GUID? = nil) throws -> (SimulatorTransport, GUID) {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let host = try #require(fabric.nodes.firstIndex { $0.description == "host-3" })
        let simulated = try SimulatedFabric(fabric)
        let port = PortAddress(node: host, port: 1)
        var info = SMInfo()
        info.guid = guid ?? fabric[port]!.guid
        info.priority = priority
        info.state = state
        simulated.runSubnetManager(at: port, info: info)
        return (SimulatorTransport(fabric: simulated), fabric[0].guid)
    }

    @Test func aHigherPriorityMasterIsNotFoughtAndNothingIsSet() async throws {
        let (transport, _) = try fabricWithAnotherSM(priority: 10, state: .master)
        let client = SMPClient(transport: transport)
        await #expect(throws: SweepError.self) { try await SubnetSweep(client: client, options: SweepOptions(priority: 5)).runOnce() }
        #expect(client.statistics.sent.filter { $0.key.method == .set }.isEmpty)
        #expect(client.statistics.sent[SMPStatistics.Kind(method: .get, attribute: .smInfo)] == 1)
    }

    @Test func forceConfiguresAnyway() async throws {
        let (transport, _) = try fabricWithAnotherSM(priority: 10, state: .master)
        let report = try await SubnetSweep(client: SMPClient(transport: transport), options: SweepOptions(priority: 5, force: true)).runOnce()
        #expect(report.isHealthy)
        #expect(report.warnings.contains { $0.contains("--force") })
    }

    @Test func aLowerPriorityOrStandbySMIsNoObstacle() async throws {
        for (priority, state) in [(UInt8(3), SMState.master), (15, .standby)] {
            let (transport, _) = try fabricWithAnotherSM(priority: priority, state: state)
            let report = try await SubnetSweep(client: SMPClient(transport: transport), options: SweepOptions(priority: 5)).runOnce()
            #expect(report.isHealthy, "priority \(priority) \(state)")
        }
    }

    @Test func equalPriorityGoesToTheLowerGUID() async throws {
        // Our port is the first switch's (GUID 0x200000); an SM with a lower GUID wins, a higher one loses.
        let (winner, _) = try fabricWithAnotherSM(priority: 5, state: .master, guid: GUID(0x10))
        await #expect(throws: SweepError.self) { try await SubnetSweep(client: SMPClient(transport: winner), options: SweepOptions(priority: 5)).runOnce() }
        let (loser, _) = try fabricWithAnotherSM(priority: 5, state: .master, guid: GUID(0xFFFF_FFFF))
        #expect(try await SubnetSweep(client: SMPClient(transport: loser), options: SweepOptions(priority: 5)).runOnce().isHealthy)
    }
}
