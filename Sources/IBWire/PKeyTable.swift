/// A partition key: the low 15 bits name the partition, the top bit is full (1) or limited (0) membership.
public struct PKey: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ value: UInt16) { self.rawValue = value }

    /// The default partition, full member.
    public static let defaultFull = PKey(0xFFFF)
    /// An empty P_Key table entry.
    public static let invalid = PKey(0)

    /// The partition number without the membership bit.
    public var base: UInt16 { rawValue & 0x7FFF }
    public var isFullMember: Bool { rawValue & 0x8000 != 0 }
    /// Zero partition numbers (0x0000, 0x8000) are invalid.
    public var isValid: Bool { base != 0 }
    public func withMembership(full: Bool) -> PKey { PKey(full ? base | 0x8000 : base) }

    /// True when two ports holding these keys may talk: same partition, at least one full member.
    public func canTalk(to other: PKey) -> Bool { isValid && base == other.base && (isFullMember || other.isFullMember) }

    public static func < (a: PKey, b: PKey) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// P_KeyTable (0x0016): one block of 32 P_Keys. The attribute modifier is the block number (bits 0-15) and,
/// for a switch, the port (bits 16-23).
///
/// libibmad's field table has no P_KeyTable field (smpquery reads the 16-bit words itself), so the
/// layout is the IBA one: 32 big-endian 16-bit words, entry 0 first.
public struct PKeyTableBlock: SMPAttribute {
    public static let attributeID = AttributeID.pKeyTable
    public static let entriesPerBlock = 32

    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A block of up to 32 keys (the rest are zero, an empty entry).
    public init(keys: [PKey]) {
        precondition(keys.count <= Self.entriesPerBlock, "a P_Key block has 32 entries")
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        for (index, key) in keys.enumerated() {
            encoded[2 * index] = UInt8(key.rawValue >> 8)
            encoded[2 * index + 1] = UInt8(key.rawValue & 0xFF)
        }
        self.bytes = encoded
    }

    public var keys: [PKey] {
        (0..<Self.entriesPerBlock).map { PKey(UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1])) }
    }

    /// The attribute modifier for block `block` of a CA port (port 0) or of switch port `port`.
    public static func modifier(block: Int, port: PortNumber = .management) -> UInt32 {
        UInt32(port.rawValue) << 16 | UInt32(block & 0xFFFF)
    }
}
