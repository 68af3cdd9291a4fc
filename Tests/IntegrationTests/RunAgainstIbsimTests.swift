import FabricModel
import Foundation
import IBCapture
import TestSupport
import Testing

/// `swiftsm run` on real ibsim under umad2sim, with OpenSM as the other SM and the stock diag tools
/// (sminfo, smpquery, ibnetdiscover, iblinkinfo, dump_lfts) as judges.
@Suite(.serialized, .ownThread) struct RunAgainstIbsimTests {
    static func fabric() throws -> String { try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)) }

    /// Starts `swiftsm run` at `host`, logging to `<name>.log` in the fabric's folder.
    static func startSwiftSM(_ ibsim: IbsimFabric, at host: String, name: String, _ arguments: [String]) throws -> Process {
        try ibsim.launch(swiftsmExecutable, ["run", "--guid2lid", ibsim.directory.path + "/\(name).guid2lid"] + arguments,
                         environment: ["SIM_HOST": host], logName: name + ".log")
    }

    static func startOpenSM(_ ibsim: IbsimFabric, at host: String, priority: Int, name: String = "opensm") throws -> Process {
        let directory = ibsim.directory.path
        return try ibsim.launch("/usr/sbin/opensm", ["-p", "\(priority)", "-f", "\(directory)/\(name).log"],
                                environment: ["SIM_HOST": host, "OSM_TMP_DIR": directory, "OSM_CACHE_DIR": directory],
                                logName: name + ".out")
    }

    /// What `sminfo` run from `host` says of the master.
    static func sminfo(_ ibsim: IbsimFabric, from host: String) throws -> String {
        try ibsim.run("/usr/sbin/sminfo", [], timeout: 20, environment: ["SIM_HOST": host]).stdout
    }

    /// Ends a process with SIGTERM and returns how long it took to exit, and its status.
    static func terminate(_ process: Process) -> (seconds: Double, status: Int32) {
        let started = Date()
        process.terminate()
        process.waitUntilExit()
        return (Date().timeIntervalSince(started), process.terminationStatus)
    }

    @Test func masterIsSeenBySminfoAndSIGTERMClearsIsSM() throws {
        let ibsim = try IbsimFabric(topology: try Self.fabric())
        defer { ibsim.stop() }
        let sm = try Self.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--priority", "7"])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") }, "\(ibsim.read("swiftsm.log"))")

        let verdict = try FabricVerdict.judge(ibsim, from: "host-3")
        #expect(verdict.isConfigured, "\(verdict.problems)")
        let ourGUID = verdict.fabric.nodes.first { $0.description == "host-0" }!.knownPorts.first!.guid
        let ourLID = verdict.lidByPortGUID[ourGUID.rawValue]!
        let info = try Self.sminfo(ibsim, from: "host-3")
        #expect(info.contains("sm lid \(ourLID) sm guid 0x\(String(ourGUID.rawValue, radix: 16))"), "\(info)")
        #expect(info.contains("priority 7") && info.contains("SMINFO_MASTER"), "\(info)")

        let capability = { () throws -> String in
            try ibsim.run("/usr/sbin/smpquery", ["portinfo", "\(ourLID)", "1"], timeout: 20, environment: ["SIM_HOST": "host-3"]).stdout
        }
        #expect(try capability().contains("IsSM"), "IsSM is set while SwiftSM runs")
        let (seconds, status) = Self.terminate(sm)
        #expect(status == 0, "\(ibsim.read("swiftsm.log"))")
        // Well under a second on a quiet machine; the bound catches an SM that waits for a pass or a timeout
        // before it stops (systemd kills after 90 s), not a slow machine (3.7 s at load 5 on two cores).
        #expect(seconds < 10, "exited \(seconds) s after SIGTERM")
        #expect(try !capability().contains("IsSM"), "IsSM is cleared after exit")
    }

    @Test func lightSweepsOfAnUnchangedSubnetSendNoSet() throws {
        let ibsim = try IbsimFabric(topology: try Self.fabric())
        defer { ibsim.stop() }
        let first = try Self.startSwiftSM(ibsim, at: "host-0", name: "first", [])
        #expect(ibsim.waitFor("first.log") { $0.contains("subnet up") })
        #expect(Self.terminate(first).status == 0)

        // A second run on the configured subnet, recorded: a heavy pass (reconciliation) and light sweeps
        // every second. Not one Set may go out.
        let capture = ibsim.directory.path + "/run.pcap"
        let second = try Self.startSwiftSM(ibsim, at: "host-0", name: "second", ["--sweep-interval", "1", "--record", capture, "-v"])
        #expect(ibsim.waitFor("second.log", timeout: 20) { $0.components(separatedBy: "light pass").count >= 5 }, "\(ibsim.read("second.log"))")
        #expect(Self.terminate(second).status == 0, "\(ibsim.read("second.log"))")
        let frames = try runCommand("/usr/bin/tshark", ["-r", capture])
        #expect(frames.status == 0, "\(frames.stderr)")
        let lines = frames.stdout.split(separator: "\n")
        #expect(!lines.contains { $0.contains("SubnSet(") }, "Sets were sent: \(lines.filter { $0.contains("SubnSet(") }.prefix(5))")
        // Four light sweeps read the 6 switches' SwitchInfo (plus the heavy pass's reads).
        #expect(lines.filter { $0.contains("SubnGet(SwitchInfo)") }.count >= 4 * 6)
    }

    @Test func aLowerPriorityOpensmGoesStandby() throws {
        let ibsim = try IbsimFabric(topology: try Self.fabric())
        defer { ibsim.stop() }
        let sm = try Self.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--priority", "10"])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") })
        let opensm = try Self.startOpenSM(ibsim, at: "host-3", priority: 1)
        defer { ibsim.end(opensm) }
        #expect(ibsim.waitFor("opensm.log") { $0.contains("Entering STANDBY state") }, "\(ibsim.read("opensm.log"))")
        #expect(!ibsim.read("opensm.log").contains("Entering MASTER state"))
        #expect(try Self.sminfo(ibsim, from: "host-5").contains("priority 10"))
    }

    @Test func aHigherPriorityOpensmTakesOverByHandoverAndSwiftSMTakesBackWhenItDies() throws {
        let ibsim = try IbsimFabric(topology: try Self.fabric())
        defer { ibsim.stop() }
        let sm = try Self.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--priority", "1"])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") })
        let opensm = try Self.startOpenSM(ibsim, at: "host-3", priority: 10)
        defer { ibsim.end(opensm) }
        #expect(ibsim.waitFor("opensm.log") { $0.contains("Entering MASTER state") }, "\(ibsim.read("opensm.log"))")
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("MASTER -> STANDBY") }, "\(ibsim.read("swiftsm.log"))")
        #expect(ibsim.read("swiftsm.log").contains("sent HANDOVER"))
        // (Under ibsim OpenSM's first sweep as master then stalls: it waits for the TrapRepress of the Trap 144
        // it sent us, which ibsim drops instead of delivering. So MasterSMLID still names us; see the field notes.)
        let before = try FabricVerdict.judge(ibsim, from: "host-5")

        // Failover: OpenSM dies; SwiftSM (default polling) takes over, keeping every LID: in about 2 s on a quiet
        // machine. The bound catches polling as slow as OpenSM's defaults (about 60 s), not a loaded machine.
        let killed = Date()
        ibsim.end(opensm)
        #expect(ibsim.waitFor("swiftsm.log", timeout: 20) { $0.contains("taking over") })
        #expect(ibsim.waitFor("swiftsm.log", timeout: 20) { $0.components(separatedBy: "subnet up").count >= 3 })
        let tookOver = Date().timeIntervalSince(killed)
        #expect(tookOver < 15, "took over \(tookOver) s after OpenSM died")
        let after = try FabricVerdict.judge(ibsim, from: "host-5")
        #expect(after.isConfigured, "\(after.problems)")
        #expect(after.lidByPortGUID == before.lidByPortGUID, "the LIDs ports held changed on takeover")
        #expect(try Self.sminfo(ibsim, from: "host-5").contains("priority 1 state 3"))
    }

    @Test func twoSwiftSMsElectHandOverAndFailOver() throws {
        let ibsim = try IbsimFabric(topology: try Self.fabric())
        defer { ibsim.stop() }
        let low = try Self.startSwiftSM(ibsim, at: "host-0", name: "low", ["--priority", "2"])
        defer { ibsim.end(low) }
        #expect(ibsim.waitFor("low.log") { $0.contains("subnet up") })
        // A higher SM started later gets the subnet by handover.
        let high = try Self.startSwiftSM(ibsim, at: "host-6", name: "high", ["--priority", "9"])
        defer { ibsim.end(high) }
        #expect(ibsim.waitFor("low.log", timeout: 15) { $0.contains("MASTER -> STANDBY") }, "\(ibsim.read("low.log"))")
        #expect(ibsim.waitFor("high.log", timeout: 15) { $0.contains("-> MASTER") && $0.contains("subnet up") }, "\(ibsim.read("high.log"))")
        #expect(try Self.sminfo(ibsim, from: "host-3").contains("priority 9"))
        let before = try FabricVerdict.judge(ibsim, from: "host-3")
        #expect(before.isConfigured, "\(before.problems)")

        // The master dies: the standby takes over, with the same LIDs: in about 2 s on a quiet machine (8.9 s
        // seen in CI). The bound catches polling as slow as OpenSM's defaults (about 60 s), not a loaded machine.
        let killed = Date()
        ibsim.end(high)
        #expect(ibsim.waitFor("low.log", timeout: 20) { $0.contains("taking over") })
        #expect(ibsim.waitFor("low.log", timeout: 20) { $0.components(separatedBy: "subnet up").count >= 3 }, "\(ibsim.read("low.log"))")
        #expect(Date().timeIntervalSince(killed) < 15)
        let after = try FabricVerdict.judge(ibsim, from: "host-3")
        #expect(after.isConfigured, "\(after.problems)")
        #expect(after.lidByPortGUID == before.lidByPortGUID)
        #expect(try Self.sminfo(ibsim, from: "host-3").contains("priority 2 state 3"))
    }
}

