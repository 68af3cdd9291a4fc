import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import TestSupport
import Testing

/// The simulated switches and ports send traps as ibsim's do: one Trap 128 per switch whose port changed
/// state, one Trap 144 when a port's IsSM changes, LID-routed to the MasterSMLID, never repeated, lost
/// when the route is dead.
@Suite struct SimulatedTrapTests {
    /// `twoSwitchesTwoHosts()` configured by a sweep from the SM at sw1's port 0, which listens there.
    private func configuredFabric() async throws -> (SimulatedFabric, SimulatorTransport, FabricBuilder) {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let sm = SimulatorTransport(fabric: fabric, role: .subnetManager)
        try await configure(fabric, from: sm)
        return (fabric, sm, builder)
    }

    /// Closes `transport` and returns everything that arrived on its stream.
    private func everythingReceived(by transport: SimulatorTransport) async -> [InboundMAD] {
        await transport.close()
        var all: [InboundMAD] = []
        for await mad in transport.unsolicited { all.append(mad) }
        return all
    }

    private func lid(_ fabric: SimulatedFabric, _ builder: FabricBuilder, _ name: String, port: PortNumber = .management) throws -> LID {
        try #require(fabric.portInfo(PortAddress(node: builder.index(name), port: port))?.lid)
    }

    /// Checks that `mad` is a Trap 128 from the switch with `lid`, as ibsim builds it.
    private func expectTrap128(_ mad: InboundMAD, from lid: LID, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(mad.header.managementClass == 0x01, sourceLocation: sourceLocation)
        #expect(mad.header.method == MADMethod.trap.rawValue, sourceLocation: sourceLocation)
        #expect(mad.header.attributeID == AttributeID.notice.rawValue, sourceLocation: sourceLocation)
        #expect(mad.header.transactionID == 0, sourceLocation: sourceLocation)
        #expect(mad.source.lid == lid, sourceLocation: sourceLocation)
        let notice = try mad.smp().decode(Notice.self)
        #expect(notice.isGeneric && notice.type == 1 && notice.producerType == 2 && notice.trapNumber == 128, sourceLocation: sourceLocation)
        #expect(notice.issuerLID == lid && notice.dataLID == lid, sourceLocation: sourceLocation)
    }

    @Test func aSwitchSendsOneTrap128WhenItsLinkGoesDownAndOneWhenItComesBack() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        let sw2 = builder.index("sw2")
        let sw2LID = try lid(fabric, builder, "sw2")
        // Clear sw2's PortStateChange (written as 1), so that the link change is seen setting it.
        let client = SMPClient(transport: sm, options: SMPClientOptions(timeout: .milliseconds(100), retries: 0))
        var switchInfo = try await client.get(SwitchInfo.self, route: try DirectedRoute([3]))
        switchInfo.portStateChange = true
        try await client.set(switchInfo, route: try DirectedRoute([3]))
        #expect(try await client.get(SwitchInfo.self, route: try DirectedRoute([3])).portStateChange == false)

        fabric.setLink(PortAddress(node: sw2, port: 2), up: false)
        #expect(try await client.get(SwitchInfo.self, route: try DirectedRoute([3])).portStateChange == true)
        // Taking a link that is already down down again changes nothing and sends nothing.
        fabric.setLink(PortAddress(node: sw2, port: 2), up: false)
        fabric.setLink(PortAddress(node: sw2, port: 2), up: true)
        #expect(fabric.portInfo(PortAddress(node: sw2, port: 2))?.state == .initialize)
        let counters = fabric.inboundCounters

