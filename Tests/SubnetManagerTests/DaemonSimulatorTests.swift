import FabricModel
import FabricSimulator
import Foundation
import IBTransport
import IBWire
import SubnetManager
import Testing

/// A running SM on the simulator.
final class RunningSM: Sendable {
    let transport: SimulatorTransport
    let daemon: SubnetManagerDaemon
    let task: Task<Void, Never>

    init(_ fabric: SimulatedFabric, at port: PortAddress? = nil, priority: UInt8, sweepInterval: Duration? = .seconds(60),
         simulator: SimulatorOptions = SimulatorOptions(), flapLimit: Int = 4) {
        transport = SimulatorTransport(fabric: fabric, options: simulator, attachment: port, role: .subnetManager)
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(500), retries: 2),
                               runnerExecutors: transport.eventLoops)
        let options = DaemonOptions(sweep: SweepOptions(priority: priority), sweepInterval: sweepInterval, pollInterval: .milliseconds(100),
                                    pollRetries: 2, handoverTimeout: .seconds(2), flapLimit: flapLimit)
        let daemon = SubnetManagerDaemon(client: client, options: options)
        self.daemon = daemon
        task = Task { await daemon.run() }
    }

    var status: DaemonStatus { daemon.status }

    /// The SM dies: its loop stops and its port closes (IsSM clears, polls of it bounce).
    func kill() async {
        task.cancel()
        await transport.close()
        await task.value
    }

    /// Waits up to `seconds` for `condition` on the status.
    @discardableResult
    /// (Generous: the whole suite runs in parallel on two cores, and other suites' blocking waits can hold
    /// both cooperative threads, where the daemon's loop runs, for a minute: a CI run saw 60 s run out before
    /// a 28-node fabric's first pass.)
    func wait(_ seconds: Double = 180, until condition: (DaemonStatus) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(status) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(status)
    }
}

