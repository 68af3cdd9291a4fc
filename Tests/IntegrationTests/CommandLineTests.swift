import Foundation
import TestSupport
import Testing

/// Bad input gets one clear line, the documented exit code, and no output file.
@Suite(.ownThread) struct CommandLineTests {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func malformedTopologyNamesFileAndLineAndWritesNothing() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let topology = directory.appendingPathComponent("bad.topo")
        try "Switch 4 \"sw1\"\n[1] \"h1\"[1]\n\nHca 1 \"h1\"\n[9] \"sw1\"[1]\n".write(to: topology, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("out.topo")
        let result = try runCommand(swiftsmExecutable, ["discover", "--simulate", topology.path, "--output", output.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.topo"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func malformedGUID2LIDFileIsBadInputAndLeftAlone() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let guid2lid = directory.appendingPathComponent("guid2lid")
        let garbage = Data((0..<200).map { UInt8(truncatingIfNeeded: $0 * 37) })
        try garbage.write(to: guid2lid)
        let topology = directory.appendingPathComponent("ok.topo")
        try "Switch 4 \"sw1\"\n[1] \"h1\"[1]\n\nHca 1 \"h1\"\n[1] \"sw1\"[1]\n".write(to: topology, atomically: true, encoding: .utf8)
        let result = try runCommand(swiftsmExecutable, ["sweep", "--once", "--simulate", topology.path, "--guid2lid", guid2lid.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(guid2lid.path))
        #expect(try Data(contentsOf: guid2lid) == garbage)
    }

    @Test func sweepOnTheSimulatorWritesTheGUID2LIDFile() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let guid2lid = directory.appendingPathComponent("guid2lid")
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/fat-tree-32-hosts.topo")
        let result = try runCommand(swiftsmExecutable, ["sweep", "--once", "--simulate", example.path, "--guid2lid", guid2lid.path, "--lmc", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("linked ports ACTIVE: 128 of 128"))
        let lines = try String(contentsOf: guid2lid, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12 + 32)
    }

    /// With a service time the executable runs the SM on the simulator's event loop.
    @Test func sweepOnTheRealSwitchModelRunsOnTheEventLoop() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/fat-tree-32-hosts.topo")
        let result = try runCommand(
            swiftsmExecutable, ["sweep", "--once", "--simulate", example.path, "--sim-service-time", "255", "--stats"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("linked ports ACTIVE: 128 of 128"))
        // The per-node window keeps every agent's VL15 queue in bounds. Only a retry after a timeout (a starved
        // machine stretches a response past 200 ms) can find the first attempt still queued: at most one
        // overflow per timeout.
        let overflows = Self.count(after: "VL15 overflow ", in: result.stderr)
        let timeouts = Self.count(after: "timeouts ", in: result.stderr)
        #expect(overflows != nil && timeouts != nil && overflows! <= timeouts!, "\(result.stderr)")
    }

    /// The number printed right after `label` in `text`, if any.
    static func count(after label: String, in text: String) -> Int? {
        guard let range = text.range(of: label) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func unknownCAIsNoUsablePort() throws {
        let result = try runCommand(swiftsmExecutable, ["discover", "--ca", "nosuchca0"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("nosuchca0"))
    }

    @Test func unwritableOutputLeavesNothingAndExitsTwo() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let topology = directory.appendingPathComponent("ok.topo")
        try "Switch 4 \"sw1\"\n[1] \"h1\"[1]\n\nHca 1 \"h1\"\n[1] \"sw1\"[1]\n".write(to: topology, atomically: true, encoding: .utf8)
        let result = try runCommand(swiftsmExecutable, ["discover", "--simulate", topology.path, "--output", "/nonexistent-dir/out.topo"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent-dir/out.topo"))
    }

    @Test func helpDocumentsExitCodes() throws {
        let result = try runCommand(swiftsmExecutable, ["discover", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Exit codes"))
    }
}
