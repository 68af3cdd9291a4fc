/// MulticastForwardingTable (0x001B): one block of 32 multicast LIDs by 16 ports. Each entry is a port
/// mask (bit p set: forward out of port p). The attribute modifier names the block of 32 MLIDs
/// (bits 0-8, MLID 0xC000 + 32 * block) and the position (bits 28-31: which 16 ports, 16 * position ...).
public struct MulticastForwardingTableBlock: SMPAttribute {
    public static let attributeID = AttributeID.multicastForwardingTable
    public static let entriesPerBlock = 32
    public static let portsPerPosition = 16
    /// The first multicast LID.
    public static let firstMLID: UInt16 = 0xC000

    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A block of 32 port masks, entry i for MLID 0xC000 + 32 * block + i.
    public init(portMasks: [UInt16]) {
        precondition(portMasks.count == Self.entriesPerBlock, "an MFT block has 32 entries")
        var raw = [UInt8](repeating: 0, count: SMP.payloadSize)
        for (index, mask) in portMasks.enumerated() {
            raw[2 * index] = UInt8(mask >> 8)
            raw[2 * index + 1] = UInt8(mask & 0xFF)
        }
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        encoded.setArrayField(.multicastForwardingTable, raw)
        self.bytes = encoded
    }

    /// The 32 port masks (big-endian 16-bit words on the wire).
    public var portMasks: [UInt16] {
        let raw = bytes.arrayField(.multicastForwardingTable, count: SMP.payloadSize)
        return (0..<Self.entriesPerBlock).map { UInt16(raw[2 * $0]) << 8 | UInt16(raw[2 * $0 + 1]) }
    }

    /// The attribute modifier of block `block` (MLIDs 0xC000 + 32 * block ...) at port position `position`
    /// (ports 16 * position ... 16 * position + 15).
    public static func modifier(block: Int, position: Int) -> UInt32 {
        precondition(block >= 0 && block < 512 && position >= 0 && position < 16, "MFT block 0..<512, position 0..<16")
        return UInt32(position) << 28 | UInt32(block)
    }

    /// The block and position an attribute modifier names.
    public static func blockAndPosition(of modifier: UInt32) -> (block: Int, position: Int) {
        (Int(modifier & 0x1FF), Int(modifier >> 28))
    }
}
