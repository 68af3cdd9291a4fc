import FabricModel
import FabricSimulator
import Foundation
import IBTransport
import IBWire
import SubnetManager
import Testing

/// DAEMON_BENCHMARK=RADIX (default 36: 11,664 hosts): the running SM on the real-switch model (255 us per
/// agent, VL15 depth 4). Prints light sweep, re-route and takeover figures; not a pass/fail test of speed.
///     DAEMON_BENCHMARK=36 swift test -c release --filter DaemonBenchmarkTests     (Benchmarks/daemon-simulated.sh)
@Suite(.serialized) struct DaemonBenchmarkTests {
    static let radix = Int(ProcessInfo.processInfo.environment["DAEMON_BENCHMARK"] ?? "") ?? 36

    func runningSM(_ fabric: SimulatedFabric, at port: PortAddress? = nil, priority: UInt8) -> (SubnetManagerDaemon, SimulatorTransport, Task<Void, Never>) {
        let transport = SimulatorTransport(fabric: fabric, options: SimulatorOptions(serviceTime: .microseconds(255), vl15Depth: 4),
                                           attachment: port, role: .subnetManager)
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 256, timeout: .milliseconds(200), retries: 3),
                               runnerExecutors: transport.eventLoops)
        let options = DaemonOptions(sweep: SweepOptions(priority: priority), sweepInterval: .milliseconds(500), pollInterval: .milliseconds(500))
        let daemon = SubnetManagerDaemon(client: client, options: options)
        return (daemon, transport, Task { await daemon.run() })
    }

    func wait(_ daemon: SubnetManagerDaemon, _ seconds: Double = 300, until condition: (DaemonStatus) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(daemon.status) { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DAEMON_BENCHMARK"] != nil))
    func realSwitchModel() async throws {
        let model = try generateFabric(.fatTree3, options: GeneratorOptions(radix: Self.radix))
        let fabric = try SimulatedFabric(model)
        print("fat-tree-3 radix \(Self.radix): \(model.channelAdapters.count) hosts, \(model.switches.count) switches, real-switch model")
        let (master, masterPort, masterTask) = runningSM(fabric, priority: 9)
        #expect(await wait(master) { $0.own.state == .master && ($0.sweeps[.heavy] ?? 0) >= 1 })
        print("first heavy pass: \(master.status.lastSweep.map { "\($0.duration)" } ?? "-")")

        // Light sweeps of the unchanged subnet.
        #expect(await wait(master) { ($0.sweeps[.light] ?? 0) >= 5 })
        var lights: [Duration] = []
        for _ in 0..<5 {
            let count = master.status.sweeps[.light] ?? 0
            _ = await wait(master) { ($0.sweeps[.light] ?? 0) > count }
            if let last = master.status.lastSweep, last.kind == .light { lights.append(last.duration) }
        }
        print("light sweeps: \(lights.sorted()) (Sets: \(master.status.lastSets[.light] ?? -1))")

        // One inter-switch link fails: time from the trap to the last Set is the re-route pass.
        let before = master.client.statistics.totalSent
        let edge = model.nodes.firstIndex { $0.type == .switch && ($0.knownPorts.first { $0.remote.map { model[$0.node].type == .switch } ?? false } != nil) }!
        let uplink = model[edge].knownPorts.first { $0.remote.map { model[$0.node].type == .switch } ?? false }!
        let reroutes = master.status.sweeps[.reroute] ?? 0
        fabric.setLink(PortAddress(node: edge, port: uplink.number), up: false)
        #expect(await wait(master) { ($0.sweeps[.reroute] ?? 0) > reroutes })
        let reroute = master.status.lastSweep
        print("re-route after one inter-switch link failure: \(reroute.map { "\($0.duration)" } ?? "-"), healthy \(reroute?.healthy ?? false), \(master.status.lastBlockSets[.reroute] ?? 0) LFT blocks, \(master.status.lastSets[.reroute] ?? 0) Sets, \(master.client.statistics.totalSent - before) SMPs incl. light sweeps")
        // Anchor: a heavy pass of the same subnet.
        let heavies = master.status.sweeps[.heavy] ?? 0
        master.requestHeavySweep()
        #expect(await wait(master) { ($0.sweeps[.heavy] ?? 0) > heavies })
        print("heavy pass (anchor): \(master.status.lastSweep.map { "\($0.duration)" } ?? "-")")

        // Takeover: a standby, then the master dies.
        let hostPort = PortAddress(node: model.channelAdapters.last!, port: PortNumber(1))
        let (standby, standbyPort, standbyTask) = runningSM(fabric, at: hostPort, priority: 1)
        #expect(await wait(standby) { $0.own.state == .standby })
        let killed = ContinuousClock.now
        masterTask.cancel()
        await masterPort.close()
        #expect(await wait(standby) { $0.own.state == .master && ($0.sweeps[.heavy] ?? 0) >= 1 })
        print("takeover: master dead to subnet up in \(ContinuousClock.now - killed) (polls 500 ms x 3), pass \(standby.status.lastSweep.map { "\($0.duration)" } ?? "-"), \(standby.status.lastBlockSets[.heavy] ?? -1) LFT blocks, \(standby.status.lastSets[.heavy] ?? -1) Sets")
        standbyTask.cancel()
        await standbyPort.close()
    }
}
