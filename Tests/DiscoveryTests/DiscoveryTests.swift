import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import TestSupport
import Synchronization
import Testing

@Suite struct DiscoveryTests {
    private func discover(_ fabric: Fabric, attachment: PortAddress? = nil, options: SimulatorOptions = SimulatorOptions(),
                          client: SMPClientOptions = SMPClientOptions(timeout: .milliseconds(20))) async throws -> (DiscoveryResult, SimulatorTransport) {
        let transport = SimulatorTransport(fabric: try SimulatedFabric(fabric, attachment: attachment), options: options)
        let result = await FabricDiscoverer(client: SMPClient(transport: transport, options: client)).discover()
        return (result, transport)
    }

    private var smallFabric: FabricBuilder {
        var builder = FabricBuilder()
        builder.addSwitch("sw1", ports: 8)
        builder.addSwitch("sw2", ports: 8)
        builder.addCA("h1")
        builder.addCA("h2", ports: 2)
        builder.addCA("h3")
        builder.link("sw1", 1, "h1", 1)
        builder.link("sw1", 2, "h2", 1)
        builder.link("sw2", 5, "h2", 2)
        builder.link("sw1", 3, "sw2", 1)
        builder.link("sw1", 4, "sw2", 2)
        builder.link("sw2", 8, "h3", 1)
        return builder
    }

    @Test func findsEveryNodeAndLinkFromASwitch() async throws {
        let fabric = smallFabric.fabric
        let (result, _) = try await discover(fabric)
        #expect(result.problems.isEmpty)
        #expect(FabricShape(result.fabric) == FabricShape(fabric))
        #expect(result.fabric.origin == PortAddress(node: 0, port: .management))
    }

    @Test func findsEveryNodeAndLinkFromAHost() async throws {
        let builder = smallFabric
        let (result, _) = try await discover(builder.fabric, attachment: PortAddress(node: builder.index("h3"), port: 1))
        #expect(result.problems.isEmpty)
        #expect(FabricShape(result.fabric) == FabricShape(builder.fabric))
        // The dual-port host reached from both sides is one node with both ports.
        let h2 = try #require(result.fabric.node(builder.fabric[builder.index("h2")].guid))
        #expect(h2.knownPorts.map(\.number) == [1, 2])
    }

    @Test func twoHostsBackToBack() async throws {
        var builder = FabricBuilder()
        builder.addCA("left")
        builder.addCA("right")
        builder.link("left", 1, "right", 1)
        let (result, _) = try await discover(builder.fabric)
        #expect(result.problems.isEmpty)
        #expect(FabricShape(result.fabric) == FabricShape(builder.fabric))
    }

