import FabricModel
import FabricSimulator
import Foundation
import IBTransport
import IBWire
import SubnetManager
import Testing

/// The SA of the running SM on the simulator: only the MASTER answers, a handover moves the SA with it,
/// and a new master asks the hosts to register again.
@Suite(.serialized) struct DaemonSubnetAdministrationTests {
    /// An SM whose port serves SA requests too (what `swiftsm run` opens).
    final class SMWithSA: Sendable {
        let transport: SimulatorTransport
        let daemon: SubnetManagerDaemon
        let task: Task<Void, Never>

        init(_ fabric: SimulatedFabric, at port: PortAddress? = nil, priority: UInt8) {
            transport = SimulatorTransport(fabric: fabric, attachment: port, role: [.subnetManager, .subnetAdministration])
            let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(500), retries: 2),
                                   runnerExecutors: transport.eventLoops)
            daemon = SubnetManagerDaemon(client: client, options: DaemonOptions(
                sweep: SweepOptions(priority: priority), sweepInterval: .seconds(60), pollInterval: .milliseconds(100), pollRetries: 2,
                handoverTimeout: .seconds(2)))
            let daemon = self.daemon
            task = Task { await daemon.run() }
        }

        func wait(_ seconds: Double = 180, until condition: (DaemonStatus) -> Bool) async -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(daemon.status) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return condition(daemon.status)
        }

        func kill() async {
            task.cancel()
            await transport.close()
            await task.value
        }
    }

    /// Waits up to `seconds` for `condition` (the SA's work follows a pass's status by a moment).
    static func eventually(_ seconds: Double = 120, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static func upAsMaster(_ status: DaemonStatus) -> Bool {
        status.own.state == .master && (status.lastSweep?.healthy ?? false) && (status.sweeps[.heavy] ?? 0) >= 1
    }

    /// A ClassPortInfo Get from `client` to the SA at `lid`: the answer's status, or nil with no answer.
    static func classPortInfo(_ client: SimulatorTransport, at lid: LID) async -> MADStatus? {
        let request = SAMAD(method: .get, attribute: .classPortInfo, transactionID: TransactionIDs.next())
        guard let answer = try? await client.exchangeMAD(request.encoded(), to: .generalServices(lid), timeout: .milliseconds(300)),
              let response = try? SAMAD(decoding: answer.bytes) else { return nil }
        return response.status
    }

    @Test func onlyTheMasterAnswersAndTheSAMovesWithAHandover() async throws {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let fabric = try SimulatedFabric(model)
        let host = { (name: String) in PortAddress(node: model.nodes.firstIndex { $0.description == name }!, port: PortNumber(1)) }
        let low = SMWithSA(fabric, at: host("host-0"), priority: 1)
        #expect(await low.wait(until: Self.upAsMaster))
        let client = SimulatorTransport(fabric: fabric, attachment: host("host-3"))
        let lowLID = try #require(low.daemon.status.lid)
        #expect(await Self.classPortInfo(client, at: lowLID) == .ok)

        // A PathRecord between two hosts, by LID, names both.
        let source = try #require(fabric.portInfo(host("host-3"))?.lid), destination = try #require(fabric.portInfo(host("host-6"))?.lid)
        var query = PathRecord()
        query.slid = source
        query.dlid = destination
        query.numbPath = 1
        // ComponentMask: DLID (bit 4), SLID (bit 5).
        let pathRequest = SAMAD(method: .get, attribute: .pathRecord, transactionID: TransactionIDs.next(),
                                componentMask: 1 << 4 | 1 << 5, data: query.bytes)
        let pathAnswer = try await client.exchangeMAD(pathRequest.encoded(), to: .generalServices(lowLID), timeout: .seconds(1))
        let path = try SAMAD(decoding: pathAnswer.bytes)
        #expect(path.status == .ok && PathRecord(data: path.data).dlid == destination && PathRecord(data: path.data).slid == source)

        // A higher SM arrives: it gets the subnet by handover; the old master goes STANDBY and its SA falls silent.
        let high = SMWithSA(fabric, at: host("host-5"), priority: 9)
        #expect(await high.wait(until: Self.upAsMaster))
        #expect(await low.wait { $0.own.state == .standby })
        let highLID = try #require(high.daemon.status.lid)
        #expect(await Self.classPortInfo(client, at: highLID) == .ok)
        #expect(await Self.classPortInfo(client, at: lowLID) == nil, "a STANDBY SM's SA answers nothing")
        #expect(low.daemon.subnetAdministration.statistics.droppedNotMaster >= 1)
        await high.kill()
        await low.kill()
        await client.close()
    }

    @Test func aNewMasterAsksEveryCAPortThatCanToRegisterAgain() async throws {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let fabric = try SimulatedFabric(model)
        let hosts = model.channelAdapters.map { PortAddress(node: $0, port: PortNumber(1)) }
        // Every host but host-7 advertises IsClientReregistrationSupported.
        let unable = PortAddress(node: model.nodes.firstIndex { $0.description == "host-7" }!, port: PortNumber(1))
        for port in hosts where port != unable { fabric.setCapabilityMask(port) { $0 |= 1 << 25 } }
        let first = SMWithSA(fabric, at: hosts[0], priority: 5)
        #expect(await first.wait(until: Self.upAsMaster))
        #expect(await Self.eventually { hosts.allSatisfy { fabric.portInfo($0)?.clientReregister == ($0 != unable) } },
                "\(hosts.map { fabric.portInfo($0)?.clientReregister ?? false })")
        // The hosts registered again; later passes of the same master do not ask again.
        for port in hosts { fabric.acknowledgeClientReregistration(port) }
        first.daemon.requestHeavySweep()
        #expect(await first.wait { ($0.sweeps[.heavy] ?? 0) >= 2 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(hosts.allSatisfy { fabric.portInfo($0)?.clientReregister == false })

        // The master dies; a STANDBY takes over and asks again.
        let second = SMWithSA(fabric, at: hosts[2], priority: 1)
        #expect(await second.wait { $0.own.state == .standby })
        await first.kill()
        #expect(await second.wait(until: Self.upAsMaster))
        #expect(await Self.eventually { fabric.portInfo(hosts[4])?.clientReregister == true })
        await second.kill()
    }
}
