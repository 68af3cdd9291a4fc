import IBWire
import SystemBoundary

/// A fabric read from a topology file, with the node ids the file used.
public struct ParsedTopology: Sendable {
    public var fabric: Fabric
    /// The quoted id of each node (`"sw1"`, `"S-0000000000200000"`), indexed like `fabric.nodes`.
    public var nodeIDs: [String]
    /// The 1-based line of each node's header, indexed like `fabric.nodes`.
    public var nodeLines: [Int]

    /// The index of the node the file called `id`.
    public func nodeIndex(id: String) -> Int? { nodeIDs.firstIndex(of: id) }
}

/// Reads ibsim net files and ibnetdiscover output (which ibsim loads as is) into a `Fabric`,
/// building exactly the fabric ibsim 0.10 builds from the same text.
///
/// Rules, checked against ibsim's `sim_net.c` and by running ibsim + ibnetdiscover:
/// - Nodes: `Switch|Hca|Ca|Rt <nports> "<id>"`, then up to `nports` port lines `[p] "<rid>"[rp]`
///   (`[rp]` defaults to 1 when absent). `(guid)` and `[ext N]` parts are accepted and ignored,
///   as ibsim ignores them.
/// - Description: the text after `#` on the node line: quoted text if it starts with `"`, else up to
///   ` enhanced port `, ` base port `, ` lid ` or ` lmc `; the node id when there is none or it is empty;
///   at most 63 bytes.
/// - GUIDs: counters per type, switches from 0x200000 (+1 per switch, all ports share it), CAs from
///   0x100000 (port p has node GUID + p; the next CA gets node GUID + nports + 1), routers from
///   0xffffffffffffffff like CAs. `switchguid=`, `caguid=`/`hcaguids=`, `rtguid=` set the counter of
///   their type (absolute; `caguid+N` is relative to the last absolute value).
/// - `sysimgguid=` and `vendid=` apply to the next node only; `devid=` to all following nodes.
/// - Switch port 0 (LID and LMC from `lid N lmc M` on the switch line) is Active/LinkUp; linked
///   ports are Initialize/LinkUp, the others Down/Polling. CA port LID/LMC come from `lid N lmc M`
///   in the port line's comment.
/// - Width/speed: each port has enabled sets (`width=`/`speed=`/`extspeed=` lines, `w=`/`s=`/`e=`
///   options, or `lid N 4xQDR` in the comment, which wins); a link runs at the best common value.
///   Widths with nothing in common are an error (ibsim aborts). FDR10 counts as QDR (what a plain
///   PortInfo shows). NDR is accepted like ibsim 0.12 does (0.10 ignores it).
///
/// Deliberately stricter than ibsim, which silently ignores or misreads these: unknown keywords,
/// indented lines, port lines outside a node, a non-blank line directly after an incomplete port
/// list (ibsim swallows it), `"id" [3]` with a blank before the bracket (ibsim reads port 1),
/// lines over 254 bytes (ibsim splits them), `module`/`include`/`@alias` (not supported here).
public enum TopologyFile {
    /// Parses topology text into a fabric. `source` names the text in error messages.
    public static func parse(_ text: String, source: String = "<input>") throws(TopologyError) -> Fabric {
        try parseDetailed(text, source: source).fabric
    }

    /// Parses topology text, keeping the file's node ids.
    public static func parseDetailed(_ text: String, source: String = "<input>") throws(TopologyError) -> ParsedTopology {
        try parseDetailed(bytes: Array(text.utf8), source: source)
    }

    /// Parses the raw bytes of a topology file (any bytes, not only UTF-8), as `load` does.
    public static func parseDetailed(bytes: [UInt8], source: String = "<input>") throws(TopologyError) -> ParsedTopology {
        var parser = TopologyParser(bytes: bytes, source: source)
        return try parser.run()
    }

