import Discovery
import FabricModel
import IBTransport
import IBWire
import Logging
import Routing

/// The daemon's one loop: it owns the state machine and the subnet as last configured, and makes one
/// pass at a time. Everything here runs on the loop's task.
struct DaemonLoop {
    let daemon: SubnetManagerDaemon
    var machine: SMStateMachine
    /// The subnet as the last configuration pass left it (MASTER).
    var subnet: SweepReport?
    /// The other SMs we know of, by port GUID.
    var contacts: [GUID: SMContact] = [:]
    var actions: [SMStateMachine.Action] = []

    var nextLightSweep: ContinuousClock.Instant?
    var nextPoll: ContinuousClock.Instant?
    var handoverDeadline: ContinuousClock.Instant?
    var heavyRequested = false
    var traps = TrapBatch()
    /// The discovery of the DISCOVERING pass, for the configuration pass that follows it at once.
    var lastDiscovery: DiscoveryResult?
    /// Ports whose IsSM changed (Trap 144), to ask for their SMInfo: attempts so far and when next.
    var smPortsToAsk: [LID: (attempts: Int, due: ContinuousClock.Instant)] = [:]
    /// A higher SM that was still DISCOVERING, and when to look at it again.
    var awaitingStandby: (guid: GUID, due: ContinuousClock.Instant)?
    /// The SA's programming: multicast written, housekeeping (`SubnetAdministrationPasses.swift`).
    var saState = AdministrationLoopState()

    init(daemon: SubnetManagerDaemon) {
        self.daemon = daemon
        self.machine = SMStateMachine(priority: daemon.options.sweep.priority, guid: daemon.status.own.guid,
                                      pollRetries: daemon.options.pollRetries)
    }

    var logger: Logger { daemon.logger }
    var options: DaemonOptions { daemon.options }
    var client: SMPClient { daemon.client }

    mutating func run() async {
        handle(.start)
        await performActions()
        for await event in daemon.events {
            if Task.isCancelled { break }
            switch event {
            case .tick:
                await onTick()
            case .trap(let notice, let source):
                let batchWasDue = traps.dueAt != nil
                traps.add(notice, source: source, now: .now, coalescing: options.trapCoalescing,
                          flapLimit: options.flapLimit, flapWindow: options.flapWindow, holdDown: options.holdDown)
                if notice.trapNumber == 128 { daemon.linkTrapsInFlight.subtract(1, ordering: .releasing) }
                // Handled when the coalescing time is up, not at the next tick after it (one tick per batch:
                // later traps join a batch whose time is set).
                if !batchWasDue, let due = traps.dueAt { daemon.tick(at: due) }
            case .control(let control, let from):
                if control == .acknowledge { handoverDeadline = nil }
                handle(.control(control, from: from))
            case .heavySweepRequested:
                heavyRequested = true
            case .reconfigured:
                reconfigured()
            }
            await performActions()
        }
    }

    /// Whether a link trap waits for its re-route, in the batch or still on its way to it (a held-down
    /// switch's trap is in neither: it starts no re-route). The SA's programming after a pass (P_Keys, MFTs)
    /// gives way meanwhile, so that the re-route is not held up by SMPs retrying into a link that just died;
    /// no light sweep starts, as it would make a heavy pass of what the re-route repairs. The batch cannot
    /// change while a pass runs, so it is read once.
    var linkTrapWaits: @Sendable () -> Bool {
        let queued = !traps.issuers.isEmpty
        let daemon = self.daemon
        return { queued || daemon.linkTrapIsWaiting }
    }

    /// Feeds an event to the state machine, queueing what it asks for and publishing the state.
    mutating func handle(_ event: SMStateMachine.Event) {
        let before = machine.state
        actions += machine.handle(event)
        // What we wrote as master is no longer ours to trust once another SM may write.
        if before == .master && machine.state != .master { subnet = nil }
        if machine.state != before {
            logger.notice("\(before) -> \(machine.state)")
        }
        let state = machine.state, master = machine.master
        daemon.publish { status in
            status.own.state = state
            status.master = master
        }
    }

    /// The daemon's options changed: the state machine weighs the new priority and poll retries, and the
    /// next light sweep or poll comes at the new cadence.
    mutating func reconfigured() {
        machine.reconfigure(priority: options.sweep.priority, pollRetries: options.pollRetries)
        switch machine.state {
        case .master where nextLightSweep != nil:
            scheduleLightSweep(healthy: true)
        case .standby where nextPoll != nil:
            nextPoll = .now + options.pollInterval
        default:
            break
        }
    }

