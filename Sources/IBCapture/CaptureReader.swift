import IBWire
import SystemBoundary

/// Reads capture files written by `CaptureWriter` (or any pcap/ERF file of MADs on VL15), checking
/// everything on the way: the pcap magic (microsecond or nanosecond, either byte order) and version, link
/// type 197, each record's lengths, ERF type 21 and flags, the LRH/BTH/DETH of a UD SEND to QP0, a 256-byte
/// MAD, and the ICRC and VCRC. The first problem ends the read with a one-line `CaptureError`.
///
/// Accepted beyond what the writer produces: any Q_Key and P_Key (QP0 checks neither), ERF records with
/// or without the varying-length flag and with 0 to 7 bytes of padding after wlen, and snap lengths of any
/// size. The timestamp comes from the ERF header (exact to the nanosecond for what the writer wrote).
public enum CaptureReader {
    /// Reads and checks the whole file at `path`; errors name the path as given.
    /// The file is mapped into memory rather than copied, so large captures read quickly (as with any mapped
    /// file, another process truncating it during the read would crash this one; `CaptureWriter` never does).
    public static func read(path: String) throws(CaptureError) -> [CapturedMAD] {
        try Files.withContents(of: path, failure: { error in
            CaptureError(source: path, problem: error.operation == "open" ? .cannotOpen(reason: error.reason) : .cannotRead(reason: error.reason))
        }) { (bytes) throws(CaptureError) in try parse(bytes, source: path) }
    }

    /// Reads and checks a capture held in memory; errors name `source`.
    /// Whether a file starting with `head` is a pcap file (any of the magic numbers the reader accepts),
    /// so that tools can tell a capture from a text file by content.
    public static func isCapture(_ head: [UInt8]) -> Bool {
        guard head.count >= 4 else { return false }
        let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
        return [CaptureFormat.pcapMagicMicroseconds, CaptureFormat.pcapMagicNanoseconds].contains { magic == $0 || magic == $0.byteSwapped }
    }

