import IBWire

/// The enabled link widths and speeds of a port, as ibsim keeps them (PortInfo bit masks).
struct EnabledRates: Equatable {
    var width: UInt8 = 2  // 4x
    var speed: UInt8 = 1  // SDR
    var ext: UInt8 = 0  // none

    static func activeWidth(_ a: EnabledRates, _ b: EnabledRates) -> LinkWidth? {
        let common = a.width & b.width
        for bit: UInt8 in [8, 4, 2, 16, 1] where common & bit != 0 { return LinkWidth(rawValue: bit) }
        return nil
    }

    static func activeSpeed(_ a: EnabledRates, _ b: EnabledRates) -> LinkSpeed? {
        let ext = a.ext & b.ext
        if ext & 8 != 0 { return .ndr }
        if ext & 4 != 0 { return .hdr }
        if ext & 2 != 0 { return .edr }
        if ext & 1 != 0 { return .fdr }
        let classic = a.speed & b.speed
        if classic & 4 != 0 { return .qdr }
        if classic & 2 != 0 { return .ddr }
        if classic & 1 != 0 { return .sdr }
        return nil
    }

    static func widthName(_ mask: UInt8) -> String {
        var names: [String] = []
        for (bit, name) in [(UInt8(1), "1x"), (2, "4x"), (4, "8x"), (8, "12x"), (16, "2x")] where mask & bit != 0 {
            names.append(name)
        }
        return names.isEmpty ? "none" : names.joined(separator: "/")
    }
}

/// Port lines of a topology file: `[p] "remote"[rp]` with the decorations ibnetdiscover writes (port GUIDs,
/// LIDs, LMC, the node description) and ibsim's link options (width and speed).
extension TopologyParser {

    mutating func parsePort(_ line: ByteLine, _ lineNumber: Int, _ nodeIndex: Int) throws(TopologyError) {
        let node = nodes[nodeIndex]
        let count = node.node.portCount
        // [p]
        guard let close = line.firstIndex(of: ASCII.closeBracket, from: line.start),
            let (number, numberEnd) = line.scanDecimal(from: line.start + 1),
            line.skipSpaces(from: numberEnd) == close
        else {
            throw fail(lineNumber, .badPortNumber, "bad port number in '\(line.text.prefix(24))'")
        }
        guard number >= 1 else {
            throw fail(lineNumber, .badPortNumber, "bad port number \(number) (external ports start at 1)")
        }
        guard number <= count else {
            throw fail(lineNumber, .portBeyondCount, "port \(number) is beyond the \(count) ports of \"\(node.id)\"")
        }
        if let previous = node.ports[number] {
            throw fail(lineNumber, .duplicatePort, "port \(number) of \"\(node.id)\" is listed twice (also on line \(previous.line))")
        }
        // Optional [ext N] and (guid) before the remote id.
        var i = try skipPortDecorations(line, lineNumber, from: close + 1)
        guard i < line.end, line[i] == ASCII.quote else {
            throw fail(lineNumber, .badPortLine, "expected '[<port>] \"<remote id>\"[<remote port>]'")
        }
        let remoteID: String
        (remoteID, i) = try quotedNodeID(line, lineNumber, at: i, what: "remote node id")
        var remotePort = 1
        if i < line.end, line[i] == ASCII.openBracket {
            guard let rclose = line.firstIndex(of: ASCII.closeBracket, from: i),
                let (value, valueEnd) = line.scanDecimal(from: i + 1),
                line.skipSpaces(from: valueEnd) == rclose
            else {
                throw fail(lineNumber, .badPortNumber, "bad remote port number after \"\(remoteID)\"")
            }
            guard value >= 1 else {
                throw fail(lineNumber, .badPortNumber, "bad remote port number \(value) (external ports start at 1)")
            }
            guard value <= 254 else {
                throw fail(lineNumber, .badPortNumber, "remote port number \(value) is beyond 254")
            }
            remotePort = value
            i = rclose + 1
        } else {
            let next = line.skipSpaces(from: i)
            if next < line.end, line[next] == ASCII.openBracket, !line.hasPrefix(Array("[ext".utf8), at: next) {
                throw fail(lineNumber, .badPortLine, "blank between \"\(remoteID)\" and its port number; ibsim would read port 1")
            }
        }
        let rest = i
        _ = try skipPortDecorations(line, lineNumber, from: rest)

        var pending = PendingPort(line: lineNumber, remoteID: remoteID, remotePort: remotePort, rates: defaultRates)
        try parseOptions(line, lineNumber, from: rest, into: &pending.rates)
        if node.type == .channelAdapter {
            if let at = line.find(kwLidSpace, from: rest) {
                guard let (v, _) = line.scanNumber(from: at + 4), v <= 0xFFFF else {
                    throw fail(lineNumber, .badNumber, "bad LID after 'lid'")
                }
                pending.lid = UInt16(v)
            }
            if let at = line.find(kwLmcSpace, from: rest) {
                guard let (v, _) = line.scanNumber(from: at + 4), v <= 7 else {
                    throw fail(lineNumber, .badNumber, "bad LMC after 'lmc' (0...7)")
                }
                pending.lmc = UInt8(v)
            }
        }
        if node.type != .router {  // ibsim reads the comment for switches and CAs only
            try parseConnection(line, lineNumber, from: rest, into: &pending.rates)
        }
        nodes[nodeIndex].ports[number] = pending
        nodes[nodeIndex].portLines += 1
    }

