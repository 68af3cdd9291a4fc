import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import Testing

/// `sweep --mkey` on the simulator, whose agents enforce M_Key: the sweep locks every endport with its
/// key, another host without the key cannot rewrite them, and the sweep keeps working with the key.
@Suite struct MKeySweepTests {
    static let key: UInt64 = 0x0123_4567_89AB_CDEF

    /// A simulated fat tree whose clock moves only when told, and ways to talk to it.
    struct Bench {
        var fabric: Fabric
        var simulator: SimulatorTransport
        var clock: SimulatorClock

        init() throws {
            fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
            clock = SimulatorClock(frozen: true)
            simulator = SimulatorTransport(fabric: try SimulatedFabric(fabric, clock: clock))
        }

        /// A client with `key`; quick to give up, since refused SMPs are never answered.
        func client(key: UInt64) -> SMPClient {
            SMPClient(transport: simulator, options: SMPClientOptions(maxOutstanding: 32, timeout: .milliseconds(5), retries: 1), mKey: key)
        }

        func sweep(key: UInt64, policy: MKeyPolicy?) async throws -> (SweepReport, SMPClient) {
            let client = client(key: key)
            return (try await SubnetSweep(client: client, options: SweepOptions(mKey: policy)).runOnce(), client)
        }

        /// The first port of the node called `name`, and the directed route that reaches it, as `report` found it.
        func port(_ name: String, _ number: PortNumber, in report: SweepReport) throws -> (address: PortAddress, route: DirectedRoute) {
            let simulated = try #require(fabric.nodes.firstIndex { $0.description == name })
            let discovered = report.discovery.fabric
            let node = try #require(discovered.index(of: fabric[simulated].guid))
            let route = discovered.route(toPort: PortAddress(node: node, port: number), nodeRoutes: report.discovery.routes)
            return (PortAddress(node: simulated, port: number), route)
        }

        func info(_ address: PortAddress) throws -> PortInfo { try #require(simulator.fabric.portInfo(address)) }

        var endports: [PortAddress] {
            fabric.nodes.indices.flatMap { index in
                fabric[index].ports.compactMap { $0 }.filter { fabric[index].type == .switch ? $0.number == .management : $0.remote != nil }
                    .map { PortAddress(node: index, port: $0.number) }
            }
        }
    }

    private func sets(_ client: SMPClient) -> Int { client.statistics.sent.filter { $0.key.method == .set }.values.reduce(0, +) }

    @Test(arguments: [UInt8(1), 2])
    func anotherHostCannotRewriteALockedPortAndTheNextSweepStillWorks(bits: UInt8) async throws {
        let bench = try Bench()
        let policy = MKeyPolicy(key: Self.key, protectBits: bits, leasePeriod: 0)
        let (first, _) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(first.isHealthy, "\(first.problems)")
        #expect(first.verification.isValid)
        #expect(first.activePorts.active == 2 * bench.fabric.links.count)
        for address in bench.endports { #expect(try bench.info(address).holds(policy), "\(bench.fabric.describe(address))") }

        // Another host, without the key, tries to move a host's LID and to reroute a leaf.
        let stranger = bench.client(key: 0)
        let (host, toHost) = try bench.port("host-5", 1, in: first)
        let lidBefore = try bench.info(host).lid
        var moved = PortInfo()
        moved.lid = LID(0x1000)
        await #expect(throws: SMPError.noResponse(attribute: .portInfo, target: .route(toHost), attempts: 2)) {
            try await stranger.set(moved, modifier: 1, route: toHost)
        }
        #expect(try bench.info(host).lid == lidBefore)
        let (leaf, toLeaf) = try bench.port("leaf-0", .management, in: first)
        let entryBefore = bench.simulator.fabric.forwardingEntry(node: leaf.node, lid: lidBefore)
        let rerouted = LinearForwardingTableBlock(ports: Array(repeating: PortNumber(1), count: 64))
        await #expect(throws: SMPError.self) {
            try await stranger.set(rerouted, modifier: UInt32(lidBefore.rawValue) / 64, route: toLeaf)
        }
        #expect(bench.simulator.fabric.forwardingEntry(node: leaf.node, lid: lidBefore) == entryBefore)
        #expect(try bench.info(host).mKeyViolations == 2)
        #expect(try bench.info(leaf).mKeyViolations == 2)

