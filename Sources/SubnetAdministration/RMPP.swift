import IBWire

/// RMPP (IBA 13.6) for SA answers longer than one MAD: records split into 200-byte segments, each sent
/// with the MAD, RMPP and SA headers; the receiver acknowledges windows of segments.
public enum RMPP {
    /// Per-segment payload length counts the 20-byte SA header of each segment, as Linux's ib_mad does
    /// (first segment: 20 x segments + data bytes; last segment: 20 + its data bytes).
    static let saHeaderBytes = 20

    /// The segments of a response carrying `data` (records end to end), each a complete SA MAD.
    public static func segments(of response: SAMAD, data: [UInt8]) -> [SAMAD] {
        let count = max(1, (data.count + SAMAD.dataSize - 1) / SAMAD.dataSize)
        var result: [SAMAD] = []
        result.reserveCapacity(count)
        for number in 1...count {
            let start = (number - 1) * SAMAD.dataSize
            let chunk = start < data.count ? Array(data[start..<min(start + SAMAD.dataSize, data.count)]) : []
            var flags = RMPPHeader.flagActive
            var length: UInt32 = 0
            if number == 1 {
                flags |= RMPPHeader.flagFirst
                length = UInt32(saHeaderBytes * count + data.count)
            }
            if number == count {
                flags |= RMPPHeader.flagLast
                length = UInt32(saHeaderBytes + chunk.count)
                if count == 1 { length = UInt32(saHeaderBytes + data.count) }
            }
            var segment = response
            segment.rmpp = RMPPHeader(version: 1, type: RMPPHeader.Kind.data.rawValue, responseTime: 0x1F, flags: flags,
                                      status: 0, data1: UInt32(number), data2: length)
            segment.data = chunk + [UInt8](repeating: 0, count: SAMAD.dataSize - chunk.count)
            result.append(segment)
        }
        return result
    }

    /// What a receiver rebuilds from DATA segments: the records' bytes, or nil when segments are missing,
    /// out of order, or their lengths disagree.
    public static func reassemble(_ segments: [SAMAD]) -> [UInt8]? {
        guard let first = segments.first, first.rmpp.flags & RMPPHeader.flagFirst != 0,
              let last = segments.last, last.rmpp.flags & RMPPHeader.flagLast != 0 else { return nil }
        var data: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            guard segment.rmpp.isActive, segment.rmpp.kind == .data, segment.rmpp.data1 == UInt32(index + 1) else { return nil }
            data += segment.data
        }
        let lastBytes = Int(last.rmpp.data2) - saHeaderBytes
        guard lastBytes >= 0, lastBytes <= SAMAD.dataSize else { return nil }
        let total = (segments.count - 1) * SAMAD.dataSize + lastBytes
        if segments.count > 1 {
            guard Int(first.rmpp.data2) == saHeaderBytes * segments.count + total else { return nil }
        }
        return Array(data[0..<total])
    }

    /// The ACK a receiver sends after segment `received`, opening the window up to `windowLast`.
    public static func ack(for segment: SAMAD, received: UInt32, windowLast: UInt32) -> SAMAD {
        var ack = segment
        ack.rmpp = RMPPHeader(version: 1, type: RMPPHeader.Kind.ack.rawValue, responseTime: 0x1F, flags: RMPPHeader.flagActive,
                              status: 0, data1: received, data2: windowLast)
        ack.data = [UInt8](repeating: 0, count: SAMAD.dataSize)
        return ack
    }
}

/// One GetTable answer being sent segment by segment.
struct RMPPTransfer {
    var segments: [[UInt8]]
    /// Segments sent so far (1-based numbers up to this one).
    var sentThrough: Int
    /// Bumped at each ACK; `dropStalledTransfers` removes transfers it finds unchanged.
    var progress: Int
    var lastChecked: Int
}

struct TransferKey: Hashable {
    var lid: LID
    var queuePair: UInt32
    var transactionID: UInt64
}
