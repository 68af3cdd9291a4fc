import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import SubnetManager
import Synchronization
import TestSupport
import Testing

/// An SM's SMInfo agent in a test: answers every SMInfo Get or Set that arrives with `info`, and
/// records the requests (method, modifier, source) it saw.
final class SMInfoAgent: Sendable {
    typealias Seen = (method: MADMethod, modifier: UInt32, source: MADAddress, smp: SMP)
    final class Log: Sendable { let entries = Mutex<[Seen]>([]) }
    let log = Log()
    let task: Task<Void, Never>

    init(_ transport: SimulatorTransport, info: SMInfo) {
        let log = self.log
        task = Task {
            for await mad in transport.unsolicited where mad.header.attributeID == AttributeID.smInfo.rawValue {
                guard var smp = try? mad.smp() else { continue }
                log.entries.withLock { $0.append((smp.method, smp.attributeModifier, mad.source, smp)) }
                smp.method = .getResponse
                smp.payload = SMPBytes(info.bytes)
                if case .directed(var header) = smp.addressing {
                    header.isReturning = true
                    smp.addressing = .directed(header)
                }
                try? await transport.post(smp.encoded(), to: mad.source)
            }
        }
    }

    var requests: [Seen] { log.entries.withLock { $0 } }
}

/// Several SMs on one simulated fabric, each a transport at its own port, exchange SMInfo as they do
/// under ibsim: requests reach the listener's stream, its answers come back to the requester.
@Suite struct SeveralSubnetManagersTests {
    private static func smInfo(guid: UInt64, priority: UInt8, state: SMState) -> SMInfo {
        var info = SMInfo()
        info.guid = GUID(guid)
        info.priority = priority
        info.state = state
        info.smKey = 1
        return info
    }

    private let client = SMPClientOptions(timeout: .milliseconds(100), retries: 0)

    @Test func twoSMsExchangeSMInfoByDirectedRoute() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let h2 = PortAddress(node: builder.index("h2"), port: 1)
        let master = SimulatorTransport(fabric: fabric, role: .subnetManager)
        let standby = SimulatorTransport(fabric: fabric, attachment: h2, role: .subnetManager)
        #expect(master.attachment == fabric.attachment && standby.attachment == h2)
        let standbyAgent = SMInfoAgent(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        let masterAgent = SMInfoAgent(master, info: Self.smInfo(guid: 0x11, priority: 5, state: .master))
        defer { standbyAgent.task.cancel(); masterAgent.task.cancel() }

        // The master polls the standby: sw1 port 3, sw2 port 2.
        let toH2 = try DirectedRoute([3, 2])
        let fromMaster = SMPClient(transport: master, options: client)
        let polled = try await fromMaster.get(SMInfo.self, route: toH2)
        #expect(polled.guid == GUID(0x22) && polled.state == .standby && polled.priority == 3)
        let request = try #require(standbyAgent.requests.first)
        #expect(request.method == .get && request.source.lid == .permissive)
        guard case .directed(let header) = request.smp.addressing else { Issue.record("not directed"); return }
        #expect(header.returnPath[1] == 1 && header.returnPath[2] == 1)

        // HANDOVER from the master, ACKNOWLEDGE back from the standby: both are Sets that each side answers.
        var handover = Self.smInfo(guid: 0x11, priority: 5, state: .master)
        _ = try await fromMaster.send(.set(handover, modifier: SMInfoControl.handover.rawValue, route: toH2))
        #expect(standbyAgent.requests.last?.method == .set && standbyAgent.requests.last?.modifier == SMInfoControl.handover.rawValue)

        let fromStandby = SMPClient(transport: standby, options: client)
        handover.state = .standby
        let acknowledged = try await fromStandby.send(.set(handover, modifier: SMInfoControl.acknowledge.rawValue, route: try DirectedRoute([1, 1])))
        #expect(acknowledged.decode(SMInfo.self).guid == GUID(0x11))
        #expect(masterAgent.requests.last?.modifier == SMInfoControl.acknowledge.rawValue)
        #expect(fabric.inboundCounters.answersDelivered == 3)
    }

