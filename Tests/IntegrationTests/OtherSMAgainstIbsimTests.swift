import FabricModel
import Foundation
import TestSupport
import Testing

/// With opensm running as MASTER on ibsim at a higher priority, `sweep --once` does not fight it.
@Suite(.serialized, .ownThread) struct OtherSMAgainstIbsimTests {
    @Test func aHigherPriorityOpensmIsNamedAndNothingIsSet() throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let opensm = try ibsim.launch("/usr/sbin/opensm", ["-p", "10", "-f", directory + "/opensm-daemon.log"],
                                      environment: ["SIM_HOST": "host-0", "OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory])
        defer { ibsim.end(opensm) }
        // Wait until it is MASTER (its daemon log says so; "SUBNET UP" is only logged at higher verbosity).
        let deadline = Date().addingTimeInterval(60)
        var master = false
        while Date() < deadline, !master {
            master = ((try? String(contentsOfFile: directory + "/opensm-daemon.log", encoding: .utf8)) ?? "").contains("Entering MASTER state")
            if !master { usleep(100_000) }
        }
        #expect(master, "opensm did not become MASTER")

        let capture = ibsim.directory.appendingPathComponent("refused.pcap").path
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once", "--priority", "5", "--record", capture])
        #expect(sweep.status == 1, "\(sweep.stdout) \(sweep.stderr)")
        #expect(sweep.stderr.contains("MASTER"))
        #expect(sweep.stderr.contains("priority 10"))
        #expect(sweep.stderr.contains("\"host-0\"[1]"))

        let frames = try runCommand("/usr/bin/tshark", ["-r", capture])
        #expect(frames.status == 0, "\(frames.stderr)")
        #expect(frames.stdout.contains("SubnGet(SMInfo)") || frames.stdout.contains("SubnGet(SMINFO)") || frames.stdout.contains("SMInfo"))
        #expect(!frames.stdout.contains("SubnSet("))
    }
}
