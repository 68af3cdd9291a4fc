import Discovery
import FabricModel
import IBTransport
import IBWire
import PortManagement
import Routing

/// What the ports of the switches that trapped say now, against the subnet as last configured.
struct PortChanges {
    /// Ports whose link went down.
    var lost: [PortAddress] = []
    /// Ports that came up, with the known port at the far end.
    var found: [(near: PortAddress, far: PortAddress)] = []
    /// Fresh PortInfo of every port read (both ends of found links included).
    var infos: [PortAddress: PortInfo] = [:]
    /// Something the model cannot absorb (a new node, a port that did not answer): a heavy pass is needed.
    var needsHeavyPass: String?

    var isEmpty: Bool { lost.isEmpty && found.isEmpty }
}

extension DaemonLoop {
    /// Re-routes after link traps from `issuers` (switch LIDs), touching only what changed: the trapping
    /// switches' ports are read, the model is updated (links lost, links back), routes are computed again
    /// with every LID kept, and only the LFT blocks that differ from what the switches hold and the ports
    /// that need it are written. Anything the model cannot absorb (a new node, a switch that does not
    /// answer) falls back to a heavy pass. The pass is timed from `trappedAt`, when the first trap arrived.
    mutating func reroute(after issuers: Set<LID>, trappedAt: ContinuousClock.Instant? = nil) async {
        guard let previous = subnet, let origin = previous.discovery.fabric.origin else {
            await heavySweep(takeover: false)
            return
        }
        let started = PassStart(client, since: trappedAt)
        var phases = PhaseClock(since: trappedAt)
        var fabric = previous.discovery.fabric
        let switches = Set(issuers.compactMap { lid -> Int? in
            guard let owner = previous.lids.owner(of: lid), fabric[owner.node].type == .switch else { return nil }
            return owner.node
        }).sorted()
        guard !switches.isEmpty else {
            await heavySweep(takeover: false)
            return
        }
        // PortStateChange is cleared before the ports are read: a change after the read sets it again, so
        // the next light sweep sees what a lost trap would hide.
        await clearPortStateChange(switches, fabric: fabric, routes: previous.discovery.routes)
        let changes = await readPorts(of: switches, in: fabric, routes: previous.discovery.routes)
        if let why = changes.needsHeavyPass {
            logger.notice("re-route needs a heavy pass: \(why)")
            await heavySweep(takeover: false)
            return
        }
        for (address, info) in changes.infos {
            fabric[address.node].ports[address.port.index]?.info = info
            if let state = info.state { fabric[address.node].ports[address.port.index]?.state = state }
            if let physical = info.physicalState { fabric[address.node].ports[address.port.index]?.physicalState = physical }
        }
        for lost in changes.lost { fabric.disconnect(lost) }
        for (near, far) in changes.found {
            fabric.disconnect(near)
            fabric.disconnect(far)
            try? fabric.connect(near, far)
        }
        if changes.isEmpty {
            // A repeated trap, or one whose change a heavy pass already absorbed: nothing to do.
            logger.notice("re-route: the trapping switches' ports show no change")
            finished(.reroute, started: started, sets: 0, healthy: true)
            return
        }
        phases.end("read ports")
        let routes = zip(fabric.shortestRoutes(), previous.discovery.routes).map { $0 ?? $1 }
        let lids = previous.lids
        let repair = repairRoutes(previous.routing, from: previous.discovery.fabric, to: fabric, lids: lids, engines: options.sweep.routing)
        let routed = repair.routed
        let tables = routed.tables
        phases.end("route")
        let plan: ConfigurationPlan
        if let blocks = repair.changedBlocks {
            // Only what the repair changed: its blocks, and the ports of links that came back.
            let ports = changes.found.flatMap { [$0.near, $0.far] }
            plan = SubnetSweep.repairPlan(fabric: fabric, lids: lids, tables: tables, changedBlocks: blocks, held: previous.apply.tables,
                                          ports: ports, origin: origin, options: options.sweep)
        } else {
            plan = SubnetSweep.plan(fabric: fabric, lids: lids, tables: tables, origin: origin, options: options.sweep)
        }
        phases.end("plan")
        let programmer = FabricProgrammer(client: client, logger: logger)
        let configured = await programmer.configure(plan, to: fabric, routes: routes, knownTables: previous.apply.tables)
        let applied = await programmer.activate(configured, plan: plan, fabric: fabric, routes: routes)
        phases.end("program")
        logger.info("re-route phases: \(phases); \(routed.notes.last ?? "")")
        let summary = RerouteSummary(repaired: repair.changedBlocks != nil, phases: phases.phases,
                                     smps: client.statistics.totalSent - started.smps, note: routed.notes.last ?? "",
                                     busiestSwitchBlocks: repair.changedBlocks?.values.map(\.count).max() ?? plan.switches.values.map(\.blockCount).max() ?? 0)
        daemon.publish { $0.lastReroute = summary }

        var report = previous
        report.discovery.fabric = fabric
        report.discovery.routes = routes
        report.tables = tables
        report.routing = routed
        report.apply = applied
        let planned = plan.ports.filter { $0.value.activate }.map(\.key)
        let inactive = planned.filter { applied.portStates[$0] != .active }
        if repair.changedBlocks == nil {
            report.activePorts = (planned.count - inactive.count, planned.count)
        } else {
            let linked = fabric.nodes.reduce(0) { $0 + $1.ports.reduce(0) { $0 + ($1?.remote != nil && $1?.number != .management ? 1 : 0) } }
            report.activePorts = (linked - inactive.count, linked)
        }
        report.problems = applied.failures.map(SweepProblem.programming) + (inactive.isEmpty ? [] : [.portsNotActive(inactive.sorted().map {
            SweepProblem.PortNotActive(port: $0, name: fabric.describe($0), state: applied.portStates[$0])
        })])
        var holding = report.holdingWhatWasApplied()
        if repair.changedBlocks != nil {
            // The plan covered only what changed: the rest holds what the last passes applied.
            var apply = previous.apply
            apply.tables.merge(applied.tables) { $1 }
            apply.portInfos.merge(applied.portInfos) { $1 }
            apply.portStates.merge(applied.portStates) { $1 }
            for lost in changes.lost {
                apply.portStates[lost] = changes.infos[lost]?.state
                if let info = changes.infos[lost] { apply.portInfos[lost] = info }
            }
            apply.portInfoSets = applied.portInfoSets
            apply.switchInfoSets = applied.switchInfoSets
            apply.blockReads = applied.blockReads
            apply.blockSets = applied.blockSets
            apply.failures = applied.failures
            apply.mKeyNotKept = applied.mKeyNotKept
            holding.apply = apply
        }
        subnet = holding
        let healthy = report.problems.isEmpty
        finished(.reroute, started: started, sets: applied.setCount, healthy: healthy, blockSets: applied.blockSets)
        logger.notice("re-routed: \(changes.lost.count) link end(s) lost, \(changes.found.count) back; \(applied.blockSets) LFT block(s), \(applied.portInfoSets) PortInfo Set(s) in \(ContinuousClock.now - started.instant)")
        daemon.publish { status in
            status.activePorts = report.activePorts
            status.problems = healthy ? [] : [.subnetNotHealthy(report.problems)]
        }
        // The far ends' switches changed too, and their traps are often lost (their route to us was the dead
        // link): their PortStateChange is cleared (on the new routes), or the next light sweep would make a heavy
        // pass of what was just repaired.
        let farSwitches = Set(changes.lost.compactMap { previous.discovery.fabric[$0]?.remote?.node } + changes.found.map(\.far.node))
            .subtracting(switches).filter { fabric[$0].type == .switch }.sorted()
        if !farSwitches.isEmpty { await clearPortStateChange(farSwitches, fabric: fabric, routes: routes) }
        if let subnet { await administer(subnet, heavy: false, firstAsMaster: false) }
        if !healthy {
            // What a partial view could not fix, a full one will.
            logger.notice("re-route left \(report.problems.count) problem(s); heavy pass")
            await heavySweep(takeover: false)
        }
    }

