import Discovery
import FabricModel
import IBTransport
import IBWire
import Logging
import PortManagement
import Routing

/// How a sweep configures the subnet.
public struct SweepOptions: Sendable {
    /// LID mask control: each CA port gets 2^lmc LIDs.
    public var lmc: UInt8
    /// OpenSM-format guid2lid file: read before assigning LIDs (if it exists), written after.
    public var guid2lidPath: String?
    /// PortInfo.SubnetTimeout given to every endport.
    public var subnetTimeout: UInt8
    /// Our SM priority (0-15), weighed against other SMs found on the fabric.
    public var priority: UInt8
    /// Configure even when another SM that outranks us is MASTER.
    public var force: Bool
    /// The M_Key every endport is given (nil: M_Keys are left as they are). The sweep's client must
    /// carry the same key, or its Sets after the first would be refused.
    public var mKey: MKeyPolicy?
    /// `runOnce` re-plans while passes make progress, but starts no pass beyond the third later than this
    /// after its start.
    public var convergenceDeadline: Duration
    /// `runOnce` stops after this many passes in a row that made no progress (at least 1).
    public var passesWithoutProgress: Int
    /// The routing engines to try, in order (`--routing`): the first that succeeds and keeps its promise routes.
    public var routing: [RoutingEngineKind]
    /// Program SL2VL and VL arbitration tables (`--qos`, opensm.conf `qos`); false (the default, as in
    /// OpenSM) leaves them as they are.
    public var virtualLanes = false

    public init(lmc: UInt8 = 0, guid2lidPath: String? = nil, subnetTimeout: UInt8 = 18, priority: UInt8 = 0, force: Bool = false,
                mKey: MKeyPolicy? = nil, convergenceDeadline: Duration = .seconds(30), passesWithoutProgress: Int = 2,
                routing: [RoutingEngineKind] = RoutingEngineKind.defaultList) {
        self.routing = routing
        self.lmc = lmc
        self.guid2lidPath = guid2lidPath
        self.subnetTimeout = subnetTimeout
        self.priority = priority
        self.force = force
        self.mKey = mKey
        self.convergenceDeadline = convergenceDeadline
        self.passesWithoutProgress = passesWithoutProgress
    }
}

/// Everything one sweep found, decided and did.
public struct SweepReport: Sendable {
    public var discovery: DiscoveryResult
    public var lids: LIDAssignment
    public var tables: ForwardingTables
    /// The engine that routed (after any fallback), what it promised, and its notes.
    public var routing: RoutedTables
    public var apply: ApplyReport
    public var verification: RouteVerification
    /// Time of each phase, in order.
    public var phases: [(name: String, duration: Duration)]
    /// Things worth knowing that did not stop the sweep (dropped guid2lid entries, replaced LIDs).
    public var warnings: [String]
    /// What keeps the subnet from being fully usable; empty when every linked port is ACTIVE, every
    /// (switch, LID) pair is delivered, and the routes keep what the engine promised (min-hop paths,
    /// no credit loop).
    public var problems: [SweepProblem]
    /// Passes run (each a discovery, and unless it found conflicting identities, a plan applied).
    public var passes = 1
    /// The other SMs this pass found (ports advertising IsSM that answered SMInfo), so that the daemon
    /// need not ask them again.
    var otherSubnetManagers: [FoundSubnetManager] = []
    /// The SL2VL and VL arbitration tables the ports answered with in the last heavy pass (a re-route
    /// keeps them: it does not program them).
    public var virtualLanes = VirtualLaneTables()

    public var isHealthy: Bool { problems.isEmpty }
    /// Linked ports that ended ACTIVE, of those planned to be.
    public var activePorts: (active: Int, planned: Int)
}

/// Why a sweep could not run at all.
public enum SweepError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The SM's own node did not answer.
    case noLocalNode(String)
    /// The guid2lid file is unreadable or not a guid2lid file.
    case badGUID2LID(String)
    /// The fabric needs more LIDs than the switches can route.
    case lidAssignment(String)
    /// Another SM that outranks us is MASTER: we do not fight it.
    case otherMaster(String)
    /// Two nodes answered with one GUID, or a port's neighbour changed while it was being discovered,
    /// on every pass: the model cannot be trusted, so nothing was set.
    case conflictingIdentities(String)
    /// The sweep's task was cancelled (the daemon is stopping); the fabric is as the last SMPs left it.
    case cancelled

    public var description: String {
        switch self {
        case .noLocalNode(let why), .badGUID2LID(let why), .lidAssignment(let why), .otherMaster(let why),
             .conflictingIdentities(let why): why
        case .cancelled: "the sweep was cancelled"
        }
    }
}