    public static func read(data: [UInt8], source: String) throws(CaptureError) -> [CapturedMAD] {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(CaptureError) in try parse(bytes, source: source) }
        }
        return try result.get()
    }

    // MARK: - Parsing

    private static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws(CaptureError) -> [CapturedMAD] {
        func fail(_ problem: CaptureError.Problem) -> CaptureError { CaptureError(source: source, problem: problem) }

        guard !bytes.isEmpty else { throw fail(.emptyFile) }
        guard bytes.count >= 4 else { throw fail(.notPcap(magic: nil)) }
        let magic = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian
        let swapped: Bool
        switch magic {
        case CaptureFormat.pcapMagicMicroseconds, CaptureFormat.pcapMagicNanoseconds: swapped = false
        case CaptureFormat.pcapMagicMicroseconds.byteSwapped, CaptureFormat.pcapMagicNanoseconds.byteSwapped:
            swapped = true
        default: throw fail(.notPcap(magic: magic.byteSwapped))  // shown in file byte order
        }
        guard bytes.count >= CaptureFormat.fileHeaderSize else { throw fail(.truncatedFileHeader(have: bytes.count)) }

        func u16(_ offset: Int) -> UInt16 {
            let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
            return swapped ? raw.byteSwapped : raw
        }
        func u32(_ offset: Int) -> UInt32 {
            let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            return swapped ? raw.byteSwapped : raw
        }
        let major = u16(4), minor = u16(6)
        guard major == 2 else { throw fail(.unsupportedVersion(major: major, minor: minor)) }
        // The upper bits of the link type field may carry FCS information; the type is the low 16.
        let linkType = u32(20) & 0xFFFF
        guard linkType == CaptureFormat.linkTypeERF else { throw fail(.wrongLinkType(linkType)) }

        var result: [CapturedMAD] = []
        result.reserveCapacity((bytes.count - CaptureFormat.fileHeaderSize) / CaptureFormat.fileRecordSize)
        var offset = CaptureFormat.fileHeaderSize
        var number = 1
        while offset < bytes.count {
            let recordOffset = offset
            func fail(_ problem: CaptureError.Problem) -> CaptureError {
                CaptureError(source: source, record: number, offset: recordOffset, problem: problem)
            }
            let left = bytes.count - offset
            guard left >= CaptureFormat.recordHeaderSize else { throw fail(.truncatedRecordHeader(left: left)) }
            let captured = u32(offset + 8)
            let original = u32(offset + 12)
            let needs = CaptureFormat.recordHeaderSize + Int(captured)
            guard needs <= left else { throw fail(.truncatedRecord(needs: needs, left: left)) }
            guard captured >= original else { throw fail(.snappedRecord(captured: captured, original: original)) }
            let record = UnsafeRawBufferPointer(
                rebasing: bytes[(offset + CaptureFormat.recordHeaderSize)..<(offset + needs)])
            do throws(CaptureError.Problem) {
                result.append(try decodeERFRecord(record))
            } catch {
                throw fail(error)
            }
            offset += needs
            number += 1
        }
        return result
    }

    /// Checks one ERF record (the pcap record's data) and returns the MAD it carries.
    private static func decodeERFRecord(_ record: UnsafeRawBufferPointer) throws(CaptureError.Problem) -> CapturedMAD {
        func be16(_ offset: Int) -> UInt16 { record.loadUnaligned(fromByteOffset: offset, as: UInt16.self).bigEndian }
        func be24(_ offset: Int) -> UInt32 {
            UInt32(record[offset]) << 16 | UInt32(record[offset + 1]) << 8 | UInt32(record[offset + 2])
        }

        guard record.count >= CaptureFormat.erfHeaderSize else { throw .recordTooShortForERF(length: record.count) }
        let type = record[8]
        guard type & 0x80 == 0 else { throw .erfExtensionHeaders }
        guard type == CaptureFormat.erfTypeInfiniBand else { throw .wrongERFType(type) }
        let flags = record[9]
        guard flags & CaptureFormat.erfFlagsErrors == 0 else { throw .erfErrorFlags(flags) }
        let interface = flags & CaptureFormat.erfFlagsInterfaceMask
        guard interface <= 1 else { throw .erfInterface(interface) }
        let rlen = Int(be16(10))
        guard rlen == record.count else { throw .erfLengthMismatch(rlen: rlen, recordLength: record.count) }
        let wlen = Int(be16(14))
        let room = rlen - CaptureFormat.erfHeaderSize
        guard wlen <= room, room - wlen <= 7 else { throw .erfWireLength(wlen: wlen, room: room) }

        // The InfiniBand packet.
        let lrh = CaptureFormat.erfHeaderSize
        guard wlen >= CaptureFormat.headersSize + CaptureFormat.icrcSize + CaptureFormat.vcrcSize else {
            throw .packetTooShort(length: wlen)
        }
        let virtualLane = record[lrh] >> 4
        guard virtualLane == 15 else { throw .badLRH("virtual lane \(virtualLane) is not VL15") }
        let linkVersion = record[lrh] & 0x0F
        guard linkVersion == 0 else { throw .badLRH("link version \(linkVersion) is not 0") }
        let nextHeader = record[lrh + 1] & 0x03
        guard nextHeader == 2 else { throw .badLRH("next header \(nextHeader) is not IBA local (2)") }
        let packetWords = Int(be16(lrh + 4) & 0x07FF)
        guard packetWords * 4 == wlen - CaptureFormat.vcrcSize else {
            throw .badLRH("packet length \(packetWords) words (\(packetWords * 4) bytes) does not match the "
                + "\(wlen - CaptureFormat.vcrcSize) bytes from LRH to ICRC")
        }
        let destinationLID = LID(be16(lrh + 2))
        let sourceLID = LID(be16(lrh + 6))

        let bth = lrh + CaptureFormat.lrhSize
        let opcode = record[bth]
        guard opcode == CaptureFormat.opcodeUDSendOnly else {
            throw .badBTH("opcode \(hex(UInt32(opcode), digits: 2)) is not UD SEND only (0x64)")
        }
        let padCount = (record[bth + 1] >> 4) & 0x03
        guard padCount == 0 else { throw .badBTH("pad count \(padCount) is not 0") }
        let transportVersion = record[bth + 1] & 0x0F
        guard transportVersion == 0 else { throw .badBTH("header version \(transportVersion) is not 0") }
        let destinationQP = be24(bth + 5)
        guard destinationQP == 0 else { throw .badBTH("destination QP \(destinationQP) is not QP0") }

        let deth = bth + CaptureFormat.bthSize
        let sourceQP = be24(deth + 5)
        guard sourceQP == 0 else { throw .badDETH("source QP \(sourceQP) is not QP0") }

        let mad = deth + CaptureFormat.dethSize
        let madSize = wlen - CaptureFormat.headersSize - CaptureFormat.icrcSize - CaptureFormat.vcrcSize
        guard madSize == CaptureFormat.madSize else { throw .wrongMADSize(madSize) }

        let icrc = mad + madSize
        let foundICRC = record.loadUnaligned(fromByteOffset: icrc, as: UInt32.self).littleEndian
        let computedICRC = InfiniBandCRC.icrc(ofLocalPacket: UnsafeRawBufferPointer(rebasing: record[lrh..<icrc]))
        guard foundICRC == computedICRC else { throw .badICRC(found: foundICRC, computed: computedICRC) }
        let vcrc = icrc + CaptureFormat.icrcSize
        let foundVCRC = record.loadUnaligned(fromByteOffset: vcrc, as: UInt16.self).littleEndian
        let computedVCRC = InfiniBandCRC.vcrc(of: UnsafeRawBufferPointer(rebasing: record[lrh..<vcrc]))
        guard foundVCRC == computedVCRC else { throw .badVCRC(found: foundVCRC, computed: computedVCRC) }

        let timestamp = CaptureFormat.nanoseconds(
            erfTimestamp: record.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian)
        return CapturedMAD(
            timestamp: timestamp, direction: interface == 0 ? .sent : .received,
            sourceLID: sourceLID, destinationLID: destinationLID,
            mad: [UInt8](UnsafeRawBufferPointer(rebasing: record[mad..<(mad + madSize)])))
    }
}