    /// Reads PortInfo of every port of `switches` and works out which links went down or came up.
    func readPorts(of switches: [Int], in fabric: Fabric, routes: [DirectedRoute]) async -> PortChanges {
        let client = self.client
        let addresses = switches.flatMap { node in (1...max(1, fabric[node].portCount)).map { PortAddress(node: node, port: PortNumber(UInt8($0))) } }
        let infos = await mapConcurrently(addresses, limit: client.runnerCount, executors: client.runnerExecutors) { address in
            try? await client.get(PortInfo.self, modifier: UInt32(address.port.rawValue), route: routes[address.node], node: fabric[address.node].guid)
        }
        var changes = PortChanges()
        for (address, info) in zip(addresses, infos) {
            guard let info else {
                changes.needsHeavyPass = "\(fabric.describe(address)) did not answer"
                return changes
            }
            changes.infos[address] = info
            let linked = info.physicalState == .linkUp && info.state != .down
            let known = fabric[address]?.remote
            if !linked, let known {
                changes.lost.append(address)
                changes.infos[known] = nil
            } else if linked, known == nil || info.state != .active {
                // A link that is new, or that went down and came back before its trap was handled (its
                // ports wait in INIT, and the model still has it). Who is at the far end? A node we know, at
                // a port we know, or a heavy pass.
                guard let route = try? routes[address.node].appending(address.port),
                      let far = try? await client.get(NodeInfo.self, route: route, node: nil),
                      let node = fabric.index(of: far.nodeGUID)
                else {
                    changes.needsHeavyPass = "something new is cabled to \(fabric.describe(address))"
                    return changes
                }
                let farPort = PortAddress(node: node, port: far.localPortNumber)
                guard fabric[farPort] != nil, let farInfo = try? await client.get(
                    PortInfo.self, modifier: UInt32(farPort.port.rawValue), route: route, node: far.nodeGUID)
                else {
                    changes.needsHeavyPass = "\(fabric.describe(address)) leads to a port the model does not have"
                    return changes
                }
                changes.found.append((address, farPort))
                changes.infos[farPort] = farInfo
            }
        }
        return changes
    }