    @Test func twoSMsExchangeSMInfoByLID() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let master = SimulatorTransport(fabric: fabric, role: .subnetManager)
        try await configure(fabric, from: master)
        let h2 = PortAddress(node: builder.index("h2"), port: 1)
        let standby = SimulatorTransport(fabric: fabric, attachment: h2, role: .subnetManager)
        let standbyAgent = SMInfoAgent(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        let masterAgent = SMInfoAgent(master, info: Self.smInfo(guid: 0x11, priority: 5, state: .master))
        defer { standbyAgent.task.cancel(); masterAgent.task.cancel() }
        let masterLID = try #require(fabric.portInfo(fabric.attachment)?.lid)
        let standbyLID = try #require(fabric.portInfo(h2)?.lid)

        let polled = try await SMPClient(transport: master, options: client).send(.get(.smInfo, lid: standbyLID))
        #expect(polled.decode(SMInfo.self).guid == GUID(0x22))
        #expect(polled.addressing == .lidRouted(standbyLID))
        #expect(standbyAgent.requests.first?.source.lid == masterLID)

        let fromStandby = SMPClient(transport: standby, options: client)
        _ = try await fromStandby.send(.set(Self.smInfo(guid: 0x22, priority: 3, state: .standby), modifier: SMInfoControl.acknowledge.rawValue, lid: masterLID))
        #expect(masterAgent.requests.first?.source.lid == standbyLID)
        #expect(masterAgent.requests.first?.modifier == SMInfoControl.acknowledge.rawValue)
    }

