import FabricModel
import IBWire
import Routing

/// The unicast forwarding tables `dump_lfts` (infiniband-diags 44) prints, per switch GUID.
///
/// The format, as seen against ibsim after `opensm -o`:
///
///     Unicast lids [0x0-0xe] of switch DR path slid 0; dlid 0; 0,1,3,4 guid 0x0000000000200003 (leaf-3):
///       Lid  Out   Destination
///            Port     Info
///     0x0001 003 : (Channel Adapter portguid 0x0000000000100001: 'host-0')
///     0x0005 004 : (path #2 out of 4: portguid 0x0000000000100001)
///     0x0006 000 : (Switch portguid 0x0000000000200003: 'leaf-3')
///     14 valid lids dumped
///
/// (`ibroute` prints the same with `of switch Lid N guid …`.) Entries with port 255 are left out by
/// the tool (`-a` prints them, with `(illegal port)`); LIDs it does not list are unrouted here.
public struct DumpLFTs: Sendable {
    public struct SwitchTable: Sendable {
        public var guid: GUID
        public var description: String
        /// Output port per LID, as listed.
        public var ports: [UInt16: PortNumber]
    }

    public var switches: [SwitchTable] = []
    public var indexByGUID: [GUID: Int] = [:]

    public init() {}

    public subscript(guid: GUID) -> SwitchTable? { indexByGUID[guid].map { switches[$0] } }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "dump_lfts output line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> DumpLFTs {
        var result = DumpLFTs()
        var current: Int?
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty || line.hasPrefix("***") || line.hasPrefix("ibwarn") { continue }
            if line.hasPrefix("Unicast lids [") {
                guard let guidAt = line.range(of: " guid "),
                      let guidEnd = line[guidAt.upperBound...].firstIndex(of: " "),
                      let guid = GUID(parsing: line[guidAt.upperBound..<guidEnd]) else {
                    throw ParseError(line: number, message: "switch header without a GUID")
                }
                var description = line[guidEnd...].trimmingSpaces
                if description.hasSuffix(":") { description = description.dropLast() }
                if description.hasPrefix("("), description.hasSuffix(")") { description = description.dropFirst().dropLast() }
                guard result.indexByGUID[guid] == nil else { throw ParseError(line: number, message: "switch \(guid) listed twice") }
                result.indexByGUID[guid] = result.switches.count
                result.switches.append(SwitchTable(guid: guid, description: String(description), ports: [:]))
                current = result.switches.count - 1
                continue
            }
            if line.hasPrefix("Lid") || line.hasPrefix("Port") { continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasSuffix("lids dumped"), let count = words.first.flatMap({ Int($0) }) {
                guard let at = current else { throw ParseError(line: number, message: "'lids dumped' outside a switch") }
                guard count == result.switches[at].ports.count else {
                    throw ParseError(line: number, message: "says \(count) LIDs, \(result.switches[at].ports.count) listed")
                }
                current = nil
                continue
            }
            guard let at = current else { throw ParseError(line: number, message: "unexpected line outside a switch: \(line.prefix(60))") }
            guard words.count >= 3, words[0].hasPrefix("0x"), let lid = UInt16(words[0].dropFirst(2), radix: 16),
                  let port = UInt8(words[1]), words[2] == ":" else {
                throw ParseError(line: number, message: "not a 'LID port : destination' entry: \(line.prefix(60))")
            }
            guard result.switches[at].ports[lid] == nil else { throw ParseError(line: number, message: "LID \(lid) listed twice") }
            result.switches[at].ports[lid] = PortNumber(port)
        }
        if let at = current { throw ParseError(line: 0, message: "the table of \(result.switches[at].guid) has no 'lids dumped' line") }
        return result
    }

    /// The tables as a lookup on `fabric`'s node indices (switches matched by GUID).
    public func lookup(for fabric: Fabric) -> DumpLFTsLookup {
        var tables: [Int: [UInt16: PortNumber]] = [:]
        for table in switches {
            if let index = fabric.index(of: table.guid) { tables[index] = table.ports }
        }
        return DumpLFTsLookup(tables: tables)
    }
}

/// `DumpLFTs` tables by node index; LIDs not listed are unrouted.
public struct DumpLFTsLookup: ForwardingLookup, Sendable {
    public var tables: [Int: [UInt16: PortNumber]]
    public func outputPort(switch node: Int, lid: LID) -> PortNumber? { tables[node]?[lid.rawValue] }
}
