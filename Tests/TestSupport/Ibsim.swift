import Foundation

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum TestProcessError: Error, CustomStringConvertible {
    case missingTool(String)
    case timedOut(String, seconds: Double)
    case ibsimFailed(String)

    public var description: String {
        switch self {
        case .missingTool(let tool): "\(tool) is not installed (.ci/run installs it with apt-get)"
        case .timedOut(let command, let seconds): "\(command) did not finish within \(seconds) s"
        case .ibsimFailed(let output): "ibsim did not start: \(output)"
        }
    }
}

/// Runs `executable` with `arguments`, killing it after `timeout` seconds.
public func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeout: Double = 120
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = directory }
    // Files, not pipes: large outputs would fill a pipe and block the child.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-cmd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline {
            process.terminate()
            // Some programs ignore SIGTERM when stuck (opensm whose ibsim is gone): SIGKILL after a grace period.
            let grace = Date().addingTimeInterval(5)
            while process.isRunning, Date() < grace { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw TestProcessError.timedOut(([executable] + arguments).joined(separator: " "), seconds: timeout)
        }
        usleep(2000)
    }
    return CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// The `swiftsm` executable built beside the test bundle.
public var swiftsmExecutable: String {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("swiftsm")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        directory = directory.deletingLastPathComponent()
    }
    return "swiftsm"
}

/// A running ibsim, on its own temp directory and socket name, stopped by PID.
public final class IbsimFabric: @unchecked Sendable {
    public static let preload = "/usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so"
    public let directory: URL
    public let socketName: String
    private let process: Process
    private let console: Pipe

    /// Starts ibsim on `topology` (ibsim/ibnetdiscover format). `limits` raises its node/switch/port caps.
    public init(topology: String, limits: (nodes: Int, switches: Int, ports: Int)? = nil) throws {
        for tool in ["/usr/bin/ibsim", Self.preload] where !FileManager.default.fileExists(atPath: tool) {
            throw TestProcessError.missingTool(tool)
        }
        socketName = "swiftsm-\(getpid())-\(UUID().uuidString.prefix(8))"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(socketName)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let netFile = directory.appendingPathComponent("fabric.net")
        try topology.write(to: netFile, atomically: true, encoding: .utf8)
        var arguments = ["-s"]
        if let limits { arguments += ["-N", "\(limits.nodes)", "-S", "\(limits.switches)", "-P", "\(limits.ports)"] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ibsim")
        process.arguments = arguments + [netFile.path]
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(["IBSIM_SOCKNAME": socketName]) { $1 }
        let log = directory.appendingPathComponent("ibsim.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        // Its console reads stdin: keep a pipe open so it neither exits nor spins, and so tests can type.
        console = Pipe()
        process.standardInput = console
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while true {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if text.contains("simulator ready") { break }
            if !process.isRunning || Date() > deadline {
                stop()
                throw TestProcessError.ibsimFailed(String(text.suffix(500)))
            }
            usleep(20_000)
        }
    }

    /// Types a console command (e.g. `Unlink "sw1"[3]`).
    public func console(_ command: String) {
        console.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// Runs a program attached to this fabric through umad2sim, from the fabric's directory.
    public func run(_ executable: String, _ arguments: [String], timeout: Double = 120, environment: [String: String] = [:]) throws -> CommandResult {
        try runCommand(executable, arguments,
                       environment: ["LD_PRELOAD": Self.preload, "IBSIM_SOCKNAME": socketName].merging(environment) { $1 },
                       directory: directory, timeout: timeout)
    }

    /// Starts a program attached to this fabric in the background (an SM daemon, say); the caller
    /// ends it with `end(_:)`. Its output goes to `<name>.log` in the fabric's directory.
    public func launch(_ executable: String, _ arguments: [String], environment: [String: String] = [:], logName: String? = nil) throws -> Process {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = arguments
        child.currentDirectoryURL = directory
        child.environment = ProcessInfo.processInfo.environment
            .merging(["LD_PRELOAD": Self.preload, "IBSIM_SOCKNAME": socketName].merging(environment) { $1 }) { $1 }
        let log = directory.appendingPathComponent(logName ?? (URL(fileURLWithPath: executable).lastPathComponent + ".log"))
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        child.standardOutput = try FileHandle(forWritingTo: log)
        child.standardError = child.standardOutput
        child.standardInput = FileHandle.nullDevice
        try child.run()
        return child
    }

    /// Ends a program started with `launch` for good.
    public func end(_ child: Process) {
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
    }

    /// The text of a file in the fabric's directory (a launched program's log), empty if there is none yet.
    public func read(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// Waits until `condition` holds on the text of `name` (a log), up to `timeout` seconds; true if it did.
    @discardableResult
    public func waitFor(_ name: String, timeout: Double = 30, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(read(name)) { return true }
            usleep(20_000)
        }
        return condition(read(name))
    }

    /// Waits until `condition` holds, up to `timeout` seconds, checking every 100 ms; true if it did.
    @discardableResult
    public func waitUntil(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    public func stop() {
        if process.isRunning {
            // ibsim keeps serving its console after SIGTERM; end it for good.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
