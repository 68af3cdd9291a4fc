import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
@testable import PortManagement
import TestSupport
import Testing

@Suite struct FabricProgrammerTests {
    /// sw1 (SM on port 0) with h1 on port 1 and h2 on port 2.
    private func setUp() async throws -> (Fabric, DiscoveryResult, SimulatorTransport, SMPClient) {
        var builder = FabricBuilder()
        builder.addSwitch("sw1", ports: 4)
        builder.addCA("h1")
        builder.addCA("h2")
        builder.link("sw1", 1, "h1", 1)
        builder.link("sw1", 2, "h2", 1)
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric))
        let client = SMPClient(transport: transport)
        let result = await FabricDiscoverer(client: client).discover()
        return (builder.fabric, result, transport, client)
    }

    /// LIDs 1 (switch), 2 and 3 (hosts); the switch routes 2 -> port 1, 3 -> port 2.
    private func plan(for fabric: Fabric) -> ConfigurationPlan {
        var lids: [PortAddress: LID] = [:]
        var entries: [UInt8] = [255, 0, 0, 0]
        for (index, node) in fabric.nodes.enumerated() {
            if node.type == .switch { lids[PortAddress(node: index, port: 0)] = LID(1) }
            if node.description == "h1" { lids[PortAddress(node: index, port: 1)] = LID(2) }
            if node.description == "h2" { lids[PortAddress(node: index, port: 1)] = LID(3) }
        }
        entries[2] = 1
        entries[3] = 2
        let ports = ConfigurationPlan.portSettings(for: fabric, lids: { lids[$0] }, lmc: 0, smLID: LID(1), subnetTimeout: 18)
        let switchIndex = fabric.switches[0]
        return ConfigurationPlan(ports: ports, switches: [switchIndex: SwitchProgram(top: LID(3), entries: entries)], smPort: fabric.origin)
    }

    @Test func bringsEveryLinkedPortActiveAndProgramsTheTable() async throws {
        let (_, result, transport, client) = try await setUp()
        let plan = plan(for: result.fabric)
        let report = await FabricProgrammer(client: client).apply(plan, to: result.fabric, routes: result.routes)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let linked = plan.ports.filter { $0.value.activate }.keys
        #expect(linked.count == 4)
        for address in linked { #expect(report.portStates[address] == .active) }
        #expect(report.tables[result.fabric.switches[0]] == [255, 0, 1, 2])
        #expect(report.blockReads == 0)
        // The simulator now routes LID-routed SMPs to the hosts.
        let h2 = try await client.send(.get(.nodeInfo, lid: LID(3))).decode(NodeInfo.self)
        #expect(h2.nodeGUID == result.fabric.nodes.first { $0.description == "h2" }!.guid)
        #expect(transport.counters.answered > 0)
    }

    @Test func aSecondPassOverAConfiguredFabricSendsNoSet() async throws {
        let (_, first, _, client) = try await setUp()
        _ = await FabricProgrammer(client: client).apply(plan(for: first.fabric), to: first.fabric, routes: first.routes)
        let again = await FabricDiscoverer(client: client).discover()
        let before = client.statistics.sent.filter { $0.key.method == .set }.values.reduce(0, +)
        let report = await FabricProgrammer(client: client).apply(plan(for: again.fabric), to: again.fabric, routes: again.routes)
        let after = client.statistics.sent.filter { $0.key.method == .set }.values.reduce(0, +)
        #expect(report.failures.isEmpty)
        #expect(report.setCount == 0)
        #expect(after == before)
        #expect(report.blockReads == 1)
        #expect(report.tables[again.fabric.switches[0]] == [255, 0, 1, 2])
    }

    @Test func onlyDifferingFieldsTriggerASet() {
        var observed = PortInfo()
        observed.lid = LID(7)
        observed.masterSMLID = LID(1)
        observed.state = .active
        observed.physicalState = .linkUp
        observed.mtuCap = 4
        observed.neighborMTU = 4
        let same = PortSettings(lid: LID(7), masterSMLID: LID(1), neighborMTU: 4, activate: true)
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: same) == nil)
        let moved = PortSettings(lid: LID(9), masterSMLID: LID(1), activate: true)
        let request = FabricProgrammer.portInfoSet(observed: observed, settings: moved)
        #expect(request?.lid == LID(9))
        // Routine Sets never ask for a state or physical state.
        #expect(request?.state == .noChange)
        #expect(request?.physicalState == .noChange)
        // SubnetTimeout alone never causes a Set (ibsim does not store it), but rides along with one.
        let timeoutOnly = PortSettings(lid: LID(7), masterSMLID: LID(1), subnetTimeout: 18, neighborMTU: 4, activate: true)
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: timeoutOnly) == nil)
        let movedWithTimeout = PortSettings(lid: LID(9), masterSMLID: LID(1), subnetTimeout: 18, activate: true)
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: movedWithTimeout)?.subnetTimeout == 18)
        var fresh = observed
        fresh.state = .initialize
        #expect(FabricProgrammer.portInfoSet(observed: fresh, settings: same)?.state == .armed)
    }
}