    @Test func isSMIsSetWhileAnSMTransportIsOpen() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let h1 = PortAddress(node: builder.index("h1"), port: 1)
        #expect(fabric.portInfo(h1)?.isSubnetManager == false)
        let sm = SimulatorTransport(fabric: fabric, attachment: h1, role: .subnetManager)
        #expect(fabric.portInfo(h1)?.isSubnetManager == true)
        // A plain transport (a diag tool) leaves the capability alone.
        let plain = SimulatorTransport(fabric: fabric, attachment: PortAddress(node: builder.index("h2"), port: 1))
        #expect(fabric.portInfo(PortAddress(node: builder.index("h2"), port: 1))?.isSubnetManager == false)
        await sm.close()
        #expect(fabric.portInfo(h1)?.isSubnetManager == false)
        await plain.close()
    }

    @Test func smInfoToAPortWithNoSMBouncesAtOnce() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let transport = SimulatorTransport(fabric: fabric, role: .subnetManager)
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: TransportError.timeout) {
            _ = try await transport.exchange(.get(.smInfo, route: try DirectedRoute([1])), timeout: .seconds(5))
        }
        #expect(clock.now - started < .seconds(1))
        #expect(transport.counters.bounced == 1)

        // An SM that closed is gone too.
        let h1 = PortAddress(node: builder.index("h1"), port: 1)
        let closed = SimulatorTransport(fabric: fabric, attachment: h1, role: .subnetManager)
        await closed.close()
        await #expect(throws: TransportError.timeout) {
            _ = try await transport.exchange(.get(.smInfo, route: try DirectedRoute([1])), timeout: .seconds(5))
        }
        #expect(clock.now - started < .seconds(1))
        #expect(transport.counters.bounced == 2)
    }

    @Test func aListenerThatDoesNotAnswerLetsTheRequesterTimeOut() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let transport = SimulatorTransport(fabric: fabric, role: .subnetManager)
        let silent = SimulatorTransport(fabric: fabric, attachment: PortAddress(node: builder.index("h1"), port: 1), role: .subnetManager)
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: TransportError.timeout) {
            _ = try await transport.exchange(.get(.smInfo, route: try DirectedRoute([1])), timeout: .milliseconds(50))
        }
        #expect(clock.now - started >= .milliseconds(50))
        var arrived = silent.unsolicited.makeAsyncIterator()
        let request = try #require(await arrived.next())
        #expect(request.header.attributeID == AttributeID.smInfo.rawValue && request.header.method == MADMethod.get.rawValue)
        // Its late answer finds nobody waiting and is dropped.
        var late = try request.smp()
        late.method = .getResponse
        try await silent.post(late.encoded(), to: request.source)
        #expect(fabric.inboundCounters.answersDropped == 1)
    }

    @Test func aStaticSMStillAnswersAsAnAgent() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let h1 = PortAddress(node: builder.index("h1"), port: 1)
        fabric.runSubnetManager(at: h1, info: Self.smInfo(guid: 0x33, priority: 7, state: .master))
        let transport = SimulatorTransport(fabric: fabric)
        let info = try await SMPClient(transport: transport, options: client).get(SMInfo.self, route: try DirectedRoute([1]))
        #expect(info.guid == GUID(0x33) && info.priority == 7)
    }

    @Test func smTransportsShareTheAgentsOfARealSwitchModel() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let timing = SimulatorOptions(serviceTime: .microseconds(255), vl15Depth: 4)
        let master = SimulatorTransport(fabric: fabric, options: timing, role: .subnetManager)
        let standby = SimulatorTransport(fabric: fabric, options: timing, attachment: PortAddress(node: builder.index("h2"), port: 1),
                                         role: .subnetManager)
        let standbyAgent = SMInfoAgent(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        defer { standbyAgent.task.cancel() }
        // Both sweep-like SMPs and SMInfo work with the service time, from either port.
        let fromMaster = SMPClient(transport: master, options: client)
        let fromStandby = SMPClient(transport: standby, options: client)
        #expect(try await fromMaster.get(NodeInfo.self, route: try DirectedRoute([3, 2])).nodeGUID == builder.fabric[builder.index("h2")].guid)
        #expect(try await fromStandby.get(NodeInfo.self, route: try DirectedRoute([1, 1])).nodeType == .switch)
        #expect(try await fromMaster.get(SMInfo.self, route: try DirectedRoute([3, 2])).guid == GUID(0x22))
        await standby.close()
        // The agents keep serving the master after the standby left.
        #expect(try await fromMaster.get(NodeInfo.self, route: try DirectedRoute([3])).nodeType == .switch)
        await master.close()
    }

    @Test func anAnswerWhoseWayBackDiedIsLostAndTheRequesterTimesOut() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let master = SimulatorTransport(fabric: fabric, role: .subnetManager)
        let standby = SimulatorTransport(fabric: fabric, attachment: PortAddress(node: builder.index("h2"), port: 1), role: .subnetManager)
        let asking = Task { try await master.exchange(.get(.smInfo, route: try DirectedRoute([3, 2])), timeout: .milliseconds(200)) }
        var arrived = standby.unsolicited.makeAsyncIterator()
        let request = try #require(await arrived.next())
        // The inter-switch link dies before the standby answers.
        fabric.setLink(PortAddress(node: builder.index("sw1"), port: 3), up: false)
        var answer = try request.smp()
        answer.method = .getResponse
        if case .directed(var header) = answer.addressing { header.isReturning = true; answer.addressing = .directed(header) }
        try await standby.post(answer.encoded(), to: request.source)
        await #expect(throws: TransportError.timeout) { _ = try await asking.value }
        #expect(fabric.inboundCounters.answersDropped == 1 && fabric.inboundCounters.answersDelivered == 0)
    }

    @Test func closingARequesterFailsItsWaitingExchange() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let master = SimulatorTransport(fabric: fabric)
        let silent = SimulatorTransport(fabric: fabric, attachment: PortAddress(node: builder.index("h1"), port: 1), role: .subnetManager)
        let asking = Task { try await master.exchange(.get(.smInfo, route: try DirectedRoute([1])), timeout: .seconds(10)) }
        var arrived = silent.unsolicited.makeAsyncIterator()
        _ = try #require(await arrived.next())
        await master.close()
        await #expect(throws: TransportError.closed) { _ = try await asking.value }
        await #expect(throws: TransportError.closed) { _ = try await master.exchange(.get(.nodeInfo, route: .local), timeout: .seconds(1)) }
    }

    @Test func saRequestsReachAnSATransportAndItsAnswerComesBack() async throws {
        let builder = twoSwitchesTwoHosts()
        let fabric = try SimulatedFabric(builder.fabric)
        let sm = SimulatorTransport(fabric: fabric, role: [.subnetManager, .subnetAdministration])
        try await configure(fabric, from: sm)
        let smLID = try #require(fabric.portInfo(fabric.attachment)?.lid)
        let h2 = PortAddress(node: builder.index("h2"), port: 1)
        let h2LID = try #require(fabric.portInfo(h2)?.lid)
        let host = SimulatorTransport(fabric: fabric, attachment: h2)
        // A minimal SA Get (class 0x03, version 2), answered with the request turned into a GetResp.
        var query = [UInt8](repeating: 0, count: 256)
        query[0] = 1; query[1] = 0x03; query[2] = 2; query[3] = 0x01
        query[12] = 0x12; query[13] = 0x34; query[14] = 0x56; query[15] = 0x78
        query[16] = 0x00; query[17] = 0x11 // NodeRecord
        let server = Task { () -> MADAddress? in
            for await mad in sm.unsolicited where mad.header.managementClass == 0x03 {
                var answer = mad.bytes
                answer[3] = 0x81
                try? await sm.post(answer, to: mad.source)
                return mad.source
            }
            return nil
        }
        let answer = try await host.exchangeMAD(query, to: .generalServices(smLID), timeout: .milliseconds(500))
        #expect(answer.header.method == 0x81 && answer.header.transactionID == 0x1234_5678 && answer.source.lid == smLID)
        let source = await server.value
        #expect(source?.lid == h2LID && source?.queuePair == 1)
        // Nobody serves SA at the host: bounced at once.
        await #expect(throws: TransportError.timeout) { _ = try await sm.exchangeMAD(query, to: .generalServices(h2LID), timeout: .seconds(5)) }
        #expect(sm.counters.bounced == 1)
    }

    /// The simulator side of a failover with the real-switch model: the master configures the fabric and
    /// answers the standby's polls; it dies (its port closes), the standby's next poll bounces at once; the
    /// standby sweeps, every port now names it as MasterSMLID, and the next trap reaches it.
    @Test func failoverOnTheRealSwitchModel() async throws {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let fabric = try SimulatedFabric(model)
        let hostPort = { (name: String) throws -> PortAddress in
            PortAddress(node: try #require(model.nodes.firstIndex { $0.description == name }), port: 1)
        }
        let timing = SimulatorOptions(serviceTime: .microseconds(255), vl15Depth: 4)
        let master = SimulatorTransport(fabric: fabric, options: timing, attachment: try hostPort("host-0"), role: .subnetManager)
        let standby = SimulatorTransport(fabric: fabric, options: timing, attachment: try hostPort("host-3"), role: .subnetManager)
        let masterAgent = SMInfoAgent(master, info: Self.smInfo(guid: 0x11, priority: 5, state: .master))
        defer { masterAgent.task.cancel() }
        let standbyAgent = SMInfoAgent(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        let fromMaster = SMPClient(transport: master, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(100)))
        // The master meets the standby while sweeping (it advertises IsSM) and outranks it.
        let first = try await SubnetSweep(client: fromMaster, options: SweepOptions(priority: 5)).runOnce()
        #expect(first.isHealthy)
        #expect(standbyAgent.requests.contains { $0.method == .get })
        standbyAgent.task.cancel()
        let masterLID = try #require(fabric.portInfo(master.attachment)?.lid)
        let fromStandby = SMPClient(transport: standby, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(100), retries: 0))
        #expect(try await fromStandby.send(.get(.smInfo, lid: masterLID)).decode(SMInfo.self).state == .master)

        await master.close()
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: SMPError.self) { _ = try await fromStandby.send(.get(.smInfo, lid: masterLID)) }
        #expect(clock.now - started < .milliseconds(100))

        let second = try await SubnetSweep(client: SMPClient(transport: standby, options: SMPClientOptions(maxOutstanding: 64)),
                                           options: SweepOptions(priority: 3)).runOnce()
        #expect(second.isHealthy)
        let standbyLID = try #require(fabric.portInfo(standby.attachment)?.lid)
        for index in model.nodes.indices {
            let port = PortAddress(node: index, port: model[index].type == .switch ? .management : 1)
            #expect(fabric.portInfo(port)?.masterSMLID == standbyLID)
        }
        let leaf = try #require(model.nodes.firstIndex { $0.type == .switch })
        let linked = try #require(model[leaf].knownPorts.first { $0.remote != nil && $0.number != 0 })
        let before = fabric.inboundCounters.trapsDelivered
        fabric.setLink(PortAddress(node: leaf, port: linked.number), up: false)
        #expect(fabric.inboundCounters.trapsDelivered > before)
        await standby.close()
    }
}

/// Configures `fabric` with one sweep from `transport`'s port (LIDs, tables, ACTIVE links, MasterSMLID).
func configure(_ fabric: SimulatedFabric, from transport: SimulatorTransport) async throws {
    let report = try await SubnetSweep(client: SMPClient(transport: transport)).runOnce()
    #expect(report.isHealthy)
}
