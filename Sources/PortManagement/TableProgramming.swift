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

    func programTables(_ plan: ConfigurationPlan, fabric: Fabric, routes: [DirectedRoute], limit: Int) async -> TableOutcomes {
        var outcomes = TableOutcomes()
        var jobs: [BlockJob] = []
        var topChanges: [(Int, SwitchInfo)] = []
        for (node, program) in plan.switches.sorted(by: { $0.key < $1.key }) {
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
            if observed.linearFDBTop != program.top {
                var wanted = observed
                wanted.linearFDBTop = program.top
                topChanges.append((node, wanted))
            }
            for block in 0..<program.blockCount {
                jobs.append(BlockJob(node: node, block: block, compareFirst: currentTop > 0 && block * 64 <= currentTop))
            }
        }
        // Neighbouring jobs go to different switches, so the per-node window never idles the total one.
        jobs.sort { ($0.block, $0.node) < ($1.block, $1.node) }
        let client = self.client
        let topResults = await mapConcurrently(topChanges, limit: limit) { node, wanted -> String? in
            do {
                _ = try await client.set(wanted, route: routes[node], node: fabric[node].guid)
                return nil
            } catch {
                return "switch \"\(fabric[node].description)\": SwitchInfo Set failed: \(error)"
            }
        }
        outcomes.switchInfoSets = topChanges.count
        outcomes.failures += topResults.compactMap { $0 }

        let results = await mapConcurrently(jobs, limit: limit) { job in
            await Self.programBlock(job.node, job.block, wanted: plan.switches[job.node]!.block(job.block),
                                    compareFirst: job.compareFirst, client: client, route: routes[job.node], guid: fabric[job.node].guid, name: fabric[job.node].description)
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

    private static func programBlock(
        _ node: Int, _ block: Int, wanted: [UInt8], compareFirst: Bool, client: SMPClient, route: DirectedRoute, guid: GUID, name: String
    ) async -> BlockResult {
        var result = BlockResult()
        do {
            if compareFirst {
                let current = try await client.get(LinearForwardingTableBlock.self, modifier: UInt32(block), route: route, node: guid)
                result.read = true
                let entries = current.ports.map(\.rawValue)
                if entries == wanted {
                    result.entries = entries
                    return result
                }
            }
            let answer = try await client.set(LinearForwardingTableBlock(ports: wanted.map(PortNumber.init(rawValue:))), modifier: UInt32(block), route: route, node: guid)
            result.written = true
            result.entries = answer.ports.map(\.rawValue)
        } catch {
            result.failure = "switch \"\(name)\": LFT block \(block): \(error)"
        }
        return result
    }
}
