import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import TestSupport
import Testing

/// The simulated agents check the M_Key as IBA 14.2.4 says: by protect bits, with the violations counter
/// and the lease period.
@Suite struct MKeyEnforcementTests {
    static let key: UInt64 = 0x5EC2_E700_0000_0001
    static let toH1 = try! DirectedRoute([1])

    /// sw1 (SM on port 0) - h1 on port 1, sw2 on port 3; sw2 port 2 - h2. One client with the key, one
    /// without (another host), over the same fabric, whose clock moves only when told.
    struct Setup {
        var keyed: SMPClient
        var keyless: SMPClient
        var transport: SimulatorTransport
        var builder: FabricBuilder
        var clock: SimulatorClock

        func port(_ name: String, _ number: UInt8) -> PortAddress { PortAddress(node: builder.index(name), port: PortNumber(number)) }
        func info(_ name: String, _ number: UInt8) throws -> PortInfo { try #require(transport.fabric.portInfo(port(name, number))) }
    }

    private func setUp() throws -> Setup {
        let builder = twoSwitchesTwoHosts()
        let clock = SimulatorClock(frozen: true)
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric, clock: clock))
        let options = SMPClientOptions(timeout: .milliseconds(5), retries: 0)
        return Setup(keyed: SMPClient(transport: transport, options: options, mKey: Self.key),
                     keyless: SMPClient(transport: transport, options: options), transport: transport, builder: builder, clock: clock)
    }

    /// Puts `policy` on a port with a Set that carries the key (the port has none yet, so it passes).
    private func protect(_ setup: Setup, route: DirectedRoute, port: UInt8, with policy: MKeyPolicy) async throws {
        var info = try await setup.keyed.get(PortInfo.self, modifier: UInt32(port), route: route)
        info.apply(policy)
        info.state = .noChange
        info.physicalState = .noChange
        let answer = try await setup.keyed.set(info, modifier: UInt32(port), route: route)
        #expect(answer.holds(policy))
    }

    /// A PortInfo Set that would move h1 to LID 99.
    private func moveH1(_ client: SMPClient) async throws {
        var info = PortInfo()
        info.lid = LID(99)
        try await client.set(info, modifier: 1, route: Self.toH1)
    }

    private func isRefused(_ error: any Error) -> Bool {
        if case .noResponse? = error as? SMPError { return true }
        return false
    }

    @Test func aPortWithoutAKeyChecksNothing() async throws {
        let setup = try setUp()
        let stranger = SMPClient(transport: setup.transport, options: SMPClientOptions(timeout: .milliseconds(5), retries: 0), mKey: 0xBAD)
        try await moveH1(stranger)
        #expect(try setup.info("h1", 1).lid == LID(99))
        #expect(try await stranger.get(NodeInfo.self, route: Self.toH1).portCount == 1)
        #expect(try setup.info("h1", 1).mKeyViolations == 0)
        #expect(setup.transport.counters.refusedByMKey == 0)
    }

    @Test(arguments: MKeyPolicy.protectBitsRange)
    func protectBitsDecideWhatAnSMPWithoutTheKeyMayDo(bits: UInt8) async throws {
        let setup = try setUp()
        try await protect(setup, route: Self.toH1, port: 1, with: MKeyPolicy(key: Self.key, protectBits: bits, leasePeriod: 0))
        let lidBefore = try setup.info("h1", 1).lid

        let getsAllowed = bits < 2
        do {
            let seen = try await setup.keyless.get(PortInfo.self, modifier: 1, route: Self.toH1)
            #expect(getsAllowed)
            // Protect bits 0 show the key to anyone; 1 show it as 0.
            #expect(seen.mKey == (bits == 0 ? Self.key : 0))
            #expect(seen.mKeyProtectBits == bits)
        } catch {
            #expect(!getsAllowed && isRefused(error), "\(error)")
        }
        do {
            _ = try await setup.keyless.get(NodeInfo.self, route: Self.toH1)
            #expect(getsAllowed)
        } catch {
            #expect(!getsAllowed && isRefused(error), "\(error)")
        }
        // A Set without the key is always refused, silently, and changes nothing.
        await #expect(throws: SMPError.noResponse(attribute: .portInfo, target: .route(Self.toH1), attempts: 1)) { try await moveH1(setup.keyless) }
        #expect(try setup.info("h1", 1).lid == lidBefore)

        let refused = getsAllowed ? 1 : 3
        #expect(try setup.info("h1", 1).mKeyViolations == UInt16(refused))
        #expect(setup.transport.counters.refusedByMKey == refused)

        // With the key everything works, and the key reads as it is.
        #expect(try await setup.keyed.get(PortInfo.self, modifier: 1, route: Self.toH1).mKey == Self.key)
        try await moveH1(setup.keyed)
        #expect(try setup.info("h1", 1).lid == LID(99))
    }

    @Test func port0sKeyGuardsTheWholeSwitchAndOnlyThatSwitch() async throws {
        let setup = try setUp()
        try await protect(setup, route: .local, port: 0, with: MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 0))

        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: .local) }
        await #expect(throws: SMPError.self) { try await setup.keyless.get(PortInfo.self, modifier: 1, route: .local) }
        var ports = Array(repeating: LinearForwardingTableBlock.unrouted, count: 64)
        ports[5] = 3
        await #expect(throws: SMPError.self) { try await setup.keyless.set(LinearForwardingTableBlock(ports: ports), modifier: 0, route: .local) }
        #expect(setup.transport.fabric.forwardingEntry(node: setup.builder.index("sw1"), lid: LID(5)) == 255)
        #expect(try setup.info("sw1", 0).mKeyViolations == 3)

        // The switch's other ports hold no key of their own: M_Key fields written to them are not kept.
        var external = try await setup.keyed.get(PortInfo.self, modifier: 1, route: .local)
        external.apply(MKeyPolicy(key: 0xDEAD, protectBits: 3, leasePeriod: 7))
        external.state = .noChange
        external.physicalState = .noChange
        try await setup.keyed.set(external, modifier: 1, route: .local)
        #expect(try setup.info("sw1", 1).mKey == 0)
        #expect(try setup.info("sw1", 1).mKeyProtectBits == 0)

        // Nodes beyond it are guarded by their own keys (none here): forwarding checks no key.
        #expect(try await setup.keyless.get(NodeInfo.self, route: Self.toH1).portCount == 1)
        #expect(try await setup.keyless.get(NodeInfo.self, route: try DirectedRoute([3])).nodeType == .switch)
    }

    @Test func whenTheLeaseRunsOutTheProtectBitsFallToZero() async throws {
        let setup = try setUp()
        try await protect(setup, route: Self.toH1, port: 1, with: MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 10))
        // The first refusal starts the timer; later ones do not restart it.
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        setup.clock.advance(by: .seconds(9))
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        setup.clock.advance(by: .seconds(1))
        // Protect bits 0 now: Gets work and show the key; Sets still need it.
        let seen = try await setup.keyless.get(PortInfo.self, modifier: 1, route: Self.toH1)
        #expect(seen.mKeyProtectBits == 0)
        #expect(seen.mKey == Self.key)
        await #expect(throws: SMPError.self) { try await moveH1(setup.keyless) }
        #expect(try setup.info("h1", 1).mKeyViolations == 3)
    }

    @Test func anSMPWithTheKeyStopsTheLeaseTimer() async throws {
        let setup = try setUp()
        try await protect(setup, route: Self.toH1, port: 1, with: MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 10))
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        setup.clock.advance(by: .seconds(5))
        _ = try await setup.keyed.get(NodeInfo.self, route: Self.toH1)
        setup.clock.advance(by: .seconds(20))
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        #expect(try setup.info("h1", 1).mKeyProtectBits == 2)
    }

    @Test func aLeasePeriodOf0NeverRunsOut() async throws {
        let setup = try setUp()
        try await protect(setup, route: Self.toH1, port: 1, with: MKeyPolicy(key: Self.key, protectBits: 2, leasePeriod: 0))
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        setup.clock.advance(by: .seconds(86_400 * 365))
        await #expect(throws: SMPError.self) { try await setup.keyless.get(NodeInfo.self, route: Self.toH1) }
        #expect(try setup.info("h1", 1).mKeyProtectBits == 2)
    }

    @Test func theViolationsCounterSaturates() async throws {
        let setup = try setUp()
        try await protect(setup, route: Self.toH1, port: 1, with: MKeyPolicy(key: Self.key, protectBits: 1, leasePeriod: 0))
        // MKeyViolations is writable (with the key), which saves sending 65,535 bad SMPs.
        var info = try await setup.keyed.get(PortInfo.self, modifier: 1, route: Self.toH1)
        info.mKeyViolations = .max - 1
        info.state = .noChange
        try await setup.keyed.set(info, modifier: 1, route: Self.toH1)
        for _ in 0..<2 { await #expect(throws: SMPError.self) { try await moveH1(setup.keyless) } }
        #expect(try setup.info("h1", 1).mKeyViolations == .max)
    }
}
