import FabricModel
import Foundation
import TestSupport
import Testing

/// `swiftsm sweep --once --config FILE` with the opensm.conf that `opensm -c` writes (every key OpenSM
/// has): accepted with one warning per key SwiftSM ignores, lmc from the file taking effect on ibsim,
/// and flags overriding the file.
@Suite(.serialized, .ownThread) struct ConfigurationAgainstIbsimTests {
    static let onHost = ["SIM_HOST": "host-0"]

    /// The LMC ibnetdiscover reads from every linked CA port, and whether each port's LID is aligned to it.
    func observedLMC(_ ibsim: IbsimFabric) throws -> (lmcs: Set<UInt8>, aligned: Bool) {
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: Self.onHost)
        #expect(discovered.status == 0, "ibnetdiscover: \(discovered.stderr)")
        let fabric = try TopologyFile.parse(discovered.stdout, source: "ibnetdiscover")
        let ports = fabric.nodes.filter { $0.type != .switch }.flatMap(\.knownPorts).filter { $0.remote != nil }
        return (Set(ports.map(\.lmc)), ports.allSatisfy { $0.lid.rawValue % (1 << UInt16($0.lmc)) == 0 })
    }

    @Test func opensmsOwnConfigurationIsAcceptedAndItsLMCTakesEffect() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let path = ibsim.directory.appendingPathComponent("opensm.conf").path
        let written = try runCommand("/usr/sbin/opensm", ["-c", path], timeout: 30)
        #expect(written.status == 0, "opensm -c: \(written.stderr)")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\nlmc 0\n"))
        text = text.replacingOccurrences(of: "\nlmc 0\n", with: "\nlmc 2\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let keys = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[0]) })

        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--config", path], environment: Self.onHost)
        #expect(sweep.status == 0, "sweep: \(sweep.stdout) \(sweep.stderr)")
        #expect(sweep.stdout.contains("LMC 2"), "\(sweep.stdout)")
        let warnings = sweep.stderr.split(separator: "\n").filter { $0.contains("ignoring '") }
        let warnedKeys = warnings.compactMap { $0.split(separator: "'").dropFirst().first.map(String.init) }
        #expect(warnedKeys.count == Set(warnedKeys).count, "one warning per key")
        #expect(warnedKeys.count > 100, "opensm 3.3.23 has about 140 keys SwiftSM does not use")
        #expect(Set(warnedKeys).isSubset(of: keys))
        for used in ["lmc", "sm_priority", "sweep_interval", "max_wire_smps", "m_key", "guid"] { #expect(!warnedKeys.contains(used)) }
        #expect(warnings.allSatisfy { $0.hasPrefix("swiftsm: warning: \(path):") })
        let observed = try observedLMC(ibsim)
        #expect(observed.lmcs == [2])
        #expect(observed.aligned)

        // A flag overrides the file.
        let again = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--config", path, "--lmc", "1"], environment: Self.onHost)
        #expect(again.status == 0, "sweep --lmc 1: \(again.stdout) \(again.stderr)")
        #expect(try observedLMC(ibsim).lmcs == [1])
    }

    @Test func aBadValueInTheFileIsOneLineNamingFileAndLineAndChangesNothing() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let path = ibsim.directory.appendingPathComponent("bad.conf").path
        try "# SwiftSM\nsm_priority 3\nlmc 9\n".write(toFile: path, atomically: true, encoding: .utf8)
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--config", path], environment: Self.onHost)
        #expect(sweep.status == 2)
        #expect(sweep.stderr == "swiftsm: \(path):3: lmc 9: is outside 0-7\n")
        #expect(sweep.stdout.isEmpty)
    }

    @Test func smPriorityAndIgnoreOtherSMFromTheFileTakeEffect() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let opensm = try ibsim.launch("/usr/sbin/opensm", ["-p", "10", "-f", directory + "/opensm-daemon.log"],
                                      environment: ["SIM_HOST": "host-0", "OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory])
        defer { ibsim.end(opensm) }
        let deadline = Date().addingTimeInterval(60)
        var master = false
        while Date() < deadline, !master {
            master = ((try? String(contentsOfFile: directory + "/opensm-daemon.log", encoding: .utf8)) ?? "").contains("Entering MASTER state")
            if !master { usleep(100_000) }
        }
        #expect(master, "opensm did not become MASTER")

        let path = directory + "/swiftsm.conf"
        try "sm_priority 7\n".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--config", path], environment: ["SIM_HOST": "host-3"])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("outranks ours (priority 7)"), "\(refused.stderr)")

        try "sm_priority 7\nignore_other_sm TRUE\n".write(toFile: path, atomically: true, encoding: .utf8)
        let forced = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--config", path], environment: ["SIM_HOST": "host-3"])
        #expect(forced.stderr.contains("configuring anyway"), "\(forced.stderr)")
    }

    @Test func theGuidKeyAndPortIdPickThePort() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        // host-0's port 1 (ibsim: node GUID 0x100000 + port number).
        let path = ibsim.directory.appendingPathComponent("port.conf").path
        try "guid 0x0000000000100001\n".write(toFile: path, atomically: true, encoding: .utf8)
        let found = try ibsim.run(swiftsmExecutable, ["discover", "--config", path], environment: Self.onHost)
        #expect(found.status == 0, "\(found.stderr)")
        try "guid 0x1234\n".write(toFile: path, atomically: true, encoding: .utf8)
        let missing = try ibsim.run(swiftsmExecutable, ["discover", "--config", path], environment: Self.onHost)
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no InfiniBand port has GUID 0x0000000000001234"), "\(missing.stderr)")
        // --port-id overrides the file's guid.
        let named = try ibsim.run(swiftsmExecutable, ["discover", "--config", path, "--port-id", "0x0000000000100001"], environment: Self.onHost)
        #expect(named.status == 0, "\(named.stderr)")
        let byName = try ibsim.run(swiftsmExecutable, ["discover", "--port-id", "ibsim0:1"], environment: Self.onHost)
        #expect(byName.status == 0, "\(byName.stderr)")
    }
}