/// One full configuration pass: discover, assign LIDs, route, program by reconciliation, activate,
/// verify. Planning (LIDs, routes, the desired state) is pure; only discovery and programming talk
/// to the fabric, so a second pass over a configured fabric sends no Set at all.
public struct SubnetSweep: Sendable {
    public let client: SMPClient
    public let options: SweepOptions
    let logger: Logger

    public init(client: SMPClient, options: SweepOptions = SweepOptions(), logger: Logger = Logger(label: "swiftsm.sweep")) {
        precondition(options.mKey.map { $0.key == client.mKey } ?? true, "the client must carry the M_Key the sweep sets")
        self.client = client
        self.options = options
        self.logger = logger
    }

    /// One sweep, re-planned from a fresh discovery for as long as that helps: when a pass leaves
    /// problems (SMPs lost for good, a link or node lost between discovery and programming, ports that
    /// could not go ACTIVE), another pass follows while passes make progress (fewer problems, fewer
    /// undelivered pairs or fewer ports not ACTIVE than any pass before), until
    /// `options.passesWithoutProgress` passes in a row make none, or (after the third pass)
    /// `options.convergenceDeadline` has passed. Reconciliation makes each further pass cheap: it sends
    /// only what is still missing, and the tables it leaves route nothing into a dead link. Returns the last pass's report; throws `.cancelled`
    /// as soon as its task is cancelled (SMPs in flight end at once, see `SMPClient.send`).
    ///
    /// `knownTables` (by switch GUID) are tables this SM wrote and believes the switches still hold: a running
    /// SM's heavy pass compares against them instead of reading every block back.
    ///
    /// `keepValidTables` (a new master taking over): when the tables the switches hold deliver every LID on a
    /// shortest path with the LIDs kept, they are kept as they are, so a takeover writes no LFT block.
    ///
    /// `discovery`: a discovery just made (a running SM's DISCOVERING pass), used by the first pass instead of
    /// discovering again.
    ///
    /// `knownVirtualLanes`: the SL2VL and arbitration tables a running SM saw in its last heavy pass; the first
    /// pass compares against them (where the ports were not reset since) instead of reading them all again.
    public func runOnce(knownTables: [GUID: [UInt8]] = [:], keepValidTables: Bool = false,
                        discovery: DiscoveryResult? = nil, knownVirtualLanes: HeldVirtualLanes? = nil) async throws(SweepError) -> SweepReport {
        let clock = ContinuousClock()
        let deadline = clock.now + options.convergenceDeadline
        var last: SweepReport?
        var best: PassOutcome?
        var stalled = 0
        var conflict: String?
        var passNumber = 0
        while true {
            passNumber += 1
            guard !Task.isCancelled else { throw .cancelled }
            var report: SweepReport
            do {
                // Known tables hold only until this sweep writes: a re-planning pass reads what the switches hold.
                report = try await pass(knownTables: passNumber == 1 ? knownTables : [:], keepValidTables: keepValidTables,
                                        discovery: passNumber == 1 ? discovery : nil, knownVirtualLanes: passNumber == 1 ? knownVirtualLanes : nil)
            } catch .conflictingIdentities(let why) where !Task.isCancelled {
                // A cable moved mid-discovery clears up on a fresh look; a true duplicate GUID does not.
                logger.info("conflicting identities (\(why)); discovering again")
                conflict = why
                stalled += 1
                if stalled >= max(1, options.passesWithoutProgress) || (passNumber >= Self.passesBeforeDeadline && clock.now >= deadline) { break }
                continue
            } catch {
                // Cancelled SMPs can make a pass fail in any way (the local node "did not answer").
                throw Task.isCancelled ? .cancelled : error
            }
            guard !Task.isCancelled else { throw .cancelled }
            if let last {
                report.phases = last.phases + report.phases.map { ("\($0.name) (pass \(passNumber))", $0.duration) }
                report.warnings.insert("re-planned \(passNumber - 1) time(s) after: \(last.problems.first.map { "\($0)" } ?? "a change")", at: 0)
            } else if let conflict {
                report.warnings.insert("discovered again after: \(conflict)", at: 0)
            }
            report.passes = passNumber
            conflict = nil
            if report.isHealthy { return report }

            let outcome = PassOutcome(report)
            if let previousBest = best, !outcome.improves(on: previousBest) {
                stalled += 1
                best = previousBest.best(with: outcome)
            } else {
                stalled = 0
                best = best?.best(with: outcome) ?? outcome
            }
            last = report
            if stalled >= max(1, options.passesWithoutProgress) || (passNumber >= Self.passesBeforeDeadline && clock.now >= deadline) { break }
            logger.info("pass \(passNumber) left \(report.problems.count) problem(s); re-planning")
        }
        if var last {
            if let conflict { last.problems.append(.conflictingIdentities(conflict)) }
            last.passes = passNumber
            return last
        }
        throw .conflictingIdentities((conflict ?? "conflicting identities") + " (on each of \(passNumber) discoveries); nothing was set")
    }

