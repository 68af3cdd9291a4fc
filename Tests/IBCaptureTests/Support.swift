import Foundation
import IBCapture
import IBWire

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("IBCaptureTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The wire bytes of an SMP.
func wireBytes(_ smp: SMP) -> [UInt8] { smp.encoded() }

/// One exchange of each kind the SM uses, with transaction IDs and plausible LIDs.
func sampleExchange() throws -> [CapturedMAD] {
    let base: UInt64 = 1_732_000_000_123_456_789
    var nodeInfoGet = SMP.get(.nodeInfo, route: try DirectedRoute([1, 3]))
    nodeInfoGet.transactionID = 0x0000_0001_0000_1234
    var nodeInfoReply = nodeInfoGet
    nodeInfoReply.method = .getResponse
    if case .directed(var header) = nodeInfoReply.addressing {
        header.isReturning = true
        header.hopPointer = 2
        header.returnPath[1] = 5
        header.returnPath[2] = 7
        nodeInfoReply.addressing = .directed(header)
    }
    nodeInfoReply.payload[0] = 1  // BaseVersion
    nodeInfoReply.payload[2] = 2  // NodeType: switch

    var portInfoSet = SMP.set(PortInfo(), modifier: 3, lid: LID(5))
    portInfoSet.transactionID = 0x0000_0002_00AB_CDEF
    var portInfoReply = portInfoSet
    portInfoReply.method = .getResponse

    var lft = SMP(method: .set, attribute: .linearForwardingTable, attributeModifier: 2,
                  transactionID: 0x0000_0003_0000_0042, addressing: .lidRouted(LID(7)),
                  payload: SMPBytes((0..<64).map { UInt8($0 % 36 + 1) }))
    lft.mKey = 0

    return [
        CapturedMAD(timestamp: base, direction: .sent, directedRouteMAD: wireBytes(nodeInfoGet)),
        CapturedMAD(timestamp: base + 15_000, direction: .received, directedRouteMAD: wireBytes(nodeInfoReply)),
        CapturedMAD(timestamp: base + 20_001, direction: .sent, sourceLID: LID(1), destinationLID: LID(5),
                    mad: wireBytes(portInfoSet)),
        CapturedMAD(timestamp: base + 33_333, direction: .received, sourceLID: LID(5), destinationLID: LID(1),
                    mad: wireBytes(portInfoReply)),
        CapturedMAD(timestamp: base + 999_999_999, direction: .sent, sourceLID: LID(1), destinationLID: LID(7),
                    mad: wireBytes(lft)),
    ]
}

/// Writes `mads` to `path` and returns the file's bytes.
@discardableResult
func writeCapture(_ mads: [CapturedMAD], to path: String) throws -> [UInt8] {
    let writer = try CaptureWriter(path: path)
    for mad in mads { try writer.append(mad) }
    try writer.close()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

// Independent, bit-at-a-time CRCs straight from the IBA definitions, to check the writer's tables.

/// Reflected CRC-32 (polynomial 0x04C11DB7), seed all ones, result inverted.
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// Reflected CRC-16 (polynomial 0x100B), seed all ones, result inverted.
func referenceCRC16(_ bytes: [UInt8]) -> UInt16 {
    var crc: UInt16 = 0xFFFF
    for byte in bytes {
        crc ^= UInt16(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xD008 : crc >> 1 }
    }
    return ~crc
}

/// The ICRC of a local packet (LRH through payload): VL and BTH Resv8a count as ones.
func referenceICRC(_ covered: [UInt8]) -> UInt32 {
    var masked = covered
    masked[0] |= 0xF0
    masked[12] = 0xFF
    return referenceCRC32(masked)
}

/// Layout constants of one record as the writer lays it out.
enum Layout {
    static let fileHeader = 24
    static let record = 328
    static let packet = 16 + 16  // pcap record header + ERF header
    static let packetSize = 290
}

extension Array where Element == UInt8 {
    func readLE32(_ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[offset + $1]) << (8 * $1) }
    }
    func readLE16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    mutating func writeLE32(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
    mutating func writeBE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}
