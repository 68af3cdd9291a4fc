import Foundation
import IBCapture
import IBWire
import Testing

@Suite struct CaptureRoundTripTests {
    @Test func smpsOfBothClassesRoundTrip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mads = try sampleExchange()
        let path = directory.file("exchange.pcap")
        try writeCapture(mads, to: path)

        let read = try CaptureReader.read(path: path)
        #expect(read == mads)

        // The SMPs decode back to what was encoded, transaction IDs included.
        let smps = try read.map { try $0.smp() }
        #expect(smps[0].managementClass == .directedRouteSMP)
        #expect(smps[0].method == .get && smps[0].attribute == .nodeInfo)
        #expect(smps[0].directedRoute == (try DirectedRoute([1, 3])))
        #expect(smps[0].transactionID == 0x0000_0001_0000_1234)
        #expect(read[1].mad[3] == MADMethod.getResponse.rawValue)  // raw byte: see wireBytes(_:)
        #expect(read[3].mad[3] == MADMethod.getResponse.rawValue)
        #expect(smps[2].managementClass == .lidRoutedSMP)
        #expect(smps[2].addressing == .lidRouted(LID(5)))
        #expect(smps[2].attributeModifier == 3)
        #expect(smps[4].attribute == .linearForwardingTable)
        #expect(Array(smps[4].payload) == (0..<64).map { UInt8($0 % 36 + 1) })
        #expect(read.map(\.direction) == [.sent, .received, .sent, .received, .sent])
        #expect(read[0].sourceLID == .permissive && read[0].destinationLID == .permissive)
        #expect(read[3].sourceLID == LID(5) && read[3].destinationLID == LID(1))
    }

    @Test func fileLayoutAndCRCsMatchTheSpecification() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mads = try sampleExchange()
        let bytes = try writeCapture(mads, to: directory.file("layout.pcap"))
        #expect(bytes.count == Layout.fileHeader + mads.count * Layout.record)
        #expect(Array(bytes[0..<4]) == [0x4D, 0x3C, 0xB2, 0xA1])  // nanosecond pcap, little-endian
        #expect(bytes.readLE32(20) == 197)

        for (index, mad) in mads.enumerated() {
            let record = Layout.fileHeader + index * Layout.record
            #expect(bytes.readLE32(record + 8) == 312)  // captured = original = ERF rlen
            #expect(bytes.readLE32(record + 12) == 312)
            #expect(UInt64(bytes.readLE32(record)) == mad.timestamp / 1_000_000_000)
            #expect(UInt64(bytes.readLE32(record + 4)) == mad.timestamp % 1_000_000_000)
            let erf = record + 16
            #expect(bytes[erf + 8] == 21)
            #expect(bytes[erf + 9] == (mad.direction == .sent ? 0x04 : 0x05))
            #expect(Array(bytes[(erf + 10)..<(erf + 16)]) == [0x01, 0x38, 0, 0, 0x01, 0x22])  // rlen 312, wlen 290

            let packet = Array(bytes[(erf + 16)..<(erf + 16 + Layout.packetSize)])
            #expect(Array(packet[0..<2]) == [0xF0, 0x02])  // VL15, LNH 2
            #expect(Array(packet[4..<6]) == [0x00, 72])  // 288 bytes LRH..ICRC
            #expect(Array(packet[8..<12]) == [0x64, 0x00, 0xFF, 0xFF])  // UD SEND only, P_Key 0xFFFF
            #expect(Array(packet[12..<16]) == [0, 0, 0, 0])  // DestQP 0
            #expect(Array(packet[17..<20]) == Array(mad.mad[13..<16]))  // PSN: low TID bits
            #expect(Array(packet[20..<28]) == [0, 0, 0, 0, 0, 0, 0, 0])  // Q_Key 0, SrcQP 0
            #expect(Array(packet[28..<284]) == mad.mad)
            #expect(packet.readLE32(284) == referenceICRC(Array(packet[0..<284])))
            #expect(packet.readLE16(288) == referenceCRC16(Array(packet[0..<288])))
            #expect(bytes[(erf + 16 + Layout.packetSize)..<(record + Layout.record)].allSatisfy { $0 == 0 })
        }
    }

    @Test func timestampsRoundTripToTheNanosecond() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mad = try sampleExchange()[0].mad
        var generator = SystemRandomNumberGenerator()
        var stamps: [UInt64] = [0, 1, 999_999_999, 1_000_000_000, 4_294_967_295_999_999_999, CapturedMAD.now()]
        for _ in 0..<2000 { stamps.append(UInt64.random(in: 0...4_294_967_295_999_999_999, using: &generator)) }
        let mads = stamps.map { CapturedMAD(timestamp: $0, direction: .received, directedRouteMAD: mad) }
        let path = directory.file("times.pcap")
        try writeCapture(mads, to: path)
        #expect(try CaptureReader.read(path: path).map(\.timestamp) == stamps)
    }

    @Test func readsOtherByteOrderAndMicrosecondFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mads = try sampleExchange()
        var bytes = try writeCapture(mads, to: directory.file("le.pcap"))

        // Microsecond magic, same byte order: pcap record times are ignored, ERF times rule.
        var micro = bytes
        micro.writeLE32(0xA1B2_C3D4, at: 0)
        #expect(try CaptureReader.read(data: micro, source: "micro.pcap") == mads)

        // Big-endian file: swap every pcap header field.
        func swap32(_ offset: Int) { bytes[offset..<(offset + 4)].reverse() }
        func swap16(_ offset: Int) { bytes[offset..<(offset + 2)].reverse() }
        swap32(0); swap16(4); swap16(6); swap32(8); swap32(12); swap32(16); swap32(20)
        for index in mads.indices {
            let record = Layout.fileHeader + index * Layout.record
            for field in 0..<4 { swap32(record + 4 * field) }
        }
        #expect(Array(bytes[0..<4]) == [0xA1, 0xB2, 0x3C, 0x4D])
        #expect(try CaptureReader.read(data: bytes, source: "be.pcap") == mads)
    }

    @Test func emptyCaptureHasOnlyTheFileHeader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = try writeCapture([], to: directory.file("empty.pcap"))
        #expect(bytes.count == 24)
        #expect(try CaptureReader.read(path: directory.file("empty.pcap")) == [])
    }

    @Test func concurrentAppendsAreAllKept() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("concurrent.pcap")
        let writer = try CaptureWriter(path: path)
        let template = try sampleExchange()[2]
        let tasks = 8, perTask = 2_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<perTask {
                        var mad = template
                        let tid = UInt64(task * perTask + index)
                        for byte in 0..<8 { mad.mad[8 + byte] = UInt8(truncatingIfNeeded: tid >> (56 - 8 * byte)) }
                        mad.timestamp += tid
                        try writer.append(mad)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(writer.recordCount == tasks * perTask)
        try writer.close()
        let read = try CaptureReader.read(path: path)
        #expect(read.count == tasks * perTask)
        let tids = Set(try read.map { try $0.smp().transactionID })
        #expect(tids == Set((0..<UInt64(tasks * perTask))))
    }

    @Test func batchAppendMatchesSingleAppends() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mads = try sampleExchange()
        let one = try writeCapture(mads, to: directory.file("one.pcap"))
        let writer = try CaptureWriter(path: directory.file("batch.pcap"))
        try writer.append(contentsOf: mads)
        try writer.close()
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("batch.pcap")))) == one)
    }

    @Test func largeCaptureSpansManyBufferFlushes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("large.pcap")
        let sample = try sampleExchange()
        let writer = try CaptureWriter(path: path)
        var expected: [CapturedMAD] = []
        for index in 0..<40_000 {
            var mad = sample[index % sample.count]
            mad.timestamp += UInt64(index) * 1_000
            mad.mad[15] = UInt8(truncatingIfNeeded: index)
            expected.append(mad)
            try writer.append(mad)
        }
        try writer.close()
        #expect(try CaptureReader.read(path: path) == expected)
    }
}
