import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import Routing
import SubnetManager
import Synchronization
import TestSupport
import Testing

/// Changes the fabric once, the moment the first request matching `trigger` goes out.
final class FabricChange: MADTransport {
    let inner: SimulatorTransport
    private let trigger: @Sendable (SMP) -> Bool
    private let change: @Sendable (SimulatedFabric) -> Void
    private let seen = Atomic<Int>(0)
    private let done = Atomic<Bool>(false)

    init(_ inner: SimulatorTransport, when trigger: @escaping @Sendable (SMP) -> Bool, change: @escaping @Sendable (SimulatedFabric) -> Void) {
        self.inner = inner
        self.trigger = trigger
        self.change = change
    }

    /// After discovery, before programming: at the first Set.
    convenience init(_ inner: SimulatorTransport, atFirstSet change: @escaping @Sendable (SimulatedFabric) -> Void) {
        self.init(inner, when: { $0.method == .set }, change: change)
    }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        if trigger(request), !done.exchange(true, ordering: .relaxed) { change(inner.fabric) }
        return try await inner.exchange(request, timeout: timeout)
    }

    func close() async { await inner.close() }
}

/// The fabric as it really is after a sweep, judged from scratch: a fresh discovery over a new client,
/// and the forwarding entries the simulated switches hold (not what the sweep believes it wrote).
func judgeFromScratch(_ simulated: SimulatedFabric) async -> (verification: RouteVerification, inactive: Int, problems: [String]) {
    let discovery = await FabricDiscoverer(client: SMPClient(transport: SimulatorTransport(fabric: simulated))).discover()
    let observed = discovery.fabric
    let lids = LIDAssignment(observedIn: observed)
    let verification = verifyRoutes(observed, lids: lids) { node, lid in
        simulated.node(observed[node].guid).map { simulated.forwardingEntry(node: $0, lid: lid) }
    }
    let inactive = observed.nodes.indices.flatMap { node in observed[node].knownPorts.filter { $0.remote != nil && $0.state != .active } }
    return (verification, inactive.count, discovery.problems.map(\.message))
}