    /// Skips blanks, `[ext N]` and `(hex)` parts; checks the GUIDs are hex.
    private func skipPortDecorations(_ line: ByteLine, _ lineNumber: Int, from: Int) throws(TopologyError) -> Int {
        var i = line.skipSpaces(from: from)
        while i < line.end {
            if line[i] == ASCII.openParen {
                guard let close = line.firstIndex(of: ASCII.closeParen, from: i),
                    GUID(parsing: line.string(i + 1, close)) != nil
                else {
                    throw fail(lineNumber, .badGUID, "bad port GUID '\(line.string(i, min(line.end, i + 20)))'")
                }
                i = line.skipSpaces(from: close + 1)
            } else if line[i] == ASCII.openBracket, line.hasPrefix(Array("[ext".utf8), at: i),
                let close = line.firstIndex(of: ASCII.closeBracket, from: i)
            {
                i = line.skipSpaces(from: close + 1)
            } else {
                break
            }
        }
        return i
    }

    /// `w=`, `s=`, `e=` options anywhere after the remote id (ibsim looks at every '=').
    private func parseOptions(_ line: ByteLine, _ lineNumber: Int, from: Int, into rates: inout EnabledRates) throws(TopologyError) {
        var search = from + 1
        while search < line.end, let eq = line.firstIndex(of: ASCII.equals, from: search) {
            search = eq + 1
            var k = eq
            while k >= from, !ASCII.isAlpha(line[k]) { k -= 1 }
            guard k >= from else { continue }
            let letter = line[k]
            guard letter == 119 || letter == 115 || letter == 101 else { continue }  // w s e
            guard let (value, _) = line.scanNumber(from: eq + 1) else {
                throw fail(lineNumber, .badLinkAttribute, "bad value for port option '\(Character(UnicodeScalar(letter)))='")
            }
            switch letter {
            case 119:
                guard (1...31).contains(value) else { throw fail(lineNumber, .badLinkAttribute, "w=\(value) is not an enabled-width mask 1...31") }
                rates.width = UInt8(value)
            case 115:
                guard (1...7).contains(value) else { throw fail(lineNumber, .badLinkAttribute, "s=\(value) is not an enabled-speed mask 1...7") }
                rates.speed = UInt8(value)
            default:
                guard (0...15).contains(value) else { throw fail(lineNumber, .badLinkAttribute, "e=\(value) is not an extended-speed mask 0...15") }
                rates.ext = UInt8(value)
            }
        }
    }

    /// ibnetdiscover's `lid N 4xQDR` at the end of a port line: the last `lid` with no quote after it.
    private func parseConnection(_ line: ByteLine, _ lineNumber: Int, from: Int, into rates: inout EnabledRates) throws(TopologyError) {
        let after = line.lastIndex(of: ASCII.quote, from: from).map { $0 + 1 } ?? from
        guard let at = line.find(kwLidBare, from: after) else { return }
        // sscanf("lid %d %dx%9s"): anything else is ignored, as ibsim does.
        guard let (_, lidEnd) = line.scanDecimal(from: at + 3), lidEnd > at + 3,
            let (width, widthEnd) = line.scanDecimal(from: lidEnd),
            widthEnd < line.end, line[widthEnd] == ASCII.lowerX
        else { return }
        var speedEnd = widthEnd + 1
        while speedEnd < line.end, !ASCII.isSpace(line[speedEnd]), speedEnd - widthEnd - 1 < 9 { speedEnd += 1 }
        let speed = line.string(widthEnd + 1, speedEnd)
        guard !speed.isEmpty else { return }
        switch width {
        case 12: rates.width = 11
        case 8: rates.width = 4
        case 4: rates.width = 3
        case 2: rates.width = 16
        case 1: rates.width = 1
        default: throw fail(lineNumber, .badLinkAttribute, "unknown link width \(width)x")
        }
        switch speed {
        case "SDR": rates.speed = 1
        case "DDR": rates.speed = 3
        case "QDR", "FDR10": rates.speed = 7
        case "FDR": rates.speed = 7; rates.ext = 1
        case "EDR": rates.speed = 7; rates.ext = 3
        case "HDR": rates.speed = 7; rates.ext = 7
        case "NDR": rates.speed = 7; rates.ext = 15
        default: throw fail(lineNumber, .badLinkAttribute, "unknown link speed '\(speed)'")
        }
    }
}