    /// Reads and parses a file; errors name the file by `path`.
    public static func load(path: String) throws(TopologyError) -> ParsedTopology {
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch {
            throw TopologyError(source: path, line: 0, kind: .unreadable, message: "cannot read the file (\(error.reason))")
        }
        return try parseDetailed(bytes: bytes, source: path)
    }
}

struct PendingPort {
    var line: Int
    var remoteID: String
    var remotePort: Int
    var rates: EnabledRates
    var lid: UInt16 = 0
    var lmc: UInt8 = 0
}

struct PendingNode {
    var type: NodeType
    var id: String
    var line: Int
    var node: FabricNode
    var ports: [PendingPort?]
    var portLines: Int = 0
}

let kwEnhancedPort = Array(" enhanced port ".utf8)
let kwBasePort = Array(" base port ".utf8)
let kwLid = Array(" lid ".utf8)
let kwLmc = Array(" lmc ".utf8)
let kwLidSpace = Array("lid ".utf8)
let kwLmcSpace = Array("lmc ".utf8)
let kwLidBare = Array("lid".utf8)
let kwExt = Array("ext".utf8)

struct TopologyParser {
    let bytes: [UInt8]
    let source: String

    var nodes: [PendingNode] = []
    private var indexByID: [String: Int] = [:]
    private var guidOwners: Set<UInt64> = []

    // ibsim's running state.
    private var absoluteBase: [NodeType: UInt64] = [.switch: 0x200000, .channelAdapter: 0x100000, .router: ~0]
    private var nextGUID: [NodeType: UInt64] = [.switch: 0x200000, .channelAdapter: 0x100000, .router: ~0]
    private var vendorID: UInt32 = 0
    private var deviceID: UInt16 = 0
    private var systemImageGUID: UInt64 = 0
    var defaultRates = EnabledRates()

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func fail(_ line: Int, _ kind: TopologyError.Kind, _ message: String) -> TopologyError {
        TopologyError(source: source, line: line, kind: kind, message: message)
    }

