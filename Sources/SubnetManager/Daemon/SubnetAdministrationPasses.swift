import FabricModel
import IBTransport
import IBWire
import Routing
import SubnetAdministration

/// What the loop remembers of the SA's programming between passes.
struct AdministrationLoopState {
    /// The multicast generation last written to the switches (nil: none yet).
    var multicastGeneration: Int?
    /// MFT blocks as the switches hold them (read or written by us), by switch GUID and attribute modifier.
    /// Cleared by every heavy pass: another SM may have written anything, and the fabric may have changed.
    var multicastBlocks: [GUID: [UInt32: [UInt16]]] = [:]
    var nextHousekeeping: ContinuousClock.Instant = .now
    /// After a failed MFT write, when to try again (a switch that does not answer is not asked every tick).
    var multicastRetry: ContinuousClock.Instant?
    /// The multicast trees last checked for credit loops with the unicast routes.
    var checkedMulticastTrees: Set<MulticastTreeAtSwitch> = []
    /// P_Key programming stopped early for a link trap: done by the next pass, heavy or not.
    var pKeysPending = false
}

extension DaemonLoop {
    var administration: SubnetAdministrationService { daemon.subnetAdministration }

    /// After a configuration pass as MASTER: the SA answers from what the pass left, the endports get the
    /// P_Keys of the partitions (heavy passes), the switches the multicast trees, and on the first pass of
    /// a new master every CA port is told to register again (ClientReregister), since the groups and
    /// subscriptions hosts made with the previous SA are not known to this one.
    mutating func administer(_ report: SweepReport, heavy: Bool, firstAsMaster: Bool) async {
        guard machine.state == .master else { return }
        let started = ContinuousClock.now
        await administration.publish(report, own: daemon.status.own, partitions: options.partitions)
        if heavy { saState.multicastBlocks = [:] }
        if heavy || saState.pKeysPending { await programPKeys(report) }
        let program = await programMulticast(report)
        checkMulticastCreditLoops(report, program: program)
        if firstAsMaster { await requestClientReregistration(report) }
        logger.info("SA snapshot published, P_Keys and multicast reconciled in \(ContinuousClock.now - started)")
    }

    /// On the clock, as MASTER: rewrites the multicast trees when joins or leaves changed them, and drops
    /// RMPP transfers that stalled.
    mutating func administrationTick(now: ContinuousClock.Instant) async {
        if now >= saState.nextHousekeeping {
            // Often: under umad2sim (no RMPP) no ACK ever comes, and stalled transfers would fill the SA's slots.
            saState.nextHousekeeping = now + .seconds(1)
            let dropped = administration.sa.dropStalledTransfers()
            if dropped > 0 { logger.info("SA: dropped \(dropped) stalled RMPP transfer(s)") }
        }
        guard let subnet, administration.sa.multicastGeneration != saState.multicastGeneration else { return }
        if let retry = saState.multicastRetry, now < retry { return }
        await programMulticast(subnet)
    }

    // MARK: - Multicast

    /// Writes the MFT blocks that differ from what the switches hold (read once, then remembered), for
    /// the groups as they are now. MLIDs no longer in use are cleared. Returns the program it wrote.
    @discardableResult
    mutating func programMulticast(_ report: SweepReport) async -> MulticastProgram {
        let generation = administration.sa.multicastGeneration
        let program = administration.sa.multicastProgram
        let fabric = report.discovery.fabric
        let routes = report.discovery.routes
        let client = self.client
        let linkTrapWaits = self.linkTrapWaits
        let known = saState.multicastBlocks
        let results = await mapConcurrently(fabric.switches, limit: client.runnerCount, executors: client.runnerExecutors) {
            node -> (GUID, [UInt32: [UInt16]], sets: Int, failures: Int) in
            let guid = fabric[node].guid
            var holding = known[guid] ?? [:]
            var wanted: [UInt32: [UInt16]] = [:]
            let cap = fabric[node].switchInfo?.multicastFDBCap ?? 1024
            for (modifier, block) in program.blocks(switch: node, portCount: fabric[node].portCount)
            where MulticastForwardingTableBlock.blockAndPosition(of: modifier).block * MulticastForwardingTableBlock.entriesPerBlock < cap {
                wanted[modifier] = block.portMasks
            }
            // Blocks we wrote before that the program no longer covers are emptied.
            for (modifier, masks) in holding where wanted[modifier] == nil && masks.contains(where: { $0 != 0 }) {
                wanted[modifier] = [UInt16](repeating: 0, count: MulticastForwardingTableBlock.entriesPerBlock)
            }
            var sets = 0, failures = 0
            for (modifier, masks) in wanted.sorted(by: { $0.key < $1.key }) {
                // A link just died: the re-route goes first; what is left counts as failed, tried again after it.
                if linkTrapWaits() { failures += 1; continue }
                if holding[modifier] == nil {
                    guard let read = try? await client.get(MulticastForwardingTableBlock.self, modifier: modifier, route: routes[node], node: guid)
                    else { failures += 1; continue }
                    holding[modifier] = read.portMasks
                }
                guard holding[modifier] != masks else { continue }
                sets += 1
                if (try? await client.set(MulticastForwardingTableBlock(portMasks: masks), modifier: modifier, route: routes[node], node: guid)) != nil {
                    holding[modifier] = masks
                } else {
                    holding[modifier] = nil
                    failures += 1
                }
            }
            return (guid, holding, sets, failures)
        }
        var sets = 0, failures = 0
        for (guid, holding, blockSets, blockFailures) in results {
            saState.multicastBlocks[guid] = holding
            sets += blockSets
            failures += blockFailures
        }
        // A failure leaves the generation unwritten: tried again a second later.
        if failures == 0 {
            saState.multicastGeneration = generation
            saState.multicastRetry = nil
        } else {
            saState.multicastRetry = .now + .seconds(1)
        }
        if sets > 0 || failures > 0 {
            let failed = failures > 0 ? ", \(failures) failed" : ""
            logger.notice("multicast: \(program.mlids.count) group(s), \(sets) MFT block(s) written\(failed)")
        }
        return program
    }