@Suite struct FabricChangeTests {
    @Test func aLinkLostBetweenDiscoveryAndProgrammingIsRoutedAround() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let leaf = try #require(fabric.nodes.firstIndex { $0.description == "leaf-0" })
        // A leaf uplink, on the DR path to nothing the sweep needs after discovery but routed through by many LIDs.
        let uplink = try #require(fabric[leaf].knownPorts.first { port in port.remote.map { fabric[$0.node].type == .switch } ?? false })
        let spineEnd = uplink.remote!
        let simulator = SimulatorTransport(fabric: try SimulatedFabric(fabric))
        let transport = FabricChange(simulator) { $0.setLink(PortAddress(node: leaf, port: uplink.number), up: false) }
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32, timeout: .milliseconds(5), retries: 2))
        let report = try await SubnetSweep(client: client).runOnce()

        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.warnings.contains { $0.hasPrefix("re-planned") })
        #expect(report.activePorts.active == 2 * (fabric.links.count - 1))
        #expect(report.verification.isValid)
        // No LID leaves either end of the dead link.
        for lid in 1...Int(report.lids.maxLID.rawValue) {
            #expect(simulator.fabric.forwardingEntry(node: leaf, lid: LID(UInt16(lid))) != uplink.number)
            #expect(simulator.fabric.forwardingEntry(node: spineEnd.node, lid: LID(UInt16(lid))) != spineEnd.port)
        }
    }

    @Test func aDeadNodeIsReportedAfterBoundedPasses() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let simulated = try SimulatedFabric(fabric)
        simulated.setDead(try #require(fabric.nodes.firstIndex { $0.description == "host-2" }))
        let client = SMPClient(transport: SimulatorTransport(fabric: simulated), options: SMPClientOptions(timeout: .milliseconds(2), retries: 1))
        let report = try await SubnetSweep(client: client).runOnce()
        #expect(!report.isHealthy)
        #expect(report.problems.contains { $0.description.contains("NodeInfo") || $0.description.contains("host-2") })
        // Everything else is configured and verified.
        #expect(report.verification.isValid)
    }

    /// A host's agent hangs after discovery: its place is reported once its retries run out, and the rest of
    /// the fabric is configured and routed as if it were there (its link is up; its LID still routes to it).
    @Test func aNodeThatVanishesMidSweepIsReportedAndTheRestConfigured() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let host = try #require(fabric.nodes.firstIndex { $0.description == "host-9" })
        let simulated = try SimulatedFabric(fabric)
        let transport = FabricChange(SimulatorTransport(fabric: simulated)) { $0.setDead(host) }
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32, timeout: .milliseconds(2), retries: 1))
        let report = try await SubnetSweep(client: client).runOnce()

        #expect(!report.isHealthy)
        // The last pass no longer knows the node: it names the port the silent node hangs off.
        let attachment = try #require(fabric[host].knownPorts.first?.remote)
        #expect(report.problems.contains { $0.description.contains(fabric.describe(attachment)) }, "\(report.problems)")
        #expect(report.verification.isValid, "\(report.verification.problems)")
        // Every other linked port is ACTIVE: only the two ends of host-9's link are not.
        #expect(report.activePorts.planned - report.activePorts.active <= 2)
        #expect(report.activePorts.active >= 2 * fabric.links.count - 2)
    }

    /// Two uplinks of the SM's leaf swap spines after discovery: the spines' DR paths now lead to each
    /// other. Their tables must not be written into the wrong switch; the sweep re-plans instead.
    @Test func aCableMovedAfterDiscoveryIsNotProgrammedIntoTheWrongSwitch() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let leaf = try #require(fabric.nodes.firstIndex { $0.description == "leaf-0" })
        let uplinks = fabric[leaf].knownPorts.filter { port in port.remote.map { fabric[$0.node].type == .switch } ?? false }
        #expect(uplinks.count >= 2)
        let simulated = try SimulatedFabric(fabric, attachment: try #require(fabric[leaf].knownPorts.first { $0.remote != nil }?.remote))
        let transport = FabricChange(SimulatorTransport(fabric: simulated)) {
            $0.swapCables(PortAddress(node: leaf, port: uplinks[0].number), PortAddress(node: leaf, port: uplinks[1].number))
        }
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32, timeout: .milliseconds(5), retries: 2))
        let report = try await SubnetSweep(client: client).runOnce()

        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.warnings.contains { $0.contains("re-planned") && $0.contains("now leads to GUID") }, "\(report.warnings)")
        let judged = await judgeFromScratch(simulated)
        #expect(judged.problems.isEmpty, "\(judged.problems)")
        #expect(judged.inactive == 0)
        #expect(judged.verification.isValid, "\(judged.verification.problems)")
    }

    /// A cable moves while discovery is under way, so ports may report a different neighbour the second
    /// time they are asked: whatever discovery saw, the fabric ends configured as it really is.
    @Test(arguments: [20, 60, 120])
    func aCableMovedDuringDiscoveryEndsConfiguredAsItIs(afterNodeInfoGets: Int) async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let leaves = fabric.nodes.indices.filter { fabric[$0].description.hasPrefix("leaf-") }
        let first = try #require(fabric[leaves[1]].knownPorts.first { $0.remote.map { fabric[$0.node].type == .switch } ?? false })
        let second = try #require(fabric[leaves[2]].knownPorts.last { $0.remote.map { fabric[$0.node].type == .switch } ?? false })
        let simulated = try SimulatedFabric(fabric)
        let nodeInfoGets = Atomic<Int>(0)
        let transport = FabricChange(SimulatorTransport(fabric: simulated), when: { request in
            request.attribute == .nodeInfo && nodeInfoGets.add(1, ordering: .relaxed).newValue >= afterNodeInfoGets
        }) { $0.swapCables(PortAddress(node: leaves[1], port: first.number), PortAddress(node: leaves[2], port: second.number)) }
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32, timeout: .milliseconds(5), retries: 2))
        let report = try await SubnetSweep(client: client).runOnce()

        #expect(report.isHealthy, "\(report.problems)")
        let judged = await judgeFromScratch(simulated)
        #expect(judged.problems.isEmpty, "\(judged.problems)")
        #expect(judged.inactive == 0)
        #expect(judged.verification.isValid, "\(judged.verification.problems)")
    }

    /// Two hosts answer with one GUID: the model would merge them, so the sweep sets nothing and says why.
    @Test func aDuplicateGUIDStopsTheSweepBeforeAnySet() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        var twisted = fabric
        let original = try #require(fabric.nodes.firstIndex { $0.description == "host-1" })
        let impostor = try #require(fabric.nodes.firstIndex { $0.description == "host-3" })
        var info = try #require(twisted[impostor].nodeInfo ?? NodeInfo?.some(NodeInfo()))
        info.nodeType = .channelAdapter
        info.portCount = fabric[impostor].portCount
        info.nodeGUID = fabric[original].guid
        info.portGUID = fabric[original].knownPorts.first!.guid
        twisted[impostor].nodeInfo = info
        let simulated = try SimulatedFabric(twisted)
        let client = SMPClient(transport: SimulatorTransport(fabric: simulated), options: SMPClientOptions(timeout: .milliseconds(5), retries: 1))
        await #expect {
            try await SubnetSweep(client: client).runOnce()
        } throws: { error in
            guard case SweepError.conflictingIdentities(let why) = error else { return false }
            return why.contains("\(fabric[original].guid)") && why.contains("nothing was set")
        }
        #expect(client.statistics.sent.filter { $0.key.method == .set }.isEmpty)
    }

    /// A switch cabled to itself (a loopback cable between two of its ports) is no path to anywhere.
    @Test func aSwitchCabledToItselfIsConfiguredAndNeverRoutedThrough() async throws {
        var builder = FabricBuilder()
        builder.addSwitch("sw1", ports: 8)
        builder.addSwitch("sw2", ports: 8)
        for host in 1...3 {
            builder.addCA("a\(host)")
            builder.link("sw1", UInt8(host), "a\(host)", 1)
            builder.addCA("b\(host)")
            builder.link("sw2", UInt8(host), "b\(host)", 1)
        }
        builder.link("sw1", 4, "sw2", 4)
        builder.link("sw1", 5, "sw2", 5)
        builder.link("sw1", 7, "sw1", 8)
        let simulated = try SimulatedFabric(builder.fabric)
        let client = SMPClient(transport: SimulatorTransport(fabric: simulated), options: SMPClientOptions(maxOutstanding: 16))
        let report = try await SubnetSweep(client: client).runOnce()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.activePorts.active == 2 * builder.fabric.links.count)
        let sw1 = builder.index("sw1")
        for lid in 1...Int(report.lids.maxLID.rawValue) {
            let out = simulated.forwardingEntry(node: sw1, lid: LID(UInt16(lid)))
            #expect(out != 7 && out != 8, "LID \(lid) leaves sw1 into its loopback cable")
        }
        let judged = await judgeFromScratch(simulated)
        #expect(judged.verification.isValid, "\(judged.verification.problems)")
    }
}