    mutating func run() throws(TopologyError) -> ParsedTopology {
        var lineNumber = 0
        var position = 0
        let total = bytes.count
        /// The node whose port lines are being read, and how many it may still have.
        var current: Int? = nil
        var remaining = 0

        while position < total {
            var end = position
            while end < total, bytes[end] != ASCII.newline { end += 1 }
            let next = end + 1
            var lineEnd = end
            if lineEnd > position, bytes[lineEnd - 1] == ASCII.carriageReturn { lineEnd -= 1 }
            lineNumber += 1
            let line = ByteLine(bytes: bytes, start: position, end: lineEnd)
            position = next

            if line.count > 254 {
                throw fail(lineNumber, .lineTooLong, "line is \(line.count) bytes long; ibsim reads at most 254")
            }

            if let nodeIndex = current {
                if !line.isEmpty, line[line.start] == ASCII.hash { continue }
                if !line.isEmpty, line[line.start] == ASCII.openBracket {
                    try parsePort(line, lineNumber, nodeIndex)
                    remaining -= 1
                    if remaining == 0 { current = nil }
                    continue
                }
                if !line.isEmpty, line[line.start] == ASCII.at {
                    throw fail(lineNumber, .unsupported, "port aliases (@) are not supported")
                }
                current = nil
                if line.isBlank { continue }
                throw fail(
                    lineNumber, .swallowedLine,
                    "line directly follows the port list of \"\(nodes[nodeIndex].id)\", which has fewer than \(nodes[nodeIndex].node.portCount) port lines; ibsim would skip it (add a blank line before it)"
                )
            }

            if line.isBlank { continue }
            let first = line[line.start]
            if first == ASCII.hash { continue }
            if ASCII.isSpace(first) {
                throw fail(lineNumber, .indentedLine, "line starts with a blank; ibsim ignores such lines")
            }
            if first == ASCII.openBracket {
                throw fail(lineNumber, .portOutsideNode, "port line outside a node's port list (more port lines than the node has ports?)")
            }
            if first == ASCII.at {
                throw fail(lineNumber, .unsupported, "port aliases (@) are not supported")
            }
            let keyword = line.keyword()
            switch keyword {
            case "Switch":
                current = try parseNode(line, lineNumber, .switch, keywordLength: 6)
                remaining = nodes[current!].node.portCount
            case "Hca", "Ca":
                current = try parseNode(line, lineNumber, .channelAdapter, keywordLength: keyword.utf8.count)
                remaining = nodes[current!].node.portCount
            case "Rt":
                current = try parseNode(line, lineNumber, .router, keywordLength: 2)
                remaining = nodes[current!].node.portCount
            case "switchguid": try parseGUIDBase(line, lineNumber, .switch)
            case "hcaguids", "caguid": try parseGUIDBase(line, lineNumber, .channelAdapter)
            case "rtguid": try parseGUIDBase(line, lineNumber, .router)
            case "vendid":
                let value = try assignment(line, lineNumber, keyword)
                guard value <= 0xFF_FFFF else { throw fail(lineNumber, .badNumber, "vendid \(value) does not fit in 24 bits") }
                vendorID = UInt32(value)
            case "devid":
                let value = try assignment(line, lineNumber, keyword)
                guard value <= 0xFFFF else { throw fail(lineNumber, .badNumber, "devid \(value) does not fit in 16 bits") }
                deviceID = UInt16(value)
            case "sysimgguid":
                systemImageGUID = try guidAssignment(line, lineNumber, keyword)
            case "width":
                let value = try assignment(line, lineNumber, keyword)
                guard (1...31).contains(value) else { throw fail(lineNumber, .badNumber, "width \(value) is not an enabled-width mask 1...31") }
                defaultRates.width = UInt8(value)
            case "speed":
                let value = try assignment(line, lineNumber, keyword)
                guard (1...7).contains(value) else { throw fail(lineNumber, .badNumber, "speed \(value) is not an enabled-speed mask 1...7") }
                defaultRates.speed = UInt8(value)
            case "extspeed":
                let value = try assignment(line, lineNumber, keyword)
                guard (0...15).contains(value) else { throw fail(lineNumber, .badNumber, "extspeed \(value) is not an extended-speed mask 0...15") }
                defaultRates.ext = UInt8(value)
            case "do", "pdebug", "Chassis", "Non-Chassis", "Hostname":
                continue  // simulator commands, parser debugging, ibnetdiscover -g grouping: no fabric content
            case "module", "include":
                throw fail(lineNumber, .unsupported, "'\(keyword)' lines are not supported")
            default:
                let shown = keyword.isEmpty ? String(line.text.prefix(20)) : keyword
                throw fail(lineNumber, .unknownKeyword, "unknown keyword '\(shown)'")
            }
        }

        guard !nodes.isEmpty else {
            throw fail(0, .emptyFile, lineNumber == 0 ? "the file is empty" : "the file defines no nodes")
        }
        return try link()
    }

    // MARK: Header lines

    private func assignment(_ line: ByteLine, _ lineNumber: Int, _ keyword: String) throws(TopologyError) -> UInt64 {
        guard let eq = line.firstIndex(of: ASCII.equals, from: line.start) else {
            throw fail(lineNumber, .badNumber, "'\(keyword)' needs '=' and a value")
        }
        guard let (value, _) = line.scanNumber(from: eq + 1) else {
            throw fail(lineNumber, .badNumber, "'\(keyword)' has no valid number after '='")
        }
        return value
    }

    /// `key=<guid>` optionally followed by `(<hex>)`, blanks or a `#` comment.
    private func guidAssignment(_ line: ByteLine, _ lineNumber: Int, _ keyword: String) throws(TopologyError) -> UInt64 {
        guard let eq = line.firstIndex(of: ASCII.equals, from: line.start) else {
            throw fail(lineNumber, .badGUID, "'\(keyword)' needs '=' and a GUID")
        }
        return try guidValue(line, lineNumber, keyword, from: eq + 1)
    }