        let received = await everythingReceived(by: sm)
        // h2 is a CA: only sw2 sends, once per change, never again.
        #expect(received.count == 2)
        for trap in received { try expectTrap128(trap, from: sw2LID) }
        #expect(counters.trapsSent == 2 && counters.trapsDelivered == 2)
        // Closing the SM clears IsSM on its port: its own Trap 144 finds nobody listening.
        #expect(fabric.inboundCounters.trapsSent == 3 && fabric.inboundCounters.trapsLost == 1)
    }

    @Test func aTrapWhoseRouteIsTheDeadLinkIsLost() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        let sw1LID = try lid(fabric, builder, "sw1")
        // The inter-switch link: sw1 reports it (its SM is local); sw2's trap would have to cross it.
        fabric.setLink(PortAddress(node: builder.index("sw1"), port: 3), up: false)
        // Back up, the link is only INIT: LID-routed packets still do not cross it.
        fabric.setLink(PortAddress(node: builder.index("sw1"), port: 3), up: true)
        let counters = fabric.inboundCounters
        let received = await everythingReceived(by: sm)
        #expect(received.count == 2)
        for trap in received { try expectTrap128(trap, from: sw1LID) }
        #expect(counters.trapsSent == 4 && counters.trapsLost == 2)
    }

    @Test func trapsBeforeAnySMLIDIsSetAreNotSent() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let sm = SimulatorTransport(fabric: fabric, role: .subnetManager)
        fabric.setLink(PortAddress(node: builder.index("sw2"), port: 2), up: false)
        #expect(await everythingReceived(by: sm).isEmpty)
        // The SM's own Trap 144 at open and close, and sw2's Trap 128: no LID, no MasterSMLID.
        #expect(fabric.inboundCounters.trapsUnaddressed == 3 && fabric.inboundCounters.trapsSent == 0)
    }

    @Test func trapFaultsLoseOrRepeatTraps() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        let h2Link = PortAddress(node: builder.index("sw2"), port: 2)
        fabric.trapFaults = TrapFaults(dropNext: 1)
        fabric.setLink(h2Link, up: false)
        fabric.setLink(h2Link, up: true)
        #expect(fabric.trapFaults.dropNext == 0)
        fabric.trapFaults.duplicate = true
        fabric.setLink(h2Link, up: false)
        let counters = fabric.inboundCounters
        let received = await everythingReceived(by: sm)
        // The first trap lost, the second delivered once, the third twice.
        #expect(received.count == 3)
        #expect(counters.trapsSent == 3 && counters.trapsDroppedByFault == 1 && counters.trapsDuplicatedByFault == 1 && counters.trapsDelivered == 3)
    }

    @Test func aFlappingPortSendsATrapForEveryTransition() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        let sw2LID = try lid(fabric, builder, "sw2")
        await fabric.flapLink(PortAddress(node: builder.index("sw2"), port: 2), cycles: 3, period: .milliseconds(4))
        let received = await everythingReceived(by: sm)
        #expect(received.count == 6)
        for trap in received { try expectTrap128(trap, from: sw2LID) }
        #expect(fabric.portInfo(PortAddress(node: builder.index("h2"), port: 1))?.physicalState == .linkUp)
    }

    @Test func anSMPortSendsTrap144WhenItsIsSMChanges() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        let h1 = PortAddress(node: builder.index("h1"), port: 1)
        let h1LID = try lid(fabric, builder, "h1", port: 1)
        let standby = SimulatorTransport(fabric: fabric, attachment: h1, role: .subnetManager)
        await standby.close()
        let received = await everythingReceived(by: sm)
        #expect(received.count == 2)
        let notices = try received.map { try $0.smp().decode(Notice.self) }
        for (mad, notice) in zip(received, notices) {
            #expect(mad.header.method == MADMethod.trap.rawValue && mad.source.lid == h1LID)
            #expect(notice.trapNumber == 144 && notice.type == 4 && notice.producerType == 1)
            #expect(notice.issuerLID == h1LID && notice.trap144LID == h1LID)
        }
        #expect(notices.map { $0.trap144CapabilityMask & 0x2 } == [0x2, 0])
    }

    @Test func trapRepressIsAcceptedAndDropped() async throws {
        let (fabric, sm, builder) = try await configuredFabric()
        fabric.setLink(PortAddress(node: builder.index("sw2"), port: 2), up: false)
        var arrived = sm.unsolicited.makeAsyncIterator()
        let trap = try #require(await arrived.next())
        var repress = try trap.smp()
        repress.method = .trapRepress
        try await sm.post(repress.encoded(), to: trap.source)
        #expect(fabric.inboundCounters.trapRepresses == 1)
        await sm.close()
    }

    @Test func aTrapCrossesSeveralSwitchesToAnSMOnAHost() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let h1 = PortAddress(node: builder.index("h1"), port: 1)
        let sm = SimulatorTransport(fabric: fabric, attachment: h1, role: .subnetManager)
        try await configure(fabric, from: sm)
        #expect(fabric.portInfo(PortAddress(node: builder.index("sw2"), port: .management))?.masterSMLID == fabric.portInfo(h1)?.lid)
        // sw2 -> sw1 -> h1 through the tables the sweep wrote.
        fabric.setLink(PortAddress(node: builder.index("sw2"), port: 2), up: false)
        let received = await everythingReceived(by: sm)
        #expect(received.count == 1)
        try expectTrap128(try #require(received.first), from: try lid(fabric, builder, "sw2"))
    }
}
