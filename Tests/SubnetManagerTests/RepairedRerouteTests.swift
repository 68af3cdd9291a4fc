import FabricModel
import FabricSimulator
import Foundation
import IBWire
import Routing
import SubnetManager
import Testing

/// The daemon's re-route after Trap 128 on the simulator, with routes repaired rather than computed anew:
/// an inter-switch link goes down and comes back, on a fat tree and on a torus (the default engine routes
/// it on an acyclic channel dependency graph). Judged from the switches' tables, not the SM's beliefs.
@Suite(.serialized) struct RepairedRerouteTests {
    /// Every switch's entries for LIDs 0...top, by node.
    static func tables(_ fabric: SimulatedFabric, _ model: Fabric, top: Int) -> [Int: [UInt8]] {
        Dictionary(uniqueKeysWithValues: model.switches.map { node in
            (node, (0...top).map { fabric.forwardingEntry(node: node, lid: LID(UInt16($0))).rawValue })
        })
    }

    /// How many 64-LID blocks differ between two snapshots.
    static func differingBlocks(_ a: [Int: [UInt8]], _ b: [Int: [UInt8]]) -> Int {
        a.keys.reduce(0) { total, node in
            let x = a[node]!, y = b[node]!
            return total + stride(from: 0, to: x.count, by: 64).filter { !x[$0..<min($0 + 64, x.count)].elementsEqual(y[$0..<min($0 + 64, y.count)]) }.count
        }
    }

    static let fabrics: [(name: String, kind: FabricKind, options: GeneratorOptions)] = [
        ("fat-tree-3", .fatTree3, GeneratorOptions(radix: 4)),
        ("torus-2d", .torus2D, GeneratorOptions(dimensions: [4, 4])),
    ]

    @Test(arguments: fabrics.indices)
    func anInterSwitchLinkDownAndBackIsRepairedWritingOnlyChangedBlocks(index: Int) async throws {
        let entry = Self.fabrics[index]
        let model = try generateFabric(entry.kind, options: entry.options)
        let fabric = try SimulatedFabric(model)
        // Light sweeps every 200 ms: after each re-route one must find nothing to do (the far switch's
        // PortStateChange, whose trap may have been lost, was cleared by the re-route).
        let sm = RunningSM(fabric, priority: 1, sweepInterval: .milliseconds(200))
        #expect(await sm.wait(until: DaemonSimulatorTests.upAsMaster))
        let endports = model.channelAdapters.map { PortAddress(node: $0, port: PortNumber(1)) } + model.switches.map { PortAddress(node: $0, port: .management) }
        let lids = endports.map { fabric.portInfo($0)?.lid }
        let top = Int(lids.compactMap { $0?.rawValue }.max() ?? 0)
        let link = try #require(model.switches.lazy.flatMap { node in
            model[node].knownPorts.filter { $0.remote.map { model[$0.node].type == .switch } ?? false }.map { PortAddress(node: node, port: $0.number) }
        }.dropFirst(2).first)
        let heavy = sm.status.sweeps[.heavy] ?? 0

        for up in [false, true] {
            let before = Self.tables(fabric, model, top: top)
            let reroutes = sm.status.sweeps[.reroute] ?? 0
            fabric.setLink(link, up: up)
            // Light sweeps every 200 ms may finish before this poll runs: the re-route's own health is asked.
            #expect(await sm.wait { ($0.sweeps[.reroute] ?? 0) > reroutes && $0.lastHealthy[.reroute] == true },
                    "\(entry.name) link \(up ? "up" : "down"): \(sm.status.sweeps)")
            #expect(sm.status.lastReroute?.repaired == true, "\(entry.name): \(sm.status.lastReroute?.note ?? "no re-route")")
            let after = Self.tables(fabric, model, top: top)
            let changed = Self.differingBlocks(before, after)
            #expect(changed > 0)
            #expect(sm.status.lastBlockSets[.reroute] == changed, "\(entry.name): \(sm.status.lastBlockSets) Sets, \(changed) blocks changed")
            let judged = await judgeFromScratch(fabric)
            #expect(judged.verification.isDelivered, "\(entry.name): \(judged.verification.report)")
            #expect(judged.verification.creditLoopsChecked && judged.verification.creditLoop == nil, "\(judged.verification.creditLoopDescription ?? "")")
            #expect(judged.inactive == 0 && judged.problems.isEmpty, "\(judged.problems)")
            #expect(endports.map { fabric.portInfo($0)?.lid } == lids, "every LID kept")
            print("\(entry.name) link \(up ? "up" : "down"): \(changed) block(s) written; \(judged.verification.summary)")
            let lights = sm.status.sweeps[.light] ?? 0
            #expect(await sm.wait { ($0.sweeps[.light] ?? 0) >= lights + 2 }, "light sweeps go on")
        }
        #expect(sm.status.sweeps[.heavy] ?? 0 == heavy, "the traps' re-routes did it, without a heavy pass")
        await sm.kill()
    }
}