    private func guidValue(_ line: ByteLine, _ lineNumber: Int, _ keyword: String, from: Int) throws(TopologyError) -> UInt64 {
        guard let (value, end) = line.scanNumber(from: from) else {
            throw fail(lineNumber, .badGUID, "bad GUID '\(line.string(from, line.end).trimmingSpaces)' in '\(keyword)'")
        }
        var i = line.skipSpaces(from: end)
        if i < line.end, line[i] == ASCII.openParen {
            guard let close = line.firstIndex(of: ASCII.closeParen, from: i),
                GUID(parsing: line.string(i + 1, close)) != nil
            else {
                throw fail(lineNumber, .badGUID, "bad GUID in parentheses in '\(keyword)'")
            }
            i = line.skipSpaces(from: close + 1)
        }
        guard i >= line.end || line[i] == ASCII.hash else {
            throw fail(lineNumber, .badGUID, "bad GUID '\(line.string(from, line.end).trimmingSpaces)' in '\(keyword)'")
        }
        return value
    }

    private mutating func parseGUIDBase(_ line: ByteLine, _ lineNumber: Int, _ type: NodeType) throws(TopologyError) {
        let keyword = line.keyword()
        var i = line.start + keyword.utf8.count
        i = line.skipSpaces(from: i)
        guard i < line.end, line[i] == ASCII.equals || line[i] == ASCII.plus else {
            throw fail(lineNumber, .badGUID, "'\(keyword)' needs '=' or '+' and a GUID")
        }
        let relative = line[i] == ASCII.plus
        let value = try guidValue(line, lineNumber, keyword, from: i + 1)
        if relative {
            nextGUID[type] = absoluteBase[type]! &+ value
        } else {
            absoluteBase[type] = value
            nextGUID[type] = value
        }
    }

    // MARK: Nodes

