import FabricModel
import Foundation
import TestSupport
import Testing

/// The SA of `swiftsm run` on real ibsim under umad2sim, judged by saquery and osmtest, with OpenSM on a
/// second ibsim of the same fabric as the reference. (Under umad2sim there is no RMPP: every answer is
/// one MAD, so the queries here are those with short answers; see the field notes.)
@Suite(.serialized, .ownThread) struct SubnetAdministrationAgainstIbsimTests {
    /// The fields of one saquery record dump (`name.....value` lines), first occurrence of each.
    static func fields(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let dots = trimmed.range(of: "..") else { continue }
            let name = String(trimmed[..<dots.lowerBound])
            let value = trimmed[dots.lowerBound...].drop { $0 == "." }.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, result[name] == nil { result[name] = value }
        }
        return result
    }

    static func saquery(_ ibsim: IbsimFabric, _ arguments: [String], from host: String = "host-3") throws -> CommandResult {
        try ibsim.run("/usr/sbin/saquery", arguments, timeout: 20, environment: ["SIM_HOST": host])
    }

    /// A SwiftSM-run fabric, up, with the LIDs the diag tools see.
    static func swiftSMFabric(_ topology: String, _ arguments: [String] = []) throws -> (IbsimFabric, Process) {
        let ibsim = try IbsimFabric(topology: topology)
        let sm = try RunAgainstIbsimTests.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", arguments)
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") }, "\(ibsim.read("swiftsm.log"))")
        #expect(ibsim.waitUntil { (try? saquery(ibsim, ["-c"]).status) == 0 }, "\(ibsim.read("swiftsm.log"))")
        return (ibsim, sm)
    }

    /// An OpenSM-run fabric, once the diag tools find it configured and its SA answers.
    static func openSMFabric(_ topology: String) throws -> (IbsimFabric, Process, FabricVerdict?) {
        let ibsim = try IbsimFabric(topology: topology)
        let sm = try RunAgainstIbsimTests.startOpenSM(ibsim, at: "host-0", priority: 1)
        var verdict: FabricVerdict?
        let hosts = (try? TopologyFile.parse(topology, source: "topology"))?.channelAdapters.count ?? 0
        // Configured as the diag tools see it, every host with a LID (a CI run once judged OpenSM's fabric with a
        // host the tests query still at LID 0), and its SA answering about a host (OpenSM's SA may lag its sweep).
        #expect(ibsim.waitUntil(timeout: 60) {
            verdict = try? FabricVerdict.judge(ibsim, from: "host-5")
            guard let verdict, verdict.isConfigured, hasEveryHost(verdict, count: hosts) else { return false }
            return (try? saquery(ibsim, ["NR", "\(lid(of: "host-2", verdict))"]).status) == 0
        }, "\(ibsim.read("opensm.log").suffix(2000))")
        return (ibsim, sm, verdict)
    }

    /// Whether the diag tools saw `count` hosts, each with a LID.
    static func hasEveryHost(_ verdict: FabricVerdict, count: Int) -> Bool {
        let hosts = verdict.fabric.channelAdapters
        return hosts.count == count && hosts.allSatisfy { lid(of: verdict.fabric[$0].description, verdict) != 0 }
    }

    /// The LID the diag tools found on the host `name` (0 if none: the comparisons then fail, not crash).
    static func lid(of name: String, _ verdict: FabricVerdict) -> UInt16 {
        guard let node = verdict.fabric.nodes.first(where: { $0.description == name }), let port = node.knownPorts.first else { return 0 }
        return verdict.lidByPortGUID[port.guid.rawValue] ?? 0
    }

    @Test func saqueryGetsWhatOpenSMsSAGivesWhereTheSpecLeavesNoChoice() throws {
        let topology = try RunAgainstIbsimTests.fabric()
        let (ours, sm) = try Self.swiftSMFabric(topology, ["--priority", "5"])
        defer { ours.stop() }
        defer { ours.end(sm) }
        let (reference, opensm, judged) = try Self.openSMFabric(topology)
        defer { reference.stop() }
        defer { reference.end(opensm) }
        let verdict = try FabricVerdict.judge(ours, from: "host-5")
        try #require(verdict.isConfigured, "\(verdict.problems)")
        let referenceVerdict = try #require(judged)

        // ClassPortInfo.
        let classPortInfo = try Self.saquery(ours, ["-c"])
        #expect(classPortInfo.status == 0, "\(classPortInfo.stderr)")
        let info = Self.fields(classPortInfo.stdout)
        #expect(info["Base version"] == "1" && info["Class version"] == "2", "\(classPortInfo.stdout)")

        // NodeRecord and PortInfoRecord of a host, by its LID: everything but the LIDs (each SM picks its own) as OpenSM's.
        let lid = Self.lid(of: "host-2", verdict), referenceLID = Self.lid(of: "host-2", referenceVerdict)
        let node = try Self.saquery(ours, ["NR", "\(lid)"]), referenceNode = try Self.saquery(reference, ["NR", "\(referenceLID)"])
        #expect(node.status == 0 && referenceNode.status == 0, "\(node.stderr) \(referenceNode.stderr)")
        var nodeFields = Self.fields(node.stdout), referenceNodeFields = Self.fields(referenceNode.stdout)
        #expect(nodeFields["lid"] == "\(lid)" && nodeFields["NodeDescription"] == "host-2", "\(node.stdout)")
        nodeFields["lid"] = nil
        referenceNodeFields["lid"] = nil
        #expect(nodeFields == referenceNodeFields)
        let port = try Self.saquery(ours, ["PIR", "\(lid)"]), referencePort = try Self.saquery(reference, ["PIR", "\(referenceLID)"])
        #expect(port.status == 0 && referencePort.status == 0, "\(port.stderr)")
        var portFields = Self.fields(port.stdout), referencePortFields = Self.fields(referencePort.stdout)
        let smLID = Self.lid(of: "host-0", verdict), referenceSMLID = Self.lid(of: "host-0", referenceVerdict)
        #expect(portFields["Lid:"] == "\(lid)" && portFields["SMLid:"] == "\(smLID)", "\(port.stdout)")
        #expect(referencePortFields["SMLid:"] == "\(referenceSMLID)")
        for field in ["EndPortLid", "Lid:", "SMLid:", "MkeyLeasePeriod:"] {
            portFields[field] = nil
            referencePortFields[field] = nil
        }
        #expect(portFields == referencePortFields)

        // PathRecords between hosts: the LIDs of both ends, the GIDs, MTU, rate, P_Key, reversibility as OpenSM's.
        for (source, destination) in [("host-2", "host-6"), ("host-1", "host-0"), ("host-7", "host-4")] {
            // (By LID: saquery resolves names through a NodeRecord table, which umad2sim cuts to one MAD.)
            let path = try Self.saquery(ours, ["-p", "--src-to-dst", "\(Self.lid(of: source, verdict)):\(Self.lid(of: destination, verdict))"])
            let referencePath = try Self.saquery(reference, ["-p", "--src-to-dst",
                                                             "\(Self.lid(of: source, referenceVerdict)):\(Self.lid(of: destination, referenceVerdict))"])
                #expect(path.status == 0 && referencePath.status == 0, "\(path.stderr) \(referencePath.stderr)")
            var fields = Self.fields(path.stdout), referenceFields = Self.fields(referencePath.stdout)
            #expect(fields["slid"] == "\(Self.lid(of: source, verdict))" && fields["dlid"] == "\(Self.lid(of: destination, verdict))",
                    "\(path.stdout)")
            #expect(fields["mtu"] == "0x84" && fields["rate"] == "0x83", "2048 bytes, 10 Gb/s (4x SDR, ibsim's links)")
            for field in ["slid", "dlid", "pkt_life"] {
                fields[field] = nil
                referenceFields[field] = nil
            }
            #expect(fields == referenceFields, "\(source) -> \(destination)")
        }

        // The IPoIB broadcast group of the default partition, as OpenSM pre-creates it.
        let groups = try Self.saquery(ours, ["-g"]), referenceGroups = try Self.saquery(reference, ["-g"])
        #expect(groups.status == 0 && referenceGroups.status == 0, "\(groups.stderr)")
        #expect(Self.fields(groups.stdout) == Self.fields(referenceGroups.stdout), "\(groups.stdout)")
        #expect(Self.fields(groups.stdout)["MGID"] == "ff12:401b:ffff::ffff:ffff" && Self.fields(groups.stdout)["Mlid"] == "0xC000")
        #expect(groups.stdout.components(separatedBy: "MCMemberRecord group dump").count == 2, "one group, no padding records")

        // SMInfoRecord: us, MASTER, our priority.
        let smInfo = try Self.saquery(ours, ["SMIR"])
        #expect(smInfo.status == 0, "\(smInfo.stderr)")
        let smFields = Self.fields(smInfo.stdout)
        let ourGUID = verdict.fabric.nodes.first { $0.description == "host-0" }?.knownPorts.first?.guid.rawValue ?? 0
        #expect(smFields["LID"] == "\(smLID)" && smFields["SMState"] == "3" && smFields["Priority"] == "5", "\(smInfo.stdout)")
        #expect(smFields["GUID"] == "0x" + String(repeating: "0", count: 16 - String(ourGUID, radix: 16).count) + String(ourGUID, radix: 16))
    }

    /// PathRecords follow the route the switches' LFTs take: with every link of spine-0 cut to 1x (2.5 Gb/s),
    /// a path gets rate 0x82 exactly when ibtracert shows it crossing spine-0, else 0x83 (10 Gb/s); the same
    /// holds for OpenSM's SA on the same fabric (each SM routing its own way).
    @Test func pathRecordRatesFollowTheRoutesTheLFTsTake() throws {
        var lines: [String] = []
        var inSpine0 = false
        for line in try RunAgainstIbsimTests.fabric().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("Switch") { inSpine0 = line.contains("\"spine-0\"") }
            lines.append(line.hasPrefix("[") && (inSpine0 || line.contains("\"spine-0\"")) ? line + "\tw=1" : line)
        }
        let topology = lines.joined(separator: "\n")
        let (ours, sm) = try Self.swiftSMFabric(topology)
        defer { ours.stop() }
        defer { ours.end(sm) }
        let (reference, opensm, judged) = try Self.openSMFabric(topology)
        defer { reference.stop() }
        defer { reference.end(opensm) }
        let pairs = [("host-2", "host-6"), ("host-0", "host-5"), ("host-7", "host-1"), ("host-4", "host-3"), ("host-1", "host-6")]
        for (ibsim, verdict, name) in [(ours, try FabricVerdict.judge(ours, from: "host-5"), "SwiftSM"), (reference, try #require(judged), "OpenSM")] {
            var rates: Set<String> = []
            for (source, destination) in pairs {
                let slid = Self.lid(of: source, verdict), dlid = Self.lid(of: destination, verdict)
                let trace = try ibsim.run("/usr/sbin/ibtracert", ["\(slid)", "\(dlid)"], timeout: 20, environment: ["SIM_HOST": "host-5"])
                #expect(trace.status == 0, "\(name): \(trace.stderr)")
                let path = try Self.saquery(ibsim, ["-p", "--src-to-dst", "\(slid):\(dlid)"])
                #expect(path.status == 0, "\(name): \(path.stderr)")
                let fields = Self.fields(path.stdout)
                let expected = trace.stdout.contains("\"spine-0\"") ? "0x82" : "0x83"
                #expect(fields["rate"] == expected && fields["mtu"] == "0x84", "\(name) \(source) -> \(destination): \(path.stdout)\n\(trace.stdout)")
                rates.insert(fields["rate"] ?? "")
            }
            print("\(name): PathRecord rates \(rates.sorted())")
        }
    }

    /// The osmtest flows that pass against OpenSM under umad2sim pass against SwiftSM (`-f q`: a VLArbitrationTableRecord
    /// of blocks 1-4 and an SLtoVLMappingTableRecord for every port of its inventory, each a Get).
    @Test func osmtestFlowsPass() throws {
        let (ibsim, sm) = try Self.swiftSMFabric(try RunAgainstIbsimTests.fabric())
        defer { ibsim.stop() }
        defer { ibsim.end(sm) }
        let inventory = ibsim.directory.path + "/osmtest.dat"
        for flow in [["-f", "c"], ["-f", "e"], ["-f", "q"], ["-f", "f", "-s1"], ["-f", "f", "-s2"], ["-f", "f", "-s3"], ["-f", "f", "-s4"]] {
            let started = Date()
            defer { print("osmtest \(flow.joined(separator: " ")): \(Date().timeIntervalSince(started)) s") }
            // -s1 asks 100,000 single-MAD queries (PortInfoRecords) one at a time: 27-52 s on a quiet machine, past 60 s on a loaded one.
            let result = try ibsim.run("/usr/sbin/osmtest", flow + ["-i", inventory], timeout: 240, environment: ["SIM_HOST": "host-3"])
            let verdict = result.stdout.split(separator: "\n").last { $0.contains("OSMTEST: TEST") } ?? "no verdict"
            #expect(result.status == 0 && verdict.contains("PASS"), "osmtest \(flow.joined(separator: " ")): \(verdict)\n\(result.stdout.suffix(1500))")
            print("osmtest \(flow.joined(separator: " ")): \(verdict)")
        }
        // The SA never gave up: nothing in its log says it died, and it still answers.
        #expect(sm.isRunning)
        #expect(try Self.saquery(ibsim, ["-c"]).status == 0)
    }
}

