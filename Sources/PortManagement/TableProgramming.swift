import FabricModel
import IBTransport
import IBWire

/// The forwarding-table half of applying a plan: LinearFDBTop, then the 64-LID blocks that differ.
struct TableOutcomes: Sendable {
    var switchInfoSets = 0
    var blockReads = 0
    var blockSets = 0
    var failures: [String] = []
    var tables: [Int: [UInt8]] = [:]
}

extension FabricProgrammer {
    private struct BlockJob: Sendable {
        var node: Int
        var block: Int
        /// The block lies within what the switch routes now, so its contents are worth reading first.
        var compareFirst: Bool
    }

    private struct BlockResult: Sendable {
        var read = false
        var written = false
        var entries: [UInt8]?
        var failure: String?
    }

    func programTables(_ plan: ConfigurationPlan, fabric: Fabric, routes: [DirectedRoute], limit: Int, known: [Int: [UInt8]] = [:]) async -> TableOutcomes {
        var outcomes = TableOutcomes()
        var jobs: [BlockJob] = []
        var switches: [(node: Int, newTop: SwitchInfo?)] = []
        for (node, program) in plan.switches.sorted(by: { $0.key < $1.key }) {
            // A table this SM wrote and still believes in (same top as the switch reports): only the blocks that
            // differ from it are written, none read; a switch with none is left alone.
            if let held = known[node], let observed = fabric[node].switchInfo, observed.linearFDBTop == program.top,
               held.count == program.entries.count {
                let changed = (program.changedBlocks ?? Array(0..<program.blockCount)).filter { block in
                    let start = block * 64, end = min(start + 64, held.count)
                    return !program.entries[start..<end].elementsEqual(held[start..<end])
                }
                outcomes.tables[node] = held
                guard !changed.isEmpty else { continue }
                switches.append((node, nil))
                jobs += changed.map { BlockJob(node: node, block: $0, compareFirst: false) }
                continue
            }
            guard let observed = fabric[node].switchInfo else {
                outcomes.failures.append("switch \"\(fabric[node].description)\": no SwitchInfo was read, cannot program it")
                continue
            }
            let capacityBlocks = observed.linearFDBCap / LinearForwardingTableBlock.entriesPerBlock
            guard program.blockCount <= capacityBlocks else {
                outcomes.failures.append("switch \"\(fabric[node].description)\": LID \(program.top) is beyond its LinearFDBCap \(observed.linearFDBCap)")
                continue
            }
            let currentTop = Int(observed.linearFDBTop.rawValue)
            var newTop: SwitchInfo?
            if observed.linearFDBTop != program.top {
                newTop = observed
                newTop?.linearFDBTop = program.top
            }
            switches.append((node, newTop))
            for block in 0..<program.blockCount {
                jobs.append(BlockJob(node: node, block: block, compareFirst: currentTop > 0 && block * 64 <= currentTop))
            }
        }
        // Switch by switch, those with the most blocks first: each switch's agent serves one SMP at a time,
        // so the switch with the most blocks bounds the time, and it starts at once. A switch is confirmed,
        // then its blocks go with as many in flight as the client lets one node have (one in service, the
        // next waiting in its VL15 buffer), so that no task waits on a busy switch while others are idle.
        let client = self.client
        let blocksOf = Dictionary(grouping: jobs, by: \.node)
        switches.sort { (blocksOf[$0.node]?.count ?? 0, $1.node) > (blocksOf[$1.node]?.count ?? 0, $0.node) }
        let perSwitch = max(1, client.options.maxPerDestination)
        let executors = client.runnerExecutors
        let programmed = await mapConcurrently(switches, limit: limit, executors: executors) { node, newTop in
            let prepared = await Self.prepareSwitch(node, newTop: newTop, client: client, fabric: fabric, route: routes[node])
            guard prepared.confirmed, prepared.failure == nil, let jobs = blocksOf[node] else { return (prepared, [BlockJob](), [BlockResult]()) }
            let results = await mapConcurrently(jobs, limit: perSwitch) { job in
                await Self.programBlock(job.node, job.block, wanted: plan.switches[job.node]!.block(job.block),
                                        compareFirst: job.compareFirst, client: client, route: routes[job.node], guid: fabric[job.node].guid, name: fabric[job.node].description)
            }
            return (prepared, jobs, results)
        }
        jobs = []
        var results: [BlockResult] = []
        for ((_, newTop), (outcome, switchJobs, switchResults)) in zip(switches, programmed) {
            if newTop != nil, outcome.confirmed { outcomes.switchInfoSets += 1 }
            if let failure = outcome.failure { outcomes.failures.append(failure) }
            jobs += switchJobs
            results += switchResults
        }
        for (job, result) in zip(jobs, results) {
            if result.read { outcomes.blockReads += 1 }
            if result.written { outcomes.blockSets += 1 }
            if let failure = result.failure { outcomes.failures.append(failure) }
            let program = plan.switches[job.node]!
            if outcomes.tables[job.node] == nil { outcomes.tables[job.node] = [UInt8](repeating: 255, count: program.entries.count) }
            if let entries = result.entries {
                let start = job.block * 64
                let end = min(start + 64, program.entries.count)
                outcomes.tables[job.node]!.replaceSubrange(start..<end, with: entries[0..<(end - start)])
            }
        }
        return outcomes
    }

    /// Confirms that the switch's directed route still leads to the switch that was discovered there
    /// (a cable moved since discovery would send its table to another switch, routing LIDs into dead
    /// ports or loops), then sets its LinearFDBTop if that differs. Tables go only to confirmed switches.
    private static func prepareSwitch(
        _ node: Int, newTop: SwitchInfo?, client: SMPClient, fabric: Fabric, route: DirectedRoute
    ) async -> (confirmed: Bool, failure: String?) {
        let expected = fabric[node].guid
        let name = "switch \"\(fabric[node].description)\""
        do {
            let found = try await client.get(NodeInfo.self, route: route, node: expected)
            guard found.nodeGUID == expected else {
                return (false, "\(name): DR path \(route) now leads to GUID \(found.nodeGUID), not \(expected): the fabric changed since discovery, its table was not written")
            }
        } catch {
            return (false, "\(name): NodeInfo Get failed, its table was not written: \(error)")
        }
        guard let newTop else { return (true, nil) }
        do {
            _ = try await client.set(newTop, route: route, node: expected)
            return (true, nil)
        } catch {
            return (true, "\(name): SwitchInfo Set failed: \(error)")
        }
    }

    private static func programBlock(
        _ node: Int, _ block: Int, wanted: [UInt8], compareFirst: Bool, client: SMPClient, route: DirectedRoute, guid: GUID, name: String
    ) async -> BlockResult {
        var result = BlockResult()
        do {
            if compareFirst {
                let current = try await client.get(LinearForwardingTableBlock.self, modifier: UInt32(block), route: route, node: guid)
                result.read = true
                let entries = current.rawPorts
                if entries == wanted {
                    result.entries = entries
                    return result
                }
            }
            let answer = try await client.set(LinearForwardingTableBlock(rawPorts: wanted), modifier: UInt32(block), route: route, node: guid)
            result.written = true
            result.entries = answer.rawPorts
        } catch {
            result.failure = "switch \"\(name)\": LFT block \(block): \(error)"
        }
        return result
    }
}