        // The SM, with the key, finds nothing to change, and tells of the violations.
        let (second, client) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(second.isHealthy, "\(second.problems)")
        #expect(second.apply.setCount == 0)
        #expect(sets(client) == 0)
        #expect(second.warnings.contains { $0.contains("2 port(s) have refused SMPs with a wrong M_Key") }, "\(second.warnings)")
    }

    @Test func aSweepWithoutTheKeyOfAFabricLockedWithProtectBits2FailsCleanly() async throws {
        let bench = try Bench()
        let (first, _) = try await bench.sweep(key: Self.key, policy: MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 0))
        #expect(first.isHealthy, "\(first.problems)")
        // Not even the SM's own node answers without the key, or with a wrong one.
        for key: UInt64 in [0, Self.key ^ 1] {
            await #expect {
                _ = try await bench.sweep(key: key, policy: nil)
            } throws: { error in
                guard case .noLocalNode(let why)? = error as? SweepError else { return false }
                return why.contains("M_Key")
            }
        }
        #expect(bench.simulator.counters.refusedByMKey > 0)
    }

    @Test func withProtectBits1ASweepWithoutTheKeyCanReadButNotChange() async throws {
        let bench = try Bench()
        let policy = MKeyPolicy(key: Self.key, protectBits: 1, leasePeriod: 0)
        let (first, _) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(first.isHealthy, "\(first.problems)")

        // Nothing to change: the keyless sweep reads, verifies, and warns that it could not write.
        let (unchanged, _) = try await bench.sweep(key: 0, policy: nil)
        #expect(unchanged.isHealthy, "\(unchanged.problems)")
        #expect(unchanged.apply.setCount == 0)
        #expect(unchanged.warnings.contains { $0.contains("\(bench.endports.count) port(s) hold an M_Key other than this SM's") },
                "\(unchanged.warnings)")

        // A link retrains (both ends back to INIT): the keyless sweep cannot bring it back, and says why.
        let (host, _) = try bench.port("host-5", 1, in: first)
        bench.simulator.fabric.setLink(host, up: false)
        bench.simulator.fabric.setLink(host, up: true)
        let (stuck, _) = try await bench.sweep(key: 0, policy: nil)
        #expect(!stuck.isHealthy)
        #expect(stuck.problems.contains { $0.description.contains("holds an M_Key other than this SM's") }, "\(stuck.problems)")
        #expect(try bench.info(host).state == .initialize)

        // With the key it can.
        let (fixed, _) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(fixed.isHealthy, "\(fixed.problems)")
        #expect(try bench.info(host).state == .active)
    }

    @Test func afterALapsedLeaseTheNextSweepRestoresTheProtectBits() async throws {
        let bench = try Bench()
        let policy = MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 60)
        let (first, _) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(first.isHealthy, "\(first.problems)")

        let stranger = bench.client(key: 0)
        let (host, toHost) = try bench.port("host-5", 1, in: first)
        await #expect(throws: SMPError.self) { try await stranger.get(PortInfo.self, modifier: 1, route: toHost) }
        bench.clock.advance(by: .seconds(61))
        // The lease ran out with no SM around: the port shows its key to anyone now.
        #expect(try await stranger.get(PortInfo.self, modifier: 1, route: toHost).mKey == Self.key)

        let (second, _) = try await bench.sweep(key: Self.key, policy: policy)
        #expect(second.isHealthy, "\(second.problems)")
        #expect(second.apply.portInfoSets == 1)
        #expect(try bench.info(host).holds(policy))
        await #expect(throws: SMPError.self) { try await stranger.get(PortInfo.self, modifier: 1, route: toHost) }
    }
}
