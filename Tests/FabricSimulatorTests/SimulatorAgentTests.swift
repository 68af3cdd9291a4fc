import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import TestSupport
import Testing

/// The simulated agents follow the rules real ones (and ibsim) follow.
@Suite struct SimulatorAgentTests {
    /// The fabric of `twoSwitchesTwoHosts()`.
    private func makeClient() throws -> (SMPClient, SimulatorTransport, FabricBuilder) {
        let builder = twoSwitchesTwoHosts()
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric))
        return (SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(5), retries: 0)), transport, builder)
    }

    @Test func directedRouteReachesEachHopAndFillsTheReturnPath() async throws {
        let (client, _, builder) = try makeClient()
        let response = try await client.send(.get(.nodeInfo, route: try DirectedRoute([3, 2])))
        let info = response.decode(NodeInfo.self)
        #expect(info.nodeGUID == builder.fabric[builder.index("h2")].guid)
        #expect(info.localPortNumber == 1)
        guard case .directed(let header) = response.addressing else { Issue.record("not directed"); return }
        #expect(header.isReturning)
        #expect(header.returnPath[1] == 1 && header.returnPath[2] == 1)
    }

    @Test func routesThroughAbsentPortsOrThroughCAsFail() async throws {
        let (client, transport, _) = try makeClient()
        await #expect(throws: SMPError.self) { try await client.send(.get(.nodeInfo, route: try DirectedRoute([5]))) }
        await #expect(throws: SMPError.self) { try await client.send(.get(.nodeInfo, route: try DirectedRoute([1, 1]))) }
        #expect(transport.counters.undeliverable == 2)
    }

    @Test func unsupportedAttributesAndBadModifiersGetStatuses() async throws {
        let (client, _, _) = try makeClient()
        let route = try DirectedRoute([1])
        await #expect(throws: SMPError.status(.methodAttributeNotSupported, attribute: .switchInfo, target: .route(route))) {
            try await client.send(.get(.switchInfo, route: route))
        }
        await #expect(throws: SMPError.status(.invalidAttributeValue, attribute: .portInfo, target: .route(.local))) {
            try await client.send(.get(.portInfo, modifier: 9, route: .local))
        }
        await #expect(throws: SMPError.status(.methodAttributeNotSupported, attribute: .nodeInfo, target: .route(.local))) {
            try await client.send(.set(NodeInfo(), route: .local))
        }
    }

    @Test func portStateMachineFollowsIbsimRules() async throws {
        let (client, _, _) = try makeClient()
        let toH1 = try DirectedRoute([1])
        var request = PortInfo()
        // ACTIVE straight from INIT is refused.
        request.state = .active
        await #expect(throws: SMPError.self) { try await client.set(request, modifier: 1, route: toH1) }
        // Arm the host end, then try to activate before the switch end is armed: refused.
        request.state = .armed
        try await client.set(request, modifier: 1, route: toH1)
        request.state = .armed
        await #expect(throws: SMPError.self) { try await client.set(request, modifier: 1, route: toH1) }
        request.state = .active
        await #expect(throws: SMPError.self) { try await client.set(request, modifier: 1, route: toH1) }
        // Arm the switch end; now both can go ACTIVE.
        request.state = .armed
        try await client.set(request, modifier: 1, route: .local)
        request.state = .active
        let host = try await client.set(request, modifier: 1, route: toH1)
        let switchPort = try await client.set(request, modifier: 1, route: .local)
        #expect(host.state == .active && switchPort.state == .active)
        // Any state on switch port 0 is refused, but its LID is stored anyway.
        request.state = .armed
        request.lid = LID(5)
        await #expect(throws: SMPError.self) { try await client.set(request, modifier: 0, route: .local) }
        #expect(try await client.get(PortInfo.self, modifier: 0, route: .local).lid == LID(5))
    }

    @Test func forwardingTablesRouteLIDRoutedSMPsOverActivePortsOnly() async throws {
        let (client, transport, builder) = try makeClient()
        // Give sw1 LID 1, h1 LID 2; route LID 2 out of sw1 port 1.
        var port = PortInfo()
        port.lid = LID(1)
        try await client.set(port, modifier: 0, route: .local)
        port.lid = LID(2)
        try await client.set(port, modifier: 1, route: try DirectedRoute([1]))
        var switchInfo = try await client.get(SwitchInfo.self, route: .local)
        switchInfo.linearFDBTop = LID(63)
        try await client.set(switchInfo, route: .local)
        var ports = Array(repeating: LinearForwardingTableBlock.unrouted, count: 64)
        ports[1] = 0
        ports[2] = 1
        try await client.set(LinearForwardingTableBlock(ports: ports), modifier: 0, route: .local)
        #expect(try await client.get(LinearForwardingTableBlock.self, modifier: 0, route: .local).ports == ports)
        #expect(transport.fabric.forwardingEntry(node: builder.index("sw1"), lid: LID(2)) == 1)

        // The link is only in INIT: a LID-routed Get to h1 is dropped.
        await #expect(throws: SMPError.self) { try await client.send(.get(.nodeInfo, lid: LID(2))) }
        // Bring the link up and it gets through. (A Set writes the whole PortInfo: read, change, write.)
        for target in [PortState.armed, .active] {
            for route in [try DirectedRoute([1]), .local] {
                var state = try await client.get(PortInfo.self, modifier: 1, route: route)
                state.state = target
                try await client.set(state, modifier: 1, route: route)
            }
        }
        let info = try await client.send(.get(.nodeInfo, lid: LID(2))).decode(NodeInfo.self)
        #expect(info.nodeGUID == builder.fabric[builder.index("h1")].guid)
        // Never write past LinearFDBCap.
        await #expect(throws: SMPError.self) {
            try await client.set(LinearForwardingTableBlock(ports: ports), modifier: UInt32(30720 / 64), route: .local)
        }
    }

    @Test func linksCanGoDownAndComeBack() async throws {
        let (client, transport, builder) = try makeClient()
        let sw1port3 = PortAddress(node: builder.index("sw1"), port: 3)
        transport.fabric.setLink(sw1port3, up: false)
        await #expect(throws: SMPError.self) { try await client.send(.get(.nodeInfo, route: try DirectedRoute([3]))) }
        #expect(try await client.get(PortInfo.self, modifier: 3, route: .local).physicalState == .polling)
        transport.fabric.setLink(sw1port3, up: true)
        #expect(try await client.get(NodeInfo.self, route: try DirectedRoute([3])).localPortNumber == 1)
    }

    @Test func busyAgentsDropWhatOverflowsTheirBuffer() async throws {
        let (_, _, builder) = try makeClient()
        let transport = SimulatorTransport(fabric: try SimulatedFabric(builder.fabric),
                                           options: SimulatorOptions(serviceTime: .milliseconds(200), vl15Depth: 2))
        // Ten at once to one agent with no per-node window: most are dropped. The service time is long enough
        // that all ten arrive while the first is served, even on a loaded machine (2 ms let a third one in).
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 10, maxPerDestination: 10, timeout: .milliseconds(600), retries: 0))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { _ = try? await client.send(.get(.nodeInfo, route: .local)) } }
        }
        #expect(transport.counters.overflowed == 8)
        #expect(transport.counters.answered == 2)
    }
}
