import FabricModel
import Foundation
import IBWire
import Routing
import TestSupport
import Testing

/// `swiftsm sweep --once` on real ibsim under umad2sim, judged by the stock diag tools: ibnetdiscover
/// (unique LIDs), iblinkinfo (every linked port Active), dump_lfts (every pair delivered on a shortest
/// path, no loop), ibtracert; and compared with `opensm -o` on the same fabric.
@Suite(.serialized, .ownThread) struct SweepAgainstIbsimTests {
    static let fabrics: [(name: String, kind: FabricKind, options: GeneratorOptions, lmc: Int)] = [
        ("fat-tree-2 radix 8", .fatTree2, GeneratorOptions(radix: 8), 0),
        ("fat-tree-3 radix 8, 3 links removed, LMC 1", .fatTree3, GeneratorOptions(radix: 8, seed: 3, removeLinks: 3), 1),
        ("torus-2d 4x4", .torus2D, GeneratorOptions(dimensions: [4, 4]), 0),
        ("dual-rail radix 8, LMC 2", .dualRail, GeneratorOptions(radix: 8), 2),
        ("dragonfly", .dragonfly, GeneratorOptions(), 0),
    ]

    /// Runs the SM on a host, as a site would.
    static let onHost = ["SIM_HOST": "host-0"]

    struct Judged {
        var fabric: Fabric
        var lids: LIDAssignment
        var verification: RouteVerification
    }

    /// What the diag tools say about the fabric ibsim holds now.
    private func judge(_ ibsim: IbsimFabric, lmc: Int, name: String) throws -> Judged {
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: Self.onHost)
        #expect(discovered.status == 0, "ibnetdiscover: \(discovered.stderr)")
        let fabric = try TopologyFile.parse(discovered.stdout, source: "ibnetdiscover (\(name))")
        let lids = LIDAssignment(observedIn: fabric, lmc: UInt8(lmc))
        #expect(lids.problems == [], "LIDs as ibnetdiscover shows them: \(lids.problems)")
        // Every switch and every linked CA port has its own LID.
        let linkedCAPorts = fabric.nodes.filter { $0.type != .switch }.flatMap(\.knownPorts).filter { $0.remote != nil }
        #expect(lids.endports.count == fabric.switches.count + linkedCAPorts.count)
        #expect(linkedCAPorts.allSatisfy { $0.lid.isUnicast })

        let links = try ibsim.run("/usr/sbin/iblinkinfo", [], timeout: 60, environment: Self.onHost)
        #expect(links.status == 0, "iblinkinfo: \(links.stderr)")
        let portLines = links.stdout.split(separator: "\n").filter { $0.contains("==(") }
        let active = portLines.filter { $0.contains("Active/") }
        #expect(active.count == 2 * fabric.links.count, "iblinkinfo shows \(active.count) Active ports for \(fabric.links.count) links")
        #expect(!portLines.contains { $0.contains("Init/") || $0.contains("Armed/") })