/// Link failures under a running SwiftSM: traps, re-routing, and links coming back.
@Suite(.serialized, .ownThread) struct LinkFailureAgainstIbsimTests {
    /// Waits until the diag tools judge the fabric configured with `links` links, and returns the verdict
    /// and the seconds it took.
    static func settle(_ ibsim: IbsimFabric, links: Int, within timeout: Double = 20) throws -> (FabricVerdict, Double) {
        let started = Date()
        var verdict = try FabricVerdict.judge(ibsim, from: "host-3")
        while !(verdict.isConfigured && verdict.fabric.links.count == links), Date().timeIntervalSince(started) < timeout {
            usleep(100_000)
            verdict = try FabricVerdict.judge(ibsim, from: "host-3")
        }
        return (verdict, Date().timeIntervalSince(started))
    }

    @Test func aLinkThatFailsIsRoutedAroundAndComesBackWithItsLIDs() throws {
        let ibsim = try IbsimFabric(topology: try RunAgainstIbsimTests.fabric())
        defer { ibsim.stop() }
        // Light sweeps 5 s apart: the first repair below must come from the trap (its re-route is checked by
        // name); a trap ibsim loses later is caught by a light sweep, as in production.
        let sm = try RunAgainstIbsimTests.startSwiftSM(ibsim, at: "host-0", name: "swiftsm", ["--sweep-interval", "5"])
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("swiftsm.log") { $0.contains("subnet up") })
        let (initial, _) = try Self.settle(ibsim, links: 16)
        #expect(initial.isConfigured, "\(initial.problems)")

