import ArgumentParser
import Configuration
import FabricModel
import Foundation
import IBWire
import SubnetManager

/// `swiftsm sweep --once`: configure the subnet and exit.
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configure the subnet: discover, assign LIDs, route, program the switches, activate every port, verify.",
        discussion: """
            Only what differs from the desired state is written: a second sweep of a configured fabric sends no Set. \
            Exit 0 only when every linked port is ACTIVE and every (switch, LID) pair is delivered on a shortest path. \
            With --mkey, every endport (CA ports, switch port 0) is also given that M_Key, so that a host without it \
            cannot rewrite the subnet; later sweeps must pass the same --mkey. \
            \(ExitStatus.helpText)
            """)

    @OptionGroup var fabric: FabricAccessOptions

    @Flag(help: "Sweep once and exit (the only mode so far).")
    var once = false

    @Option(help: "LID mask control (0-7): each CA port gets 2^LMC LIDs, routed over different paths where possible. Default 0, or the configuration's lmc.")
    var lmc: Int?

    @Option(help: ArgumentHelp("OpenSM-format guid2lid file: LIDs are kept from it and it is rewritten (atomically) after the sweep.", valueName: "file"))
    var guid2lid: String?

    @Option(help: "PortInfo.SubnetTimeout for every endport (0-31). Default 18, or the configuration's subnet_timeout.")
    var subnetTimeout: Int?

    @Option(help: "Our SM priority (0-15): another SM that is MASTER with a higher priority (or the same and a lower GUID) is not fought. Default 0, or the configuration's sm_priority.")
    var priority: Int?

    @Flag(help: "Configure even when another SM that outranks ours is MASTER (the configuration's ignore_other_sm TRUE does the same).")
    var force = false

    @Option(help: ArgumentHelp("With --mkey: what an SMP without the key may still do (0-3). 0 Get; 1 Get, with the key hidden; 2-3 nothing. Sets are always refused. Default 1, or the configuration's m_key_protection_level.", valueName: "bits"))
    var mkeyProtect: Int?

    @Option(help: ArgumentHelp("With --mkey: seconds after a refused SMP at which a port drops its protect bits to 0 if no SMP with the key came since (0-65535; 0 never). Default 0, or the configuration's m_key_lease_period.", valueName: "seconds"))
    var mkeyLease: Int?

    @Flag(help: "Print SMPs sent by method and attribute, and the time of each phase, to stderr.")
    var stats = false

    func validate() throws {
        guard once else { throw ValidationError("only --once is supported so far: there is no daemon mode yet") }
        if let lmc, !(0...7).contains(lmc) { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        if let subnetTimeout, !(0...31).contains(subnetTimeout) { throw ValidationError("--subnet-timeout \(subnetTimeout) is outside 0-31") }
        if let priority, !(0...15).contains(priority) { throw ValidationError("--priority \(priority) is outside 0-15") }
        if let mkeyProtect, !(0...3).contains(mkeyProtect) { throw ValidationError("--mkey-protect \(mkeyProtect) is outside 0-3") }
        if let mkeyLease, !(0...65535).contains(mkeyLease) { throw ValidationError("--mkey-lease \(mkeyLease) is outside 0-65535 seconds") }
        if fabric.config == nil, fabric.mkey.flatMap(MKeyPolicy.parseKey) ?? 0 == 0, mkeyProtect != nil || mkeyLease != nil {
            throw ValidationError("--mkey-protect and --mkey-lease need --mkey with a key other than 0")
        }
    }

    /// The configuration file and the fabric flags, with this command's flags over them.
    func configuration() throws -> SMConfiguration {
        var configuration = try fabric.configuration()
        if let lmc { configuration.lmc = UInt8(lmc) }
        if let subnetTimeout { configuration.subnetTimeout = UInt8(subnetTimeout) }
        if let priority { configuration.smPriority = UInt8(priority) }
        if force { configuration.ignoreOtherSM = true }
        if let mkeyProtect { configuration.mKeyProtectionLevel = UInt8(mkeyProtect) }
        if let mkeyLease { configuration.mKeyLeasePeriod = UInt16(mkeyLease) }
        if configuration.mKey == 0, mkeyProtect != nil || mkeyLease != nil {
            throw CommandFailure(.badInput, "--mkey-protect and --mkey-lease need an M_Key other than 0 (--mkey or the configuration's m_key)")
        }
        return configuration
    }

    func run() async throws {
        let configuration = try configuration()
        let session = try await FabricSession.open(fabric, configuration: configuration)
        let options = SweepOptions(configuration, guid2lidPath: guid2lid)
        let report: SweepReport
        do {
            report = try await session.onFabricThread { () async throws(SweepError) in
                try await SubnetSweep(client: session.client, options: options, logger: fabric.logger).runOnce()
            }
        } catch .otherMaster(let why) {
            // Nothing was changed; the capture (Gets only) is complete and worth keeping.
            try await session.close()
            throw CommandFailure(.partial, why)
        } catch {
            await session.abandon()
            switch error {
            case .noLocalNode(let why): throw CommandFailure(.noPort, why)
            case .badGUID2LID(let why): throw CommandFailure(.badInput, why)
            case .lidAssignment(let why), .otherMaster(let why), .conflictingIdentities(let why): throw CommandFailure(.partial, why)
            }
        }
        try await session.close()
        if stats { SweepStatistics.print(session.client.statistics, phases: report.phases, simulator: session.simulator?.counters, port: session.port) }
        for warning in report.warnings { printError("swiftsm: warning: \(warning)") }
        if let warning = DegradedLinks.warning(report.discovery.fabric) { printError("swiftsm: warning: \(warning)") }
        print(SweepSummary.lines(report).joined(separator: "\n"))
        for problem in report.problems { printError("swiftsm: \(problem)") }
        if !report.isHealthy {
            throw CommandFailure(.partial, "the subnet is not fully configured: \(report.problems.count) problem(s) listed above")
        }
    }
}

