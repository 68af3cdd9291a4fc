import FabricModel
import Foundation
import TestSupport
import Testing

/// SL2VL and VL arbitration tables on ibsim after `swiftsm sweep --once`, read with `smpquery sl2vl` and
/// `smpquery vlarb` by directed route (LIDs differ between SMs), against what `opensm -o -Q` (OpenSM with its
/// QoS defaults; without -Q it writes none) leaves on the same fabric. ibsim's ports all have VLCap 4
/// (VL0-7) and 8-entry arbitration tables, which its topology files cannot change.
@Suite(.serialized, .ownThread) struct VirtualLanesAgainstIbsimTests {
    static let topology = """
        Switch 4 "sw1"
        [1] "h1"[1]
        [2] "h2"[1]
        [3] "sw2"[3]

        Switch 4 "sw2"
        [1] "h3"[1]
        [3] "sw1"[3]

        Hca 1 "h1"
        [1] "sw1"[1]

        Hca 1 "h2"
        [1] "sw1"[2]

        Hca 1 "h3"
        [1] "sw2"[1]

        """
    static let onHost = ["SIM_HOST": "h1"]
    /// Directed routes from h1: h1 itself, h3 (a CA two switches away), sw1 and sw2.
    static let queries: [[String]] = [
        ["sl2vl", "0"], ["vlarb", "0"], ["sl2vl", "0,1,3,1"], ["vlarb", "0,1,3,1"],
        ["sl2vl", "0,1", "3"], ["sl2vl", "0,1", "1"], ["vlarb", "0,1", "3"], ["vlarb", "0,1", "2"],
        ["sl2vl", "0,1,3", "1"], ["vlarb", "0,1,3", "3"],
    ]

    /// The tables `smpquery -D` prints, rows of down input ports left out (OpenSM writes those, SwiftSM leaves
    /// them to the sweep that brings the port up).
    private func read(_ ibsim: IbsimFabric) throws -> [String] {
        try Self.queries.map { query in
            let result = try ibsim.run("/usr/sbin/smpquery", ["-D"] + query, timeout: 30, environment: Self.onHost)
            #expect(result.status == 0, "smpquery \(query): \(result.stderr)")
            // Down inputs: port 4 of both switches, port 2 of sw2 (reached through 0,1,3).
            let down = query[1] == "0,1,3" ? ["in  2,", "in  4,"] : ["in  4,"]
            return result.stdout.split(separator: "\n").filter { line in !line.hasPrefix("#") && !down.contains { line.contains($0) } }
                .joined(separator: "\n")
        }
    }

    @Test func sweepWritesOpenSMsDefaultTablesAndASecondSweepSetsNone() throws {
        let ibsim = try IbsimFabric(topology: Self.topology)
        defer { ibsim.stop() }
        let before = try read(ibsim)
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--qos"], environment: Self.onHost)
        #expect(sweep.status == 0, "sweep: \(sweep.stdout) \(sweep.stderr)")
        // ibsim starts with SL i on VL i: SL 8-14 go to VLs the ports do not run, so every SL2VL table is written
        // (3 CA ports, 3 linked outputs x 4 inputs on sw1, 2 x 3 on sw2); its arbitration tables already match
        // (2 blocks on each of the 8 linked ports: 37 tables in all).
        #expect(sweep.stdout.contains("VL tables: 21 SL2VL/VLArbitration Sets"), "\(sweep.stdout)")
        let ours = try read(ibsim)
        #expect(ours != before)
        // OpenSM's SL2VL default (SL i to VL i, SL 15 to VL 7) folded onto VL0-7, on every table read.
        let folded = "| 0| 1| 2| 3| 4| 5| 6| 7| 0| 1| 2| 3| 4| 5| 6| 7|"
        for (query, text) in zip(Self.queries, ours) where query[0] == "sl2vl" {
            let rows = text.split(separator: "\n")
            #expect(!rows.isEmpty && rows.allSatisfy { $0.hasSuffix(folded) }, "\(query): \(text)")
        }
        for (query, text) in zip(Self.queries, ours) where query[0] == "vlarb" {
            #expect(text.contains("WEIGHT: |0x0 |0x4 |0x4 |0x4 |0x4 |0x4 |0x4 |0x4 |"), "\(query): \(text)")
            #expect(text.contains("WEIGHT: |0x4 |0x0 |0x0 |0x0 |0x0 |0x0 |0x0 |0x0 |"), "\(query): \(text)")
        }

        let again = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--qos"], environment: Self.onHost)
        #expect(again.status == 0, "second sweep: \(again.stdout) \(again.stderr)")
        #expect(again.stdout.contains("VL tables: 0 SL2VL/VLArbitration Sets (37 read to compare)"), "\(again.stdout)")
        #expect(try read(ibsim) == ours)

        // OpenSM with its QoS defaults on a fresh copy of the fabric leaves the same tables.
        let reference = try IbsimFabric(topology: Self.topology)
        defer { reference.stop() }
        let directory = reference.directory.path
        let opensm = try reference.run("/usr/sbin/opensm", ["-o", "-Q", "-f", directory + "/opensm.log"], timeout: 120,
                                       environment: Self.onHost.merging(["OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory]) { $1 })
        #expect(opensm.status == 0, "opensm: \(opensm.stderr)")
        #expect(try read(reference) == ours)
    }

    /// `swiftsm verify` reads the SL2VL tables back and walks the routes on the VL they give: min-hop on a torus
    /// has a credit loop on whatever single VL the SL takes (ibsim's SL 7 on VL 7, SL 12 folded onto VL 4).
    @Test func verifyNamesTheVLOfACreditLoopFromTheSwitchesTables() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.torus2D, options: GeneratorOptions(dimensions: [4, 4])))
        defer { ibsim.stop() }
        let onHost = ["SIM_HOST": "host-0"]
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--qos", "--routing", "minhop"], environment: onHost)
        #expect(sweep.status == 0, "sweep: \(sweep.stdout) \(sweep.stderr)")
        for (sl, vl) in [(0, 0), (7, 7), (12, 4)] {
            let verified = try ibsim.run(swiftsmExecutable, ["verify", "--service-level", "\(sl)"], environment: onHost)
            #expect(verified.status == 1, "verify SL \(sl): \(verified.stdout) \(verified.stderr)")
            #expect(verified.stderr.contains("credit loop on VL \(vl) through"), "SL \(sl): \(verified.stderr)")
        }
        let deadlockFree = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--qos"], environment: onHost)
        #expect(deadlockFree.status == 0, "sweep: \(deadlockFree.stdout) \(deadlockFree.stderr)")
        let clean = try ibsim.run(swiftsmExecutable, ["verify", "--service-level", "7"], environment: onHost)
        #expect(clean.status == 0, "verify: \(clean.stdout) \(clean.stderr)")
    }
}
