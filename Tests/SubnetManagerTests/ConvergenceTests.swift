import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import Synchronization
import Testing

/// Brings one dead node back to life at the start of each discovery after the first (only discovery
/// reads the NodeDescription of the SM's own node), so that every pass leaves one problem fewer.
final class RevivingOneNodePerPass: MADTransport {
    let inner: SimulatorTransport
    private let dead: Mutex<[Int]>
    private let discoveries = Atomic<Int>(0)

    init(_ inner: SimulatorTransport, dead: [Int]) {
        self.inner = inner
        self.dead = Mutex(dead)
        for node in dead { inner.fabric.setDead(node) }
    }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        if request.attribute == .nodeDescription, request.directedRoute?.hops.isEmpty == true,
           discoveries.add(1, ordering: .relaxed).newValue > 1,
           let node = dead.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            inner.fabric.setDead(node, false)
        }
        return try await inner.exchange(request, timeout: timeout)
    }

    func close() async { await inner.close() }
}

/// `runOnce` re-plans while passes make progress, up to its deadline, and stops after passes that make none.
@Suite struct ConvergenceTests {
    static func hosts(_ fabric: Fabric, _ names: [String]) throws -> [Int] {
        try names.map { name in try #require(fabric.nodes.firstIndex { $0.description == name }) }
    }

    @Test func passesGoOnWhileEachMakesProgress() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let dead = try Self.hosts(fabric, ["host-1", "host-3", "host-5", "host-6"])
        let transport = RevivingOneNodePerPass(SimulatorTransport(fabric: try SimulatedFabric(fabric)), dead: dead)
        let client = SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(2), retries: 1))
        // A deadline far off: integration tests running alongside can stall this one for seconds.
        let report = try await SubnetSweep(client: client, options: SweepOptions(convergenceDeadline: .seconds(3600))).runOnce()
        // Four passes with one dead host fewer each, then a healthy fifth (a fixed three passes would not do).
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.passes == 5, "\(report.warnings)")
        #expect(report.warnings.first?.hasPrefix("re-planned 4 time(s) after: ") == true, "\(report.warnings)")
        #expect(report.activePorts.active == 2 * fabric.links.count)
    }

    @Test func passesStopAfterTwoThatMakeNoProgress() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let simulated = try SimulatedFabric(fabric)
        let host = try Self.hosts(fabric, ["host-2"])[0]
        simulated.setDead(host)
        let client = SMPClient(transport: SimulatorTransport(fabric: simulated), options: SMPClientOptions(timeout: .milliseconds(2), retries: 1))
        let report = try await SubnetSweep(client: client, options: SweepOptions(convergenceDeadline: .seconds(3600))).runOnce()
        #expect(!report.isHealthy)
        #expect(report.passes == 3)
        // Typed problems: the daemon can tell an unreachable node from a routing failure.
        #expect(report.problems.contains { if case .discovery(let problem) = $0 { problem.kind == .unreachable } else { false } }, "\(report.problems)")
        #expect(!report.problems.contains { if case .routes = $0 { true } else { false } })

        let once = try await SubnetSweep(client: client, options: SweepOptions(convergenceDeadline: .seconds(3600), passesWithoutProgress: 1)).runOnce()
        #expect(once.passes == 2)
    }

    @Test func noPassBeyondTheThirdStartsAfterTheDeadline() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let dead = try Self.hosts(fabric, ["host-1", "host-3", "host-5", "host-6"])
        let transport = RevivingOneNodePerPass(SimulatorTransport(fabric: try SimulatedFabric(fabric)), dead: dead)
        let client = SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(2), retries: 1))
        // Progress on every pass, but no time: the three passes a sweep always may make, not the five it needs.
        let report = try await SubnetSweep(client: client, options: SweepOptions(convergenceDeadline: .zero)).runOnce()
        #expect(report.passes == 3)
        #expect(!report.isHealthy)
    }

    @Test func problemsPrintAsBefore() {
        let discovery = SweepProblem.discovery(DiscoveryProblem(.unreachable, "node 0x1 (\"sw\", DR path 0,1): no response"))
        #expect("\(discovery)" == "node 0x1 (\"sw\", DR path 0,1): no response")
        let ports = SweepProblem.portsNotActive([
            .init(port: PortAddress(node: 1, port: 2), name: "\"leaf-0\"[2]", state: .armed),
            .init(port: PortAddress(node: 3, port: 1), name: "\"host-1\"[1]", state: nil),
        ])
        #expect("\(ports)" == "2 linked port(s) not ACTIVE: \"leaf-0\"[2] is \(PortState.armed), \"host-1\"[1] is unknown")
        #expect("\(SweepProblem.routes(undelivered: 3, loops: 0, longerThanMinHop: 0, summary: "verified 9 pairs: x"))"
                == "route verification failed: verified 9 pairs: x")
    }

    /// A daemon stopping (SIGTERM) cancels its sweep: it ends at once, even with SMPs waiting out long timeouts.
    @Test func cancellationEndsTheSweepPromptly() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let simulated = try SimulatedFabric(fabric)
        simulated.setDead(try Self.hosts(fabric, ["host-2"])[0])
        let client = SMPClient(transport: SimulatorTransport(fabric: simulated), options: SMPClientOptions(timeout: .seconds(120), retries: 3))
        let clock = ContinuousClock()
        let started = clock.now
        let sweep = Task { try await SubnetSweep(client: client).runOnce() }
        try await Task.sleep(for: .milliseconds(200))
        sweep.cancel()
        await #expect(throws: SweepError.cancelled) { try await sweep.value }
        // The dead host's NodeInfo alone would have taken two minutes.
        #expect(clock.now - started < .seconds(60))
    }
}
