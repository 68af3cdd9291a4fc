import FabricModel
import IBWire

/// Forwarding tables as the switches reported them (by Get or Set responses), indexed for the
/// millions of lookups a verification makes: an array per switch, no hashing per lookup.
public struct ReportedTables: Sendable {
    private let rows: [[UInt8]]

    /// `tables` by switch node index, each entry the output port of LID `index`.
    public init(_ tables: [Int: [UInt8]], nodeCount: Int) {
        var rows = [[UInt8]](repeating: [], count: nodeCount)
        for (node, table) in tables where node < nodeCount { rows[node] = table }
        self.rows = rows
    }

    /// The output port for `lid` at switch `node`; 255 past its top, nil for a node with no table.
    public func outputPort(switch node: Int, lid: LID) -> PortNumber? {
        guard node < rows.count, !rows[node].isEmpty else { return nil }
        let index = Int(lid.rawValue)
        return PortNumber(index < rows[node].count ? rows[node][index] : 255)
    }

    /// The entries of `switches` for LIDs 0..<lidCount in one array, LID by LID (`lid * switches.count
    /// + slot`, 255 where there is none): what verification walks. Copied 64 LIDs at a time, so that
    /// the rows read and the columns written both stay in cache.
    public func lidMajorEntries(switches: [Int], lidCount: Int) -> [UInt8] {
        let width = switches.count
        var entries = [UInt8](repeating: 255, count: lidCount * width)
        for blockStart in Swift.stride(from: 0, to: lidCount, by: 64) {
            let blockEnd = min(blockStart + 64, lidCount)
            for (slot, node) in switches.enumerated() where node < rows.count && rows[node].count > blockStart {
                let row = rows[node]
                for lid in blockStart..<min(blockEnd, row.count) { entries[lid * width + slot] = row[lid] }
            }
        }
        return entries
    }
}
