import IBWire
import PortManagement
import Testing

@Suite struct ReportedTablesTests {
    /// The transposed copy verification walks must say what single lookups say, for tables of every
    /// length: full, short of the LIDs asked for (a switch whose programming stopped), empty, absent.
    @Test func lidMajorEntriesAgreeWithLookups() {
        let full = (0..<200).map { UInt8($0 % 37) }
        let short = (0..<70).map { UInt8($0 % 11 + 1) }
        let tables = ReportedTables([1: full, 2: short, 3: [], 5: Array(full.prefix(64))], nodeCount: 6)
        let switches = [1, 2, 3, 4, 5]
        let lidCount = 150
        let entries = tables.lidMajorEntries(switches: switches, lidCount: lidCount)
        #expect(entries.count == lidCount * switches.count)
        for lid in 0..<lidCount {
            for (slot, node) in switches.enumerated() {
                let expected = tables.outputPort(switch: node, lid: LID(UInt16(lid)))?.rawValue ?? 255
                #expect(entries[lid * switches.count + slot] == expected, "switch \(node) LID \(lid)")
            }
        }
    }
}