    private mutating func parseNode(_ line: ByteLine, _ lineNumber: Int, _ type: NodeType, keywordLength: Int) throws(TopologyError) -> Int {
        let keyword = line.string(line.start, line.start + keywordLength)
        let afterKeyword = line.start + keywordLength
        guard afterKeyword < line.end, ASCII.isSpace(line[afterKeyword]),
            let (count, countEnd) = line.scanNumber(from: afterKeyword)
        else {
            throw fail(lineNumber, .badNodeLine, "expected '\(keyword) <ports> \"<id>\"'")
        }
        guard (1...254).contains(count) else {
            throw fail(lineNumber, .badPortCount, "port count \(count) is not in 1...254")
        }
        let open = line.skipSpaces(from: countEnd)
        guard open < line.end, line[open] == ASCII.quote else {
            throw fail(lineNumber, .badNodeLine, "expected '\(keyword) <ports> \"<id>\"'")
        }
        let (id, afterID) = try quotedNodeID(line, lineNumber, at: open, what: "node id")
        if let other = indexByID[id] {
            throw fail(lineNumber, .duplicateNodeID, "duplicate node id \"\(id)\" (first defined on line \(nodes[other].line))")
        }

        // Description and the rest of the header (ibsim's parse_node_desc).
        var description: String? = nil
        var rest: Int? = afterID
        if let hash = line.firstIndex(of: ASCII.hash, from: afterID) {
            let s = line.skipSpaces(from: hash + 1)
            if s < line.end, line[s] == ASCII.quote {
                if let endQuote = line.firstIndex(of: ASCII.quote, from: s + 1) {
                    description = line.string(s + 1, endQuote)
                    rest = endQuote + 1
                } else {
                    description = line.string(s + 1, line.end)
                    rest = nil
                }
            } else {
                var cut: Int? = nil
                for marker in [kwEnhancedPort, kwBasePort, kwLid, kwLmc] {
                    if let found = line.find(marker, from: s) {
                        cut = found
                        break
                    }
                }
                description = line.string(s, cut ?? line.end)
                rest = cut.map { $0 + 1 }
            }
        }
        var text = description ?? ""
        if text.isEmpty { text = id }
        if text.utf8.count > 63 {
            var truncated = Array(text.utf8.prefix(63))
            while !truncated.isEmpty, String(validating: truncated, as: UTF8.self) == nil { truncated.removeLast() }
            text = String(decoding: truncated, as: UTF8.self)
        }

        let guidValue = nextGUID[type]!
        if guidOwners.contains(guidValue) {
            throw fail(lineNumber, .duplicateGUID, "node \"\(id)\" would get GUID \(GUID(guidValue)), which another node already has")
        }
        let nodeGUID = GUID(guidValue)
        var node = FabricNode(
            type: type, guid: nodeGUID, systemImageGUID: systemImageGUID != 0 ? GUID(systemImageGUID) : nodeGUID,
            description: text, portCount: Int(count), vendorID: vendorID, deviceID: deviceID
        )
        if type == .switch {
            nextGUID[type] = guidValue &+ 1
            var lid: UInt64 = 0
            var lmc: UInt64 = 0
            if let rest {
                if let at = line.find(kwLidSpace, from: rest), let (v, _) = line.scanNumber(from: at + 4) { lid = v }
                if let at = line.find(kwLmcSpace, from: rest), let (v, _) = line.scanNumber(from: at + 4) { lmc = v }
            }
            guard lid <= 0xFFFF else { throw fail(lineNumber, .badNumber, "LID \(lid) does not fit in 16 bits") }
            guard lmc <= 7 else { throw fail(lineNumber, .badNumber, "LMC \(lmc) is not in 0...7") }
            node.ports[0] = FabricPort(
                number: .management, guid: nodeGUID, lid: LID(UInt16(lid)), lmc: UInt8(lmc), state: .active,
                physicalState: .linkUp)
        } else {
            nextGUID[type] = guidValue &+ count &+ 1
        }
        guidOwners.insert(guidValue)
        vendorID = 0
        systemImageGUID = 0

        nodes.append(
            PendingNode(type: type, id: id, line: lineNumber, node: node, ports: Array(repeating: nil, count: Int(count) + 1)))
        indexByID[id] = nodes.count - 1
        return nodes.count - 1
    }

    /// The node id quoted at `open` (checked as ibsim wants ids) and the index just past its closing quote.
    func quotedNodeID(_ line: ByteLine, _ lineNumber: Int, at open: Int, what: String) throws(TopologyError) -> (id: String, end: Int) {
        guard let close = line.firstIndex(of: ASCII.quote, from: open + 1) else {
            throw fail(lineNumber, .badNodeID, "\(what) has no closing quote")
        }
        let id = line.string(open + 1, close)
        try checkNodeID(id, lineNumber)
        return (id, close + 1)
    }