    mutating func performActions() async {
        while !actions.isEmpty, !Task.isCancelled {
            let action = actions.removeFirst()
            switch action {
            case .discover:
                await discover()
            case .configure(let takeover):
                await heavySweep(takeover: takeover)
            case .poll(let remote):
                logger.notice("STANDBY: polling \(remote)")
                nextPoll = .now
                nextLightSweep = nil
            case .handOver(let remote):
                await sendControl(.handover, to: remote)
            case .acknowledge(let remote):
                await sendControl(.acknowledge, to: remote)
            case .stop:
                logger.notice("disabled by the master: NOTACTIVE until restarted")
                nextPoll = nil
                nextLightSweep = nil
            }
        }
    }

    // MARK: - Clock

    mutating func onTick() async {
        let now = ContinuousClock.now
        switch machine.state {
        case .master:
            if handoverDeadline != nil, let target = machine.master, let due = nextPoll, now >= due {
                // OpenSM takes a handover without sending ACKNOWLEDGE: its SMInfo saying MASTER is the answer.
                nextPoll = now + options.pollInterval
                if let contact = contacts[target.guid], let info = try? await daemon.pollClient.get(SMInfo.self, route: contact.route),
                   info.state == .master {
                    handoverDeadline = nil
                    logger.notice("\(target) is MASTER now: the handover is complete")
                    handle(.control(.acknowledge, from: RemoteSM(info, lid: contact.remote.lid, portGUID: contact.remote.guid)))
                    return
                }
            }
            if let deadline = handoverDeadline, now >= deadline {
                handoverDeadline = nil
                if let master = machine.master { daemon.publish { $0.problems.append(.handoverNotAcknowledged(master.guid)) } }
                handle(.handoverTimedOut)
            }
            if let (_, due) = awaitingStandby, now >= due {
                await recheckHigherSM()
            }
            if smPortsToAsk.values.contains(where: { now >= $0.due }) {
                await askNewSMs()
            }
            if heavyRequested {
                heavyRequested = false
                await heavySweep(takeover: false)
            } else if traps.isDue(now: now) {
                await handleTraps()
            } else if let due = nextLightSweep, now >= due, traps.isEmpty, !linkTrapWaits() {
                // Not while traps wait to be handled, in the batch or still on their way to it: the light sweep
                // would see their PortStateChange and make a heavy pass of what their re-route repairs.
                await lightSweep()
            }
            await administrationTick(now: now)
        case .standby:
            if let due = nextPoll, now >= due {
                nextPoll = now + options.pollInterval
                await poll()
            }
        case .discovering, .notActive:
            break
        }
    }

    // MARK: - Passes

    /// DISCOVERING: learn the fabric and who else is an SM.
    mutating func discover() async {
        let started = PassStart(client)
        let discovery = await FabricDiscoverer(client: client, logger: logger).discover()
        if let origin = discovery.fabric.origin, let guid = discovery.fabric[origin]?.guid, guid != machine.guid {
            // Our port's GUID comes from discovery when the transport could not tell it.
            machine = SMStateMachine(priority: machine.priority, guid: guid, pollRetries: machine.pollRetries, state: machine.state)
            daemon.publish { $0.own.guid = guid }
        }
        let found = await SMContact.find(in: discovery.fabric, routes: discovery.routes, client: client, smKey: options.smKey)
        for warning in found.warnings { logger.warning("\(warning)") }
        remember(found.contacts)
        lastDiscovery = discovery
        finished(.discovery, started: started, sets: 0, healthy: discovery.fabric.origin != nil)
        guard discovery.fabric.origin != nil else {
            // Not even our own port answered: try again after a polling interval.
            logger.warning("discovery found not even our own port: \(discovery.problems.first?.message ?? "no answer")")
            try? await Task.sleep(for: options.pollInterval)
            actions.append(.discover)
            return
        }
        handle(.discovered(found.contacts.map(\.remote)))
        // Only the configuration pass that follows at once may use it; later it would be stale.
        if machine.state != .master { lastDiscovery = nil }
    }

