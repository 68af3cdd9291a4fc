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
final class SMInfoResponder: Sendable {
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
        let standbyAgent = SMInfoResponder(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        let masterAgent = SMInfoResponder(master, info: Self.smInfo(guid: 0x11, priority: 5, state: .master))
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
        let standbyAgent = SMInfoResponder(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
        let masterAgent = SMInfoResponder(master, info: Self.smInfo(guid: 0x11, priority: 5, state: .master))
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
        let standbyAgent = SMInfoResponder(standby, info: Self.smInfo(guid: 0x22, priority: 3, state: .standby))
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
}

/// Configures `fabric` with one sweep from `transport`'s port (LIDs, tables, ACTIVE links, MasterSMLID).
func configure(_ fabric: SimulatedFabric, from transport: SimulatorTransport) async throws {
    let report = try await SubnetSweep(client: SMPClient(transport: transport)).runOnce()
    #expect(report.isHealthy)
}
