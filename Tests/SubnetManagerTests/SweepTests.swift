import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import Routing
import SubnetManager
import TestSupport
import Testing

/// `sweep --once` on the simulator: every generated kind, LMC 0-2, the smallest fabric, repeatability,
/// and the second sweep that sends no Set.
@Suite struct SweepTests {
    static let kinds: [(FabricKind, GeneratorOptions)] = [
        (.fatTree2, GeneratorOptions(radix: 8)),
        (.fatTree3, GeneratorOptions(radix: 8)),
        (.torus2D, GeneratorOptions(dimensions: [4, 4])),
        (.torus3D, GeneratorOptions(dimensions: [3, 3, 3])),
        (.mesh2D, GeneratorOptions(dimensions: [4, 5])),
        (.mesh3D, GeneratorOptions(dimensions: [2, 3, 3])),
        (.dragonfly, GeneratorOptions()),
        (.random, GeneratorOptions(switches: 16, hosts: 24, seed: 3, removeLinks: 4)),
        (.fatTree3, GeneratorOptions(radix: 8, seed: 5, removeLinks: 5)),
        (.dualRail, GeneratorOptions(radix: 8)),
    ]

    private func sweep(_ fabric: Fabric, lmc: UInt8 = 0, attachment: PortAddress? = nil, transport: SimulatorTransport? = nil,
                       routing: [RoutingEngineKind] = RoutingEngineKind.defaultList) async throws -> (SweepReport, SimulatorTransport, SMPClient) {
        let simulator = try transport ?? SimulatorTransport(fabric: SimulatedFabric(fabric, attachment: attachment))
        let client = SMPClient(transport: simulator, options: SMPClientOptions(maxOutstanding: 32))
        let report = try await SubnetSweep(client: client, options: SweepOptions(lmc: lmc, routing: routing)).runOnce()
        return (report, simulator, client)
    }

    @Test(arguments: kinds.indices, [UInt8(0), 1, 2])
    func everyPortActiveAndEveryPairDeliveredWithoutCreditLoop(index: Int, lmc: UInt8) async throws {
        let (kind, options) = Self.kinds[index]
        let fabric = try generateFabric(kind, options: options)
        let (report, _, _) = try await sweep(fabric, lmc: lmc)
        #expect(report.problems.isEmpty, "\(kind) LMC \(lmc): \(report.problems)")
        #expect(report.isHealthy)
        #expect(report.activePorts.active == report.activePorts.planned)
        #expect(report.activePorts.planned == 2 * fabric.links.count)
        #expect(report.routing.engine == "deadlock-free")
        #expect(report.verification.isDelivered)
        #expect(report.verification.creditLoopsChecked && report.verification.creditLoop == nil, "\(kind): \(report.verification.summary)")
        if [.fatTree2, .fatTree3, .dualRail].contains(kind) { #expect(report.verification.isValid, "\(kind): \(report.verification.summary)") }
        #expect(report.verification.pairsChecked > 0)
        let linkedCAPorts = fabric.nodes.filter { $0.type != .switch }.flatMap(\.knownPorts).filter { $0.remote != nil }.count
        #expect(report.lids.lidCount == fabric.switches.count + linkedCAPorts << Int(lmc))
    }

    /// With `routing: [.minhop]` every pair takes a shortest path; on a torus the credit loop that
    /// leaves is a warning (min-hop promised no deadlock freedom), not a problem.
    @Test(arguments: kinds.indices)
    func minHopRoutingIsMinHopAndItsCreditLoopsAreWarnings(index: Int) async throws {
        let (kind, options) = Self.kinds[index]
        let fabric = try generateFabric(kind, options: options)
        let (report, _, _) = try await sweep(fabric, routing: [.minhop])
        #expect(report.problems.isEmpty, "\(kind): \(report.problems)")
        #expect(report.routing.engine == "minhop")
        #expect(report.verification.isValid)
        if let loop = report.verification.creditLoopDescription {
            #expect(report.warnings.contains { $0.contains(loop) })
        }
        if kind == .torus2D { #expect(report.verification.creditLoop != nil) }
    }

    @Test func twoHostsBackToBack() async throws {
        var builder = FabricBuilder()
        builder.addCA("left")
        builder.addCA("right")
        builder.link("left", 1, "right", 1)
        let (report, simulator, _) = try await sweep(builder.fabric)
        #expect(report.problems.isEmpty, "\(report.problems)")
        for node in 0..<2 {
            let info = try #require(simulator.fabric.portInfo(PortAddress(node: node, port: 1)))
            #expect(info.state == .active)
            #expect(info.lid.isUnicast)
            #expect(info.masterSMLID == report.lids.lid(of: report.discovery.fabric.origin!))
        }
    }

    @Test func fromADualPortHostBothOfItsPortsAndEveryOtherHostsGoActive() async throws {
        let fabric = try generateFabric(.dualRail, options: GeneratorOptions(radix: 8))
        let host = try #require(fabric.nodes.firstIndex { $0.description == "host-0" })
        let (report, _, _) = try await sweep(fabric, lmc: 1, attachment: PortAddress(node: host, port: 1))
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.activePorts.active == 2 * fabric.links.count)
    }

    @Test func theSameFabricGivesTheSameTables() async throws {
        let fabric = try generateFabric(.random, options: GeneratorOptions(switches: 12, hosts: 20, seed: 8))
        let (first, _, _) = try await sweep(fabric)
        let (second, _, _) = try await sweep(fabric)
        #expect(first.tables == second.tables)
        #expect(first.lids.baseLIDs == second.lids.baseLIDs)
    }

    @Test(arguments: [UInt8(0), 2])
    func aSecondSweepSendsNoSet(lmc: UInt8) async throws {
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: 8))
        let (first, simulator, _) = try await sweep(fabric, lmc: lmc)
        #expect(first.isHealthy)
        #expect(first.apply.setCount > 0)
        let (second, _, client) = try await sweep(fabric, lmc: lmc, transport: simulator)
        #expect(second.isHealthy, "\(second.problems)")
        #expect(second.apply.setCount == 0)
        #expect(client.statistics.sent.filter { $0.key.method == .set }.isEmpty)
        #expect(second.lids.baseLIDs == first.lids.baseLIDs)
    }

    @Test func hostsKeepTheirLIDsAcrossASweepFromAnotherAttachment() async throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let (first, simulator, _) = try await sweep(fabric)
        let guids = Dictionary(uniqueKeysWithValues: first.lids.baseLIDs.map { (first.discovery.fabric[$0.key]!.guid, $0.value) })
        let (second, _, _) = try await sweep(fabric, transport: simulator)
        for (address, lid) in second.lids.baseLIDs {
            #expect(guids[second.discovery.fabric[address]!.guid] == lid)
        }
    }
}
