import FabricModel
import Foundation
import Monitoring
import SystemBoundary
import TestSupport
import Testing

/// `swiftsm run` as systemd runs it, on ibsim: settings from --config, READY=1 on $NOTIFY_SOCKET once the
/// first heavy pass has the subnet up as MASTER, STATUS= lines, WATCHDOG=1 pings, the --listen listener
/// (read with `swiftsm status` and /metrics, SA requests from saquery counted there), and STOPPING=1 on SIGTERM.
@Suite(.serialized, .ownThread) struct ServiceAgainstIbsimTests {
    @Test func runNotifiesSystemdAndServesItsStatus() async throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let socket = directory + "/notify.sock"
        let receiver = try UnixDatagram.Receiver(path: socket)
        let config = directory + "/swiftsm.conf"
        let logFile = directory + "/swiftsm.log"
        try "sm_priority 9\nlmc 1\nsweep_interval 1\nqos_max_vls 8\nlog_file \(logFile)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let port = Int.random(in: 20_000...40_000)
        let sm = try ibsim.launch(swiftsmExecutable, ["run", "--config", config, "--listen", "127.0.0.1:\(port)", "--guid2lid", directory + "/guid2lid"],
                                  environment: ["SIM_HOST": "host-0", "NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "2000000"], logName: "run.log")
        defer { ibsim.end(sm) }

        var messages: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !messages.contains(where: { $0.hasPrefix("READY=1") }) {
            if let datagram = try receiver.receive(timeoutMilliseconds: 500) { messages.append(String(decoding: datagram, as: UTF8.self)) }
        }
        let log = { (try? String(contentsOfFile: directory + "/run.log", encoding: .utf8)) ?? "" }
        let ready = try #require(messages.first { $0.hasPrefix("READY=1") }, "no READY=1: \(messages) \(log())")
        #expect(ready.contains("STATUS=MASTER, priority 9"), "\(ready)")
        #expect(log().contains("ignoring 'qos_max_vls'"), "\(log())")
        // Watchdog pings every second (half of WATCHDOG_USEC).
        var pinged = false
        let pingDeadline = Date().addingTimeInterval(5)
        while Date() < pingDeadline, !pinged {
            if let datagram = try receiver.receive(timeoutMilliseconds: 500) { pinged = String(decoding: datagram, as: UTF8.self) == "WATCHDOG=1" }
        }
        #expect(pinged)

        let status = try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:\(port)", "--format", "json"], timeout: 30)
        #expect(status.status == 0, "\(status.stderr)")
        let decoded = try SMStatus.decode(json: Array(status.stdout.utf8))
        #expect(decoded.state == .master)
        #expect(decoded.priority == 9)
        #expect((decoded.sweepsByKind["heavy"] ?? 0) >= 1)
        #expect(decoded.activePorts == decoded.linkedPorts && decoded.linkedPorts > 0)
        #expect(decoded.smps.contains { $0.outcome == "sent" && $0.count > 0 })
        let metrics = try await StatusClient.get(host: "127.0.0.1", port: port, path: "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("swiftsm_sm_state{state=\"master\"} 1"))
        #expect(text.contains("swiftsm_sm_priority 9"))

        // SA requests from saquery at another host move the counters, by attribute, method and status.
        let saBefore = decoded.saRequests
        let classPortInfo = try ibsim.run("/usr/sbin/saquery", ["-c"], timeout: 20, environment: ["SIM_HOST": "host-3"])
        #expect(classPortInfo.status == 0, "\(classPortInfo.stderr)")
        // A GetTable with no record to give (no LID 999): success with none, as OpenSM answers.
        _ = try ibsim.run("/usr/sbin/saquery", ["NR", "999"], timeout: 20, environment: ["SIM_HOST": "host-3"])
        let afterSA = try SMStatus.decode(json: Array(try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:\(port)", "--format", "json"], timeout: 30).stdout.utf8))
        func count(_ counts: [SMStatus.SACount], _ attribute: String, _ method: String, _ status: String) -> Int {
            counts.first { $0.attribute == attribute && $0.method == method && $0.status == status }?.count ?? 0
        }
        #expect(count(afterSA.saRequests, "ClassPortInfo", "SubnAdmGet", "success") == count(saBefore, "ClassPortInfo", "SubnAdmGet", "success") + 1,
                "\(afterSA.saRequests)")
        #expect(count(afterSA.saRequests, "NodeRecord", "SubnAdmGetTable", "success") == count(saBefore, "NodeRecord", "SubnAdmGetTable", "success") + 1,
                "\(afterSA.saRequests)")
        let personText = try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:\(port)"], timeout: 30).stdout
        #expect(personText.contains("SA requests: ") && personText.contains(" ClassPortInfo SubnAdmGet success"), "\(personText)")
        let saMetrics = String(decoding: try await StatusClient.get(host: "127.0.0.1", port: port, path: "/metrics").body, as: UTF8.self)
        #expect(saMetrics.contains("swiftsm_sa_requests_total{attribute=\"ClassPortInfo\",method=\"SubnAdmGet\",status=\"success\"}"), "\(saMetrics)")

        // sweep_interval 1 from the file: a light sweep every second.
        let lights = decoded.sweepsByKind["light"] ?? 0
        try await Task.sleep(for: .seconds(3.5))
        let later = try SMStatus.decode(json: Array(try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:\(port)", "--format", "json"], timeout: 30).stdout.utf8))
        #expect((later.sweepsByKind["light"] ?? 0) >= lights + 2, "\(later.sweepsByKind)")

        // lmc 1 from the file: every host port's LID is even (aligned to 2).
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: ["SIM_HOST": "host-1"])
        #expect(discovered.stdout.contains("lmc 1"), "ibnetdiscover: \(discovered.stdout.count) bytes")

        // log_file from the configuration: the daemon's log lines go there.
        let logged = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        #expect(logged.contains(" swiftsm: "), "log_file: \(logged)")
        #expect(logged.contains("MASTER"), "log_file: \(logged)")

        kill(sm.processIdentifier, SIGTERM)
        var stopping = false
        let stopDeadline = Date().addingTimeInterval(10)
        while Date() < stopDeadline, !stopping {
            if let datagram = try receiver.receive(timeoutMilliseconds: 500) { stopping = String(decoding: datagram, as: UTF8.self) == "STOPPING=1" }
        }
        #expect(stopping)
    }

    /// What `swiftsm status --format json` says of the SM listening on `port`.
    static func status(_ port: Int) throws -> SMStatus {
        let result = try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:\(port)", "--format", "json"], timeout: 30)
        return try SMStatus.decode(json: Array(result.stdout.utf8))
    }

    /// The value of the sample `name{labels}` in Prometheus text (0 when absent).
    static func sample(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    /// Polls `condition` every 200 ms until it holds or `seconds` pass; whether it held.
    static func eventually(within seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }

    /// SIGHUP applies the edited file to the running SM: the new priority in `sminfo` and /status, the new
    /// light-sweep cadence, one line naming what changed and one naming what waits for a restart (lmc);
    /// a bad file then changes nothing and the SM runs on.
    @Test func sighupAppliesTheEditedConfiguration() async throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let config = directory + "/swiftsm.conf"
        try "sm_priority 3\nsweep_interval 60\n".write(toFile: config, atomically: true, encoding: .utf8)
        let port = Int.random(in: 20_000...40_000)
        let sm = try ibsim.launch(swiftsmExecutable, ["run", "--config", config, "--listen", "127.0.0.1:\(port)", "--guid2lid", directory + "/guid2lid"],
                                  environment: ["SIM_HOST": "host-0"], logName: "run.log")
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("run.log") { $0.contains("subnet up") }, "\(ibsim.read("run.log"))")
        let sminfo = { (try? ibsim.run("/usr/sbin/sminfo", [], timeout: 20, environment: ["SIM_HOST": "host-3"]).stdout) ?? "" }
        #expect(sminfo().contains("priority 3"), "\(sminfo())")
        #expect(await Self.eventually(within: 30) { (try? Self.status(port))?.state == .master })
        let lightsBefore = try Self.status(port).sweepsByKind["light"] ?? 0

        try "sm_priority 11\nsweep_interval 1\nlmc 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(sm.processIdentifier, SIGHUP)
        #expect(await Self.eventually(within: 30) { sminfo().contains("priority 11") }, "\(sminfo()) \(ibsim.read("run.log"))")
        #expect(try Self.status(port).priority == 11)
        #expect(ibsim.waitFor("run.log") { $0.contains("SIGHUP: configuration re-read; applied now: sm_priority, sweep_interval") },
                "\(ibsim.read("run.log"))")
        #expect(ibsim.read("run.log").contains("SIGHUP: lmc changed and need a restart"), "\(ibsim.read("run.log"))")
        // The cadence: light sweeps every second now (none were due for a minute before).
        let lightsAfterReload = try Self.status(port).sweepsByKind["light"] ?? 0
        try await Task.sleep(for: .seconds(3.5))
        let lightsLater = try Self.status(port).sweepsByKind["light"] ?? 0
        #expect(lightsAfterReload <= lightsBefore + 1 && lightsLater >= lightsAfterReload + 2, "\(lightsBefore) \(lightsAfterReload) \(lightsLater)")
        // lmc waits for a restart: the LIDs did not move.
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: ["SIM_HOST": "host-1"])
        #expect(!discovered.stdout.contains("lmc 1"), "LIDs moved under a running SM")