    /// Clears SwitchInfo.PortStateChange on `switches` (a Set with the bit set clears it).
    func clearPortStateChange(_ switches: [Int], fabric: Fabric, routes: [DirectedRoute]) async {
        let client = self.client
        _ = await mapConcurrently(switches, limit: client.runnerCount, executors: client.runnerExecutors) { node -> Bool in
            guard var info = try? await client.get(SwitchInfo.self, route: routes[node], node: fabric[node].guid), info.portStateChange
            else { return false }
            info.portStateChange = true
            return (try? await client.set(info, route: routes[node], node: fabric[node].guid)) != nil
        }
    }
}

extension SweepReport {
    /// The report with its model's PortInfo replaced by what the ports answered last, so that the next pass
    /// compares with what the ports hold now, not with what discovery read before configuring them.
    func holdingWhatWasApplied() -> SweepReport {
        var report = self
        for (address, info) in apply.portInfos where report.discovery.fabric[address] != nil {
            report.discovery.fabric[address.node].ports[address.port.index]?.info = info
            if let state = info.state { report.discovery.fabric[address.node].ports[address.port.index]?.state = state }
        }
        // The switches route up to what was written (discovery may have read a top of 0 before programming).
        for (node, table) in apply.tables where !table.isEmpty {
            report.discovery.fabric[node].switchInfo?.linearFDBTop = LID(UInt16(table.count - 1))
        }
        return report
    }
}

/// Times the phases of a pass, for the log.
struct PhaseClock: CustomStringConvertible {
    private var last: ContinuousClock.Instant
    private(set) var phases: [(name: String, duration: Duration)] = []

    /// From `since` (nil: now); time before the first phase is "wait" when it began earlier.
    init(since: ContinuousClock.Instant? = nil) {
        let now = ContinuousClock.now
        last = since ?? now
        if since != nil { end("wait") }
    }

    mutating func end(_ name: String) {
        let now = ContinuousClock.now
        phases.append((name, now - last))
        last = now
    }

    var description: String {
        phases.map { "\($0.name) \(($0.duration.components.attoseconds / 1_000_000_000_000_000) + $0.duration.components.seconds * 1000) ms" }.joined(separator: ", ")
    }
}