    /// Multicast trees must not add a credit loop to the unicast routes: both go into one channel dependency
    /// graph (on one VL, which finds any loop some SL2VL table could make) after a pass that changed the trees
    /// or wrote forwarding tables. A loop is logged and published as a problem.
    mutating func checkMulticastCreditLoops(_ report: SweepReport, program: MulticastProgram) {
        var trees = Set<MulticastTreeAtSwitch>()
        for (node, groups) in program.entries {
            for ports in groups.values where !ports.isEmpty { trees.insert(MulticastTreeAtSwitch(node: node, ports: ports.ports)) }
        }
        guard !trees.isEmpty, trees != saState.checkedMulticastTrees || report.apply.blockSets > 0 else { return }
        saState.checkedMulticastTrees = trees
        let fabric = report.discovery.fabric
        guard let loop = findCreditLoop(fabric, lids: report.lids, tables: report.tables, extraPaths: multicastTreePaths(fabric, trees: trees))
        else { return }
        let description = loop.describe(in: fabric)
        logger.error("multicast trees and unicast routes together have a credit loop: \(description)")
        daemon.publish { $0.problems.append(.multicastCreditLoop(description)) }
    }

    // MARK: - Partitions

    /// Writes the P_Key table blocks that differ from what each endport holds.
    mutating func programPKeys(_ report: SweepReport) async {
        let program = administration.sa.pKeyProgram
        let fabric = report.discovery.fabric
        let routes = report.discovery.routes
        let client = self.client
        let linkTrapWaits = self.linkTrapWaits
        let ports = program.keys.sorted { ($0.node, $0.port.rawValue) < ($1.node, $1.port.rawValue) }
        let results = await mapConcurrently(ports, limit: client.runnerCount, executors: client.runnerExecutors) { address -> (sets: Int, failures: Int) in
            guard fabric[address] != nil || address.port == .management else { return (0, 0) }
            // A link just died: the routes may lead through it; the re-route goes first, this after it.
            guard !linkTrapWaits() else { return (0, -1) }
            let cap = Int(fabric[address.node].nodeInfo?.partitionCap ?? 32)
            let (blocks, leftOut) = pKeyTableBlocks(program[address] ?? [], port: .management, partitionCap: cap)
            let route = fabric.route(toPort: address, nodeRoutes: routes)
            let guid = fabric[address.node].guid
            var sets = 0, failures = leftOut.isEmpty ? 0 : 1
            for (modifier, block) in blocks {
                if let held = try? await client.get(PKeyTableBlock.self, modifier: modifier, route: route, node: guid), held.keys == block.keys { continue }
                sets += 1
                if (try? await client.set(block, modifier: modifier, route: route, node: guid)) == nil { failures += 1 }
            }
            return (sets, failures)
        }
        let deferred = results.filter { $0.failures < 0 }.count
        saState.pKeysPending = deferred > 0
        if deferred > 0 { logger.notice("partitions: \(deferred) endport(s) left for the pass after the re-route of a link trap") }
        let sets = results.reduce(0) { $0 + $1.sets }, failures = results.reduce(0) { $0 + max(0, $1.failures) }
        if sets > 0 || failures > 0 {
            let failed = failures > 0 ? ", \(failures) failed or over PartitionCap" : ""
            logger.notice("partitions: \(sets) P_Key block(s) written, \(ports.count) endport(s)\(failed)")
        }
    }

    // MARK: - Client reregistration

    /// Sets PortInfo.ClientReregister on every ACTIVE CA port that supports it (CapabilityMask bit 25), so
    /// that hosts join their groups and subscribe again with this SA.
    func requestClientReregistration(_ report: SweepReport) async {
        let fabric = report.discovery.fabric
        let routes = report.discovery.routes
        let client = self.client
        var targets: [(PortAddress, PortInfo)] = []
        for node in fabric.channelAdapters {
            for port in fabric[node].knownPorts {
                let address = PortAddress(node: node, port: port.number)
                guard port.remote != nil, let info = report.apply.portInfos[address] ?? port.info, info.state == .active,
                      info.capabilityMask & Self.clientReregistrationSupported != 0 else { continue }
                targets.append((address, info))
            }
        }
        let results = await mapConcurrently(targets, limit: client.runnerCount, executors: client.runnerExecutors) { target -> Bool in
            var request = target.1
            request.clientReregister = true
            request.state = .noChange
            request.physicalState = .noChange
            let route = fabric.route(toPort: target.0, nodeRoutes: routes)
            return (try? await client.set(request, modifier: UInt32(target.0.port.rawValue), route: route, node: fabric[target.0.node].guid)) != nil
        }
        let done = results.filter { $0 }.count
        logger.notice("new master: ClientReregister set on \(done) of \(targets.count) CA port(s)")
    }

    /// PortInfo.CapabilityMask: IsClientReregistrationSupported.
    static let clientReregistrationSupported: UInt32 = 1 << 25
}