extension SweepOptions {
    /// A sweep's settings from a resolved configuration. The M_Key: none when it is 0, so that
    /// M_Keys are left alone.
    init(_ configuration: SMConfiguration, guid2lidPath: String?) {
        let mKey = configuration.mKey == 0 ? nil : MKeyPolicy(
            key: configuration.mKey, protectBits: configuration.mKeyProtectionLevel, leasePeriod: configuration.mKeyLeasePeriod)
        self.init(lmc: configuration.lmc, guid2lidPath: guid2lidPath, subnetTimeout: configuration.subnetTimeout,
                  priority: configuration.smPriority, force: configuration.ignoreOtherSM, mKey: mKey)
    }
}

/// The end-of-sweep warning about links that trained below what both ends support.
enum DegradedLinks {
    static func warning(_ fabric: Fabric) -> String? {
        let degraded = LinkHealth.degraded(fabric)
        guard !degraded.isEmpty else { return nil }
        let examples = degraded.prefix(3).map { LinkHealth.line($0, in: fabric) }.joined(separator: "; ")
        return "\(degraded.count) of \(fabric.links.count) link(s) run below what both ends support, e.g. \(examples)"
            + (degraded.count > 3 ? " (swiftsm discover --links lists them all)" : "")
    }
}

/// The few lines a sweep prints on stdout.
enum SweepSummary {
    static func lines(_ report: SweepReport) -> [String] {
        let fabric = report.discovery.fabric
        let (active, planned) = report.activePorts
        let apply = report.apply
        return [
            "nodes: \(fabric.switches.count) switches, \(fabric.channelAdapters.count) CAs; linked ports ACTIVE: \(active) of \(planned)",
            "LIDs: \(report.lids.lidCount) assigned, highest \(report.lids.maxLID), LMC \(report.lids.lmc)",
            "programmed: \(apply.portInfoSets) PortInfo, \(apply.switchInfoSets) SwitchInfo, \(apply.blockSets) LFT block Sets (\(apply.blockReads) blocks read to compare)",
            "routes: \(report.verification.summary)",
        ]
    }
}
