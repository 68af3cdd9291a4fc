import Foundation
import IBCapture
import IBWire
import Testing

/// Each broken file gives exactly one one-line error naming the file, the record and what is wrong.
@Suite struct MalformedCaptureTests {
    /// A good two-record capture (a DR NodeInfo Get and its reply) to break in various ways.
    static func good() throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        return try writeCapture(Array(try sampleExchange()[0..<2]), to: directory.file("good.pcap"))
    }

    static let record2 = Layout.fileHeader + Layout.record  // byte offset of record 2: 352

    func expectError(_ bytes: [UInt8], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let mads = try CaptureReader.read(data: bytes, source: "cap.pcap")
            Issue.record("read \(mads.count) records, expected: \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description == expected, sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    /// A capture of `good()`'s first record whose packet is replaced by `packet` (lengths adjusted).
    static func withPacket(_ packet: [UInt8]) throws -> [UInt8] {
        let good = try good()
        var erf = Array(good[(Layout.fileHeader + 16)..<(Layout.fileHeader + 32)])
        let padded = (16 + packet.count + 7) / 8 * 8
        erf.writeBE16(UInt16(padded), at: 10)
        erf.writeBE16(UInt16(packet.count), at: 14)
        var record = [UInt8](repeating: 0, count: 16)
        record.writeLE32(UInt32(padded), at: 8)
        record.writeLE32(UInt32(padded), at: 12)
        record += erf + packet + [UInt8](repeating: 0, count: padded - 16 - packet.count)
        return Array(good[0..<Layout.fileHeader]) + record
    }

    static func packet(of bytes: [UInt8]) -> [UInt8] {
        Array(bytes[(Layout.fileHeader + Layout.packet)..<(Layout.fileHeader + Layout.packet + Layout.packetSize)])
    }

    @Test func emptyFile() {
        expectError([], "cap.pcap: empty file, not a pcap file")
    }

    @Test func randomBytes() {
        var generator = FixedGenerator()
        var bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0...3] = [0x5E, 0x11, 0x0A, 0x7C]
        expectError(bytes, "cap.pcap: not a pcap file (magic 0x5e110a7c)")
        expectError(Array("hello".utf8), "cap.pcap: not a pcap file (magic 0x68656c6c)")
        expectError([0xA1, 0xB2], "cap.pcap: not a pcap file")
    }

    @Test func wrongMagic() throws {
        var bytes = try Self.good()
        bytes[0...3] = [0x0A, 0x0D, 0x0D, 0x0A]  // pcapng's section header block
        expectError(bytes, "cap.pcap: not a pcap file (magic 0x0a0d0d0a)")
    }

    @Test func truncatedFileHeader() throws {
        expectError(Array(try Self.good()[0..<10]), "cap.pcap: truncated pcap file header (needs 24 bytes, 10 present)")
    }

    @Test func wrongVersion() throws {
        var bytes = try Self.good()
        bytes[4] = 1
        expectError(bytes, "cap.pcap: pcap version 1.4 is not supported (2.x)")
    }

    @Test func wrongLinkType() throws {
        var bytes = try Self.good()
        bytes.writeLE32(1, at: 20)
        expectError(bytes, "cap.pcap: link type 1 is not ERF (197)")
        bytes.writeLE32(247, at: 20)
        expectError(bytes, "cap.pcap: link type 247 is not ERF (197)")
    }

    @Test func truncatedRecordHeader() throws {
        expectError(Array(try Self.good()[0..<(Self.record2 + 10)]),
                    "cap.pcap: record 2 at byte 352: truncated record header (needs 16 bytes, 10 left)")
    }

    @Test func truncatedRecord() throws {
        expectError(Array(try Self.good()[0..<(Self.record2 + 100)]),
                    "cap.pcap: record 2 at byte 352: truncated record (needs 328 bytes, 100 left)")
        expectError(Array(try Self.good().dropLast()),
                    "cap.pcap: record 2 at byte 352: truncated record (needs 328 bytes, 327 left)")
    }

    @Test func snappedRecord() throws {
        var bytes = try Self.good()
        bytes.writeLE32(400, at: Layout.fileHeader + 12)
        expectError(bytes, "cap.pcap: record 1 at byte 24: record holds only 312 of its 400 bytes (snapped capture)")
    }

    @Test func recordTooShortForERF() throws {
        var bytes = Array(try Self.good()[0..<(Layout.fileHeader + 16 + 8)])
        bytes.writeLE32(8, at: Layout.fileHeader + 8)
        bytes.writeLE32(8, at: Layout.fileHeader + 12)
        expectError(bytes, "cap.pcap: record 1 at byte 24: record of 8 bytes is too short for an ERF header (16)")
    }

    @Test func wrongERFType() throws {
        var bytes = try Self.good()
        bytes[Self.record2 + 16 + 8] = 2  // ERF type 2: Ethernet
        expectError(bytes, "cap.pcap: record 2 at byte 352: ERF type 2 is not InfiniBand (21)")
        bytes[Self.record2 + 16 + 8] = 0x80 | 21
        expectError(bytes, "cap.pcap: record 2 at byte 352: ERF extension headers are not supported")
    }

    @Test func erfLengthsInconsistent() throws {
        var bytes = try Self.good()
        bytes.writeBE16(304, at: Layout.fileHeader + 16 + 10)
        expectError(bytes, "cap.pcap: record 1 at byte 24: ERF record length 304 does not match the pcap record length 312")
        bytes = try Self.good()
        bytes.writeBE16(297, at: Layout.fileHeader + 16 + 14)
        expectError(bytes, "cap.pcap: record 1 at byte 24: ERF wire length 297 does not fit the 296 bytes after the ERF header (with at most 7 of padding)")
    }

    @Test func erfFlags() throws {
        var bytes = try Self.good()
        bytes[Layout.fileHeader + 16 + 9] = 0x04 | 0x08
        expectError(bytes, "cap.pcap: record 1 at byte 24: ERF flags 0x0c report a truncated or errored packet")
        bytes[Layout.fileHeader + 16 + 9] = 0x06
        expectError(bytes, "cap.pcap: record 1 at byte 24: ERF capture interface 2 is neither 0 (sent) nor 1 (received)")
    }

    @Test func madTooShort() throws {
        var packet = Self.packet(of: try Self.good())
        packet.removeSubrange(100..<156)  // 56 bytes out of the MAD: 200 left
        packet.writeBE16(UInt16((packet.count - 2) / 4), at: 4)
        expectError(try Self.withPacket(packet), "cap.pcap: record 1 at byte 24: MAD is 200 bytes, expected 256")
    }

    @Test func packetTooShort() throws {
        expectError(try Self.withPacket([0xF0, 0x02, 0xFF, 0xFF]),
                    "cap.pcap: record 1 at byte 24: InfiniBand packet of 4 bytes is shorter than LRH+BTH+DETH+ICRC+VCRC (34)")
    }

    @Test func badLRH() throws {
        let good = try Self.good()
        let lrh = Layout.fileHeader + Layout.packet
        var bytes = good
        bytes[lrh] = 0x00
        expectError(bytes, "cap.pcap: record 1 at byte 24: LRH: virtual lane 0 is not VL15")
        bytes = good
        bytes[lrh + 1] = 0x03
        expectError(bytes, "cap.pcap: record 1 at byte 24: LRH: next header 3 is not IBA local (2)")
        bytes = good
        bytes.writeBE16(71, at: lrh + 4)
        expectError(bytes, "cap.pcap: record 1 at byte 24: LRH: packet length 71 words (284 bytes) does not match the 288 bytes from LRH to ICRC")
    }

    @Test func badBTHAndDETH() throws {
        let good = try Self.good()
        let bth = Layout.fileHeader + Layout.packet + 8
        var bytes = good
        bytes[bth] = 0x04  // RC SEND only
        expectError(bytes, "cap.pcap: record 1 at byte 24: BTH: opcode 0x04 is not UD SEND only (0x64)")
        bytes = good
        bytes[bth + 7] = 1
        expectError(bytes, "cap.pcap: record 1 at byte 24: BTH: destination QP 1 is not QP0")
        bytes = good
        bytes[bth + 12 + 7] = 1
        expectError(bytes, "cap.pcap: record 1 at byte 24: DETH: source QP 1 is not QP0")
    }

    @Test func badCRCs() throws {
        let good = try Self.good()
        let packet = Self.record2 + Layout.packet
        var bytes = good
        bytes[packet + 28 + 100] ^= 0x01  // one bit of the second MAD
        let corrupted = Array(bytes[packet..<(packet + 284)])
        let found = good.readLE32(packet + 284)
        let computed = referenceICRC(corrupted)
        func hex8(_ value: UInt32) -> String {
            let text = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 8 - text.count) + text
        }
        expectError(bytes, "cap.pcap: record 2 at byte 352: bad ICRC \(hex8(found)) (computed \(hex8(computed)))")

        bytes = good
        bytes[packet + 288] ^= 0xFF
        let vcrc = good.readLE16(packet + 288)
        func hex4(_ value: UInt16) -> String {
            let text = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 4 - text.count) + text
        }
        expectError(bytes, "cap.pcap: record 2 at byte 352: bad VCRC \(hex4(vcrc ^ 0xFF)) (computed \(hex4(vcrc)))")

        // The VL is variant: a different VL changes the VCRC but not the ICRC.
        bytes = good
        bytes[packet] = 0x00
        #expect(referenceICRC(Array(bytes[packet..<(packet + 284)])) == found)
    }

    @Test func missingFileNamesThePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("missing.pcap")
        #expect(throws: CaptureError(source: path, problem: .cannotOpen(reason: "No such file or directory"))) {
            try CaptureReader.read(path: path)
        }
        #expect(throws: CaptureError(source: directory.path, problem: .cannotRead(reason: "Is a directory"))) {
            try CaptureReader.read(path: directory.path)
        }
    }
}

/// A deterministic generator (SplitMix64) so "random bytes" are the same on every run.
struct FixedGenerator: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678_9ABC_DEF0
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