    /// MASTER: a full configuration pass, then the other SMs' SMInfo (a higher one gets the subnet).
    mutating func heavySweep(takeover: Bool) async {
        let started = PassStart(client)
        let firstAsMaster = subnet == nil
        if takeover { logger.notice("taking over: keeping every LID the ports hold, sending only what differs") }
        // A discovery made a moment ago (DISCOVERING -> MASTER) is not made again.
        let fresh = lastDiscovery
        lastDiscovery = nil
        let report: SweepReport
        do throws(SweepError) {
            report = try await SubnetSweep(client: client, options: options.sweep, logger: logger).runOnce(knownTables: knownTables, keepValidTables: takeover, discovery: fresh,
                                                                                                        knownVirtualLanes: subnet.map(HeldVirtualLanes.init))
        } catch .otherMaster(let why) {
            logger.notice("\(why)")
            await discoverWhileMaster()
            return
        } catch .cancelled {
            // The daemon is stopping: nothing to report.
            return
        } catch {
            logger.error("heavy sweep failed: \(error)")
            finished(.heavy, started: started, sets: 0, healthy: false)
            daemon.publish { $0.problems = [.sweepFailed(error)] }
            nextLightSweep = .now + (options.sweepInterval ?? options.pollInterval)
            return
        }
        subnet = report.holdingWhatWasApplied()
        await clearPortStateChange(report)
        let sets = report.apply.setCount
        let lid = report.discovery.fabric.origin.flatMap { report.lids.lid(of: $0) }
        daemon.publish { status in
            status.lid = lid
            status.activePorts = report.activePorts
            status.problems = report.isHealthy ? [] : [.subnetNotHealthy(report.problems)]
        }
        finished(.heavy, started: started, sets: sets, healthy: report.isHealthy, blockSets: report.apply.blockSets)
        for warning in report.warnings { logger.warning("\(warning)") }
        if report.isHealthy {
            logger.notice("subnet up: \(report.activePorts.active) of \(report.activePorts.planned) linked ports ACTIVE, \(sets) Set(s)")
        } else {
            for problem in report.problems { logger.error("\(problem)") }
        }
        // The SA describes the ports as this pass left them (LIDs, SMLID, states), not as discovery found them.
        if let subnet { await administer(subnet, heavy: true, firstAsMaster: firstAsMaster) }
        // The pass asked the other SMs already (before programming); light sweeps keep polling them.
        let found = SMContact.contacts(of: report.otherSubnetManagers, in: subnet?.discovery.fabric ?? report.discovery.fabric,
                                       routes: report.discovery.routes, smKey: options.smKey)
        remember(found.contacts)
        considerOthers(found.contacts.map(\.remote))
        scheduleLightSweep(healthy: report.isHealthy)
    }

    /// The tables this SM wrote in its last pass, by switch GUID. After a takeover there are none: another
    /// SM may have written anything, so the first pass compares against what the switches hold.
    var knownTables: [GUID: [UInt8]] {
        guard let subnet else { return [:] }
        let fabric = subnet.discovery.fabric
        var known: [GUID: [UInt8]] = [:]
        for (node, table) in subnet.apply.tables { known[fabric[node].guid] = table }
        return known
    }

    /// Another master outranks us: learn the SMs again and let the state machine step down.
    mutating func discoverWhileMaster() async {
        let known: DiscoveryResult
        if let discovery = subnet?.discovery { known = discovery } else { known = await FabricDiscoverer(client: client, logger: logger).discover() }
        let found = await SMContact.find(in: known.fabric, routes: known.routes, client: client, smKey: options.smKey)
        remember(found.contacts)
        handle(.discovered(found.contacts.map(\.remote)))
    }

    mutating func considerOthers(_ others: [RemoteSM]) {
        if others.contains(where: { $0.state == .master }) { handle(.discovered(others)) }
        guard machine.state == .master else { return }
        let higher = others.filter { machine.outranksUs($0) }
        // The subnet goes only to a STANDBY SM (IBA 14.4.1.2): one still DISCOVERING would find us MASTER,
        // go STANDBY and drop the handover. It is looked at again every polling interval until it is STANDBY.
        if let best = higher.filter({ $0.state == .standby }).max(by: { smOutranks(priority: $1.priority, guid: $1.guid, over: $0.priority, $0.guid) }) {
            awaitingStandby = nil
            handle(.foundHigherSM(best))
        } else if let discovering = higher.first(where: { $0.state == .discovering }) {
            awaitingStandby = (discovering.guid, .now + options.pollInterval)
        }
    }

