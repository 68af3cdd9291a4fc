/// Why a capture file could not be read or written. Its description is one line:
/// `cap.pcap: record 17 at byte 4242: truncated record (needs 328 bytes, 100 left)`,
/// `cap.pcap: link type 1 is not ERF (197)`, `cap.pcap: not a pcap file (magic 0x12345678)`.
public struct CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, without the where.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        // Files and the writer.
        case cannotOpen(reason: String)
        case cannotRead(reason: String)
        case cannotCreate(path: String, reason: String)
        case cannotWrite(reason: String)
        case cannotRename(to: String, reason: String)
        case writerClosed
        case writerDiscarded
        case timestampOutOfRange(UInt64)
        // The pcap layer.
        case emptyFile
        case notPcap(magic: UInt32?)
        case truncatedFileHeader(have: Int)
        case unsupportedVersion(major: UInt16, minor: UInt16)
        case wrongLinkType(UInt32)
        case truncatedRecordHeader(left: Int)
        case truncatedRecord(needs: Int, left: Int)
        case snappedRecord(captured: UInt32, original: UInt32)
        // The ERF layer.
        case recordTooShortForERF(length: Int)
        case erfExtensionHeaders
        case wrongERFType(UInt8)
        case erfLengthMismatch(rlen: Int, recordLength: Int)
        case erfWireLength(wlen: Int, room: Int)
        case erfErrorFlags(UInt8)
        case erfInterface(UInt8)
        // The InfiniBand packet.
        case packetTooShort(length: Int)
        case badLRH(String)
        case badBTH(String)
        case badDETH(String)
        case wrongMADSize(Int)
        case badICRC(found: UInt32, computed: UInt32)
        case badVCRC(found: UInt16, computed: UInt16)

        public var description: String {
            switch self {
            case .cannotOpen(let reason): "cannot open: \(reason)"
            case .cannotRead(let reason): "cannot read: \(reason)"
            case .cannotCreate(let path, let reason): "cannot create temporary file \(path): \(reason)"
            case .cannotWrite(let reason): "cannot write: \(reason)"
            case .cannotRename(let path, let reason): "cannot rename temporary file to \(path): \(reason)"
            case .writerClosed: "capture writer is already closed"
            case .writerDiscarded: "capture writer was discarded"
            case .timestampOutOfRange(let ns): "timestamp \(ns) ns is past what pcap can hold (year 2106)"
            case .emptyFile: "empty file, not a pcap file"
            case .notPcap(let magic):
                if let magic { "not a pcap file (magic \(hex(magic, digits: 8)))" } else { "not a pcap file" }
            case .truncatedFileHeader(let have): "truncated pcap file header (needs 24 bytes, \(have) present)"
            case .unsupportedVersion(let major, let minor): "pcap version \(major).\(minor) is not supported (2.x)"
            case .wrongLinkType(let type): "link type \(type) is not ERF (197)"
            case .truncatedRecordHeader(let left): "truncated record header (needs 16 bytes, \(left) left)"
            case .truncatedRecord(let needs, let left): "truncated record (needs \(needs) bytes, \(left) left)"
            case .snappedRecord(let captured, let original):
                "record holds only \(captured) of its \(original) bytes (snapped capture)"
            case .recordTooShortForERF(let length): "record of \(length) bytes is too short for an ERF header (16)"
            case .erfExtensionHeaders: "ERF extension headers are not supported"
            case .wrongERFType(let type): "ERF type \(type) is not InfiniBand (21)"
            case .erfLengthMismatch(let rlen, let length):
                "ERF record length \(rlen) does not match the pcap record length \(length)"
            case .erfWireLength(let wlen, let room):
                "ERF wire length \(wlen) does not fit the \(room) bytes after the ERF header (with at most 7 of padding)"
            case .erfErrorFlags(let flags): "ERF flags \(hex(UInt32(flags), digits: 2)) report a truncated or errored packet"
            case .erfInterface(let interface):
                "ERF capture interface \(interface) is neither 0 (sent) nor 1 (received)"
            case .packetTooShort(let length): "InfiniBand packet of \(length) bytes is shorter than LRH+BTH+DETH+ICRC+VCRC (34)"
            case .badLRH(let what): "LRH: \(what)"
            case .badBTH(let what): "BTH: \(what)"
            case .badDETH(let what): "DETH: \(what)"
            case .wrongMADSize(let size): "MAD is \(size) bytes, expected 256"
            case .badICRC(let found, let computed):
                "bad ICRC \(hex(found, digits: 8)) (computed \(hex(computed, digits: 8)))"
            case .badVCRC(let found, let computed):
                "bad VCRC \(hex(UInt32(found), digits: 4)) (computed \(hex(UInt32(computed), digits: 4)))"
            }
        }
    }

    /// The file (or the name given for in-memory data).
    public var source: String
    /// The 1-based number of the record (as Wireshark numbers frames), nil for file-level problems.
    public var record: Int?
    /// The byte offset in the file where the record (its pcap record header) starts.
    public var offset: Int?
    public var problem: Problem

    public init(source: String, record: Int? = nil, offset: Int? = nil, problem: Problem) {
        self.source = source
        self.record = record
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        var text = source + ": "
        if let record {
            text += "record \(record)"
            if let offset { text += " at byte \(offset)" }
            text += ": "
        }
        return text + problem.description
    }
}

func hex(_ value: UInt32, digits: Int) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
}
