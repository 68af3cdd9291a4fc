import Foundation
import TestSupport
import Testing

/// Bad input gets one clear line, the documented exit code, and no output file.
@Suite struct CommandLineTests {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test(arguments: [
        (["discover", "--port", "300"], "--port 300"),
        (["discover", "--max-outstanding", "0"], "--max-outstanding 0"),
        (["discover", "--format", "xml"], "xml"),
        (["discover", "--simulate", "/nonexistent/fabric.topo"], "/nonexistent/fabric.topo"),
        (["discover", "--no-such-flag"], "--no-such-flag"),
        (["discover", "--timeout=-5"], "-5"),
    ])
    func badInputExitsWithTwo(arguments: [String], named: String) throws {
        let result = try runCommand(swiftsmExecutable, arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(named))
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
