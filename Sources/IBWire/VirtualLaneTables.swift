/// SLtoVLMappingTable (0x0017): the data VL each of the 16 service levels takes out of a port.
///
/// For a CA port the attribute modifier is 0. For a switch it names the pair the table belongs to: bits 0-7
/// the output port, bits 8-15 the input port (packets arriving through the input port and leaving through the
/// output port use this table). The whole table is libibmad's 64-bit `SLToVLMap` field: SL 0 in the top nibble.
public struct SLToVLMappingTable: SMPAttribute {
    public static let attributeID = AttributeID.slToVLMappingTable
    public static let serviceLevels = 16

    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A table giving SL i the VL `vls[i]` (16 entries, each 0-15).
    public init(vls: [UInt8]) {
        precondition(vls.count == Self.serviceLevels && vls.allSatisfy { $0 < 16 }, "an SL2VL table maps 16 SLs to VLs 0-15")
        self.init(packed: vls.reduce(UInt64(0)) { $0 << 4 | UInt64($1) })
    }

    /// A table from its 64-bit form: SL 0 in the top nibble, SL 15 in the bottom one (as on the wire).
    public init(packed: UInt64) {
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        encoded.setField64(.slToVLMappingTable, packed)
        self.bytes = encoded
    }

    /// SL 0 in the top nibble, as on the wire.
    public var packed: UInt64 { bytes.field64(.slToVLMappingTable) }

    /// The VL service level `sl` (0-15) takes; VL 15 means the packet is dropped.
    public func vl(forSL sl: UInt8) -> UInt8 {
        precondition(sl < 16, "service levels are 0-15")
        return UInt8(truncatingIfNeeded: packed >> (4 * (15 - UInt64(sl)))) & 0xF
    }

    /// The 16 VLs, SL 0 first.
    public var vls: [UInt8] { (0..<UInt8(Self.serviceLevels)).map { vl(forSL: $0) } }

    /// The attribute modifier of a switch's table for packets in through `input` and out through `output`;
    /// 0 (both port 0) for a CA port.
    public static func modifier(input: PortNumber, output: PortNumber) -> UInt32 {
        UInt32(input.rawValue) << 8 | UInt32(output.rawValue)
    }

    /// The (input, output) pair a switch modifier names (the optimized-programming bits 16-17 ignored).
    public static func ports(of modifier: UInt32) -> (input: PortNumber, output: PortNumber) {
        (PortNumber(UInt8(truncatingIfNeeded: modifier >> 8)), PortNumber(UInt8(truncatingIfNeeded: modifier)))
    }
}

/// One entry of a VL arbitration table: the VL and how many 64-byte units it may send per turn (0: skipped).
public struct VLArbitrationEntry: Hashable, Sendable, CustomStringConvertible {
    public var vl: UInt8
    public var weight: UInt8
    public init(vl: UInt8, weight: UInt8) {
        self.vl = vl & 0xF
        self.weight = weight
    }
    public var description: String { "\(vl):\(weight)" }
}

/// VLArbitrationTable (0x0018): one block of 32 (VL, weight) entries of a port's output arbiter.
///
/// The attribute modifier's bits 16-31 name the block: 1 and 2 the low-priority table's entries 0-31 and
/// 32-63, 3 and 4 the high-priority table's; bits 0-15 the output port of a switch (0 for a CA).
/// The 64 bytes are libibmad's `VLArbTbl` array: per entry a byte of 4 reserved bits and the VL, then the weight.
public struct VLArbitrationTableBlock: SMPAttribute {
    public static let attributeID = AttributeID.vlArbitrationTable
    public static let entriesPerBlock = 32

    /// The four blocks, by the number the attribute modifier carries.
    public enum Block: UInt8, CaseIterable, Sendable, Hashable, Codable {
        case lowFirst = 1, lowSecond = 2, highFirst = 3, highSecond = 4
        public var isHighPriority: Bool { self == .highFirst || self == .highSecond }
        /// The index of the block's first entry within its table (0 or 32).
        public var firstEntry: Int { self == .lowSecond || self == .highSecond ? 32 : 0 }
    }

    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A block holding `entries` first (at most 32); the rest are VL 0, weight 0.
    public init(entries: [VLArbitrationEntry]) {
        precondition(entries.count <= Self.entriesPerBlock, "a VL arbitration block has 32 entries")
        var raw = [UInt8](repeating: 0, count: SMP.payloadSize)
        for (index, entry) in entries.enumerated() {
            raw[2 * index] = entry.vl & 0xF
            raw[2 * index + 1] = entry.weight
        }
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        encoded.setArrayField(.vlArbitrationTable, raw)
        self.bytes = encoded
    }

    /// The 32 entries (the reserved bits dropped).
    public var entries: [VLArbitrationEntry] {
        let raw = bytes.arrayField(.vlArbitrationTable, count: SMP.payloadSize)
        return (0..<Self.entriesPerBlock).map { VLArbitrationEntry(vl: raw[2 * $0] & 0xF, weight: raw[2 * $0 + 1]) }
    }

    /// The attribute modifier of `block` of output port `port` (port 0 for a CA port).
    public static func modifier(block: Block, port: PortNumber = .management) -> UInt32 {
        UInt32(block.rawValue) << 16 | UInt32(port.rawValue)
    }

    /// The block and port a modifier names (nil for a block number other than 1-4).
    public static func blockAndPort(of modifier: UInt32) -> (block: Block, port: PortNumber)? {
        guard let block = Block(rawValue: UInt8(truncatingIfNeeded: modifier >> 16)), modifier >> 16 <= 4 else { return nil }
        return (block, PortNumber(UInt8(truncatingIfNeeded: modifier & 0xFFFF)))
    }
}
