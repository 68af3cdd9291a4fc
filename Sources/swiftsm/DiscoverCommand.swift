import ArgumentParser
import Discovery
import FabricModel
import SystemBoundary

/// `swiftsm discover`: a read-only one-shot sweep that prints the topology.
struct Discover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sweep the fabric once, read-only, and print its topology.",
        discussion: "Sends only Get SMPs. \(ExitStatus.helpText)")

    @OptionGroup var fabric: FabricAccessOptions

    @Option(help: "Output format: ibnetdiscover (loads into ibsim), json or dot (Graphviz).")
    var format: TopologyFormat = .ibnetdiscover

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the topology here (atomically) instead of to stdout.", valueName: "file"))
    var output: String?

    @Flag(help: "Print SMPs sent by method and attribute, and the sweep time, to stderr.")
    var stats = false

    @Flag(help: "Print every link with its width, speed and data rate each way, and what it could run at when it trained below what both ends support, instead of the topology (which -o still writes).")
    var links = false

    func run() async throws {
        let session = try await FabricSession.open(fabric)
        let started = ContinuousClock.now
        let result = await session.onFabricThread { await FabricDiscoverer(client: session.client, logger: fabric.logger).discover() }
        if stats {
            SweepStatistics.print(session.client.statistics, phases: [("discover", ContinuousClock.now - started)], simulator: session.simulator?.counters, port: session.port)
        }
        try await session.requireLocalNode(result)
        try await session.close()
        if links {
            if output != nil { try OutputFile.write(format.render(result.fabric), to: output) }
            let fabric = result.fabric
            try OutputFile.write(LinkHealth.assess(fabric).map { LinkHealth.line($0, in: fabric) + "\n" }.joined(), to: nil)
        } else {
            try OutputFile.write(format.render(result.fabric), to: output)
        }
        for problem in result.problems { printError("swiftsm: \(problem)") }
        if !result.isComplete {
            throw CommandFailure(.partial, "the fabric answered only partly: \(result.problems.count) problem(s) listed above")
        }
    }
}

enum TopologyFormat: String, ExpressibleByArgument, CaseIterable {
    case ibnetdiscover, json, dot

    func render(_ fabric: Fabric) -> String {
        switch self {
        case .ibnetdiscover: fabric.ibnetdiscoverText()
        case .json: fabric.jsonText()
        case .dot: fabric.dotText()
        }
    }
}

/// Writing results: atomically to a file (`Files.atomicWrite`), or to stdout.
enum OutputFile {
    static func write(_ text: String, to path: String?) throws {
        do {
            if let path {
                try Files.atomicWrite(Array(text.utf8), to: path)
            } else {
                try Files.write(Array(text.utf8), to: .standardOutput, name: "standard output")
            }
        } catch {
            throw CommandFailure(.badInput, "\(path ?? "standard output"): cannot write output (\(error.reason))")
        }
    }
}
