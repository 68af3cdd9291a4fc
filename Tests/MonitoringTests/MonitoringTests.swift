import Foundation
import Testing
@testable import Monitoring

@Suite struct MonitoringTests {
    static let sample = SMStatus(
        state: .master, priority: 5, portGUID: "0x0000000000100001", sweepsByKind: ["heavy": 1, "light": 3],
        lastSweep: .init(kind: "light", finishedAt: 1_800_000_000, durationSeconds: 0.25, result: .problems),
        activePorts: 30, linkedPorts: 32, problems: ["\"leaf-0\"[3] is Initialize"],
        smps: [.init(method: "Get", attribute: "NodeInfo", outcome: "sent", count: 120), .init(method: "any", attribute: "any", outcome: "timeout", count: 2)],
        trapsByNumber: ["128": 4], saRequests: [.init(attribute: "PathRecord", method: "SubnAdmGet", status: "success", count: 17),
                     .init(attribute: "MCMemberRecord", method: "SubnAdmSet", status: "busy", count: 3)],
        degradedLinks: [.init(from: "\"leaf-0\"[2]", to: "\"host-1\"[1]", width: "1X", speed: "SDR", couldBeWidth: "4X", couldBeSpeed: "QDR",
                              dataRateGbps: 2, possibleGbps: 32)])

    /// Every sample line of Prometheus text 0.0.4: `name{label="value",...} number`, names and labels valid.
    static func samples(_ text: String) -> [(name: String, labels: String, value: Double)] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            let name = series.prefix { $0 != "{" }
            return (String(name), String(series.dropFirst(name.count)), value)
        }
    }

    @Test func publishedMetricsFollowTheStatusAndCountersNeverGoDown() {
        let metrics = SMMetrics()
        metrics.publish(Self.sample)
        let text = metrics.prometheusText()
        #expect(text.contains("# HELP swiftsm_sweeps_total"))
        #expect(text.contains("# TYPE swiftsm_sweeps_total counter"))
        #expect(text.contains("swiftsm_sweeps_total{kind=\"light\"} 3"))
        #expect(text.contains("swiftsm_sm_state{state=\"master\"} 1"))
        #expect(text.contains("swiftsm_sm_state{state=\"standby\"} 0"))
        #expect(text.contains("swiftsm_sm_priority 5"))
        #expect(text.contains("swiftsm_ports_active 30"))
        #expect(text.contains("swiftsm_ports_linked 32"))
        #expect(text.contains("swiftsm_smps_total{method=\"Get\",attribute=\"NodeInfo\",outcome=\"sent\"} 120"))
        #expect(text.contains("swiftsm_traps_total{trap=\"128\"} 4"))
        #expect(text.contains("swiftsm_sa_requests_total{attribute=\"PathRecord\",method=\"SubnAdmGet\",status=\"success\"} 17"))
        #expect(text.contains("swiftsm_sa_requests_total{attribute=\"MCMemberRecord\",method=\"SubnAdmSet\",status=\"busy\"} 3"))
        #expect(text.contains("swiftsm_degraded_links 1"))
        #expect(text.contains("swiftsm_last_sweep_healthy 0"))
        #expect(text.contains("swiftsm_last_sweep_timestamp_seconds 1800000000"))

        var later = Self.sample
        later.sweepsByKind["light"] = 5
        later.trapsByNumber["128"] = 1  // a total that went down (a restarted count) is not subtracted
        metrics.publish(later)
        let again = metrics.prometheusText()
        #expect(again.contains("swiftsm_sweeps_total{kind=\"light\"} 5"))
        #expect(again.contains("swiftsm_traps_total{trap=\"128\"} 4"))
        let parsed = Self.samples(again)
        #expect(parsed.count >= 15)
        for sample in parsed {
            #expect(sample.name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" } && sample.name.hasPrefix("swiftsm_"), "\(sample.name)")
            #expect(sample.labels.isEmpty || (sample.labels.hasPrefix("{") && sample.labels.hasSuffix("}")), "\(sample.labels)")
        }
    }

    @Test func prometheusTextPassesPromtool() throws {
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            Issue.record("\(promtool) is missing (Debian package prometheus; scripts/install-deps.sh installs it)")
            return
        }
        let metrics = SMMetrics()
        metrics.publish(Self.sample)
        let text = metrics.prometheusText()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool check metrics: \(said)\n\(text)")
        #expect(said.isEmpty, "\(said)")
    }

    @Test func statusRoundTripsThroughJSON() throws {
        let json = Self.sample.jsonText()
        #expect(json.contains("\"state\" : \"master\""))
        #expect(try SMStatus.decode(json: Array(json.utf8)) == Self.sample)
        #expect(throws: (any Error).self) { try SMStatus.decode(json: Array("{}".utf8)) }
    }

    @Test func statusTextForAPerson() {
        let lines = StatusText.lines(Self.sample, now: 1_800_000_010)
        #expect(lines[0] == "state: MASTER, priority 5, port 0x0000000000100001")
        #expect(lines.contains("sweeps: 1 heavy, 3 light"))
        #expect(lines.contains("last sweep: light, problems, took 0.3 s, 10.0 s ago"))
        #expect(lines.contains("ports ACTIVE: 30 of 32 linked"))
        #expect(lines.contains("SMPs: 120 sent, 2 timeout"))
        #expect(lines.contains("traps: 4 of 128"))
        #expect(lines.contains("SA requests: 20, 3 answered BUSY"))
        #expect(lines.contains("  17 PathRecord SubnAdmGet success"))
        #expect(lines.contains("  3 MCMemberRecord SubnAdmSet busy"))
        #expect(lines.contains("  \"leaf-0\"[2] <-> \"host-1\"[1]  1X SDR, could be 4X QDR"))
        #expect(lines.contains("problems: 1"))
    }

    @Test func theListenerServesMetricsAndStatus() async throws {
        let metrics = SMMetrics()
        let current = Mutex(Self.sample)
        let server = try await StatusServer.start(host: "127.0.0.1", port: 0, metrics: metrics, status: { current.withLock { $0 } })
        #expect(server.port > 0)
        let status = try await StatusClient.get(host: "127.0.0.1", port: server.port, path: "/status")
        #expect(status.status == 200)
        #expect(try SMStatus.decode(json: status.body) == Self.sample)

        current.withLock { $0.sweepsByKind["light"] = 9 }
        let scraped = try await StatusClient.get(host: "127.0.0.1", port: server.port, path: "/metrics")
        #expect(scraped.status == 200)
        #expect(String(decoding: scraped.body, as: UTF8.self).contains("swiftsm_sweeps_total{kind=\"light\"} 9"))

        let missing = try await StatusClient.get(host: "127.0.0.1", port: server.port, path: "/nothing")
        #expect(missing.status == 404)
        try await server.close()
        await #expect(throws: (any Error).self) { try await StatusClient.get(host: "127.0.0.1", port: server.port, path: "/status", timeout: .seconds(2)) }
    }
}

import Synchronization
