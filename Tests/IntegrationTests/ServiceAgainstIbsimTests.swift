import FabricModel
import Foundation
import Monitoring
import SystemBoundary
import TestSupport
import Testing

/// `swiftsm run` as systemd runs it, on ibsim: settings from --config, READY=1 on $NOTIFY_SOCKET once the
/// first heavy pass has the subnet up as MASTER, STATUS= lines, WATCHDOG=1 pings, the --listen listener
/// (read with `swiftsm status` and /metrics, SA requests from saquery counted there), and STOPPING=1 on SIGTERM.
@Suite(.serialized) struct ServiceAgainstIbsimTests {
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
}
