import ArgumentParser
import Configuration
import Foundation
import IBTransport
import IBWire
import Logging
import Routing
import ServiceLifecycle
import SubnetAdministration
import SubnetManager
import Synchronization
import SystemBoundary
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
            As MASTER it is also the Subnet Administration (PathRecords, NodeRecords, multicast joins, partitions): \
            it writes the multicast trees and the P_Keys of --partitions (OpenSM's partitions.conf format; default: \
            every port full member of the default partition 0x7fff with its IPoIB group), and tells hosts to \
            register again when it becomes master. \
            SIGTERM or SIGINT: stop, clear IsSM, exit 0. SIGHUP: re-read --config and the partitions file, apply what can change while running (\(Self.keys(appliedAtRunTime: true)); flags still win), log what changed and which keys need a restart (\(Self.keys(appliedAtRunTime: false))), then a heavy sweep. A bad file changes nothing. \
            \(ExitStatus.helpText)
            """)

    /// The configuration keys a SIGHUP applies, or those that wait for a restart: from the key table, so the
    /// help cannot drift from what a reload does.
    private static func keys(appliedAtRunTime: Bool) -> String {
        ConfigurationKeys.names(appliedAtRunTime: appliedAtRunTime).joined(separator: ", ")
    }

    @OptionGroup var fabric: FabricAccessOptions

    @Option(help: "Our SM priority (0-15): the higher wins the election; between equals, the lower port GUID. Default 0, or the configuration's sm_priority.")
    var priority: Int?

    @Option(help: ArgumentHelp("SM_Key (64 bits, hex 0x... or decimal). OpenSM ignores SMs whose key differs from its own; its default is 1, and so is ours (or the configuration's sm_key).", valueName: "key"))
    var smKey: String?

    @Option(help: ArgumentHelp("Seconds between light sweeps as MASTER (0: none; traps and SIGHUP only). Default 10, or the configuration's sweep_interval.", valueName: "seconds"))
    var sweepInterval: Int?

    @Option(help: ArgumentHelp("Milliseconds between polls of the master's SMInfo as STANDBY. Default 500, or the configuration's sminfo_polling_timeout.", valueName: "ms"))
    var pollInterval: Int?

    @Option(help: "Polls of the master that may fail in a row before it is taken for dead (the next failure starts a takeover). Default 3, or the configuration's polling_retry_number.")
    var pollRetries: Int?

    @Option(help: "LID mask control (0-7): each CA port gets 2^LMC LIDs. Default 0, or the configuration's lmc.")
    var lmc: Int?

    @Option(help: ArgumentHelp(
        "Routing engines to try in order, comma-separated: \(RoutingEngineKind.allCases.map(\.rawValue).joined(separator: ", ")). The first that succeeds and keeps its promise routes.",
        valueName: "name[,name...]"))
    var routing: String?

    @Option(help: ArgumentHelp("OpenSM-format guid2lid file, read at start and rewritten (atomically) after each heavy pass; its folder is created if missing.", valueName: "file"))
    var guid2lid: String = "/var/cache/swiftsm/guid2lid"

    @Option(help: "PortInfo.SubnetTimeout for every endport (0-31). Default 18, or the configuration's subnet_timeout.")
    var subnetTimeout: Int?

    @Option(help: ArgumentHelp("A heavy pass re-plans from a fresh discovery while passes make progress; passes beyond the third start only within this many seconds of its start (1-3600); two passes in a row without progress end it sooner.", valueName: "seconds"))
    var convergenceDeadline: Int = 30

    @Option(help: ArgumentHelp("Partitions in OpenSM's partitions.conf format. Default: the configuration's partition_config_file, else OpenSM's Default=0x7fff,ipoib : ALL=full;.", valueName: "file"))
    var partitions: String?

    @Option(help: ArgumentHelp("With --mkey: what an SMP without the key may still do (0-3). Default 1, or the configuration's m_key_protection_level.", valueName: "bits"))
    var mkeyProtect: Int?

    @Option(help: ArgumentHelp("With --mkey: M_Key lease period in seconds (0-65535; 0 never lapses). Default 0, or the configuration's m_key_lease_period.", valueName: "seconds"))
    var mkeyLease: Int?

    @OptionGroup var monitoring: MonitoringOptions

    func validate() throws {
        if let priority, !(0...15).contains(priority) { throw ValidationError("--priority \(priority) is outside 0-15") }
        if let smKey, MKeyPolicy.parseKey(smKey) == nil { throw ValidationError("--sm-key \(smKey) is not a 64-bit key (hex 0x... or decimal)") }
        if let sweepInterval, !(0...86_400).contains(sweepInterval) { throw ValidationError("--sweep-interval \(sweepInterval) is outside 0-86400 s") }
        if let pollInterval, !(10...60_000).contains(pollInterval) { throw ValidationError("--poll-interval \(pollInterval) is outside 10-60000 ms") }
        if let pollRetries, !(0...100).contains(pollRetries) { throw ValidationError("--poll-retries \(pollRetries) is outside 0-100") }
        if let lmc, !(0...7).contains(lmc) { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        if let subnetTimeout, !(0...31).contains(subnetTimeout) { throw ValidationError("--subnet-timeout \(subnetTimeout) is outside 0-31") }
        guard !guid2lid.isEmpty else { throw ValidationError("--guid2lid needs a file path") }
        guard (1...3600).contains(convergenceDeadline) else { throw ValidationError("--convergence-deadline \(convergenceDeadline) is outside 1-3600 seconds") }
        if let routing, case .failure(let error) = RoutingEngineKind.parseList(routing) { throw ValidationError("--routing: \(error.reason)") }
        if let mkeyProtect, !(0...3).contains(mkeyProtect) { throw ValidationError("--mkey-protect \(mkeyProtect) is outside 0-3") }
        if let mkeyLease, !(0...65535).contains(mkeyLease) { throw ValidationError("--mkey-lease \(mkeyLease) is outside 0-65535 seconds") }
        if fabric.config == nil, fabric.mkey.flatMap(MKeyPolicy.parseKey) ?? 0 == 0, mkeyProtect != nil || mkeyLease != nil {
            throw ValidationError("--mkey-protect and --mkey-lease need --mkey with a key other than 0")
        }
    }

    /// The configuration file (re-read at every call: SIGHUP) and the fabric flags, with this command's
    /// flags over them.
    func configuration() throws -> SMConfiguration {
        var configuration = try fabric.configuration()
        if let priority { configuration.smPriority = UInt8(priority) }
        if let smKey { configuration.smKey = MKeyPolicy.parseKey(smKey) ?? 1 }
        if let sweepInterval { configuration.sweepInterval = sweepInterval == 0 ? nil : .seconds(sweepInterval) }
        if let pollInterval { configuration.smInfoPollingTimeout = .milliseconds(pollInterval) }
        if let pollRetries { configuration.pollingRetryNumber = pollRetries }
        if let lmc { configuration.lmc = UInt8(lmc) }
        if let subnetTimeout { configuration.subnetTimeout = UInt8(subnetTimeout) }
        if let mkeyProtect { configuration.mKeyProtectionLevel = UInt8(mkeyProtect) }
        if let mkeyLease { configuration.mKeyLeasePeriod = UInt16(mkeyLease) }
        if configuration.mKey == 0, mkeyProtect != nil || mkeyLease != nil {
            throw CommandFailure(.badInput, "--mkey-protect and --mkey-lease need an M_Key other than 0 (--mkey or the configuration's m_key)")
        }
        let poll = configuration.smInfoPollingTimeout
        guard poll >= .milliseconds(10), poll <= .seconds(60) else {
            throw CommandFailure(.badInput, "the poll interval (--poll-interval or sminfo_polling_timeout) must be 10-60000 ms")
        }
        guard (0...100).contains(configuration.pollingRetryNumber) else {
            throw CommandFailure(.badInput, "the poll retries (--poll-retries or polling_retry_number) must be 0-100")
        }
        return configuration
    }

    /// The partitions of --partitions, else of the configuration's partition_config_file, else OpenSM's default.
    func partitionConfiguration(_ configuration: SMConfiguration) throws -> PartitionConfiguration {
        guard let path = partitions ?? configuration.partitionConfigFile else { return .openSMDefault }
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path, limit: 16 << 20)
        } catch {
            throw CommandFailure(.badInput, "\(path): cannot read the partitions file (\(error.reason))")
        }
        do throws(PartitionConfigurationError) {
            return try PartitionConfiguration.parse(String(decoding: bytes, as: UTF8.self), source: path)
        } catch {
            throw CommandFailure(.badInput, error.description)
        }
    }

    func daemonOptions(_ configuration: SMConfiguration, partitions: PartitionConfiguration = .openSMDefault) -> DaemonOptions {
        var sweep = SweepOptions(configuration, guid2lidPath: guid2lid)
        sweep.convergenceDeadline = .seconds(convergenceDeadline)
        sweep.routing = RoutingEngineKind.chosen(routing, over: sweep.routing)
        return DaemonOptions(sweep: sweep, smKey: configuration.smKey,
                      sweepInterval: configuration.sweepInterval, pollInterval: configuration.smInfoPollingTimeout,
                      pollRetries: configuration.pollingRetryNumber, partitions: partitions)
    }

    func run() async throws {
        let initial = try configuration()
        let partitions = try partitionConfiguration(initial)
        try Self.prepareFolder(of: guid2lid)
        let (logger, logDestination) = SwitchableLogHandler.logger(label: fabric.logger.label, path: initial.logFile,
                                                                   level: fabric.verbose ? fabric.logger.logLevel : .notice)
        let session = try await FabricSession.open(fabric, configuration: initial, role: [.subnetManager, .subnetAdministration])
        let reporter = ServiceReporter(notifier: ServiceNotifier(), logger: logger)
        let daemon = SubnetManagerDaemon(client: session.client, options: daemonOptions(initial, partitions: partitions), guid: session.port?.portGUID ?? .zero,
                                         logger: logger, observer: { reporter.observe($0) })
        reporter.attach(daemon)
        let listener = try await monitoring.startListener(status: { reporter.snapshot() })
        let running = Running(initial, partitions)
        let reload: @Sendable () -> Void = { [self, logger] in
            reporter.reloading()
            defer { reporter.reloaded() }
            // A bad file or partitions file changes nothing: one line, and the daemon runs on as it was.
            let reload: ConfigurationReload, newPartitions: PartitionConfiguration
            do {
                reload = running.value.withLock { $0.configuration }.reloading(try configuration())
                newPartitions = try partitionConfiguration(reload.applied)
            } catch {
                logger.error("SIGHUP: configuration not applied, running on with the settings as they were: \(error)")
                return
            }
            let partitionsChanged = running.value.withLock { running in
                defer { running = (reload.applied, newPartitions) }
                return running.partitions != newPartitions
            }
            logDestination.move(to: reload.applied.logFile, label: logger.label, level: logger.logLevel)
            daemon.reconfigure(daemonOptions(reload.applied, partitions: newPartitions))
            var changed = reload.changed
            if partitionsChanged, !changed.contains("partition_config_file") { changed.append("partitions (the file's contents)") }
            logger.notice("SIGHUP: configuration re-read; \(changed.isEmpty ? "nothing changed" : "applied now: " + changed.joined(separator: ", "))")
            if !reload.needRestart.isEmpty {
                logger.warning("SIGHUP: \(reload.needRestart.joined(separator: ", ")) changed and need a restart of swiftsm run (running with the old values)")
            }
        }
        let service = SubnetManagerService(daemon: daemon, session: session, reporter: reporter, reload: reload)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try? await listener?.close()
        try await session.close()
    }

    /// Creates the guid2lid file's folder if missing (as /var/cache/opensm is).
    static func prepareFolder(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let folder = String(path[..<slash])
        do {
            try Files.createDirectory(folder)
        } catch {
            throw CommandFailure(.badInput, "\(folder): cannot create the guid2lid folder (\(error.reason))")
        }
    }
}

/// The daemon as a service: it runs until SIGTERM or SIGINT, when the port is closed at once (failing
/// every SMP still waiting) so that the SM stops within a second, and SIGHUP asks for a heavy sweep.
struct SubnetManagerService: Service {
    let daemon: SubnetManagerDaemon
    let session: FabricSession
    let reporter: ServiceReporter
    /// Re-reads the configuration file (SIGHUP).
    let reload: @Sendable () -> Void

    func run() async throws {
        let daemon = self.daemon, session = self.session, reporter = self.reporter, reload = self.reload
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    reload()
                    daemon.requestHeavySweep()
                }
            }
            group.addTask { await reporter.pingWatchdog() }
            await withGracefulShutdownHandler {
                await cancelWhenGracefulShutdown { await daemon.run() }
            } onGracefulShutdown: {
                reporter.stopping()
                Task { await session.transport.close() }
            }
            group.cancelAll()
        }
    }
}

/// The configuration and partitions `swiftsm run` runs with now (SIGHUP replaces them).
private final class Running: Sendable {
    let value: Mutex<(configuration: SMConfiguration, partitions: PartitionConfiguration)>
    init(_ configuration: SMConfiguration, _ partitions: PartitionConfiguration) { value = Mutex((configuration, partitions)) }
}