        // An inter-switch link fails.
        ibsim.console(#"Unlink "leaf-2"[3]"#)
        #expect(ibsim.waitFor("swiftsm.log", timeout: 10) { $0.contains("Trap 128") }, "\(ibsim.read("swiftsm.log"))")
        let (rerouted, seconds) = try Self.settle(ibsim, links: 15)
        #expect(rerouted.isConfigured, "\(rerouted.problems)")
        #expect(rerouted.verification.isValid)
        print("inter-switch link down: judged configured on 15 links \(seconds) s after the Unlink")
        // Repaired by the trap's re-route (the ports around it read, only changed blocks written), not a heavy pass.
        let reroutes = ibsim.read("swiftsm.log").split(separator: "\n").filter { $0.contains("re-routed:") }
        #expect(reroutes.count >= 1, "\(ibsim.read("swiftsm.log"))")
        print(reroutes.joined(separator: "\n"))

        // It comes back: the re-linked ports are ACTIVE again, and every port keeps its LID.
        ibsim.console(#"ReLink "leaf-2"[3]"#)
        let (relinked, _) = try Self.settle(ibsim, links: 16)
        #expect(relinked.isConfigured, "\(relinked.problems)")
        #expect(relinked.lidByPortGUID == initial.lidByPortGUID)

        // A host's link fails and comes back with its LID.
        ibsim.console(#"Unlink "leaf-3"[1]"#)
        let (withoutHost, _) = try Self.settle(ibsim, links: 15)
        #expect(withoutHost.isConfigured, "\(withoutHost.problems)")
        ibsim.console(#"ReLink "leaf-3"[1]"#)
        let (withHost, _) = try Self.settle(ibsim, links: 16)
        #expect(withHost.isConfigured, "\(withHost.problems)\n\(ibsim.read("swiftsm.log").suffix(3000))")
        #expect(withHost.lidByPortGUID.allSatisfy { initial.lidByPortGUID[$0.key] == $0.value }, "a port's LID changed")

        // Links that go down and come back before the SM handles the first trap: their ports wait in INIT while
        // the model still has the link. The re-route must bring them up again (it used to see "no change").
        ibsim.console(#"Unlink "leaf-3"[2]"#)
        ibsim.console(#"ReLink "leaf-3"[2]"#)
        ibsim.console(#"Unlink "leaf-1"[4]"#)
        ibsim.console(#"ReLink "leaf-1"[4]"#)
        let (bounced, _) = try Self.settle(ibsim, links: 16)
        let bouncedLinksUp = bounced.isConfigured
        #expect(bouncedLinksUp, "\(bounced.problems)\n\(ibsim.read("swiftsm.log").suffix(3000))")
        #expect(bounced.lidByPortGUID == initial.lidByPortGUID)
        #expect(ibsim.read("swiftsm.log").components(separatedBy: "Trap 128").count >= 3, "\(ibsim.read("swiftsm.log"))")
    }
}
