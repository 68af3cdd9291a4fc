import IBWire

/// Who a partition line names.
public enum PartitionMemberSelector: Hashable, Sendable {
    /// Every endport: CA and router ports, and switch port 0.
    case all
    case allCAs
    case allSwitches
    case allRouters
    /// The SM's own port.
    case smPort
    /// One port by its port GUID (a switch by its GUID).
    case guid(GUID)
}

/// How a port belongs to a partition.
public enum PartitionMembership: String, Hashable, Sendable {
    case full, limited
    /// Full and limited (the table gets both keys).
    case both
}

/// One partition of partitions.conf.
public struct Partition: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var selector: PartitionMemberSelector
        public var membership: PartitionMembership
        public init(_ selector: PartitionMemberSelector, _ membership: PartitionMembership) {
            self.selector = selector
            self.membership = membership
        }
    }

    public var name: String
    /// The partition number (without the membership bit), 0x0001...0x7FFF.
    public var pKey: UInt16
    /// An IPoIB broadcast group is created for the partition.
    public var ipoib: Bool
    /// MTU code of the IPoIB group (4: 2048 bytes).
    public var mtu: UInt8
    /// Rate code of the IPoIB group (3: 10 Gb/s).
    public var rate: UInt8
    public var sl: UInt8
    /// Multicast scopes of the IPoIB groups (2: link-local).
    public var scopes: [UInt8]
    /// Membership of members listed without one.
    public var defaultMembership: PartitionMembership
    public var members: [Member]

    public init(name: String, pKey: UInt16, ipoib: Bool = false, mtu: UInt8 = 4, rate: UInt8 = 3, sl: UInt8 = 0,
                scopes: [UInt8] = [2], defaultMembership: PartitionMembership = .limited, members: [Member] = []) {
        self.name = name
        self.pKey = pKey
        self.ipoib = ipoib
        self.mtu = mtu
        self.rate = rate
        self.sl = sl
        self.scopes = scopes
        self.defaultMembership = defaultMembership
        self.members = members
    }
}

/// A bad partitions.conf: one line naming the file and line.
public struct PartitionConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var message: String
    public var description: String { "\(source):\(line): \(message)" }
}

/// The partitions of a subnet, as OpenSM's partitions.conf describes them.
public struct PartitionConfiguration: Hashable, Sendable {
    public var partitions: [Partition]
    public init(partitions: [Partition]) { self.partitions = partitions }

    /// What OpenSM uses when there is no file: `Default=0x7fff,ipoib : ALL=full ;`.
    public static let openSMDefault = PartitionConfiguration(partitions: [
        Partition(name: "Default", pKey: 0x7FFF, ipoib: true, members: [Partition.Member(.all, .full)]),
    ])