    /// A higher SM seen DISCOVERING: its SMInfo again, to hand over once it is STANDBY.
    mutating func recheckHigherSM() async {
        guard let (guid, _) = awaitingStandby, let contact = contacts[guid] else {
            awaitingStandby = nil
            return
        }
        awaitingStandby = nil
        guard let info = try? await daemon.pollClient.get(SMInfo.self, route: contact.route) else { return }
        let remote = RemoteSM(info, lid: contact.remote.lid, portGUID: guid)
        contacts[guid]?.remote = remote
        considerOthers([remote])
    }

    mutating func scheduleLightSweep(healthy: Bool) {
        // An unhealthy subnet is looked at again soon; a healthy one at the configured cadence.
        let interval = options.sweepInterval ?? .seconds(3600 * 24 * 365)
        nextLightSweep = .now + (healthy ? interval : min(interval, .seconds(1)))
    }

    /// Clears SwitchInfo.PortStateChange on the switches that had it set when discovered, so the next
    /// light sweep sees only new changes.
    mutating func clearPortStateChange(_ report: SweepReport) async {
        let fabric = report.discovery.fabric
        let flagged = fabric.switches.filter { fabric[$0].switchInfo?.portStateChange == true }
        await clearPortStateChange(flagged, fabric: fabric, routes: report.discovery.routes)
    }

    /// Records the end of a pass in the published status, and logs its time and SMPs.
    func finished(_ kind: SweepKind, started: PassStart, sets: Int, healthy: Bool, blockSets: Int = 0) {
        let duration = ContinuousClock.now - started.instant
        let smps = client.statistics.totalSent - started.smps
        daemon.publish { status in
            status.sweeps[kind, default: 0] += 1
            status.lastSweep = (kind, duration, healthy)
            status.lastHealthy[kind] = healthy
            status.lastSets[kind] = sets
            status.lastBlockSets[kind] = blockSets
        }
        logger.info("\(kind.rawValue) pass: \(duration), \(smps) SMP(s), \(sets) Set(s)")
    }

    mutating func remember(_ found: [SMContact]) {
        for contact in found where contact.remote.guid != machine.guid { contacts[contact.remote.guid] = contact }
    }

    // MARK: - STANDBY

    /// One poll of the master's SMInfo.
    mutating func poll() async {
        guard let master = machine.master else { return }
        guard let contact = contacts[master.guid] else {
            handle(.pollFailed)
            return
        }
        do throws(SMPError) {
            let info = try await daemon.pollClient.get(SMInfo.self, route: contact.route)
            handle(.pollAnswered(RemoteSM(info, lid: contact.remote.lid, portGUID: contact.remote.guid)))
        } catch {
            logger.info("poll of \(master) failed: \(error)")
            handle(.pollFailed)
        }
    }

    /// SMInfo Set with a control (HANDOVER, ACKNOWLEDGE) to another SM. The payload is our SMInfo, with
    /// the state the receiver checks: MASTER for a handover, STANDBY for an acknowledgement.
    mutating func sendControl(_ control: SMInfoControl, to remote: RemoteSM) async {
        guard let contact = contacts[remote.guid] else {
            logger.warning("cannot send \(control) to \(remote): no route to it is known")
            if control == .handover { handle(.handoverTimedOut) }
            return
        }
        var own = daemon.status.own
        own.state = control == .handover ? .master : .standby
        do throws(SMPError) {
            _ = try await client.set(own.attribute, modifier: control.rawValue, route: contact.route)
            logger.notice("sent \(control) to \(remote)")
            if control == .handover {
                handoverDeadline = .now + options.handoverTimeout
                nextPoll = .now + options.pollInterval
            }
        } catch {
            logger.warning("\(control) to \(remote) failed: \(error)")
            if control == .handover { handle(.handoverTimedOut) }
        }
    }
}

/// When a pass began, and how many SMPs had been sent by then.
struct PassStart {
    let instant: ContinuousClock.Instant
    let smps: Int
    /// Now, or `since` (when what started the pass arrived: a trap, for a re-route).
    init(_ client: SMPClient, since: ContinuousClock.Instant? = nil) {
        instant = since ?? .now
        smps = client.statistics.totalSent
    }
}
