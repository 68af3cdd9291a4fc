import FabricModel
import IBTransport
import IBWire
import Logging

/// What applying a plan did, and what the fabric holds afterwards.
public struct ApplyReport: Sendable {
    public var portInfoSets = 0
    public var switchInfoSets = 0
    public var blockReads = 0
    public var blockSets = 0
    /// One line per SMP that failed.
    public var failures: [String] = []
    /// Each programmed switch's table as its agent reported it back (Get or Set responses), LIDs 0...top.
    public var tables: [Int: [UInt8]] = [:]
    /// The state each planned port reported last.
    public var portStates: [PortAddress: PortState] = [:]
    /// The PortInfo each planned port holds now, as last read or answered (what a running SM compares with next).
    public var portInfos: [PortAddress: PortInfo] = [:]
    /// Ports that answered a Set of the M_Key without keeping it: their agent does not implement M_Key
    /// (ibsim's does not), so they are not protected.
    public var mKeyNotKept: [PortAddress] = []
    /// The SL2VL and VL arbitration tables: reads, Sets, and what the ports hold.
    public var virtualLanes = VirtualLaneOutcome()

    public var setCount: Int { portInfoSets + switchInfoSets + blockSets + virtualLanes.sets }
}

/// Makes a fabric match a `ConfigurationPlan` by reconciliation: it compares the plan with what the
/// fabric holds (the PortInfo and SwitchInfo read by discovery, LFT blocks read here) and sends only
/// the Sets that differ. A fabric that already matches gets no Set at all.
///
/// Order: the SM's own port first; then, together, port settings (arming INIT ports in the same Set)
/// and forwarding tables; then, once both ends of every link are ARMED, ACTIVE.
public struct FabricProgrammer: Sendable {
    public let client: SMPClient
    let logger: Logger

    public init(client: SMPClient, logger: Logger = Logger(label: "swiftsm.program")) {
        self.client = client
        self.logger = logger
    }

    public func apply(_ plan: ConfigurationPlan, to fabric: Fabric, routes: [DirectedRoute]) async -> ApplyReport {
        await activate(await configure(plan, to: fabric, routes: routes), plan: plan, fabric: fabric, routes: routes)
    }

    /// The state between the two halves of `apply`: tables programmed, ports configured and armed.
    public struct Configured: Sendable {
        /// What was done so far; `tables` is final.
        public var report: ApplyReport
        /// The PortInfo each planned port holds, as last read or answered.
        var latest: [PortAddress: PortInfo]
    }

    /// The first half of `apply`: the SM's own port, then port settings (arming INIT ports) and the
    /// forwarding tables. The tables are final when this returns, so they can be verified while
    /// `activate` runs.
    ///
    /// `knownTables` are tables this SM wrote before and the switches still hold (by node): their blocks are
    /// compared with the plan without reading them back, and only those that differ are written.
    /// `knownVirtualLanes`: SL2VL and arbitration tables the ports are believed to hold, compared without reading.
    public func configure(_ plan: ConfigurationPlan, to fabric: Fabric, routes: [DirectedRoute], knownTables: [Int: [UInt8]] = [:],
                          knownVirtualLanes: VirtualLaneOutcome? = nil) async -> Configured {
        var report = ApplyReport()
        let limit = client.runnerCount
        var latest: [PortAddress: PortInfo] = [:]
        for address in plan.ports.keys { latest[address] = fabric[address]?.info }

        // 1. The SM's own port, so that everything after it sees its LID.
        var remaining = plan.ports
        if let smPort = plan.smPort, let settings = remaining.removeValue(forKey: smPort) {
            let outcome = await configure(smPort, settings, fabric: fabric, routes: routes)
            outcome.record(into: &report, latest: &latest, address: smPort)
        }

        // 2. Port settings and tables, interleaved across nodes by port number and block number.
        // Ports that already hold their settings need no task at all (most of them, on a re-route).
        let portJobs = remaining.filter { address, settings in
            guard let observed = fabric[address]?.info else { return true }
            return Self.portInfoSet(observed: observed, settings: settings) != nil
        }.sorted { ($0.key.port, $0.key.node) < ($1.key.port, $1.key.node) }
        let client = self.client
        async let portOutcomes = mapConcurrently(portJobs, limit: limit, executors: client.runnerExecutors) { address, settings in
            await FabricProgrammer(client: client).configure(address, settings, fabric: fabric, routes: routes)
        }
        async let laneOutcome = programVirtualLanes(plan.virtualLanes, fabric: fabric, routes: routes, known: knownVirtualLanes)
        let tableOutcomes = await programTables(plan, fabric: fabric, routes: routes, limit: limit, known: knownTables)
        for ((address, _), outcome) in zip(portJobs, await portOutcomes) { outcome.record(into: &report, latest: &latest, address: address) }
        report.switchInfoSets = tableOutcomes.switchInfoSets
        report.blockReads = tableOutcomes.blockReads
        report.blockSets = tableOutcomes.blockSets
        report.failures += tableOutcomes.failures
        report.tables = tableOutcomes.tables
        report.virtualLanes = await laneOutcome
        report.failures += report.virtualLanes.failures
        return Configured(report: report, latest: latest)
    }

