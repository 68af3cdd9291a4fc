import ArgumentParser
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

    @Flag(help: "Sweep once and exit (the only mode so far).")
    var once = false

    @Option(help: "LID mask control (0-7): each CA port gets 2^LMC LIDs, routed over different paths where possible.")
    var lmc: Int = 0

    @Option(help: ArgumentHelp("OpenSM-format guid2lid file: LIDs are kept from it and it is rewritten (atomically) after the sweep.", valueName: "file"))
    var guid2lid: String?

    @Option(help: "PortInfo.SubnetTimeout for every endport (0-31).")
    var subnetTimeout: Int = 18

    @Option(help: "Our SM priority (0-15): another SM that is MASTER with a higher priority (or the same and a lower GUID) is not fought.")
    var priority: Int = 0

    @Flag(help: "Configure even when another SM that outranks ours is MASTER.")
    var force = false

    @Option(help: ArgumentHelp("With --mkey: what an SMP without the key may still do (0-3). 0 Get; 1 Get, with the key hidden; 2-3 nothing. Sets are always refused. Default 1.", valueName: "bits"))
    var mkeyProtect: Int?

    @Option(help: ArgumentHelp("With --mkey: seconds after a refused SMP at which a port drops its protect bits to 0 if no SMP with the key came since (0-65535; 0 never). Default 0.", valueName: "seconds"))
    var mkeyLease: Int?

    @Option(help: ArgumentHelp(
        "Routing engines to try in order, comma-separated: \(RoutingEngineKind.allCases.map(\.rawValue).joined(separator: ", ")). The first that succeeds and keeps its promise routes.",
        valueName: "name[,name...]"))
    var routing: String = RoutingEngineKind.defaultList.map(\.rawValue).joined(separator: ",")

    @Flag(help: "Print SMPs sent by method and attribute, and the time of each phase, to stderr.")
    var stats = false

    func validate() throws {
        guard once else { throw ValidationError("only --once is supported so far: there is no daemon mode yet") }
        guard (0...7).contains(lmc) else { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        guard (0...31).contains(subnetTimeout) else { throw ValidationError("--subnet-timeout \(subnetTimeout) is outside 0-31") }
        guard (0...15).contains(priority) else { throw ValidationError("--priority \(priority) is outside 0-15") }
        if let mkeyProtect, !(0...3).contains(mkeyProtect) { throw ValidationError("--mkey-protect \(mkeyProtect) is outside 0-3") }
        if let mkeyLease, !(0...65535).contains(mkeyLease) { throw ValidationError("--mkey-lease \(mkeyLease) is outside 0-65535 seconds") }
        if case .failure(let error) = RoutingEngineKind.parseList(routing) { throw ValidationError("--routing: \(error.reason)") }
        if fabric.mKey == 0, mkeyProtect != nil || mkeyLease != nil {
            throw ValidationError("--mkey-protect and --mkey-lease need --mkey with a key other than 0")
        }
    }

    /// The M_Key the sweep gives every endport: nil without --mkey, so that M_Keys are left alone.
    var mKeyPolicy: MKeyPolicy? {
        guard fabric.mKey != 0 else { return nil }
        return MKeyPolicy(key: fabric.mKey, protectBits: UInt8(mkeyProtect ?? 1), leasePeriod: UInt16(mkeyLease ?? 0))
    }

    func run() async throws {
        let session = try await FabricSession.open(fabric)
        let options = SweepOptions(
            lmc: UInt8(lmc), guid2lidPath: guid2lid, subnetTimeout: UInt8(subnetTimeout), priority: UInt8(priority), force: force,
            mKey: mKeyPolicy, routing: (try? RoutingEngineKind.parseList(routing).get()) ?? RoutingEngineKind.defaultList)
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
        print(SweepSummary.lines(report).joined(separator: "\n"))
        for problem in report.problems { printError("swiftsm: \(problem)") }
        if !report.isHealthy {
            throw CommandFailure(.partial, "the subnet is not fully configured: \(report.problems.count) problem(s) listed above")
        }
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
            "routing: \(report.routing.engine) (\(report.routing.guarantees))",
            "routes: \(report.verification.summary)",
        ]
    }
}
