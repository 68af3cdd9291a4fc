import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import Synchronization
import Testing

/// Takes a link down the moment the first Set goes out: after discovery, before programming.
final class LinkCutter: MADTransport {
    let inner: SimulatorTransport
    let link: PortAddress
    private let cut = Atomic<Bool>(false)

    init(_ inner: SimulatorTransport, cutting link: PortAddress) {
        self.inner = inner
        self.link = link
    }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        if request.method == .set, !cut.exchange(true, ordering: .relaxed) { inner.fabric.setLink(link, up: false) }
        return try await inner.exchange(request, timeout: timeout)
    }

    func close() async { await inner.close() }
}

@Suite struct FabricChangeTests {
    @Test func aLinkLostBetweenDiscoveryAndProgrammingIsRoutedAround() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let leaf = try #require(fabric.nodes.firstIndex { $0.description == "leaf-0" })
        // A leaf uplink, on the DR path to nothing the sweep needs after discovery but routed through by many LIDs.
        let uplink = try #require(fabric[leaf].knownPorts.first { port in port.remote.map { fabric[$0.node].type == .switch } ?? false })
        let spineEnd = uplink.remote!
        let simulator = SimulatorTransport(fabric: try SimulatedFabric(fabric))
        let transport = LinkCutter(simulator, cutting: PortAddress(node: leaf, port: uplink.number))
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
        let report = try await SubnetSweep(client: client).runOnce(maxPasses: 2)
        #expect(!report.isHealthy)
        #expect(report.problems.contains { $0.contains("NodeInfo") || $0.contains("host-2") })
        // Everything else is configured and verified.
        #expect(report.verification.isValid)
    }
}
