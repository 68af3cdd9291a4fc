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
    /// Link failures (each followed by the link back) and heavy passes measured.
    static let repeats = Int(ProcessInfo.processInfo.environment["DAEMON_BENCHMARK_REPEATS"] ?? "") ?? 5
    static let heavyRepeats = 3

    static func median(_ values: [Duration]) -> Duration {
        let sorted = values.sorted()
        return sorted.isEmpty ? .zero : sorted[sorted.count / 2]
    }

    /// CPU time of this process so far (every thread: the SM's and the simulated agents').
    static func processCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    static func ms(_ duration: Duration) -> String { String(format: "%.1f ms", duration / .milliseconds(1)) }

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

        // One inter-switch link fails and comes back, several times: from the trap to the last Set.
        let edge = model.nodes.firstIndex { $0.type == .switch && ($0.knownPorts.first { $0.remote.map { model[$0.node].type == .switch } ?? false } != nil) }!
        let uplink = model[edge].knownPorts.first { $0.remote.map { model[$0.node].type == .switch } ?? false }!
        var downs: [RerouteSummary] = [], ups: [RerouteSummary] = []
        var blocks: [Bool: [Int]] = [:]
        var cpu: [Bool: [Duration]] = [:]
        var outside: [Bool: [Duration]] = [:]
        for _ in 0..<Self.repeats {
            for up in [false, true] {
                let reroutes = master.status.sweeps[.reroute] ?? 0, heavies = master.status.sweeps[.heavy] ?? 0
                let cpuBefore = Self.processCPUTime()
                let sent = ContinuousClock.now
                fabric.setLink(PortAddress(node: edge, port: uplink.number), up: up)
                // A heavy pass (a light sweep that saw the change first) also ends the wait; only re-routes count.
                #expect(await wait(master) {
                    ($0.sweeps[.reroute] ?? 0) > reroutes && $0.lastSweep?.kind == .reroute || ($0.sweeps[.heavy] ?? 0) > heavies
                })
                outside[up, default: []].append(ContinuousClock.now - sent)
                cpu[up, default: []].append(Self.processCPUTime() - cpuBefore)
                #expect(master.status.lastSweep?.healthy == true)
                guard master.status.lastSweep?.kind == .reroute, let summary = master.status.lastReroute else {
                    print("link \(up ? "up" : "down"): handled by a heavy pass, not a re-route")
                    continue
                }
                if up { ups.append(summary) } else { downs.append(summary) }
                blocks[up, default: []].append(master.status.lastBlockSets[.reroute] ?? 0)
            }
        }
        // Anchor: heavy passes of the same subnet, in the same run.
        var heavy: [Duration] = []
        for _ in 0..<Self.heavyRepeats {
            let heavies = master.status.sweeps[.heavy] ?? 0
            master.requestHeavySweep()
            #expect(await wait(master) { ($0.sweeps[.heavy] ?? 0) > heavies })
            if let pass = master.status.lastSweep, pass.kind == .heavy { heavy.append(pass.duration) }
        }
        let heavyMedian = Self.median(heavy)
        print("heavy pass (anchor): median \(Self.ms(heavyMedian)), range \(Self.ms(heavy.min() ?? .zero))-\(Self.ms(heavy.max() ?? .zero)) over \(heavy.count)")
        for (name, runs, up) in [("down", downs, false), ("back up", ups, true)] {
            let times = runs.map(\.duration)
            let median = Self.median(times)
            let typical = runs.min { abs(($0.duration - median) / .milliseconds(1)) < abs(($1.duration - median) / .milliseconds(1)) }
            print("re-route, inter-switch link \(name), trap to last Set: median \(Self.ms(median)), range \(Self.ms(times.min() ?? .zero))-\(Self.ms(times.max() ?? .zero)) over \(runs.count); "
                  + "\(String(format: "%.1f", (heavyMedian / .milliseconds(1)) / max(0.001, median / .milliseconds(1))))x faster than the heavy pass; "
                  + "repaired \(runs.allSatisfy(\.repaired)); LFT blocks \(blocks[up] ?? []); SMPs \(runs.map(\.smps))")
            if let typical {
                print("  median run's phases: \(typical.phases.map { "\($0.name) \(Self.ms($0.duration))" }.joined(separator: ", ")); \(typical.note)")
                let bound = Duration.microseconds(255) * (typical.busiestSwitchBlocks + 1)
                print("  programming bound: busiest switch \(typical.busiestSwitchBlocks) blocks + its NodeInfo at 255 us each = \(Self.ms(bound)); "
                      + "process CPU per re-route (SM and simulated agents, until the status shows it): median \(Self.ms(Self.median(cpu[up] ?? [])))")
                let seen = outside[up] ?? []
                print("  seen from outside, link change to the end of the re-route pass (after the last Set: the model and status updated): "
                      + "median \(Self.ms(Self.median(seen))), range \(Self.ms(seen.min() ?? .zero))-\(Self.ms(seen.max() ?? .zero))")
            }
        }

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
