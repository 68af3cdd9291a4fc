import IBWire

/// The file format, in one place.
///
/// A classic libpcap file, nanosecond variant (magic 0xA1B23C4D, written little-endian, version 2.4,
/// snaplen 65535), link type 197 (ERF). Every pcap record holds one ERF record of 312 bytes:
///
/// | bytes | what |
/// |---|---|
/// | 16 | pcap record header: seconds, nanoseconds, captured length 312, original length 312 |
/// | 8  | ERF timestamp, little-endian fixed point: seconds << 32 + fraction of a second in 2^-32 units |
/// | 1  | ERF type 21 (InfiniBand) |
/// | 1  | ERF flags: 0x04 (varying length) + capture interface, 0 for sent and 1 for received |
/// | 2  | rlen 312 (big-endian): the whole ERF record, padded to a multiple of 8 |
/// | 2  | lctr 0 (loss counter) |
/// | 2  | wlen 290 (big-endian): the InfiniBand packet below, without the padding |
/// | 8  | LRH: VL 15, LVer 0, SL 0, LNH 2 (IBA local: BTH follows), DLID, PktLen 72 words (LRH..ICRC), SLID |
/// | 12 | BTH: opcode 0x64 (UD SEND only), SE/M/PadCnt/TVer 0, P_Key 0xFFFF, DestQP 0, PSN = low 24 TID bits |
/// | 8  | DETH: Q_Key 0 (the Q_Key Linux gives QP0; QP0 does not check it), SrcQP 0 |
/// | 256 | the MAD |
/// | 4  | ICRC (see `InfiniBandCRC`) |
/// | 2  | VCRC |
/// | 6  | zero padding to the 8-byte ERF alignment |
///
/// Wireshark trims the padding with wlen, shows interface 0/1 as "Port A"/"Port B" and sets the packet
/// direction from flag bit 0, and lists each frame as `SubnGet(NodeInfo)` etc.
/// The ERF timestamp is the one read back (Wireshark shows it too); the pcap record time holds the same
/// instant in nanoseconds. 2^-32 s is finer than 1 ns, so nanosecond timestamps round-trip exactly.
enum CaptureFormat {
    static let pcapMagicMicroseconds: UInt32 = 0xA1B2_C3D4
    static let pcapMagicNanoseconds: UInt32 = 0xA1B2_3C4D
    static let linkTypeERF: UInt32 = 197
    static let snapLength: UInt32 = 65535
    static let fileHeaderSize = 24
    static let recordHeaderSize = 16

    static let erfHeaderSize = 16
    static let erfTypeInfiniBand: UInt8 = 21
    static let erfFlagVaryingLength: UInt8 = 0x04
    static let erfFlagsInterfaceMask: UInt8 = 0x03
    static let erfFlagsErrors: UInt8 = 0x08 | 0x10 | 0x20  // truncated, RX error, DS error

    static let lrhSize = 8
    static let bthSize = 12
    static let dethSize = 8
    static let madSize = 256
    static let icrcSize = 4
    static let vcrcSize = 2
    static let headersSize = lrhSize + bthSize + dethSize
    /// LRH through VCRC: 290.
    static let packetSize = headersSize + madSize + icrcSize + vcrcSize
    /// LRH PktLen counts 4-byte words from the LRH through the ICRC: 72.
    static let packetLengthWords = (packetSize - vcrcSize) / 4
    /// ERF header + packet, padded to 8: 312.
    static let erfRecordSize = (erfHeaderSize + packetSize + 7) / 8 * 8
    /// What one MAD takes in the file: 328.
    static let fileRecordSize = recordHeaderSize + erfRecordSize

    static let lrhByte0: UInt8 = 0xF0  // VL 15, LVer 0
    static let lrhByte1: UInt8 = 0x02  // SL 0, LNH 2 (IBA local)
    static let opcodeUDSendOnly: UInt8 = 0x64
    static let partitionKey: UInt16 = 0xFFFF
    static let qKey: UInt32 = 0

    /// The largest timestamp pcap's 32-bit seconds can hold.
    static let maxTimestamp: UInt64 = UInt64(UInt32.max) * 1_000_000_000 + 999_999_999

    /// ERF fixed point (seconds << 32 | 2^-32 fractions) from nanoseconds, rounded to the nearest fraction.
    static func erfTimestamp(nanoseconds: UInt64) -> UInt64 {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = ((nanoseconds % 1_000_000_000) << 32 + 500_000_000) / 1_000_000_000
        return seconds << 32 + fraction
    }

    /// Nanoseconds from ERF fixed point, rounded to the nearest nanosecond.
    static func nanoseconds(erfTimestamp: UInt64) -> UInt64 {
        let seconds = erfTimestamp >> 32
        let fraction = erfTimestamp & 0xFFFF_FFFF
        return seconds &* 1_000_000_000 &+ (fraction * 1_000_000_000 + (1 << 31)) >> 32
    }