/// `SubnetManagerDaemon` on the simulator: election, handover, failover, traps lost and repeated, flapping.
@Suite(.serialized) struct DaemonSimulatorTests {
    static func fatTree(radix: Int = 4) throws -> (Fabric, SimulatedFabric) {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: radix))
        return (model, try SimulatedFabric(model))
    }

    static func host(_ model: Fabric, _ name: String) -> PortAddress {
        PortAddress(node: model.nodes.firstIndex { $0.description == name }!, port: PortNumber(1))
    }

    static func upAsMaster(_ status: DaemonStatus) -> Bool {
        status.own.state == .master && (status.lastSweep?.healthy ?? false) && (status.sweeps[.heavy] ?? 0) >= 1
    }

    @Test func aLoneSMBecomesMasterAndBringsEveryPortUp() async throws {
        let (model, fabric) = try Self.fatTree()
        let sm = RunningSM(fabric, priority: 3)
        #expect(await sm.wait(until: Self.upAsMaster))
        #expect(sm.status.activePorts.map { $0.active == $0.planned && $0.planned == 2 * model.links.count } == true)
        #expect(sm.status.lid != nil)
        await sm.kill()
    }

    @Test func aHigherSMStartedLaterGetsTheSubnetByHandoverAndTheOtherFollowsIt() async throws {
        let (model, fabric) = try Self.fatTree()
        let low = RunningSM(fabric, priority: 1)
        #expect(await low.wait(until: Self.upAsMaster))
        let high = RunningSM(fabric, at: Self.host(model, "host-5"), priority: 9)
        #expect(await high.wait(until: Self.upAsMaster), "\(high.status.own.state)")
        #expect(await low.wait { $0.own.state == .standby && $0.master?.guid == high.status.own.guid })
        // Every port now names the new master.
        #expect(high.status.lid != nil && fabric.portInfo(Self.host(model, "host-2"))?.masterSMLID == high.status.lid)
        await high.kill()
        await low.kill()
    }

    @Test func theStandbyTakesOverWhenTheMasterDiesKeepingEveryLID() async throws {
        let (model, fabric) = try Self.fatTree()
        let master = RunningSM(fabric, priority: 9)
        #expect(await master.wait(until: Self.upAsMaster))
        let standby = RunningSM(fabric, at: Self.host(model, "host-6"), priority: 1)
        #expect(await standby.wait { $0.own.state == .standby })
        let hosts = model.channelAdapters.map { PortAddress(node: $0, port: PortNumber(1)) }
        let before = hosts.map { fabric.portInfo($0)?.lid }
        await master.kill()
        #expect(await standby.wait(until: Self.upAsMaster))
        #expect(hosts.map { fabric.portInfo($0)?.lid } == before)
        #expect(standby.status.lastBlockSets[.heavy] == 0, "a takeover rewrites no LFT block that is already right")
        #expect(fabric.portInfo(hosts[3])?.masterSMLID == standby.status.lid)
        await standby.kill()
    }

    @Test func aLinkFailureIsReroutedFromItsTrapWithoutAHeavyPass() async throws {
        let (model, fabric) = try Self.fatTree()
        let sm = RunningSM(fabric, priority: 1)
        #expect(await sm.wait(until: Self.upAsMaster))
        let heavy = sm.status.sweeps[.heavy] ?? 0
        let leaf = model.nodes.firstIndex { $0.description == "leaf-2" }!
        let uplink = PortAddress(node: leaf, port: PortNumber(3))
        fabric.setLink(uplink, up: false)
        #expect(await sm.wait { ($0.sweeps[.reroute] ?? 0) >= 1 && ($0.lastSweep?.healthy ?? false) })
        #expect(sm.status.sweeps[.heavy] ?? 0 == heavy, "the trap's re-route did it")
        #expect((sm.status.lastBlockSets[.reroute] ?? 0) > 0)
        // No LID is routed into the dead port any more.
        for lid in 1...20 { #expect(fabric.forwardingEntry(node: leaf, lid: LID(UInt16(lid))) != PortNumber(3)) }
        fabric.setLink(uplink, up: true)
        #expect(await sm.wait { ($0.sweeps[.reroute] ?? 0) >= 2 && ($0.lastSweep?.healthy ?? false) })
        #expect(fabric.portInfo(uplink)?.state == .active)
        await sm.kill()
    }

    @Test func aLostTrapIsCaughtByTheNextLightSweep() async throws {
        let (model, fabric) = try Self.fatTree()
        let sm = RunningSM(fabric, priority: 1, sweepInterval: .milliseconds(300))
        #expect(await sm.wait(until: Self.upAsMaster))
        let heavy = sm.status.sweeps[.heavy] ?? 0
        fabric.trapFaults = TrapFaults(dropNext: 10)
        let leaf = model.nodes.firstIndex { $0.description == "leaf-1" }!
        fabric.setLink(PortAddress(node: leaf, port: PortNumber(4)), up: false)
        #expect(await sm.wait { ($0.sweeps[.heavy] ?? 0) > heavy && ($0.lastSweep?.healthy ?? false) })
        #expect(sm.status.trapsReceived[128] == nil, "no trap arrived")
        for lid in 1...20 { #expect(fabric.forwardingEntry(node: leaf, lid: LID(UInt16(lid))) != PortNumber(4)) }
        await sm.kill()
    }

    @Test func repeatedTrapsLeadToOneReroute() async throws {
        let (model, fabric) = try Self.fatTree()
        let sm = RunningSM(fabric, priority: 1)
        #expect(await sm.wait(until: Self.upAsMaster))
        fabric.trapFaults = TrapFaults(duplicate: true)
        let leaf = model.nodes.firstIndex { $0.description == "leaf-3" }!
        fabric.setLink(PortAddress(node: leaf, port: PortNumber(3)), up: false)
        // leaf-3 routes to the SM over the dead link, so its trap is lost; spine-0's arrives twice.
        #expect(await sm.wait { ($0.trapsReceived[128] ?? 0) >= 2 && ($0.sweeps[.reroute] ?? 0) >= 1 }, "\(sm.status.trapsReceived)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(sm.status.sweeps[.reroute] == 1, "\(sm.status.sweeps)")
        await sm.kill()
    }

    @Test func aFlappingPortIsHeldDownInsteadOfStormingTheSubnet() async throws {
        let (model, fabric) = try Self.fatTree()
        let sm = RunningSM(fabric, priority: 1, flapLimit: 4)
        #expect(await sm.wait(until: Self.upAsMaster))
        let leaf = model.nodes.firstIndex { $0.description == "leaf-0" }!
        await fabric.flapLink(PortAddress(node: leaf, port: PortNumber(4)), cycles: 12, period: .milliseconds(60))
        try await Task.sleep(for: .milliseconds(300))
        let status = sm.status
        #expect((status.trapsReceived[128] ?? 0) >= 24, "\(status.trapsReceived)")
        // Two switches trap per flap; each is held down after four traps in the flap window.
        #expect((status.sweeps[.reroute] ?? 0) + (status.sweeps[.heavy] ?? 0) <= 10, "\(status.sweeps)")
        // Held-down traps start no re-route, so the SA's programming must not keep waiting for one.
        #expect(await sm.wait { _ in !sm.daemon.linkTrapIsWaiting }, "the SA's programming still gives way to a held-down trap")
        await sm.kill()
    }

    @Test func failoverOnTheRealSwitchModel() async throws {
        let model = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 8))
        let fabric = try SimulatedFabric(model)
        let timing = SimulatorOptions(serviceTime: .microseconds(255), vl15Depth: 4)
        let master = RunningSM(fabric, priority: 9, simulator: timing)
        #expect(await master.wait(until: Self.upAsMaster))
        let standby = RunningSM(fabric, at: Self.host(model, "host-100"), priority: 1, simulator: timing)
        #expect(await standby.wait { $0.own.state == .standby })
        let killed = ContinuousClock.now
        await master.kill()
        #expect(await standby.wait(until: Self.upAsMaster))
        let took = ContinuousClock.now - killed
        #expect(standby.status.lastBlockSets[.heavy] == 0)
        print("real-switch model: the standby was master with the subnet up \(took) after the master died")
        await standby.kill()
    }
}