        let dump = try ibsim.run("/usr/sbin/dump_lfts", [], timeout: 60, environment: Self.onHost)
        #expect(dump.status == 0, "dump_lfts: \(dump.stderr)")
        let tables = try DumpLFTs.parse(dump.stdout)
        let verification = verifyRoutes(fabric, lids: lids, tables: tables.lookup(for: fabric))
        #expect(verification.isValid, "\(name): \(verification.report)")
        #expect(verification.pairsChecked == fabric.switches.count * lids.lidCount)
        return Judged(fabric: fabric, lids: lids, verification: verification)
    }

    @Test(arguments: fabrics.indices)
    func diagToolsJudgeTheFabricConfiguredAndMinHop(index: Int) throws {
        let (name, kind, options, lmc) = Self.fabrics[index]
        let topology = try generateTopology(kind, options: options)

        let ibsim = try IbsimFabric(topology: topology)
        defer { ibsim.stop() }
        // Min-hop against opensm's min-hop: the default engine on trees (where it keeps min-hop routes),
        // minhop by name elsewhere (the default trades hops for freedom from credit loops there).
        let routing = [FabricKind.fatTree2, .fatTree3, .dualRail].contains(kind) ? [] : ["--routing", "minhop"]
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--lmc", "\(lmc)", "--max-outstanding", "64"] + routing, environment: Self.onHost)
        #expect(sweep.status == 0, "sweep: \(sweep.stdout) \(sweep.stderr)")
        let ours = try judge(ibsim, lmc: lmc, name: name)

        // ibtracert between host pairs.
        let hosts = ours.fabric.nodes.indices.filter { ours.fabric[$0].type == .channelAdapter }
        for (a, b) in zip(hosts.prefix(4), hosts.reversed().prefix(4)) where a != b {
            let from = ours.fabric[a].knownPorts.first { $0.remote != nil }!.lid, to = ours.fabric[b].knownPorts.first { $0.remote != nil }!.lid
            let trace = try ibsim.run("/usr/sbin/ibtracert", ["\(from.rawValue)", "\(to.rawValue)"], timeout: 60, environment: Self.onHost)
            #expect(trace.status == 0, "ibtracert \(from) \(to): \(trace.stdout) \(trace.stderr)")
        }

        // The same fabric configured by opensm: the same hop counts, and our worst link load no worse.
        let reference = try IbsimFabric(topology: topology)
        defer { reference.stop() }
        let directory = reference.directory.path
        let opensm = try reference.run("/usr/sbin/opensm", ["-o", "-l", "\(lmc)", "-f", directory + "/opensm.log"], timeout: 120,
                                       environment: Self.onHost.merging(["OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory]) { $1 })
        #expect(opensm.status == 0, "opensm: \(opensm.stderr)")
        let theirs = try judge(reference, lmc: lmc, name: "\(name), opensm")
        #expect(ours.verification.maxHops == theirs.verification.maxHops)
        #expect(abs(ours.verification.meanHops - theirs.verification.meanHops) < 1e-9)
        #expect(ours.verification.maxLinkLoad <= theirs.verification.maxLinkLoad,
                "\(name): our link load \(ours.verification.summary); opensm \(theirs.verification.summary)")
    }

    @Test func errorsInjectedOnSwitchPortsAreRetriedAndTheFabricEndsConfigured() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 8)))
        defer { ibsim.stop() }
        let faulty = [("leaf-0", 5), ("leaf-3", 6), ("spine-0", 2), ("spine-2", 7), ("leaf-7", 1)]
        for (node, port) in faulty { ibsim.console("Error \"\(node)\"[\(port)] 20") }
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--stats", "--timeout", "20", "--retries", "12"], environment: Self.onHost)
        #expect(sweep.status == 0, "\(sweep.stdout) \(sweep.stderr)")
        let timeouts = sweep.stderr.split(separator: "\n").first { $0.hasPrefix("SMPs sent") }
            .flatMap { $0.split(separator: "timeouts ").last?.split(separator: ",").first }.flatMap { Int($0) } ?? 0
        #expect(timeouts > 0, "no MAD was lost: the injection did not take effect")
        for (node, port) in faulty { ibsim.console("Error \"\(node)\"[\(port)] 0") }
        _ = try judge(ibsim, lmc: 0, name: "fat-tree-2 with 20% errors on 5 switch ports")
    }

    @Test func afterAnUnlinkTheNextSweepRoutesAroundTheDeadLink() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 8)))
        defer { ibsim.stop() }
        let first = try ibsim.run(swiftsmExecutable, ["sweep", "--once"], environment: Self.onHost)
        #expect(first.status == 0, "\(first.stderr)")
        ibsim.console("Unlink \"leaf-1\"[5]")
        ibsim.console("Unlink \"spine-2\"[4]")
        usleep(300_000)
        let second = try ibsim.run(swiftsmExecutable, ["sweep", "--once"], environment: Self.onHost)
        #expect(second.status == 0, "\(second.stdout) \(second.stderr)")
        // The diag tools see two links fewer, every remaining port Active, and no LID routed into a dead port.
        let judged = try judge(ibsim, lmc: 0, name: "fat-tree-2 after two Unlinks")
        #expect(judged.fabric.links.count == 64 - 2)
    }

    /// The link goes down after discovery, before programming: swiftsm is frozen (SIGSTOP) the moment it
    /// logs the end of discovery, ibsim unlinks, and swiftsm goes on with a model that still has the link.
    @Test func anUnlinkBetweenDiscoveryAndProgrammingIsRoutedAround() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree3, options: GeneratorOptions(radix: 8)))
        defer { ibsim.stop() }
        let sweep = try ibsim.launch(swiftsmExecutable, ["sweep", "--once", "-v", "--timeout", "20"], environment: Self.onHost)
        defer { ibsim.end(sweep) }
        let log = ibsim.directory.appendingPathComponent("swiftsm.log")
        let deadline = Date().addingTimeInterval(60)
        while sweep.isRunning, Date() < deadline,
              !((try? String(contentsOf: log, encoding: .utf8))?.contains("discovered ") ?? false) {
            usleep(200)
        }
        kill(sweep.processIdentifier, SIGSTOP)
        ibsim.console("Unlink \"agg-1-0\"[5]")
        usleep(300_000)
        kill(sweep.processIdentifier, SIGCONT)
        sweep.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(sweep.terminationStatus == 0, "\(output.suffix(2000))")
        // Proof that the unlink landed mid-sweep: the first pass's model still had the link.
        #expect(output.contains("re-planned"), "\(output.suffix(2000))")
        let judged = try judge(ibsim, lmc: 0, name: "fat-tree-3 unlinked mid-sweep")
        #expect(judged.fabric.links.count == 3 * 128 - 1)

        let second = try ibsim.run(swiftsmExecutable, ["sweep", "--once"], environment: Self.onHost)
        #expect(second.status == 0, "\(second.stdout) \(second.stderr)")
        #expect(!second.stderr.contains("re-planned"))
        _ = try judge(ibsim, lmc: 0, name: "fat-tree-3 unlinked mid-sweep, swept again")
    }

    @Test func aSecondSweepSendsNoSet() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree3, options: GeneratorOptions(radix: 8)))
        defer { ibsim.stop() }
        // Before any SM: verify says the subnet is not configured.
        let unconfigured = try ibsim.run(swiftsmExecutable, ["verify"], environment: Self.onHost)
        #expect(unconfigured.status == 1)
        #expect(unconfigured.stderr.contains("not ACTIVE"))
        let first = try ibsim.run(swiftsmExecutable, ["sweep", "--once"], environment: Self.onHost)
        #expect(first.status == 0, "\(first.stderr)")
        let verified = try ibsim.run(swiftsmExecutable, ["verify"], environment: Self.onHost)
        #expect(verified.status == 0, "verify: \(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("all delivered, min-hop"))
        let capture = ibsim.directory.appendingPathComponent("second.pcap").path
        let second = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--record", capture], environment: Self.onHost)
        #expect(second.status == 0, "\(second.stderr)")
        let frames = try runCommand("/usr/bin/tshark", ["-r", capture])
        #expect(frames.status == 0)
        let lines = frames.stdout.split(separator: "\n")
        #expect(lines.count > 1000)
        #expect(lines.filter { $0.contains("SubnSet(") }.count == 0)
        #expect(lines.filter { $0.contains("SubnGet(LinearForwardingTable)") }.count > 0)
    }

    @Test func anMKeySweepStillWorksOnIbsimWhichIgnoresMKeys() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let arguments = ["sweep", "--once", "--mkey", "0x5EC2E7", "--mkey-protect", "2"]
        let sweep = try ibsim.run(swiftsmExecutable, arguments, environment: Self.onHost)
        #expect(sweep.status == 0, "\(sweep.stdout) \(sweep.stderr)")
        #expect(sweep.stderr.contains("did not keep the M_Key"), "\(sweep.stderr)")
        // ibsim's agents answer SMPs without the key: the subnet is configured, just not protected.
        let verified = try ibsim.run(swiftsmExecutable, ["verify"], environment: Self.onHost)
        #expect(verified.status == 0, "verify: \(verified.stdout) \(verified.stderr)")
        let again = try ibsim.run(swiftsmExecutable, arguments, environment: Self.onHost)
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
    }

    /// The LIDs each port GUID holds, as ibnetdiscover shows them.
    private func portLIDs(_ ibsim: IbsimFabric) throws -> [GUID: LID] {
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: Self.onHost)
        let fabric = try TopologyFile.parse(discovered.stdout, source: "ibnetdiscover")
        var result: [GUID: LID] = [:]
        for node in fabric.nodes {
            for port in node.ports.compactMap({ $0 }) where node.type == .switch ? port.number == 0 : port.remote != nil {
                result[port.guid] = port.lid
            }
        }
        return result
    }

    @Test func restartKeepsLIDsFromOurGUID2LIDAndFromOpensms() throws {
        let topology = try generateTopology(.fatTree2, options: GeneratorOptions(radix: 8))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-g2l-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let ours = scratch.appendingPathComponent("guid2lid").path

        // Ours: sweep from a switch (other LIDs than a host start would give), then restart from a host.
        let first = try IbsimFabric(topology: topology)
        let sweep1 = try first.run(swiftsmExecutable, ["sweep", "--once", "--guid2lid", ours])
        #expect(sweep1.status == 0, "\(sweep1.stderr)")
        let before = try portLIDs(first)
        first.stop()
        let second = try IbsimFabric(topology: topology)
        defer { second.stop() }
        let sweep2 = try second.run(swiftsmExecutable, ["sweep", "--once", "--guid2lid", ours], environment: Self.onHost)
        #expect(sweep2.status == 0, "\(sweep2.stderr)")
        #expect(try portLIDs(second) == before)

        // opensm's: its guid2lid from one ibsim honoured by us on a fresh one.
        let reference = try IbsimFabric(topology: topology)
        let directory = reference.directory.path
        let opensm = try reference.run("/usr/sbin/opensm", ["-o", "-f", directory + "/opensm.log"], timeout: 120,
                                       environment: Self.onHost.merging(["OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory]) { $1 })
        #expect(opensm.status == 0)
        let theirLIDs = try portLIDs(reference)
        let theirFile = scratch.appendingPathComponent("opensm-guid2lid").path
        try FileManager.default.copyItem(atPath: directory + "/guid2lid", toPath: theirFile)
        reference.stop()
        let fresh = try IbsimFabric(topology: topology)
        defer { fresh.stop() }
        // Attach elsewhere than opensm did, so that nothing but the file can give the same LIDs.
        let sweep3 = try fresh.run(swiftsmExecutable, ["sweep", "--once", "--guid2lid", theirFile])
        #expect(sweep3.status == 0, "\(sweep3.stderr)")
        #expect(try portLIDs(fresh) == theirLIDs)
    }
}