    func checkNodeID(_ id: String, _ lineNumber: Int) throws(TopologyError) {
        if id.isEmpty { throw fail(lineNumber, .badNodeID, "empty node id") }
        if id.utf8.count > 64 { throw fail(lineNumber, .badNodeID, "node id \"\(id)\" is longer than 64 bytes") }
        // Byte by byte: String.contains(String) goes through Foundation, a tenth of a large file's load.
        if id.utf8.contains(where: { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "@") }) {
            throw fail(lineNumber, .badNodeID, "node id \"\(id)\" contains '#' or '@', which ibsim reserves")
        }
    }

    // MARK: Links

    private func linkedPort(_ number: Int, of pending: PendingNode, remote: PortAddress?, width: LinkWidth, speed: LinkSpeed) -> FabricPort {
        let guid = pending.type == .switch ? pending.node.guid : GUID(pending.node.guid.rawValue &+ UInt64(number))
        let port = pending.ports[number]
        return FabricPort(
            number: PortNumber(UInt8(number)), guid: guid, lid: LID(port?.lid ?? 0), lmc: port?.lmc ?? 0,
            state: remote == nil ? .down : .initialize, physicalState: remote == nil ? .polling : .linkUp,
            width: width, speed: speed, remote: remote)
    }

    /// Resolves every port line to its other end, in ibsim's order (node by node, port by port).
    private mutating func link() throws(TopologyError) -> ParsedTopology {
        var built = nodes.map { $0.node }
        var linked = nodes.map { Array(repeating: false, count: $0.ports.count) }
        for (index, pending) in nodes.enumerated() {
            for number in 1..<pending.ports.count {
                guard !linked[index][number] else { continue }
                guard let port = pending.ports[number] else {
                    built[index].ports[number] = linkedPort(number, of: pending, remote: nil, width: .x4, speed: .sdr)
                    continue
                }
                guard let remoteIndex = indexByID[port.remoteID] else {
                    throw fail(port.line, .undefinedNode, "port \(number) of \"\(pending.id)\" links to undefined node \"\(port.remoteID)\"")
                }
                let remote = nodes[remoteIndex]
                guard port.remotePort <= remote.node.portCount else {
                    throw fail(
                        port.line, .portBeyondCount,
                        "remote port \(port.remotePort) is beyond the \(remote.node.portCount) ports of \"\(remote.id)\"")
                }
                if remoteIndex == index && port.remotePort == number {
                    throw fail(port.line, .selfLink, "port \(number) of \"\(pending.id)\" is linked to itself")
                }
                guard let back = remote.ports[port.remotePort] else {
                    throw fail(
                        port.line, .oneSidedLink,
                        "link \"\(pending.id)\"[\(number)] -> \"\(remote.id)\"[\(port.remotePort)] is written at this end only (\"\(remote.id)\" has no line for port \(port.remotePort))"
                    )
                }
                guard back.remoteID == pending.id, back.remotePort == number else {
                    throw fail(
                        port.line, .mismatchedLink,
                        "link ends disagree: \"\(pending.id)\"[\(number)] -> \"\(remote.id)\"[\(port.remotePort)], but line \(back.line) has \"\(remote.id)\"[\(port.remotePort)] -> \"\(back.remoteID)\"[\(back.remotePort)]"
                    )
                }
                guard let width = EnabledRates.activeWidth(port.rates, back.rates) else {
                    throw fail(
                        port.line, .linkWidthMismatch,
                        "enabled link widths of \"\(pending.id)\"[\(number)] (\(EnabledRates.widthName(port.rates.width))) and \"\(remote.id)\"[\(port.remotePort)] (\(EnabledRates.widthName(back.rates.width))) have nothing in common"
                    )
                }
                guard let speed = EnabledRates.activeSpeed(port.rates, back.rates) else {
                    throw fail(
                        port.line, .badLinkAttribute,
                        "enabled link speeds of \"\(pending.id)\"[\(number)] and \"\(remote.id)\"[\(port.remotePort)] have nothing in common")
                }
                let here = PortAddress(node: index, port: PortNumber(UInt8(number)))
                let there = PortAddress(node: remoteIndex, port: PortNumber(UInt8(port.remotePort)))
                built[index].ports[number] = linkedPort(number, of: pending, remote: there, width: width, speed: speed)
                built[remoteIndex].ports[port.remotePort] = linkedPort(
                    port.remotePort, of: remote, remote: here, width: width, speed: speed)
                linked[index][number] = true
                linked[remoteIndex][port.remotePort] = true
            }
        }
        var fabric = Fabric()
        for (index, node) in built.enumerated() {
            do {
                try fabric.add(node)
            } catch {
                throw fail(nodes[index].line, .duplicateGUID, error.description)
            }
        }
        return ParsedTopology(fabric: fabric, nodeIDs: nodes.map(\.id), nodeLines: nodes.map(\.line))
    }
}