    /// Parses partitions.conf text: statements `Name[=PKey][,flag[=value]...] : member[=full|limited|both], ... ;`
    /// spread over any lines, `#` comments. Flags: ipoib, mtu, rate, sl, scope (repeatable), defmember.
    /// Members: ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF, or a port GUID.
    public static func parse(_ text: String, source: String) throws(PartitionConfigurationError) -> PartitionConfiguration {
        var partitions: [Partition] = []
        var statement = ""
        var statementLine = 0
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            for character in line {
                // A statement's errors name the line it starts on.
                if statementLine == 0 && !character.isWhitespace { statementLine = lineNumber }
                if character == ";" {
                    let partition = try parseStatement(statement, source: source, line: statementLine == 0 ? lineNumber : statementLine)
                    if partitions.contains(where: { $0.pKey == partition.pKey }) {
                        throw PartitionConfigurationError(source: source, line: statementLine, message: "P_Key 0x\(String(partition.pKey, radix: 16)) defined twice")
                    }
                    if partitions.contains(where: { $0.name == partition.name }) {
                        throw PartitionConfigurationError(source: source, line: statementLine, message: "partition '\(partition.name)' defined twice")
                    }
                    partitions.append(partition)
                    statement = ""
                    statementLine = 0
                } else {
                    statement.append(character)
                }
            }
            statement.append(" ")
        }
        if !statement.allSatisfy({ $0.isWhitespace }) {
            throw PartitionConfigurationError(source: source, line: statementLine, message: "statement not ended with ';'")
        }
        return PartitionConfiguration(partitions: partitions)
    }

    private static func parseStatement(_ text: String, source: String, line: Int) throws(PartitionConfigurationError) -> Partition {
        func fail(_ message: String) -> PartitionConfigurationError { PartitionConfigurationError(source: source, line: line, message: message) }
        guard let colon = text.firstIndex(of: ":") else { throw fail("expected 'Name=PKey : members ;'") }
        let head = text[..<colon].split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        let body = text[text.index(after: colon)...]
        guard let nameAndKey = head.first, !nameAndKey.isEmpty else { throw fail("partition without a name") }
        let nameParts = nameAndKey.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
        let name = String(nameParts[0])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
            throw fail("bad partition name '\(nameParts[0])'")
        }
        guard nameParts.count == 2 else { throw fail("partition '\(name)' has no P_Key (write \(name)=0x...)") }
        guard let key = parseNumber(nameParts[1]), key >= 1, key <= 0xFFFF, key & 0x7FFF != 0 else {
            throw fail("bad P_Key '\(nameParts[1])' for partition '\(name)' (0x0001-0x7fff)")
        }
        var partition = Partition(name: name, pKey: UInt16(key & 0x7FFF))
        var scopes: [UInt8] = []
        for flag in head.dropFirst() {
            let parts = flag.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard let keyword = parts.first, !keyword.isEmpty else { throw fail("empty flag") }
            let value = parts.count == 2 ? parts[1] : nil
            func number(_ range: ClosedRange<UInt64>) throws(PartitionConfigurationError) -> UInt8 {
                guard let value, let parsed = parseNumber(value), range.contains(parsed) else {
                    throw fail("flag '\(keyword)' needs a value in \(range.lowerBound)...\(range.upperBound)")
                }
                return UInt8(parsed)
            }
            switch keyword.lowercased() {
            case "ipoib":
                guard value == nil else { throw fail("flag 'ipoib' takes no value") }
                partition.ipoib = true
            case "mtu": partition.mtu = try number(1...5)
            case "rate": partition.rate = try number(2...22)
            case "sl": partition.sl = try number(0...15)
            case "scope": scopes.append(try number(1...15))
            case "defmember":
                guard let value, let membership = PartitionMembership(rawValue: value.lowercased()) else {
                    throw fail("defmember must be full, limited or both")
                }
                partition.defaultMembership = membership
            default:
                throw fail("unknown flag '\(keyword)'")
            }
        }
        if !scopes.isEmpty { partition.scopes = scopes }
        for item in body.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = item.trimmingSpaces.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined()
            if entry.isEmpty {
                if body.trimmingSpaces.isEmpty { break }
                throw fail("empty member in partition '\(name)'")
            }
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            var membership = partition.defaultMembership
            if parts.count == 2 {
                guard let value = PartitionMembership(rawValue: parts[1].lowercased()) else {
                    throw fail("membership '\(parts[1])' is not full, limited or both")
                }
                membership = value
            }
            let selector: PartitionMemberSelector
            switch parts[0].uppercased() {
            case "ALL": selector = .all
            case "ALL_CAS": selector = .allCAs
            case "ALL_SWITCHES": selector = .allSwitches
            case "ALL_ROUTERS": selector = .allRouters
            case "SELF": selector = .smPort
            default:
                guard parts[0].lowercased().hasPrefix("0x"), let guid = GUID(parsing: parts[0]) else {
                    throw fail("member '\(parts[0])' is not ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF or a 0x GUID")
                }
                selector = .guid(guid)
            }
            partition.members.append(Partition.Member(selector, membership))
        }
        return partition
    }

    private static func parseNumber(_ text: some StringProtocol) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }
}

/// The P_KeyTable blocks (32 keys each, with their attribute modifiers) that hold `keys` on a CA port, or on
/// switch port `port`; at most `partitionCap` keys (NodeInfo.PartitionCap), the rest left out and returned.
public func pKeyTableBlocks(_ keys: [PKey], port: PortNumber = .management, partitionCap: Int = 32)
    -> (blocks: [(modifier: UInt32, block: PKeyTableBlock)], leftOut: [PKey])
{
    let kept = Array(keys.prefix(max(0, partitionCap)))
    let blockCount = max(1, (kept.count + PKeyTableBlock.entriesPerBlock - 1) / PKeyTableBlock.entriesPerBlock)
    let blocks = (0..<blockCount).map { number in
        (PKeyTableBlock.modifier(block: number, port: port),
         PKeyTableBlock(keys: Array(kept.dropFirst(number * PKeyTableBlock.entriesPerBlock).prefix(PKeyTableBlock.entriesPerBlock))))
    }
    return (blocks, Array(keys.dropFirst(kept.count)))
}