/// Multicast trees and partitions that `swiftsm run` writes, as dump_mfts and smpquery see them.
@Suite(.serialized, .ownThread) struct MulticastAndPartitionsAgainstIbsimTests {
    /// The `sa-join` test tool built beside `swiftsm`.
    static var joinTool: String { URL(fileURLWithPath: swiftsmExecutable).deletingLastPathComponent().appendingPathComponent("sa-join").path }

    /// The ports each switch forwards `mlid` to, by switch description, from dump_mfts.
    static func multicastPorts(_ dump: String, mlid: String) -> [String: Set<Int>] {
        var result: [String: Set<Int>] = [:]
        var current: String?
        var columns: [(port: Int, column: Int)] = []
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("Multicast mlids"), let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") {
                current = String(line[line.index(after: open)..<close])
                result[current!] = []
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("Ports:"), let start = line.range(of: "Ports:")?.upperBound {
                columns = []
                var column = line.distance(from: line.startIndex, to: start)
                for token in line[start...].split(separator: " ", omittingEmptySubsequences: false) {
                    if let port = Int(token) { columns.append((port, column)) }
                    column += token.count + 1
                }
            } else if let current, line.hasPrefix(mlid) {
                let characters = Array(line)
                for (port, column) in columns where column < characters.count && characters[column] == "x" { result[current]!.insert(port) }
            }
        }
        return result
    }

    /// What keeps `ports` (one MLID's MFT entries by switch, from dump_mfts) from being that group's tree on
    /// `fabric`: a member's port left out, another host's port in, a switch link set at one end only, a port
    /// with no link set, a loop, or pieces that do not reach one another. Empty for a good tree.
    static func treeProblems(_ ports: [String: Set<Int>], fabric: Fabric, members: [String]) -> [String] {
        var problems: [String] = []
        var edges = 0
        var neighbours: [String: Set<String>] = [:]
        for (index, node) in fabric.nodes.enumerated() where node.type == .switch {
            let set = ports[node.description] ?? []
            for number in set where number != 0 {
                guard let port = node.knownPorts.first(where: { $0.number.rawValue == number }), let remote = port.remote else {
                    problems.append("\(node.description)[\(number)] forwards to a port with no link")
                    continue
                }
                if fabric[remote.node].type == .switch {
                    let far = fabric[remote.node].description
                    if ports[far]?.contains(Int(remote.port.rawValue)) != true { problems.append("\(node.description)[\(number)] -> \(far) is one-way") }
                    neighbours[node.description, default: []].insert(far)
                    edges += 1
                } else if !members.contains(fabric[remote.node].description) {
                    problems.append("\(fabric.describe(PortAddress(node: index, port: port.number))) leads to a host that is no member")
                }
            }
            for port in node.knownPorts {
                guard let remote = port.remote, fabric[remote.node].type != .switch, members.contains(fabric[remote.node].description) else { continue }
                if !set.contains(Int(port.number.rawValue)) { problems.append("member \(fabric[remote.node].description) is not reached") }
            }
        }
        let treeSwitches = Set(ports.filter { !$0.value.isEmpty }.keys)
        guard let first = treeSwitches.min() else { return problems + ["no switch forwards the group"] }
        if edges / 2 != treeSwitches.count - 1 { problems.append("a loop: \(edges / 2) links for \(treeSwitches.count) switches") }
        var seen: Set<String> = [first]
        var queue = [first]
        while let next = queue.popLast() {
            for far in neighbours[next, default: []] where !seen.contains(far) { seen.insert(far); queue.append(far) }
        }
        if seen != treeSwitches { problems.append("the tree is in pieces: \(seen.sorted()) of \(treeSwitches.sorted())") }
        return problems
    }

    @Test func hostsThatJoinTheBroadcastGroupGetATreeReachingEveryMemberWithoutLoops() throws {
        let (ibsim, sm) = try SubnetAdministrationAgainstIbsimTests.swiftSMFabric(try RunAgainstIbsimTests.fabric())
        defer { ibsim.stop() }
        defer { ibsim.end(sm) }
        let verdict = try FabricVerdict.judge(ibsim, from: "host-5")
        try #require(verdict.isConfigured, "\(verdict.problems)")
        let fabric = verdict.fabric
        let smLID = SubnetAdministrationAgainstIbsimTests.lid(of: "host-0", verdict)
        // No member yet: the broadcast group exists (saquery -g) but no switch forwards it, as with OpenSM.
        let before = try ibsim.run("/usr/sbin/dump_mfts", [], timeout: 20, environment: ["SIM_HOST": "host-5"])
        #expect(Self.multicastPorts(before.stdout, mlid: "0xc000").values.allSatisfy { $0.isEmpty }, "\(before.stdout)")

        let members = ["host-1", "host-3", "host-6", "host-7"]
        for host in members {
            let join = try ibsim.run(Self.joinTool, ["\(smLID)", "join", "ff12:401b:ffff::ffff:ffff"], timeout: 20, environment: ["SIM_HOST": host])
            #expect(join.status == 0 && join.stdout.contains("mlid 0xc000"), "\(host): \(join.stdout) \(join.stderr)")
        }
        // The MFTs follow the joins within a tick or two.
        var ports: [String: Set<Int>] = [:]
        let memberPorts = members.map { name -> (switchName: String, port: Int) in
            let node = fabric.nodes.firstIndex { $0.description == name }!
            let remote = fabric[node].knownPorts.first!.remote!
            return (fabric[remote.node].description, Int(remote.port.rawValue))
        }
        let reached = ibsim.waitUntil(timeout: 10) {
            let dump = (try? ibsim.run("/usr/sbin/dump_mfts", [], timeout: 20, environment: ["SIM_HOST": "host-5"]).stdout) ?? ""
            ports = Self.multicastPorts(dump, mlid: "0xc000")
            return memberPorts.allSatisfy { ports[$0.switchName]?.contains($0.port) == true }
        }
        #expect(reached, "\(ports)")
        let problems = Self.treeProblems(ports, fabric: fabric, members: members)
        #expect(problems.isEmpty, "\(problems) in \(ports)")
        // Our own check agrees with the judge's.
        let verified = try ibsim.run(swiftsmExecutable, ["verify"], timeout: 60, environment: ["SIM_HOST": "host-5"])
        #expect(verified.status == 0 && verified.stdout.contains("multicast: 1 group(s): each a loop-free tree"), "\(verified.stdout)\(verified.stderr)")

        // Leaving: the last member of a leaf leaves, and its leaf stops forwarding to it.
        let leave = try ibsim.run(Self.joinTool, ["\(smLID)", "leave", "ff12:401b:ffff::ffff:ffff"], timeout: 20, environment: ["SIM_HOST": "host-3"])
        #expect(leave.status == 0, "\(leave.stdout)")
        let pruned = ibsim.waitUntil(timeout: 10) {
            let dump = (try? ibsim.run("/usr/sbin/dump_mfts", [], timeout: 20, environment: ["SIM_HOST": "host-5"]).stdout) ?? ""
            ports = Self.multicastPorts(dump, mlid: "0xc000")
            return ports[memberPorts[1].switchName]?.isEmpty == true
        }
        #expect(pruned, "\(ports)")
    }

    @Test func afterALinkOfATreeFailsEveryGroupHasATreeOnTheLinksLeft() throws {
        let ibsim = try IbsimFabric(topology: try RunAgainstIbsimTests.fabric())
        defer { ibsim.stop() }
        // Two IPoIB partitions: two broadcast groups, both there before anyone joins.
        let partitions = ibsim.directory.appendingPathComponent("partitions.conf")
        try "Default=0x7fff, ipoib : ALL=full;\ncompute=0x0010, ipoib : ALL=full;\n".write(to: partitions, atomically: true, encoding: .utf8)
        let sm = try RunAgainstIbsimTests.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--partitions", partitions.path, "--sweep-interval", "0"])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") }, "\(ibsim.read("swiftsm.log"))")
        var verdict = try FabricVerdict.judge(ibsim, from: "host-5")
        try #require(verdict.isConfigured, "\(verdict.problems)")
        let smLID = SubnetAdministrationAgainstIbsimTests.lid(of: "host-0", verdict)
        let groups = [(mgid: "ff12:401b:ffff::ffff:ffff", members: ["host-1", "host-3", "host-6", "host-7"]),
                      (mgid: "ff12:401b:8010::ffff:ffff", members: ["host-2", "host-4", "host-7"])]
        var mlids: [String] = []
        for group in groups {
            var mlid = ""
            for host in group.members {
                let join = try ibsim.run(Self.joinTool, ["\(smLID)", "join", group.mgid], timeout: 20, environment: ["SIM_HOST": host])
                #expect(join.status == 0, "\(host) joining \(group.mgid): \(join.stdout) \(join.stderr)")
                mlid = join.stdout.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            }
            mlids.append(mlid)
        }
        #expect(Set(mlids).count == 2 && mlids.allSatisfy { $0.hasPrefix("0xc") }, "\(mlids)")

        /// Each group's problems as a tree on `fabric`, from one dump_mfts.
        func trees(on fabric: Fabric) -> (problems: [String], ports: [[String: Set<Int>]]) {
            let dump = (try? ibsim.run("/usr/sbin/dump_mfts", [], timeout: 20, environment: ["SIM_HOST": "host-5"]).stdout) ?? ""
            let ports = mlids.map { Self.multicastPorts(dump, mlid: $0) }
            let problems = zip(groups, ports).flatMap { group, ports in Self.treeProblems(ports, fabric: fabric, members: group.members).map { "\(group.mgid): \($0)" } }
            return (problems, ports)
        }
        var judged = trees(on: verdict.fabric)
        #expect(ibsim.waitUntil(timeout: 10) { judged = trees(on: verdict.fabric); return judged.problems.isEmpty }, "\(judged)")

        // A link of the first group's tree between two switches fails.
        let fabric = verdict.fabric
        let treeLink = fabric.links.first { link in
            fabric[link.a.node].type == .switch && fabric[link.b.node].type == .switch
                && judged.ports[0][fabric[link.a.node].description]?.contains(Int(link.a.port.rawValue)) == true
        }
        let link = try #require(treeLink, "no switch link in \(judged.ports[0])")
        let deadEnds = [(fabric[link.a.node].description, Int(link.a.port.rawValue)), (fabric[link.b.node].description, Int(link.b.port.rawValue))]
        let reroutes = ibsim.read("swiftsm.log").components(separatedBy: "re-routed:").count
        ibsim.console("Unlink \"\(deadEnds[0].0)\"[\(deadEnds[0].1)]")
        // The SM re-routes after the trap (no light sweeps here: the re-route alone must rebuild the trees);
        // then, as the judges see the links left, every group is a tree on them and nothing forwards to the
        // dead ports.
        #expect(ibsim.waitFor("swiftsm.log") { $0.components(separatedBy: "re-routed:").count > reroutes }, "\(ibsim.read("swiftsm.log").suffix(3000))")
        verdict = try FabricVerdict.judge(ibsim, from: "host-5")
        #expect(verdict.fabric.links.count == fabric.links.count - 1, "\(verdict.problems)")
        let rebuilt = ibsim.waitUntil(timeout: 20) {
            judged = trees(on: verdict.fabric)
            return judged.problems.isEmpty
        }
        #expect(rebuilt, "after Unlink \(deadEnds): \(judged)\n\(ibsim.read("swiftsm.log").suffix(3000))")
        for (switchName, port) in deadEnds {
            #expect(judged.ports.allSatisfy { $0[switchName]?.contains(port) != true }, "\(switchName)[\(port)] still forwards: \(judged.ports)")
        }

        // The link comes back and a heavy pass (SIGHUP) runs: the trees are rebuilt on every link again.
        let heavyPasses = ibsim.read("swiftsm.log").components(separatedBy: "subnet up").count
        ibsim.console("ReLink \"\(deadEnds[0].0)\"[\(deadEnds[0].1)]")
        #expect(ibsim.waitUntil(timeout: 10) { (try? FabricVerdict.judge(ibsim, from: "host-5"))?.fabric.links.count == fabric.links.count })
        kill(sm.processIdentifier, SIGHUP)
        #expect(ibsim.waitFor("swiftsm.log") { $0.components(separatedBy: "subnet up").count > heavyPasses }, "\(ibsim.read("swiftsm.log").suffix(3000))")
        verdict = try FabricVerdict.judge(ibsim, from: "host-5")
        #expect(verdict.isConfigured, "\(verdict.problems)")
        #expect(ibsim.waitUntil(timeout: 20) { judged = trees(on: verdict.fabric); return judged.problems.isEmpty }, "after ReLink and a heavy pass: \(judged)")
        let verified = try ibsim.run(swiftsmExecutable, ["verify"], timeout: 60, environment: ["SIM_HOST": "host-5"])
        #expect(verified.status == 0 && verified.stdout.contains("multicast: 2 group(s): each a loop-free tree"), "\(verified.stdout)\(verified.stderr)")

        // With the SM gone, a link of the first group's tree fails: nothing rebuilds the tree, and verify names the group.
        ibsim.end(sm)
        let current = verdict.fabric
        let cut = try #require(current.links.first { link in
            current[link.a.node].type == .switch && current[link.b.node].type == .switch
                && judged.ports[0][current[link.a.node].description]?.contains(Int(link.a.port.rawValue)) == true
        }, "no switch link in \(judged.ports[0])")
        ibsim.console("Unlink \"\(current[cut.a.node].description)\"[\(cut.a.port)]")
        #expect(ibsim.waitUntil(timeout: 10) { (try? FabricVerdict.judge(ibsim, from: "host-5"))?.fabric.links.count == current.links.count - 1 })
        let broken = try ibsim.run(swiftsmExecutable, ["verify"], timeout: 60, environment: ["SIM_HOST": "host-5"])
        #expect(broken.status == 1, "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stderr.contains("MLID \(mlids[0]): \"\(current[cut.a.node].description)\"[\(cut.a.port)] forwards out of a port with no link"), "\(broken.stderr)")
        #expect(!broken.stderr.contains("MLID \(mlids[1])") || judged.ports[1][current[cut.a.node].description]?.contains(Int(cut.a.port.rawValue)) == true,
                "the other group does not use that link: \(broken.stderr)")
    }

    @Test func partitionsFromAFileReachThePKeyTables() throws {
        let ibsim = try IbsimFabric(topology: try RunAgainstIbsimTests.fabric())
        defer { ibsim.stop() }
        // host-3's port GUID, read before any SM runs (directed route to its own node).
        let nodeInfo = try ibsim.run("/usr/sbin/smpquery", ["-D", "nodeinfo", "0"], timeout: 20, environment: ["SIM_HOST": "host-3"]).stdout
        let guid = try #require(SubnetAdministrationAgainstIbsimTests.fields(nodeInfo)["PortGuid:"], "\(nodeInfo)")
        let configuration = """
            # three partitions beside the default one
            Default=0x7fff, ipoib : ALL=full;
            compute=0x0010, ipoib : ALL_CAS=full;
            storage=0x0020 : ALL_CAS=limited, SELF=full;
            admin=0x0030 : \(guid)=full;
            """
        let path = ibsim.directory.appendingPathComponent("partitions.conf")
        try configuration.write(to: path, atomically: true, encoding: .utf8)
        let sm = try RunAgainstIbsimTests.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--partitions", path.path])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("partitions:") }, "\(ibsim.read("swiftsm.log"))")
        let verdict = try FabricVerdict.judge(ibsim, from: "host-5")
        try #require(verdict.isConfigured, "\(verdict.problems)")

        func keys(_ lid: UInt16, port: Int? = nil) throws -> [String] {
            let out = try ibsim.run("/usr/sbin/smpquery", ["pkeys", "\(lid)"] + (port.map { ["\($0)"] } ?? []), timeout: 20,
                                    environment: ["SIM_HOST": "host-5"]).stdout
            return out.split(separator: "\n").filter { $0.contains(":") && !$0.contains("capacity") }
                .flatMap { $0.split(separator: ":")[1].split(separator: " ").map(String.init) }.filter { $0 != "0x0000" }
        }
        let lid = { SubnetAdministrationAgainstIbsimTests.lid(of: $0, verdict) }
        #expect(try keys(lid("host-3")) == ["0xffff", "0x8010", "0x0020", "0x8030"])
        #expect(try keys(lid("host-5")) == ["0xffff", "0x8010", "0x0020"])
        // SELF: the SM's own port is a full member of storage (and a limited one through ALL_CAS).
        #expect(try keys(lid("host-0")) == ["0xffff", "0x8010", "0x8020", "0x0020"])
        let leaf = verdict.fabric.nodes.first { $0.description == "leaf-1" }!
        #expect(leaf.baseLID.rawValue != 0)
        #expect(try keys(leaf.baseLID.rawValue, port: 0) == ["0xffff"], "a switch is in the default partition only (ALL)")
        // Each partition with ipoib has its broadcast group.
        let groups = try SubnetAdministrationAgainstIbsimTests.saquery(ibsim, ["-g"]).stdout
        #expect(groups.contains("ff12:401b:ffff::ffff:ffff") && groups.contains("ff12:401b:8010::ffff:ffff"), "\(groups)")
    }
}

/// `swiftsm run --partitions` with a file it cannot use: one line naming the file (and line), exit 2, before
/// any port is opened.
@Suite(.ownThread) struct PartitionsFlagTests {
    @Test func aBadPartitionsFileStopsTheStartWithOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-partitions-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("partitions.conf")
        try "Default=0x7fff, ipoib : ALL=full;\nstorage=0x0002, bogus : ALL=full;\n".write(to: bad, atomically: true, encoding: .utf8)
        let guid2lid = directory.appendingPathComponent("guid2lid").path
        let result = try runCommand(swiftsmExecutable, ["run", "--partitions", bad.path, "--guid2lid", guid2lid], timeout: 30)
        #expect(result.status == 2, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("partitions.conf:2"), "\(result.stderr)")
        let missing = try runCommand(swiftsmExecutable, ["run", "--partitions", directory.path + "/none.conf", "--guid2lid", guid2lid], timeout: 30)
        #expect(missing.status == 2 && missing.stderr.contains("none.conf"), "\(missing.stderr)")
    }
}
