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

    @Test func theMKeyPolicyIsComparedLikeAnyOtherSetting() {
        var observed = PortInfo()
        observed.lid = LID(7)
        observed.state = .active
        let policy = MKeyPolicy(key: 0xABCD, protectBits: 1, leasePeriod: 60)
        let keyed = PortSettings(lid: LID(7), mKey: policy)
        let request = FabricProgrammer.portInfoSet(observed: observed, settings: keyed)
        #expect(request?.holds(policy) == true)
        #expect(request?.lid == LID(7))
        observed.apply(policy)
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: keyed) == nil)
        // A lapsed lease left protect bits 0: that alone is worth a Set.
        observed.mKeyProtectBits = 0
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: keyed)?.mKeyProtectBits == 1)
        // Without a policy the M_Key fields are left as they are.
        #expect(FabricProgrammer.portInfoSet(observed: observed, settings: PortSettings(lid: LID(7))) == nil)
    }

    @Test func endportsGetTheMKeyAndASecondPassWithTheKeySendsNoSet() async throws {
        let (_, first, transport, _) = try await setUp()
        let policy = MKeyPolicy(key: 0x1234, protectBits: 2, leasePeriod: 0)
        let client = SMPClient(transport: transport, mKey: policy.key)
        let unkeyed = plan(for: first.fabric)
        var plan = unkeyed
        plan.ports = ConfigurationPlan.portSettings(
            for: first.fabric, lids: { unkeyed.ports[$0]?.lid }, lmc: 0, smLID: LID(1), subnetTimeout: 18, mKey: policy)
        let report = await FabricProgrammer(client: client).apply(plan, to: first.fabric, routes: first.routes)
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.mKeyNotKept.isEmpty)
        let fabric = first.fabric
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) {
                let address = PortAddress(node: index, port: port.number)
                let isEndport = node.type == .switch ? port.number == .management : port.remote != nil
                #expect(transport.fabric.portInfo(address)?.holds(policy) == isEndport, "\(fabric.describe(address))")
            }
        }
        let again = await FabricDiscoverer(client: client).discover()
        #expect(again.isComplete)
        let second = await FabricProgrammer(client: client).apply(plan, to: again.fabric, routes: again.routes)
        #expect(second.failures.isEmpty)
        #expect(second.setCount == 0)
    }

    @Test func aPortThatDoesNotKeepTheMKeyIsReported() async throws {
        // Switch external ports take no M_Key: asking one to hold it shows what an agent without M_Key looks like.
        let (_, result, transport, _) = try await setUp()
        let policy = MKeyPolicy(key: 0x1234, protectBits: 1, leasePeriod: 0)
        let client = SMPClient(transport: transport, mKey: policy.key)
        let external = PortAddress(node: result.fabric.switches[0], port: 1)
        let plan = ConfigurationPlan(ports: [external: PortSettings(mKey: policy)])
        let report = await FabricProgrammer(client: client).apply(plan, to: result.fabric, routes: result.routes)
        #expect(report.portInfoSets == 1)
        #expect(report.mKeyNotKept == [external])
    }

    @Test func aSetRefusedForAnotherKeySaysSo() async throws {
        let (_, result, transport, _) = try await setUp()
        let h1 = try #require(result.fabric.nodes.firstIndex { $0.description == "h1" })
        let address = PortAddress(node: h1, port: 1)
        // Someone else's SM locked h1 with its key and protect bits 1: Gets still work, Sets do not.
        let other = SMPClient(transport: transport, mKey: 0x0DD)
        let route = result.fabric.route(toPort: address, nodeRoutes: result.routes)
        var locked = try await other.get(PortInfo.self, modifier: 1, route: route)
        locked.apply(MKeyPolicy(key: 0x0DD, protectBits: 1, leasePeriod: 0))
        locked.state = .noChange
        try await other.set(locked, modifier: 1, route: route)

        let quick = SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(5), retries: 0), mKey: 0x1234)
        let seen = await FabricDiscoverer(client: quick).discover()
        let plan = ConfigurationPlan(ports: [address: PortSettings(lid: LID(40), mKey: MKeyPolicy(key: 0x1234, protectBits: 1, leasePeriod: 0))])
        let report = await FabricProgrammer(client: quick).apply(plan, to: seen.fabric, routes: seen.routes)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("holds an M_Key other than this SM's") == true, "\(report.failures)")
        #expect(transport.fabric.portInfo(address)?.lid != LID(40))
    }
}
