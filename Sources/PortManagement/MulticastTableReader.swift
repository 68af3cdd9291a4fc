import FabricModel
import IBTransport
import IBWire

/// Reads back the switches' multicast forwarding tables, for verification.
///
/// SMs hand out MLIDs from 0xC000 up, lowest free first, so the tables are read 32 MLIDs at a time (one block,
/// at every port position of every switch) from 0xC000 until two blocks in a row are empty on every switch,
/// and at least up to each switch's MulticastFDBTop when an SM set it. Reading every switch's whole
/// MulticastFDBCap (1,024 MLIDs and more) would cost 32 SMPs and more per switch for nothing on most subnets.
public struct MulticastTableReader: Sendable {
    public let client: SMPClient

    public init(client: SMPClient) { self.client = client }

    /// The ports each switch forwards each MLID out of, by MLID and switch node index (MLIDs no switch
    /// forwards are left out), and one line per block that could not be read.
    public func read(_ fabric: Fabric, routes: [DirectedRoute]) async -> (tables: [LID: [Int: [PortNumber]]], failures: [String]) {
        struct Job: Sendable { var node: Int, block: Int, position: Int }
        let perBlock = MulticastForwardingTableBlock.entriesPerBlock
        let firstMLID = Int(MulticastForwardingTableBlock.firstMLID)
        // Blocks each switch holds (MulticastFDBCap), and the last one its MulticastFDBTop names.
        var capacity: [Int: Int] = [:], topBlock = -1
        for node in fabric.switches {
            let info = fabric[node].switchInfo
            capacity[node] = min(512, (Int(info?.multicastFDBCap ?? 0) + perBlock - 1) / perBlock)
            if let top = info?.multicastFDBTop.rawValue, Int(top) >= firstMLID {
                topBlock = max(topBlock, min(capacity[node]! - 1, (Int(top) - firstMLID) / perBlock))
            }
        }
        var tables: [LID: [Int: [PortNumber]]] = [:]
        var failures: [String] = []
        var emptyInARow = 0
        var block = 0
        let client = self.client
        while emptyInARow < 2 || block <= topBlock {
            var jobs: [Job] = []
            for node in fabric.switches where block < capacity[node]! {
                for position in 0...(fabric[node].portCount / MulticastForwardingTableBlock.portsPerPosition) {
                    jobs.append(Job(node: node, block: block, position: position))
                }
            }
            if jobs.isEmpty { break }
            jobs = interleavedByNode(jobs, node: \.node)
            let results = await mapConcurrently(jobs, limit: client.runnerCount, executors: client.runnerExecutors) { job -> Result<[UInt16], SMPError> in
                do throws(SMPError) {
                    let modifier = MulticastForwardingTableBlock.modifier(block: job.block, position: job.position)
                    let read = try await client.get(MulticastForwardingTableBlock.self, modifier: modifier, route: routes[job.node], node: fabric[job.node].guid)
                    return .success(read.portMasks)
                } catch {
                    return .failure(error)
                }
            }
            var anyPort = false
            for (job, result) in zip(jobs, results) {
                switch result {
                case .success(let masks):
                    for (entry, mask) in masks.enumerated() where mask != 0 {
                        anyPort = true
                        let mlid = LID(UInt16(firstMLID + job.block * perBlock + entry))
                        let ports = (0..<MulticastForwardingTableBlock.portsPerPosition).filter { mask & (1 << $0) != 0 }
                            .map { PortNumber(UInt8(job.position * MulticastForwardingTableBlock.portsPerPosition + $0)) }
                        tables[mlid, default: [:]][job.node, default: []].append(contentsOf: ports)
                    }
                case .failure(let error):
                    failures.append("switch \"\(fabric[job.node].description)\": MFT block \(job.block) position \(job.position): \(error)")
                }
            }
            emptyInARow = anyPort ? 0 : emptyInARow + 1
            block += 1
        }
        return (tables, failures)
    }
}
