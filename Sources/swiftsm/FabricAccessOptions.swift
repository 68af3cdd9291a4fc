import ArgumentParser
import Configuration
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

    @Option(help: ArgumentHelp("The port to run on: its GUID (0x0002c903000a1b2c) or CA:PORT (mlx5_0:1). Overrides the configuration's guid.", valueName: "port"))
    var portId: String?

    @Option(help: ArgumentHelp("Run against the in-process simulator, seeded from a topology file or a capture.", valueName: "file"))
    var simulate: String?

    @Option(help: ArgumentHelp("Configuration file in opensm.conf syntax (an existing opensm.conf works as is). Flags override it; keys SwiftSM does not use get one warning each.", valueName: "file"))
    var config: String?

    @Option(help: "SMPs in flight at once (1-256; umad2sim deadlocks above 64). Default \(SMConfiguration.defaultMaxOutstanding) (\(SMConfiguration.maxOutstandingLimit) with --simulate), or the configuration's max_wire_smps.")
    var maxOutstanding: Int?

    @Option(help: "SMPs in flight to any one node (1-16).")
    var maxPerNode: Int = 2

    @Option(help: "Probes of not-yet-known nodes in flight at once (1-64). They leave through at most two switches at a time, so no node gets more than two at once.")
    var maxProbes: Int = 64

    @Option(help: ArgumentHelp("Time to wait for a response before retrying, in milliseconds. Default 200, or the configuration's transaction_timeout.", valueName: "ms"))
    var timeout: Int?

    @Option(help: "Retries after a timeout (0-20). Default 3, or the configuration's transaction_retries.")
    var retries: Int?

    @Option(help: ArgumentHelp("Write every SMP and its response to this pcap (ERF) capture.", valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp("The M_Key every SMP carries: 64 bits, hex (0x...) or decimal; 0 for none (the default, or the configuration's m_key). Ports protected by another key refuse Sets, and with protect bits 2-3 Gets too.", valueName: "key"))
    var mkey: String?

    @OptionGroup(title: "Simulator knobs (with --simulate)")
    var knobs: SimulatorKnobs

    @Flag(name: .shortAndLong, help: "Log progress and retries to stderr.")
    var verbose = false

    func validate() throws {
        if let port, !(0...254).contains(port) { throw ValidationError("--port \(port) is not a port number (0-254)") }
        if let maxOutstanding, !(1...SMConfiguration.maxOutstandingLimit).contains(maxOutstanding) {
            throw ValidationError("--max-outstanding \(maxOutstanding) is outside 1-\(SMConfiguration.maxOutstandingLimit)")
        }
        guard (1...16).contains(maxPerNode) else { throw ValidationError("--max-per-node \(maxPerNode) is outside 1-16") }
        guard (1...64).contains(maxProbes) else { throw ValidationError("--max-probes \(maxProbes) is outside 1-64") }
        if let timeout, !(1...60_000).contains(timeout) { throw ValidationError("--timeout \(timeout) is outside 1-60000 ms") }
        if let retries, !(0...20).contains(retries) { throw ValidationError("--retries \(retries) is outside 0-20") }
        if simulate != nil, ca != nil || port != nil || portId != nil { throw ValidationError("--simulate cannot be combined with --ca, --port or --port-id") }
        if portId != nil, ca != nil || port != nil { throw ValidationError("--port-id cannot be combined with --ca or --port") }
        if let portId, PortSpecification(portId) == nil {
            throw ValidationError("--port-id \(portId) is neither a port GUID (0x...) nor CA:PORT (e.g. mlx5_0:1)")
        }
        if let mkey, MKeyPolicy.parseKey(mkey) == nil { throw ValidationError("--mkey \(mkey) is not a 64-bit key (hex 0x... or decimal)") }
        try knobs.validate()
    }

    /// The configuration file (if any) with these flags over it; prints one warning per key it ignores.
    /// Flags override the file, the file overrides SwiftSM's defaults.
    func configuration() throws -> SMConfiguration {
        var configuration = SMConfiguration()
        if let config {
            let loaded: LoadedConfiguration
            do { loaded = try ConfigurationFile.load(path: config) } catch { throw CommandFailure(.badInput, error.description) }
            for warning in loaded.warnings { printError("swiftsm: warning: \(warning)") }
            configuration = loaded.configuration
        }
        if let maxOutstanding { configuration.maxWireSMPs = maxOutstanding }
        if let timeout { configuration.transactionTimeout = .milliseconds(timeout) }
        if let retries { configuration.transactionRetries = retries }
        if let mkey { configuration.mKey = MKeyPolicy.parseKey(mkey) ?? 0 }
        if portId != nil || ca != nil || port != nil { configuration.portGUID = nil }
        if let portId, case .guid(let guid)? = PortSpecification(portId) { configuration.portGUID = guid }
        return configuration
    }

    /// The CA and port to open (the port GUID, if one is named, is in the configuration).
    var caAndPort: (ca: String?, port: Int?) {
        if let portId, case .caPort(let ca, let port)? = PortSpecification(portId) { return (ca, port) }
        return (ca, port)
    }

    func clientOptions(_ configuration: SMConfiguration) -> SMPClientOptions {
        SMPClientOptions(maxOutstanding: configuration.maxWireSMPs, maxPerDestination: maxPerNode, timeout: configuration.transactionTimeout,
                         retries: configuration.transactionRetries, maxUnknownProbes: maxProbes)
    }

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

/// `--port-id`: a port by GUID, or by CA name and port number (the systemd unit's instance name).
enum PortSpecification: Equatable {
    case guid(GUID)
    case caPort(String, Int)

    init?(_ text: String) {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            guard let guid = GUID(parsing: text) else { return nil }
            self = .guid(guid)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...254).contains(port),
              colon > text.startIndex else { return nil }
        self = .caPort(String(text[..<colon]), port)
    }
}