    /// The pcap file header (little-endian, nanosecond timestamps).
    static func fileHeader() -> [UInt8] {
        var header = [UInt8](repeating: 0, count: fileHeaderSize)
        header.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: pcapMagicNanoseconds.littleEndian, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: UInt16(2).littleEndian, toByteOffset: 4, as: UInt16.self)
            bytes.storeBytes(of: UInt16(4).littleEndian, toByteOffset: 6, as: UInt16.self)
            // thiszone and sigfigs stay 0.
            bytes.storeBytes(of: snapLength.littleEndian, toByteOffset: 16, as: UInt32.self)
            bytes.storeBytes(of: linkTypeERF.littleEndian, toByteOffset: 20, as: UInt32.self)
        }
        return header
    }

    /// Writes the `fileRecordSize` bytes of one record (pcap record header, ERF header, packet, padding).
    /// The MAD must be 256 bytes and the timestamp at most `maxTimestamp`.
    static func encodeRecord(_ captured: CapturedMAD, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= fileRecordSize && captured.mad.count == madSize)
        let seconds = captured.timestamp / 1_000_000_000
        let nanoseconds = captured.timestamp % 1_000_000_000

        // pcap record header.
        out.storeBytes(of: UInt32(truncatingIfNeeded: seconds).littleEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: UInt32(truncatingIfNeeded: nanoseconds).littleEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: UInt32(erfRecordSize).littleEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: UInt32(erfRecordSize).littleEndian, toByteOffset: 12, as: UInt32.self)

        // ERF header.
        let erf = recordHeaderSize
        out.storeBytes(of: erfTimestamp(nanoseconds: captured.timestamp).littleEndian, toByteOffset: erf,
                       as: UInt64.self)
        out[erf + 8] = erfTypeInfiniBand
        out[erf + 9] = erfFlagVaryingLength | (captured.direction == .sent ? 0 : 1)
        out.storeBytes(of: UInt16(erfRecordSize).bigEndian, toByteOffset: erf + 10, as: UInt16.self)
        out.storeBytes(of: UInt16(0), toByteOffset: erf + 12, as: UInt16.self)
        out.storeBytes(of: UInt16(packetSize).bigEndian, toByteOffset: erf + 14, as: UInt16.self)

        // LRH.
        let lrh = erf + erfHeaderSize
        out[lrh] = lrhByte0
        out[lrh + 1] = lrhByte1
        out.storeBytes(of: captured.destinationLID.rawValue.bigEndian, toByteOffset: lrh + 2, as: UInt16.self)
        out.storeBytes(of: UInt16(packetLengthWords).bigEndian, toByteOffset: lrh + 4, as: UInt16.self)
        out.storeBytes(of: captured.sourceLID.rawValue.bigEndian, toByteOffset: lrh + 6, as: UInt16.self)

        // BTH: the PSN is the low 24 bits of the transaction ID (MAD bytes 13...15), pairing request and reply.
        let bth = lrh + lrhSize
        out[bth] = opcodeUDSendOnly
        out[bth + 1] = 0
        out.storeBytes(of: partitionKey.bigEndian, toByteOffset: bth + 2, as: UInt16.self)
        out.storeBytes(of: UInt32(0), toByteOffset: bth + 4, as: UInt32.self)  // Resv8a, DestQP 0
        out[bth + 8] = 0
        out[bth + 9] = captured.mad[13]
        out[bth + 10] = captured.mad[14]
        out[bth + 11] = captured.mad[15]

        // DETH.
        let deth = bth + bthSize
        out.storeBytes(of: qKey.bigEndian, toByteOffset: deth, as: UInt32.self)
        out.storeBytes(of: UInt32(0), toByteOffset: deth + 4, as: UInt32.self)  // reserved, SrcQP 0

        // MAD.
        let mad = deth + dethSize
        captured.mad.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: out[mad..<(mad + madSize)]).copyMemory(from: source)
        }

        // ICRC, VCRC, padding.
        let icrc = mad + madSize
        let icrcValue = InfiniBandCRC.icrc(ofLocalPacket: UnsafeRawBufferPointer(rebasing: out[lrh..<icrc]))
        out.storeBytes(of: icrcValue.littleEndian, toByteOffset: icrc, as: UInt32.self)
        let vcrc = icrc + icrcSize
        let vcrcValue = InfiniBandCRC.vcrc(of: UnsafeRawBufferPointer(rebasing: out[lrh..<vcrc]))
        out.storeBytes(of: vcrcValue.littleEndian, toByteOffset: vcrc, as: UInt16.self)
        let end = vcrc + vcrcSize
        for index in end..<fileRecordSize { out[index] = 0 }
    }
}
