import Foundation
import Monitoring
import Synchronization
import TestSupport
import Testing

/// `swiftsm status` against a listener serving a known status (the daemon's listener is the same
/// `StatusServer`), for a person and as JSON; and its one-line error when nothing listens.
@Suite(.ownThread) struct StatusCommandTests {
    static let status = SMStatus(
        state: .standby, priority: 3, portGUID: "0x0000000000100003", sweepsByKind: ["heavy": 2],
        lastSweep: .init(kind: "heavy", finishedAt: Date().timeIntervalSince1970, durationSeconds: 1.5, result: .healthy),
        activePorts: 16, linkedPorts: 16, smps: [.init(method: "Get", attribute: "PortInfo", outcome: "sent", count: 40)],
        saRequests: [.init(attribute: "PathRecord", method: "SubnAdmGet", status: "success", count: 900),
                     .init(attribute: "PathRecord", method: "SubnAdmGet", status: "busy", count: 12),
                     .init(attribute: "NodeRecord", method: "SubnAdmGetTable", status: "success", count: 30)])

    @Test func printsWhatTheListenerServes() async throws {
        let server = try await StatusServer.start(host: "127.0.0.1", port: 0, metrics: SMMetrics(), status: { Self.status })
        let address = "127.0.0.1:\(server.port)"
        let text = try runCommand(swiftsmExecutable, ["status", "--connect", address], timeout: 30)
        let json = try runCommand(swiftsmExecutable, ["status", "--connect", address, "--format", "json"], timeout: 30)
        try await server.close()
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("state: STANDBY, priority 3, port 0x0000000000100003\nsweeps: 2 heavy\nlast sweep: heavy, healthy, took 1.5 s"))
        #expect(text.stdout.contains("ports ACTIVE: 16 of 16 linked\nSMPs: 40 sent\n"))
        #expect(text.stdout.contains("SA requests: 942, 12 answered BUSY\n  900 PathRecord SubnAdmGet success\n  30 NodeRecord SubnAdmGetTable success\n  12 PathRecord SubnAdmGet busy\n"), "\(text.stdout)")
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try SMStatus.decode(json: Array(json.stdout.utf8)) == Self.status)
    }

    @Test func nothingListeningIsOneLineAndExitThree() throws {
        let result = try runCommand(swiftsmExecutable, ["status", "--connect", "127.0.0.1:1"], timeout: 30)
        #expect(result.status == 3)
        #expect(result.stderr.hasPrefix("swiftsm: cannot connect to 127.0.0.1:1"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
