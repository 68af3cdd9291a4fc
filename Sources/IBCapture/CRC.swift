/// The two CRCs that end an InfiniBand packet, as the IBA specification (vol. 1, 7.8) defines them.
///
/// Both are reflected (least significant bit first) CRCs with an all-ones seed and an inverted result:
/// - ICRC: CRC-32 with the Ethernet polynomial 0x04C11DB7 (reflected 0xEDB88320), over the packet from the
///   first byte of the LRH to the end of the payload, with the variant fields (LRH VL, BTH Resv8a, and the
///   GRH fields we never send) replaced by ones. It goes on the wire least significant byte first, as an
///   Ethernet FCS does (the Linux rxe driver stores it the same way).
/// - VCRC: CRC-16 with polynomial 0x100B (reflected 0xD008), over the whole packet from the LRH through the
///   ICRC. Placed least significant byte first, like the ICRC.
///
/// Both use slicing-by-8 tables, so that hundreds of thousands of packets a second cost little.
enum InfiniBandCRC {
    /// Slicing tables: `table[k * 256 + b]` is the CRC contribution of byte `b` followed by `k` zero bytes.
    private static let crc32Table: [UInt32] = makeTable(polynomial: 0xEDB8_8320)
    private static let crc16Table: [UInt32] = makeTable(polynomial: 0xD008)

    private static func makeTable(polynomial: UInt32) -> [UInt32] {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }

    /// Continues a reflected CRC of up to 32 bits (`state` is the raw register, not yet inverted).
    @inline(__always)
    private static func update(
        _ state: UInt32, _ bytes: UnsafeRawBufferPointer, table: UnsafeBufferPointer<UInt32>
    ) -> UInt32 {
        var crc = state
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let low = bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian ^ crc
            let high = bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self).littleEndian
            crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
            index += 8
        }
        while index < count {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt32(bytes[index])) & 0xFF)]
            index += 1
        }
        return crc
    }

    /// The raw CRC-32 register after `bytes`, starting from `state` (0xFFFFFFFF for a fresh CRC).
    static func crc32Update(_ state: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        crc32Table.withUnsafeBufferPointer { update(state, bytes, table: $0) }
    }

    /// The raw CRC-16 register after `bytes`, starting from `state` (0xFFFF for a fresh CRC).
    /// Slicing works for a 16-bit register too: its upper half simply stays zero.
    static func crc16Update(_ state: UInt16, _ bytes: UnsafeRawBufferPointer) -> UInt16 {
        UInt16(truncatingIfNeeded: crc16Table.withUnsafeBufferPointer { update(UInt32(state), bytes, table: $0) })
    }

    /// Offsets inside a local (LRH, no GRH) packet of the fields the ICRC treats as all ones.
    static let lrhVLByte = 0  // upper nibble: VL
    static let bthResv8aByte = 8 + 4

    /// The ICRC of a local packet whose headers and payload are `covered` (LRH through the end of the payload).
    static func icrc(ofLocalPacket covered: UnsafeRawBufferPointer) -> UInt32 {
        precondition(covered.count >= 20)
        // Mask the variant fields in a copy of the first 20 bytes (LRH + BTH), then run on over the rest.
        var head: (UInt64, UInt64, UInt32) = (0, 0, 0)
        let state = withUnsafeMutableBytes(of: &head) { copy -> UInt32 in
            copy.copyMemory(from: UnsafeRawBufferPointer(rebasing: covered[0..<20]))
            copy[lrhVLByte] |= 0xF0
            copy[bthResv8aByte] = 0xFF
            return crc32Update(0xFFFF_FFFF, UnsafeRawBufferPointer(copy))
        }
        return ~crc32Update(state, UnsafeRawBufferPointer(rebasing: covered[20...]))
    }

    /// The VCRC over `covered` (LRH through ICRC).
    static func vcrc(of covered: UnsafeRawBufferPointer) -> UInt16 {
        ~crc16Update(0xFFFF, covered)
    }
}