        // A bad file: one error line; the SM runs on with the settings it had.
        try "sm_priority 99\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(sm.processIdentifier, SIGHUP)
        #expect(ibsim.waitFor("run.log") { $0.contains("SIGHUP: configuration not applied") }, "\(ibsim.read("run.log"))")
        let errors = ibsim.read("run.log").split(separator: "\n").filter { $0.contains("SIGHUP: configuration not applied") }
        #expect(errors.count == 1 && errors[0].contains("\(config):1: sm_priority 99: is outside 0-15"), "\(errors)")
        #expect(sm.isRunning)
        #expect(sminfo().contains("priority 11"))
        let afterBad = try Self.status(port)
        #expect(afterBad.state == .master && afterBad.priority == 11)
    }

    /// An Unlink shows in /status and /metrics: the trap counter and the light sweeps change. The checks wait
    /// (generously) only for what the trap's arrival and the light sweeps do themselves, never for a re-route
    /// to finish; with sweeps every second the light sweeps also notice a trap that ibsim lost.
    @Test func anUnlinkShowsInStatusAndMetrics() async throws {
        let ibsim = try IbsimFabric(topology: try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        defer { ibsim.stop() }
        let directory = ibsim.directory.path
        let port = Int.random(in: 20_000...40_000)
        let sm = try ibsim.launch(swiftsmExecutable, ["run", "--sweep-interval", "1", "--listen", "127.0.0.1:\(port)", "--guid2lid", directory + "/guid2lid"],
                                  environment: ["SIM_HOST": "host-0"], logName: "run.log")
        defer { ibsim.end(sm) }
        #expect(ibsim.waitFor("run.log") { $0.contains("subnet up") }, "\(ibsim.read("run.log"))")
        #expect(await Self.eventually(within: 30) { (try? Self.status(port))?.state == .master })
        let before = try Self.status(port)
        let metricsBefore = String(decoding: try await StatusClient.get(host: "127.0.0.1", port: port, path: "/metrics").body, as: UTF8.self)
        let heavy = { (status: SMStatus) in status.sweepsByKind["heavy"] ?? 0 }
        let portInfoGets = { (status: SMStatus) in status.smps.first { $0.method == "Get" && $0.attribute == "PortInfo" && $0.outcome == "sent" }?.count ?? 0 }

        // spine-0's own trap reaches the SM through leaf-0 whatever the tables hold; leaf-2's may be lost.
        ibsim.console(#"Unlink "leaf-2"[3]"#)
        var after = before
        let noticed = await Self.eventually(within: 60) {
            guard let now = try? Self.status(port) else { return false }
            after = now
            let trapped = (after.trapsByNumber["128"] ?? 0) >= 1
            // A lost trap: a light sweep finds the PortStateChange and a heavy pass follows.
            return (trapped || heavy(after) > heavy(before)) && portInfoGets(after) > portInfoGets(before)
        }
        #expect(noticed, "no trap and no heavy pass: \(after.trapsByNumber) \(after.sweepsByKind) \(ibsim.read("run.log"))")
        #expect(after.state == .master)
        let lightsNow = after.sweepsByKind["light"] ?? 0
        #expect(await Self.eventually(within: 60) { ((try? Self.status(port))?.sweepsByKind["light"] ?? 0) > lightsNow },
                "light sweeps go on: \(ibsim.read("run.log"))")

        let metricsAfter = String(decoding: try await StatusClient.get(host: "127.0.0.1", port: port, path: "/metrics").body, as: UTF8.self)
        #expect(Self.sample(metricsAfter, #"swiftsm_sm_state{state="master"}"#) == 1)
        #expect(Self.sample(metricsAfter, #"swiftsm_sweeps_total{kind="light"}"#) > Self.sample(metricsBefore, #"swiftsm_sweeps_total{kind="light"}"#))
        let portInfo = #"swiftsm_smps_total{method="Get",attribute="PortInfo",outcome="sent"}"#
        #expect(Self.sample(metricsAfter, portInfo) > Self.sample(metricsBefore, portInfo), "\(metricsAfter.prefix(3000))")
        if (after.trapsByNumber["128"] ?? 0) >= 1 {
            #expect(Self.sample(metricsAfter, #"swiftsm_traps_total{trap="128"}"#) >= 1, "\(metricsAfter.prefix(3000))")
        }
    }
}