    /// The second half of `apply`: ACTIVE, now that both ends of every link are ARMED.
    public func activate(_ configured: Configured, plan: ConfigurationPlan, fabric: Fabric, routes: [DirectedRoute]) async -> ApplyReport {
        var report = configured.report
        var latest = configured.latest
        let armed = plan.ports.compactMap { address, settings -> (PortAddress, PortInfo)? in
            guard settings.activate, let info = latest[address], info.state == .armed else { return nil }
            return (address, info)
        }.sorted { ($0.0.port, $0.0.node) < ($1.0.port, $1.0.node) }
        let client = self.client
        let activations = await mapConcurrently(armed, limit: client.runnerCount, executors: client.runnerExecutors) { address, holding in
            await FabricProgrammer(client: client).activate(address, holding: holding, fabric: fabric, routes: routes)
        }
        for ((address, _), outcome) in zip(armed, activations) { outcome.record(into: &report, latest: &latest, address: address) }
        report.portStates = latest.compactMapValues(\.state)
        report.portInfos = latest
        return report
    }

    // MARK: - Ports

    struct PortOutcome: Sendable {
        var sent = false
        /// The PortInfo the port answered with.
        var info: PortInfo?
        var failure: String?
        var mKeyNotKept = false

        func record(into report: inout ApplyReport, latest: inout [PortAddress: PortInfo], address: PortAddress) {
            if sent { report.portInfoSets += 1 }
            if let info { latest[address] = info }
            if let failure { report.failures.append(failure) }
            if mKeyNotKept { report.mKeyNotKept.append(address) }
        }
    }

    /// The PortInfo Set that brings a port to its settings (and from INIT to ARMED), or nil if it
    /// already matches.
    static func portInfoSet(observed: PortInfo, settings: PortSettings) -> PortInfo? {
        var wanted = observed
        if let lid = settings.lid { wanted.lid = lid }
        if let lmc = settings.lmc { wanted.lmc = lmc }
        if let smLID = settings.masterSMLID { wanted.masterSMLID = smLID }
        if let prefix = settings.gidPrefix { wanted.gidPrefix = prefix }
        if let mtu = settings.neighborMTU { wanted.neighborMTU = mtu }
        if let vls = settings.operationalVLs { wanted.operationalVLs = vls }
        if let limit = settings.vlHighLimit { wanted.vlHighLimit = limit }
        if let policy = settings.mKey { wanted.apply(policy) }
        let needsArm = settings.activate && observed.state == .initialize
        guard wanted != observed || needsArm else { return nil }
        // SubnetTimeout rides along with a Set that is needed anyway, but never causes one: some agents
        // (ibsim's among them) do not store it, and a sweep of a configured fabric must send no Set.
        if let timeout = settings.subnetTimeout { wanted.subnetTimeout = timeout }
        // In a Set, 0 means "leave as is": never ask for the state or physical state the port already has.
        wanted.state = needsArm ? .armed : .noChange
        wanted.physicalState = .noChange
        // ClientReregister is a one-time request (the new master's); an agent echoing it must not get it again.
        wanted.clientReregister = false
        return wanted
    }

    func configure(_ address: PortAddress, _ settings: PortSettings, fabric: Fabric, routes: [DirectedRoute]) async -> PortOutcome {
        guard let observed = fabric[address]?.info else {
            return PortOutcome(failure: "\(fabric.describe(address)): no PortInfo was read, cannot configure it")
        }
        guard let request = Self.portInfoSet(observed: observed, settings: settings) else {
            return PortOutcome()
        }
        switch await setPortInfo(request, at: address, fabric: fabric, routes: routes) {
        case .success(let answer):
            return PortOutcome(sent: true, info: answer, mKeyNotKept: settings.mKey.map { !answer.holds($0) } ?? false)
        case .failure(let error):
            var failure = "\(fabric.describe(address)): PortInfo Set failed: \(error)"
            if case .noResponse = error, observed.mayRefuseSets(carrying: client.mKey) {
                failure += " (the port holds an M_Key other than this SM's)"
            }
            return PortOutcome(sent: true, failure: failure)
        }
    }

    /// Sends a PortInfo Set. When it asks for a state change and is refused (0x1C), the port is read
    /// back: a Set whose response was lost and that was retried is refused for asking for the state the
    /// port is already in, and that is success, not failure.
    private func setPortInfo(_ request: PortInfo, at address: PortAddress, fabric: Fabric, routes: [DirectedRoute]) async -> Result<PortInfo, SMPError> {
        let route = fabric.route(toPort: address, nodeRoutes: routes)
        let modifier = UInt32(address.port.rawValue)
        let guid = fabric[address.node].guid
        do throws(SMPError) {
            return .success(try await client.set(request, modifier: modifier, route: route, node: guid))
        } catch {
            guard case .status(.invalidAttributeValue, _, _) = error, let wanted = request.state, wanted != .noChange else { return .failure(error) }
            guard let now = try? await client.get(PortInfo.self, modifier: modifier, route: route, node: guid),
                  let state = now.state, state.rawValue >= wanted.rawValue, now.lid == request.lid
            else { return .failure(error) }
            return .success(now)
        }
    }

    /// Sets an ARMED port ACTIVE; `holding` is its PortInfo as last answered (a Set writes the whole attribute).
    func activate(_ address: PortAddress, holding: PortInfo, fabric: Fabric, routes: [DirectedRoute]) async -> PortOutcome {
        var request = holding
        request.state = .active
        request.physicalState = .noChange
        switch await setPortInfo(request, at: address, fabric: fabric, routes: routes) {
        case .success(let answer): return PortOutcome(sent: true, info: answer)
        case .failure(let error): return PortOutcome(sent: true, failure: "\(fabric.describe(address)): ACTIVE refused: \(error)")
        }
    }
}