    @Test func aDeadSwitchIsReportedAndTheRestIsFound() async throws {
        var builder = smallFabric
        builder.addSwitch("sw3", ports: 4)
        builder.addCA("h4")
        builder.link("sw2", 7, "sw3", 1)
        builder.link("sw3", 2, "h4", 1)
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric))
        transport.fabric.setDead(builder.index("sw3"))
        let result = await FabricDiscoverer(client: SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(5), retries: 1))).discover()
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.kind == .unreachable)
        #expect(result.problems.first?.message.contains("\"sw2\"[7]") == true)
        #expect(result.fabric.nodes.count == 5)
    }

    @Test func duplicateGUIDsAreReported() async throws {
        var builder = FabricBuilder()
        builder.addSwitch("sw1", ports: 4)
        builder.addCA("h1")
        builder.addCA("h2")
        builder.link("sw1", 1, "h1", 1)
        builder.link("sw1", 2, "h2", 1)
        // h2 claims h1's GUIDs.
        var fabric = builder.fabric
        var h2 = fabric[builder.index("h2")]
        var info = NodeInfo()
        info.nodeType = .channelAdapter
        info.portCount = 1
        info.nodeGUID = fabric[builder.index("h1")].guid
        info.portGUID = GUID(fabric[builder.index("h1")].guid.rawValue + 1)
        h2.nodeInfo = info
        fabric[builder.index("h2")] = h2
        let (result, _) = try await discover(fabric)
        #expect(result.problems.map(\.kind) == [.duplicateGUID])
    }

    @Test func lossIsRecoveredByRetries() async throws {
        let fabric = smallFabric.fabric
        let (result, transport) = try await discover(fabric, options: SimulatorOptions(dropProbability: 0.2, seed: 7),
                                                     client: SMPClientOptions(timeout: .milliseconds(5), retries: 8))
        #expect(transport.counters.dropped > 0)
        #expect(result.problems.isEmpty)
        #expect(FabricShape(result.fabric) == FabricShape(fabric))
    }

    @Test func perNodeWindowKeepsABusyAgentFromOverflowing() async throws {
        let fabric = smallFabric.fabric
        let (result, transport) = try await discover(fabric, options: SimulatorOptions(serviceTime: .microseconds(255), vl15Depth: 4),
                                                     client: SMPClientOptions(maxOutstanding: 16, maxPerDestination: 2))
        #expect(result.problems.isEmpty)
        #expect(transport.counters.overflowed == 0)
    }

    /// Many probes in flight converge on the core switches of a fat tree. Released two probing switches at
    /// a time, no node ever has more than 2 probes in flight to it, however slow or fast the machine (so
    /// a 4-deep VL15 buffer never overflows); released from everywhere at once (the control), more do.
    @Test func probesSpreadByProbingSwitchNeverConvergeOnANode() async throws {
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 12))
        func sweep(probingSwitches: Int) async throws -> (mostAtOnce: Int, overflowed: Int, DiscoveryResult) {
            let simulated = try SimulatedFabric(fabric)
            let transport = SimulatorTransport(fabric: simulated, options: SimulatorOptions(serviceTime: .microseconds(500), vl15Depth: 4))
            let counter = ProbeConvergence(transport, model: fabric, attachment: simulated.attachment)
            let client = SMPClient(transport: counter, options: SMPClientOptions(maxOutstanding: 128, timeout: .milliseconds(100), maxUnknownProbes: 64))
            let result = await FabricDiscoverer(client: client, maxProbingSwitches: probingSwitches).discover()
            return (counter.mostAtOnce, transport.counters.overflowed, result)
        }
        let spread = try await sweep(probingSwitches: 2)
        #expect(spread.mostAtOnce <= 2)
        #expect(spread.overflowed == 0)
        #expect(spread.2.problems.isEmpty)
        #expect(FabricShape(spread.2.fabric) == FabricShape(fabric))
        // How many unspread probes collide depends on timing: three tries all but always see it.
        var unspread = 0
        for _ in 0..<3 where unspread <= 2 { unspread = try await sweep(probingSwitches: 1_000).mostAtOnce }
        #expect(unspread > 2, "the control should converge: probes from every switch at once")
    }
}

/// Counts the NodeInfo probes in flight to each node (found by following the route through the model)
/// and keeps the most ever seen at once.
final class ProbeConvergence: MADTransport {
    let inner: SimulatorTransport
    let model: Fabric
    let attachment: PortAddress
    private let state = Mutex<(inFlight: [Int: Int], most: Int)>(([:], 0))

    init(_ inner: SimulatorTransport, model: Fabric, attachment: PortAddress) {
        self.inner = inner
        self.model = model
        self.attachment = attachment
    }

    var mostAtOnce: Int { state.withLock { $0.most } }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        guard request.attribute == .nodeInfo, case .directed(let header) = request.addressing, let target = target(of: header) else {
            return try await inner.exchange(request, timeout: timeout)
        }
        state.withLock { state in
            state.inFlight[target, default: 0] += 1
            state.most = max(state.most, state.inFlight[target]!)
        }
        defer { state.withLock { $0.inFlight[target]! -= 1 } }
        return try await inner.exchange(request, timeout: timeout)
    }

    private func target(of header: DirectedRouteHeader) -> Int? {
        var node = attachment.node
        guard header.hopCount > 0 else { return node }
        for hop in 1...Int(header.hopCount) {
            guard let remote = model[PortAddress(node: node, port: PortNumber(header.initialPath[hop]))]?.remote else { return nil }
            node = remote.node
        }
        return node
    }

    func close() async { await inner.close() }
}
