import FabricModel
import IBTransport
import IBWire

/// Reads back every switch's linear forwarding table (LIDs 0...LinearFDBTop), for verification.
public struct ForwardingTableReader: Sendable {
    public let client: SMPClient

    public init(client: SMPClient) { self.client = client }

    /// The tables by switch node index, and one line per block that could not be read.
    public func read(_ fabric: Fabric, routes: [DirectedRoute]) async -> (tables: [Int: [UInt8]], failures: [String]) {
        struct Job: Sendable { var node: Int, block: Int }
        var jobs: [Job] = []
        var tables: [Int: [UInt8]] = [:]
        for node in fabric.switches {
            let top = Int(fabric[node].switchInfo?.linearFDBTop.rawValue ?? 0)
            tables[node] = [UInt8](repeating: 255, count: top + 1)
            guard top > 0 else { continue }
            for block in 0...(top / LinearForwardingTableBlock.entriesPerBlock) { jobs.append(Job(node: node, block: block)) }
        }
        jobs = interleavedByNode(jobs, node: \.node)
        let client = self.client
        let results = await mapConcurrently(jobs, limit: client.runnerCount, executors: client.runnerExecutors) { job -> Result<[UInt8], SMPError> in
            do throws(SMPError) {
                let block = try await client.get(LinearForwardingTableBlock.self, modifier: UInt32(job.block), route: routes[job.node], node: fabric[job.node].guid)
                return .success(block.rawPorts)
            } catch {
                return .failure(error)
            }
        }
        var failures: [String] = []
        for (job, result) in zip(jobs, results) {
            switch result {
            case .success(let entries):
                let start = job.block * LinearForwardingTableBlock.entriesPerBlock
                let end = min(start + entries.count, tables[job.node]!.count)
                tables[job.node]!.replaceSubrange(start..<end, with: entries[0..<(end - start)])
            case .failure(let error):
                failures.append("switch \"\(fabric[job.node].description)\": LFT block \(job.block): \(error)")
            }
        }
        return (tables, failures)
    }
}
