import ArgumentParser
import FabricSimulator
import IBTransport
import IBWire
import Logging

/// How a subcommand reaches its fabric: a local port through libibumad, or the simulator.
struct FabricAccessOptions: ParsableArguments {
    @Option(help: "The CA to use (default: the first CA with a port whose physical link is up).")
    var ca: String?

    @Option(help: "The port number on the CA (default: the first port whose physical link is up).")
    var port: Int?

    @Option(help: ArgumentHelp("Run against the in-process simulator, seeded from a topology file or a capture.", valueName: "file"))
    var simulate: String?

    @Option(help: "SMPs in flight at once (1-256; umad2sim deadlocks above 64).")
    var maxOutstanding: Int = 16

    @Option(help: "SMPs in flight to any one node (1-16).")
    var maxPerNode: Int = 2

    @Option(help: "Probes of not-yet-known nodes in flight at once (1-64). They leave through at most two switches at a time, so no node gets more than two at once.")
    var maxProbes: Int = 64

    @Option(help: ArgumentHelp("Time to wait for a response before retrying, in milliseconds; doubled after each timeout, up to 8 times this.", valueName: "ms"))
    var timeout: Int = 200

    @Option(help: "Retries after a timeout (0-20). An SMP the fabric fails at once (an undeliverable MAD) is retried when its timeout would have run out, for as long as its retries could take.")
    var retries: Int = 3

    @Option(help: ArgumentHelp("Write every SMP and its response to this pcap (ERF) capture.", valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp("The M_Key every SMP carries: 64 bits, hex (0x...) or decimal; 0 for none. Ports protected by another key refuse Sets, and with protect bits 2-3 Gets too.", valueName: "key"))
    var mkey: String = "0"

    @OptionGroup(title: "Simulator knobs (with --simulate)")
    var knobs: SimulatorKnobs

    @Flag(name: .shortAndLong, help: "Log progress and retries to stderr.")
    var verbose = false

    func validate() throws {
        if let port, !(0...254).contains(port) { throw ValidationError("--port \(port) is not a port number (0-254)") }
        guard (1...256).contains(maxOutstanding) else { throw ValidationError("--max-outstanding \(maxOutstanding) is outside 1-256") }
        guard (1...16).contains(maxPerNode) else { throw ValidationError("--max-per-node \(maxPerNode) is outside 1-16") }
        guard (1...64).contains(maxProbes) else { throw ValidationError("--max-probes \(maxProbes) is outside 1-64") }
        guard (1...60_000).contains(timeout) else { throw ValidationError("--timeout \(timeout) is outside 1-60000 ms") }
        guard (0...20).contains(retries) else { throw ValidationError("--retries \(retries) is outside 0-20") }
        if simulate != nil, ca != nil || port != nil { throw ValidationError("--simulate cannot be combined with --ca or --port") }
        guard MKeyPolicy.parseKey(mkey) != nil else { throw ValidationError("--mkey \(mkey) is not a 64-bit key (hex 0x... or decimal)") }
        try knobs.validate()
    }

    var clientOptions: SMPClientOptions {
        SMPClientOptions(maxOutstanding: maxOutstanding, maxPerDestination: maxPerNode, timeout: .milliseconds(timeout), retries: retries,
                         maxUnknownProbes: maxProbes)
    }

    /// The parsed `--mkey` (validated already).
    var mKey: UInt64 { MKeyPolicy.parseKey(mkey) ?? 0 }

    var logger: Logger {
        var logger = Logger(label: "swiftsm")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

/// Timing and faults of the in-process simulator.
struct SimulatorKnobs: ParsableArguments {
    @Option(help: ArgumentHelp("Chance (0-1) that the simulator loses any SMP.", valueName: "p"))
    var simDrop: Double = 0

    @Option(help: ArgumentHelp("Time each simulated agent takes per SMP, in microseconds (255 models a current switch).", valueName: "us"))
    var simServiceTime: Int = 0

    @Option(help: "SMPs a busy simulated agent buffers before dropping (its VL15 depth).")
    var simVl15Depth: Int = 4

    func validate() throws {
        guard (0...1).contains(simDrop) else { throw ValidationError("--sim-drop \(simDrop) is outside 0-1") }
        guard (0...1_000_000).contains(simServiceTime) else { throw ValidationError("--sim-service-time \(simServiceTime) is outside 0-1000000 us") }
        guard (1...1024).contains(simVl15Depth) else { throw ValidationError("--sim-vl15-depth \(simVl15Depth) is outside 1-1024") }
    }

    var options: SimulatorOptions {
        SimulatorOptions(dropProbability: simDrop, serviceTime: .microseconds(simServiceTime), vl15Depth: simVl15Depth)
    }
}
