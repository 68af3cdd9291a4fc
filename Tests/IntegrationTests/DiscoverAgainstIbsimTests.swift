import FabricModel
import Foundation
import TestSupport
import Testing

/// `swiftsm discover` against real ibsim under umad2sim, judged by ibnetdiscover on the same fabric.
@Suite(.serialized, .ownThread) struct DiscoverAgainstIbsimTests {
    static let fabrics: [(String, FabricKind, GeneratorOptions)] = [
        ("two-level fat tree, 648 hosts", .fatTree2, GeneratorOptions(radix: 36)),
        ("dual-port hosts on two rails", .dualRail, GeneratorOptions(radix: 8)),
        ("three-level fat tree with 3 links removed", .fatTree3, GeneratorOptions(radix: 8, seed: 3, removeLinks: 3)),
        ("3D torus", .torus3D, GeneratorOptions(dimensions: [3, 3, 3])),
        ("dragonfly", .dragonfly, GeneratorOptions()),
    ]

    private func parse(_ text: String, _ source: String) throws -> Fabric { try TopologyFile.parse(text, source: source) }

    @Test(arguments: fabrics.indices)
    func agreesWithIbnetdiscover(index: Int) throws {
        let (name, kind, options) = Self.fabrics[index]
        let topology = try generateTopology(kind, options: options)
        let generated = try parse(topology, name)
        let ibsim = try IbsimFabric(topology: topology, limits: generated.ibsimLimits.tuple)
        defer { ibsim.stop() }

        let ours = try ibsim.run(swiftsmExecutable, ["discover", "--max-outstanding", "64"])
        #expect(ours.status == 0, "swiftsm discover failed: \(ours.stderr)")
        let reference = try ibsim.run("/usr/sbin/ibnetdiscover", [])
        #expect(reference.status == 0, "ibnetdiscover failed: \(reference.stderr)")

        let discovered = try parse(ours.stdout, "swiftsm discover (\(name))")
        let judged = try parse(reference.stdout, "ibnetdiscover (\(name))")
        #expect(discovered.differences(from: judged, options: [.descriptions, .lids, .widthAndSpeed]) == [])
        #expect(discovered.differences(from: generated) == [])
        #expect(discovered.nodes.count == generated.nodes.count)
    }

    @Test func dumpLoadsBackIntoIbsim() throws {
        let topology = try generateTopology(.fatTree2, options: GeneratorOptions(radix: 8))
        let first = try IbsimFabric(topology: topology)
        let dump = try first.run(swiftsmExecutable, ["discover"])
        first.stop()
        #expect(dump.status == 0, "\(dump.stderr)")

        let second = try IbsimFabric(topology: dump.stdout)
        defer { second.stop() }
        let again = try second.run(swiftsmExecutable, ["discover"])
        #expect(again.status == 0, "\(again.stderr)")
        let before = try parse(dump.stdout, "first dump"), after = try parse(again.stdout, "second dump")
        #expect(after.differences(from: before, options: .all) == [])
    }

    @Test func recordedSweepReplaysInTheSimulator() throws {
        let topology = try generateTopology(.dualRail, options: GeneratorOptions(radix: 8))
        let ibsim = try IbsimFabric(topology: topology)
        defer { ibsim.stop() }
        let capture = ibsim.directory.appendingPathComponent("sweep.pcap").path
        let live = try ibsim.run(swiftsmExecutable, ["discover", "--record", capture])
        #expect(live.status == 0, "\(live.stderr)")

        let replay = try runCommand(swiftsmExecutable, ["discover", "--simulate", capture])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout == live.stdout)

        let frames = try runCommand("/usr/bin/tshark", ["-r", capture])
        #expect(frames.status == 0, "tshark: \(frames.stderr)")
        let lines = frames.stdout.split(separator: "\n")
        #expect(lines.count > 100)
        #expect(lines.allSatisfy { $0.contains("SubnGet(") || $0.contains("SubnGetResp(") })
        let malformed = try runCommand("/usr/bin/tshark", ["-r", capture, "-Y", "_ws.malformed || _ws.expert.severity >= warning"])
        #expect(malformed.stdout.isEmpty, "tshark flags: \(malformed.stdout.prefix(500))")
    }
}

extension IbsimLimits {
    var tuple: (nodes: Int, switches: Int, ports: Int) { (max(nodes, 2048), max(switches, 256), max(ports, 13312)) }
}
