import ArgumentParser
import Foundation
import IBTransport
import IBWire
import Logging
import Routing
import ServiceLifecycle
import SubnetManager
import UnixSignals

/// `swiftsm run`: the subnet's SM, as a service.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as the subnet manager: elect, configure as MASTER, watch the subnet, take over as STANDBY.",
        discussion: """
            The port gets the IsSM capability while SwiftSM runs. It answers other SMs' SMInfo, takes part in the \
            election (higher priority wins, then the lower port GUID), and as MASTER configures the subnet, then \
            keeps it right: a light sweep every --sweep-interval seconds (Gets only), Trap 128/144 handling, and a \
            heavy pass only when something changed. As STANDBY it polls the master every --poll-interval ms and \
            takes over after --poll-retries missed polls, keeping every LID the ports hold. \
            SIGTERM or SIGINT: stop, clear IsSM, exit 0. SIGHUP: a heavy sweep now. \
            \(ExitStatus.helpText)
            """)

    @OptionGroup var fabric: FabricAccessOptions

    @Option(help: "Our SM priority (0-15): the higher wins the election; between equals, the lower port GUID.")
    var priority: Int = 0

    @Option(help: ArgumentHelp("SM_Key (64 bits, hex 0x... or decimal). OpenSM ignores SMs whose key differs from its own; its default is 1.", valueName: "key"))
    var smKey: String = "1"

    @Option(help: ArgumentHelp("Seconds between light sweeps as MASTER (0: none; traps and SIGHUP only).", valueName: "seconds"))
    var sweepInterval: Int = 10

    @Option(help: ArgumentHelp("Milliseconds between polls of the master's SMInfo as STANDBY.", valueName: "ms"))
    var pollInterval: Int = 500

    @Option(help: "Polls of the master that may fail in a row before it is taken for dead (the next failure starts a takeover).")
    var pollRetries: Int = 3

    @Option(help: "LID mask control (0-7): each CA port gets 2^LMC LIDs.")
    var lmc: Int = 0

    @Option(help: ArgumentHelp(
        "Routing engines to try in order, comma-separated: \(RoutingEngineKind.allCases.map(\.rawValue).joined(separator: ", ")). The first that succeeds and keeps its promise routes.",
        valueName: "name[,name...]"))
    var routing: String = RoutingEngineKind.defaultList.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("OpenSM-format guid2lid file, read at start and rewritten (atomically) after each heavy pass; its folder is created if missing.", valueName: "file"))
    var guid2lid: String = "/var/cache/swiftsm/guid2lid"

    @Option(help: "PortInfo.SubnetTimeout for every endport (0-31).")
    var subnetTimeout: Int = 18

    @Option(help: ArgumentHelp("With --mkey: what an SMP without the key may still do (0-3). Default 1.", valueName: "bits"))
    var mkeyProtect: Int?

    @Option(help: ArgumentHelp("With --mkey: M_Key lease period in seconds (0-65535; 0 never lapses). Default 0.", valueName: "seconds"))
    var mkeyLease: Int?

    func validate() throws {
        guard (0...15).contains(priority) else { throw ValidationError("--priority \(priority) is outside 0-15") }
        guard MKeyPolicy.parseKey(smKey) != nil else { throw ValidationError("--sm-key \(smKey) is not a 64-bit key (hex 0x... or decimal)") }
        guard (0...86_400).contains(sweepInterval) else { throw ValidationError("--sweep-interval \(sweepInterval) is outside 0-86400 s") }
        guard (10...60_000).contains(pollInterval) else { throw ValidationError("--poll-interval \(pollInterval) is outside 10-60000 ms") }
        guard (0...100).contains(pollRetries) else { throw ValidationError("--poll-retries \(pollRetries) is outside 0-100") }
        guard (0...7).contains(lmc) else { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        guard (0...31).contains(subnetTimeout) else { throw ValidationError("--subnet-timeout \(subnetTimeout) is outside 0-31") }
        guard !guid2lid.isEmpty else { throw ValidationError("--guid2lid needs a file path") }
        if case .failure(let error) = RoutingEngineKind.parseList(routing) { throw ValidationError("--routing: \(error.reason)") }
        if let mkeyProtect, !(0...3).contains(mkeyProtect) { throw ValidationError("--mkey-protect \(mkeyProtect) is outside 0-3") }
        if let mkeyLease, !(0...65535).contains(mkeyLease) { throw ValidationError("--mkey-lease \(mkeyLease) is outside 0-65535 seconds") }
        if fabric.mKey == 0, mkeyProtect != nil || mkeyLease != nil {
            throw ValidationError("--mkey-protect and --mkey-lease need --mkey with a key other than 0")
        }
    }

    var daemonOptions: DaemonOptions {
        let mKey: MKeyPolicy? = fabric.mKey == 0 ? nil
            : MKeyPolicy(key: fabric.mKey, protectBits: UInt8(mkeyProtect ?? 1), leasePeriod: UInt16(mkeyLease ?? 0))
        let sweep = SweepOptions(lmc: UInt8(lmc), guid2lidPath: guid2lid, subnetTimeout: UInt8(subnetTimeout), priority: UInt8(priority),
                                 mKey: mKey, routing: (try? RoutingEngineKind.parseList(routing).get()) ?? RoutingEngineKind.defaultList)
        return DaemonOptions(sweep: sweep, smKey: MKeyPolicy.parseKey(smKey) ?? 1,
                             sweepInterval: sweepInterval == 0 ? nil : .seconds(sweepInterval),
                             pollInterval: .milliseconds(pollInterval), pollRetries: pollRetries)
    }

    func run() async throws {
        try Self.prepareFolder(of: guid2lid)
        var logger = fabric.logger
        if !fabric.verbose { logger.logLevel = .notice }
        let session = try await FabricSession.open(fabric, role: [.subnetManager])
        let daemon = SubnetManagerDaemon(client: session.client, options: daemonOptions, guid: session.port?.portGUID ?? .zero, logger: logger)
        let service = SubnetManagerService(daemon: daemon, session: session)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await session.close()
    }

    /// Creates the guid2lid file's folder if missing (as /var/cache/opensm is).
    static func prepareFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.badInput, "\(folder): cannot create the guid2lid folder (\(error.localizedDescription))")
        }
    }
}

/// The daemon as a service: it runs until SIGTERM or SIGINT, when the port is closed at once (failing
/// every SMP still waiting) so that the SM stops within a second, and SIGHUP asks for a heavy sweep.
struct SubnetManagerService: Service {
    let daemon: SubnetManagerDaemon
    let session: FabricSession

    func run() async throws {
        let daemon = self.daemon, session = self.session
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { daemon.requestHeavySweep() }
            }
            await withGracefulShutdownHandler {
                await cancelWhenGracefulShutdown { await daemon.run() }
            } onGracefulShutdown: {
                Task { await session.transport.close() }
            }
            group.cancelAll()
        }
    }
}
