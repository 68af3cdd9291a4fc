import Foundation
import TestSupport
import Testing

/// The systemd unit template and its installer: `systemd-analyze verify` accepts the unit (no warning at
/// all: unknown keys are only warnings there), and the installer puts every file in place under DESTDIR.
@Suite(.ownThread) struct ServicePackagingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func systemdAnalyzeVerifiesTheUnitTemplate() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            throw TestProcessError.missingTool(analyze + " (Debian package systemd; scripts/install-deps.sh installs it)")
        }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let template = try String(contentsOf: Self.repository.appendingPathComponent("Packaging/systemd/swiftsm@.service"), encoding: .utf8)
        #expect(template.contains("\nType=notify\n"))
        #expect(template.contains("\nWatchdogSec="))
        #expect(template.contains("--port-id %i"))
        let unit = directory.appendingPathComponent("swiftsm@.service")
        try template.replacingOccurrences(of: "@SWIFTSM@", with: swiftsmExecutable).write(to: unit, atomically: true, encoding: .utf8)
        let verified = try runCommand(analyze, ["verify", "--man=no", unit.path], timeout: 60)
        #expect(verified.status == 0 && verified.stdout.isEmpty && verified.stderr.isEmpty, "systemd-analyze verify: \(verified.stdout)\(verified.stderr)")

        // Every flag ExecStart passes exists: with a missing configuration file, that is the one complaint.
        let execStart = try #require(template.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        var arguments = execStart.split(separator: " ").dropFirst().map { $0.replacingOccurrences(of: "%i", with: "mlx5_0:1") }
        arguments = arguments.map { $0 == "/etc/swiftsm/swiftsm.conf" ? directory.path + "/missing.conf" : $0 }
        let parsed = try runCommand(swiftsmExecutable, arguments, timeout: 30)
        #expect(parsed.status == 2)
        #expect(parsed.stderr == "swiftsm: \(directory.path)/missing.conf: cannot read the configuration file (No such file or directory)\n", "\(parsed.stderr)")

        // The check can fail: a misspelt key is reported.
        try template.replacingOccurrences(of: "@SWIFTSM@", with: swiftsmExecutable).replacingOccurrences(of: "WatchdogSec=", with: "WatchdogSecs=")
            .write(to: unit, atomically: true, encoding: .utf8)
        let misspelt = try runCommand(analyze, ["verify", "--man=no", unit.path], timeout: 60)
        #expect(misspelt.stderr.contains("WatchdogSecs"))
    }

    @Test func theInstallerPutsBinaryUnitConfigurationAndDocsInPlace() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let installed = try runCommand("/bin/bash", [Self.repository.appendingPathComponent("scripts/install-service.sh").path],
                                       environment: ["DESTDIR": root.path, "PREFIX": "/opt/swiftsm", "SWIFTSM_BINARY": swiftsmExecutable], timeout: 60)
        #expect(installed.status == 0, "install-service.sh: \(installed.stderr)")
        let unit = try String(contentsOf: root.appendingPathComponent("etc/systemd/system/swiftsm@.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/opt/swiftsm/bin/swiftsm run --config /etc/swiftsm/swiftsm.conf --port-id %i"))
        #expect(!unit.contains("@SWIFTSM@"))
        #expect(FileManager.default.isExecutableFile(atPath: root.appendingPathComponent("opt/swiftsm/bin/swiftsm").path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("opt/swiftsm/share/doc/swiftsm/user-guide.md").path))
        // The configuration it installs is one SwiftSM reads without a warning.
        let configuration = root.appendingPathComponent("etc/swiftsm/swiftsm.conf").path
        let check = try runCommand(swiftsmExecutable, ["discover", "--config", configuration, "--simulate",
                                                       Self.repository.appendingPathComponent("Examples/fat-tree-32-hosts.topo").path], timeout: 60)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.isEmpty, "\(check.stderr)")
    }
}
