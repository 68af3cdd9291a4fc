import FabricModel
import Foundation
import TestSupport
import Testing

/// `swiftsm fabric route FILE`: the plan a sweep would make, offline, and verify's judgement of it.
@Suite(.ownThread) struct RouteCommandTests {
    @Test func theDefaultRoutesATorusWithoutCreditLoopAndMinHopDoesNot() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-route-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("torus.topo").path
        try generateTopology(.torus2D, options: GeneratorOptions(dimensions: [4, 4])).write(toFile: file, atomically: true, encoding: .utf8)

        let ours = try runCommand(swiftsmExecutable, ["fabric", "route", file, "--lmc", "1"])
        #expect(ours.status == 0, "\(ours.stdout) \(ours.stderr)")
        #expect(ours.stdout.contains("routing: deadlock-free (") && ours.stdout.contains("deadlock-free on 1 VL"), "\(ours.stdout)")
        #expect(ours.stdout.contains("; no credit loop"), "\(ours.stdout)")

        // Min-hop promised nothing about deadlock: the loop is reported, not a failure.
        let minHop = try runCommand(swiftsmExecutable, ["fabric", "route", file, "--routing", "minhop"])
        #expect(minHop.status == 0, "\(minHop.stdout) \(minHop.stderr)")
        #expect(minHop.stdout.contains("all delivered, min-hop") && minHop.stdout.contains("; credit loop through"), "\(minHop.stdout)")

        let updn = try runCommand(swiftsmExecutable, ["fabric", "route", file, "--routing", "updn,minhop"])
        #expect(updn.status == 0 && updn.stdout.contains("routing: updn ("), "\(updn.stdout) \(updn.stderr)")

        let missing = try runCommand(swiftsmExecutable, ["fabric", "route", directory.appendingPathComponent("none.topo").path])
        #expect(missing.status == 2, "\(missing.stderr)")
    }
}