    /// Passes the deadline does not cut short (the fixed count sweeps had before): on a machine so loaded
    /// that one pass outlasts the deadline, a link lost mid-sweep is still re-planned around.
    static let passesBeforeDeadline = 3

    /// What a pass left, by the measures of progress between passes.
    struct PassOutcome {
        var problems: Int
        var badPairs: Int
        var inactivePorts: Int

        init(problems: Int, badPairs: Int, inactivePorts: Int) {
            self.problems = problems
            self.badPairs = badPairs
            self.inactivePorts = inactivePorts
        }

        init(_ report: SweepReport) {
            self.init(problems: report.problems.count, badPairs: report.verification.undelivered + report.verification.loops,
                      inactivePorts: report.activePorts.planned - report.activePorts.active)
        }

        /// Better than every pass before by some measure.
        func improves(on best: PassOutcome) -> Bool {
            problems < best.problems || badPairs < best.badPairs || inactivePorts < best.inactivePorts
        }

        /// The best of each measure.
        func best(with other: PassOutcome) -> PassOutcome {
            PassOutcome(problems: min(problems, other.problems), badPairs: min(badPairs, other.badPairs),
                        inactivePorts: min(inactivePorts, other.inactivePorts))
        }
    }

    private func pass(knownTables: [GUID: [UInt8]], keepValidTables: Bool, discovery made: DiscoveryResult?,
                      knownVirtualLanes: HeldVirtualLanes?) async throws(SweepError) -> SweepReport {
        var phases: [(name: String, duration: Duration)] = []
        let clock = ContinuousClock()
        var started = clock.now
        func endPhase(_ name: String) {
            let now = clock.now
            phases.append((name, now - started))
            started = now
        }

        let discovery: DiscoveryResult
        if let made { discovery = made } else { discovery = await FabricDiscoverer(client: client, logger: logger).discover() }
        endPhase("discover")
        let fabric = discovery.fabric
        guard let origin = fabric.origin else {
            throw .noLocalNode(discovery.problems.first?.message ?? "the local port did not answer")
        }
        // Routes and LIDs planned on a model that merged two nodes would send traffic into the wrong
        // ports: with a conflicting identity nothing is set (as OpenSM's exit_on_fatal does).
        if let conflict = discovery.problems.first(where: { $0.kind == .duplicateGUID }) {
            throw .conflictingIdentities(conflict.message)
        }

        var warnings = MKeyAudit.warnings(for: fabric, carrying: client.mKey)
        let others = await OtherSubnetManagers.find(in: fabric, routes: discovery.routes, client: client)
        warnings += others.warnings
        let ourGUID = fabric[origin]?.guid ?? fabric[origin.node].guid
        if let master = others.found.first(where: { $0.info.state == .master && $0.outranks(priority: options.priority, guid: ourGUID) }) {
            let message = "another SM is MASTER and outranks ours (priority \(options.priority)): \(master)"
            guard options.force else { throw .otherMaster(message + "; nothing was changed (use --force to configure anyway)") }
            warnings.append(message + "; configuring anyway (--force)")
        }
        endPhase("look for other SMs")

        var persisted: GUID2LIDTable?
        if let path = options.guid2lidPath, let loaded = try Self.loadGUID2LID(path) {
            persisted = loaded.table
            warnings += loaded.warnings
        }
        let lids: LIDAssignment
        do {
            lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: options.lmc, smPort: origin, persisted: persisted))
        } catch {
            throw .lidAssignment(error.description)
        }
        warnings += lids.problems
        endPhase("assign LIDs")

        // Port settings need only the LIDs: they go out while the routes are computed (the fabric would
        // otherwise idle for the whole route phase).
        let programmer = FabricProgrammer(client: client, logger: logger)
        let portSettings = Self.portSettings(fabric: fabric, lids: lids, origin: origin, options: options)
        async let portsConfigured = programmer.configurePorts(portSettings, smPort: origin, fabric: fabric, routes: discovery.routes)

        var known: [Int: [UInt8]] = [:]
        for (guid, table) in knownTables { if let node = fabric.index(of: guid) { known[node] = table } }
        let routed: RoutedTables
        if keepValidTables, let held = await Self.validHeldTables(fabric, lids: lids, routes: discovery.routes, client: client,
                                                                   promise: Self.promise(of: options.routing)) {
            logger.notice("the tables the switches hold deliver every LID and keep what \(held.routed.engine) promises: kept as they are")
            routed = held.routed
            known = held.raw
        } else {
            // On the shared pool: the port Sets above go on meanwhile, and the SM may be running on the
            // transport's receive thread, whose responses must not wait for the routing.
            let engines = options.routing
            routed = await withTaskExecutorPreference(globalConcurrentExecutor) { route(fabric, lids: lids, engines: engines) }
            for note in routed.notes { logger.info("\(note)") }
        }
        let tables = routed.tables
        endPhase("route")

        // Planning is CPU work too: on the shared pool, while the port Sets go on.
        let plan = await withTaskExecutorPreference(globalConcurrentExecutor) { [options] in
            var desired = Self.plan(fabric: fabric, lids: lids, tables: tables, origin: origin, options: options, ports: portSettings)
            if options.virtualLanes {
                desired.virtualLanes = VirtualLanePlan.plan(for: fabric, operationalVLs: { portSettings[$0]?.operationalVLs })
            }
            return desired
        }
        let configured = await programmer.configure(plan, to: fabric, routes: discovery.routes, knownTables: known,
                                                     knownVirtualLanes: knownVirtualLanes?.known(in: fabric), ports: await portsConfigured)
        endPhase("program")

        // The tables are final now: verify them (CPU) while the ports go ACTIVE (the fabric's time).
        // On the shared pool: the SM may be running on a transport's event loop, which this must not hold up.
        let reported = configured.report.tables
        // The SL2VL tables the switches answered with: each hop of a route takes the VL they give its SL.
        let lanes = configured.report.virtualLanes.tables(in: fabric)
        let serviceLevel = routed.guarantees.serviceLevel
        async let checked = withTaskExecutorPreference(globalConcurrentExecutor) {
            // Switches that answered with exactly the plan hold the computed tables, which verification
            // reads as they are; anything else is verified as the switches answered it.
            Self.holdsPlannedTables(reported, plan: plan)
                ? verifyRoutes(fabric, lids: lids, tables: tables, virtualLanes: lanes, serviceLevel: serviceLevel)
                : verifyRoutes(fabric, lids: lids, tables: ReportedTables(reported, nodeCount: fabric.nodes.count),
                               virtualLanes: lanes, serviceLevel: serviceLevel)
        }
        let apply = await programmer.activate(configured, plan: plan, fabric: fabric, routes: discovery.routes)
        endPhase("activate")
        let verification = await checked
        endPhase("verify (beyond activate)")

        if let path = options.guid2lidPath {
            do { try lids.table.write(to: path) } catch { warnings.append(error.description) }
        }
        if let warning = MKeyAudit.notKeptWarning(apply.mKeyNotKept, in: fabric) { warnings.append(warning) }

        let planned = plan.ports.filter { $0.value.activate }.map(\.key)
        let inactive = planned.filter { apply.portStates[$0] != .active }.sorted()
        let problems = SweepProblem.of(
            discovery: discovery, failures: apply.failures,
            inactive: inactive.map { SweepProblem.PortNotActive(port: $0, name: fabric.describe($0), state: apply.portStates[$0]) },
            verification: verification, routed: routed)
        if verification.failures(promised: routed.guarantees).isEmpty, let loop = verification.creditLoopDescription {
            warnings.append("\(routed.engine) routes are not deadlock-free: \(loop)")
        }
        var report = SweepReport(
            discovery: discovery, lids: lids, tables: tables, routing: routed, apply: apply, verification: verification, phases: phases,
            warnings: warnings, problems: problems, activePorts: (planned.count - inactive.count, planned.count))
        report.otherSubnetManagers = others.found
        report.virtualLanes = lanes
        return report
    }

    /// The desired state: port settings for every endport and link, and every switch's table.
    static func plan(fabric: Fabric, lids: LIDAssignment, tables: ForwardingTables, origin: PortAddress, options: SweepOptions,
                     ports: [PortAddress: PortSettings]? = nil) -> ConfigurationPlan {
        let ports = ports ?? portSettings(fabric: fabric, lids: lids, origin: origin, options: options)
        let switches = tables.rawTablesBySwitch().mapValues { SwitchProgram(top: tables.top, entries: $0) }
        return ConfigurationPlan(ports: ports, switches: switches, smPort: origin)
    }

    /// Every endport's and linked port's settings (they depend on the LIDs, not on the routes).
    static func portSettings(fabric: Fabric, lids: LIDAssignment, origin: PortAddress, options: SweepOptions) -> [PortAddress: PortSettings] {
        let smLID = lids.lid(of: origin) ?? .unassigned
        return ConfigurationPlan.portSettings(
            for: fabric, lids: { lids.lid(of: $0) }, lmc: options.lmc, smLID: smLID, subnetTimeout: options.subnetTimeout, mKey: options.mKey)
    }

    /// The plan after a repaired route: only the switches whose blocks changed (each table as this SM
    /// wrote it, `held`, with the changed blocks from `tables`, which are all that is compared) and only
    /// `ports` (the ends of links that came back; the rest hold their settings already).
    static func repairPlan(fabric: Fabric, lids: LIDAssignment, tables: ForwardingTables, changedBlocks: [Int: [Int]], held: [Int: [UInt8]],
                           ports: [PortAddress], origin: PortAddress, options: SweepOptions) -> ConfigurationPlan {
        let smLID = lids.lid(of: origin) ?? .unassigned
        var settings: [PortAddress: PortSettings] = [:]
        for address in ports {
            settings[address] = ConfigurationPlan.portSettings(of: address, in: fabric, lids: { lids.lid(of: $0) }, lmc: options.lmc, smLID: smLID,
                                                               subnetTimeout: options.subnetTimeout, mKey: options.mKey)
        }
        var switches: [Int: SwitchProgram] = [:]
        for (node, blocks) in changedBlocks {
            if var table = held[node], table.count == Int(tables.top.rawValue) + 1 {
                tables.patch(&table, switch: node, blocks: blocks)
                switches[node] = SwitchProgram(top: tables.top, entries: table, changedBlocks: blocks)
            } else {
                switches[node] = SwitchProgram(top: tables.top, entries: tables.rawTable(switch: node))
            }
        }
        return ConfigurationPlan(ports: settings, switches: switches, smPort: nil)
    }

    /// What the first engine of `engines` promises, which tables held by the switches must keep to be kept.
    static func promise(of engines: [RoutingEngineKind]) -> (engine: RoutingEngineKind, guarantees: RoutingGuarantees) {
        let first = engines.first ?? RoutingEngineKind.defaultList[0]
        return (first, first == .minhop ? RoutingGuarantees(minHop: true, deadlockFreeVLs: nil) : RoutingGuarantees(minHop: false, deadlockFreeVLs: 1))
    }

    /// The tables the switches hold, if every one could be read and together they deliver every LID of `lids`
    /// with no loop and keep `promise` (min-hop paths for minhop; no credit loop for the deadlock-free engines):
    /// what a new master keeps instead of rewriting.
    static func validHeldTables(_ fabric: Fabric, lids: LIDAssignment, routes: [DirectedRoute], client: SMPClient,
                                promise: (engine: RoutingEngineKind, guarantees: RoutingGuarantees)) async
        -> (routed: RoutedTables, raw: [Int: [UInt8]])? {
        let (raw, failures) = await ForwardingTableReader(client: client).read(fabric, routes: routes)
        let top = lids.maxLID
        guard failures.isEmpty, fabric.switches.allSatisfy({ (raw[$0]?.count ?? 0) == Int(top.rawValue) + 1 }) else { return nil }
        var tables = ForwardingTables(fabric: fabric, top: top)
        for (node, table) in raw {
            for (lid, port) in table.enumerated() { tables.setPort(PortNumber(port), switch: node, lid: LID(UInt16(lid))) }
        }
        let verification = verifyRoutes(fabric, lids: lids, tables: tables)
        guard verification.isDelivered, verification.failures(promised: promise.guarantees).isEmpty else { return nil }
        let routed = RoutedTables(tables: tables, engine: promise.engine.rawValue, guarantees: promise.guarantees,
                                  notes: ["the tables the switches held were kept: they keep what \(promise.engine) promises"])
        return (routed, raw)
    }

    /// Whether the switches answered with exactly the planned tables, every one of them.
    static func holdsPlannedTables(_ reported: [Int: [UInt8]], plan: ConfigurationPlan) -> Bool {
        reported.count == plan.switches.count && plan.switches.allSatisfy { reported[$0.key] == $0.value.entries }
    }

    /// The guid2lid table at `path`; nil when there is no such file yet (a first run).
    static func loadGUID2LID(_ path: String) throws(SweepError) -> (table: GUID2LIDTable, warnings: [String])? {
        guard FileSystemCheck.exists(path) else { return nil }
        do { return try GUID2LIDTable.load(path: path) } catch { throw .badGUID2LID(error.description) }
    }
}

/// Tables read back from switches are what verification walks (PortManagement does not know Routing).
extension ReportedTables: ForwardingLookup {}
