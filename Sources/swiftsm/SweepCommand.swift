import ArgumentParser
import Configuration
import FabricModel
import Foundation
import IBWire
import Routing
import SubnetManager

/// `swiftsm sweep --once`: configure the subnet and exit.
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configure the subnet: discover, assign LIDs, route, program the switches, activate every port, verify.",
        discussion: """
            Only what differs from the desired state is written: a second sweep of a configured fabric sends no Set. \
            Exit 0 only when every linked port is ACTIVE, every (switch, LID) pair is delivered, and the routes keep what \
            the routing engine promised (shortest paths for minhop; no credit loop for deadlock-free and updn). \
            With --mkey, every endport (CA ports, switch port 0) is also given that M_Key, so that a host without it \
            cannot rewrite the subnet; later sweeps must pass the same --mkey. \
            \(ExitStatus.helpText)
            """)

    @OptionGroup var fabric: FabricAccessOptions

    @Flag(help: "Sweep once and exit (swiftsm run is the SM as a service).")
    var once = false

    @OptionGroup var subnet: SubnetOptions

    @Option(help: ArgumentHelp("While passes make progress, re-plan from a fresh discovery; passes beyond the third start only within this many seconds of the start (1-3600); two passes in a row without progress end the sweep sooner.", valueName: "seconds"))
    var convergenceDeadline: Int = 30

    @Option(help: ArgumentHelp(
        "Routing engines to try in order, comma-separated: \(RoutingEngineKind.allCases.map(\.rawValue).joined(separator: ", ")). The first that succeeds and keeps its promise routes.",
        valueName: "name[,name...]"))
    var routing: String?

    @Flag(help: "Print SMPs sent by method and attribute, and the time of each phase, to stderr.")
    var stats = false

    func validate() throws {
        guard once else { throw ValidationError("sweep needs --once (to run as the subnet's SM, use swiftsm run)") }
        try subnet.validate(with: fabric)
        guard (1...3600).contains(convergenceDeadline) else { throw ValidationError("--convergence-deadline \(convergenceDeadline) is outside 1-3600 seconds") }
        if let routing, case .failure(let error) = RoutingEngineKind.parseList(routing) { throw ValidationError("--routing: \(error.reason)") }
    }

    func run() async throws {
        let configuration = try subnet.configuration(over: fabric)
        let session = try await FabricSession.open(fabric, configuration: configuration)
        var options = SweepOptions(configuration, guid2lidPath: subnet.guid2lid)
        options.convergenceDeadline = .seconds(convergenceDeadline)
        options.routing = RoutingEngineKind.chosen(routing, over: options.routing)
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
            case .cancelled: throw CommandFailure(.partial, error.description)
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
                  priority: configuration.smPriority, force: configuration.ignoreOtherSM, mKey: mKey,
                  routing: RoutingEngineKind.fromOpenSM(configuration.routingEngines))
        virtualLanes = configuration.qos
    }
}

extension RoutingEngineKind {
    /// `--routing`, when given, over what the configuration says (validated already).
    static func chosen(_ flag: String?, over configured: [RoutingEngineKind]) -> [RoutingEngineKind] {
        flag.flatMap { try? RoutingEngineKind.parseList($0).get() } ?? configured
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
            "VL tables: \(apply.virtualLanes.sets) SL2VL/VLArbitration Sets (\(apply.virtualLanes.reads) read to compare)",
            "routing: \(report.routing.engine) (\(report.routing.guarantees))",
            "routes: \(report.verification.summary)",
        ]
    }
}
