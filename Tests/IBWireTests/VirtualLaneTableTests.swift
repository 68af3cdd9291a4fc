import CIBMad
import IBWire
import Testing

/// SLtoVLMappingTable and VLArbitrationTable against the IBA layouts and libibmad's own dump of them.
@Suite struct VirtualLaneTableTests {
    @Test func slToVLPutsSLZeroInTheTopNibble() {
        let table = SLToVLMappingTable(vls: (0..<15).map { UInt8($0) } + [7])
        #expect(table.packed == 0x0123_4567_89AB_CDE7)
        #expect(Array(table.bytes[0..<8]) == [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xE7])
        #expect(table.bytes[8...].allSatisfy { $0 == 0 })
        #expect(table.vl(forSL: 0) == 0 && table.vl(forSL: 9) == 9 && table.vl(forSL: 15) == 7)
        #expect(SLToVLMappingTable(bytes: table.bytes).vls == table.vls)
    }

    @Test func libibmadDumpsTheSameSL2VLTable() {
        let table = SLToVLMappingTable(vls: [3, 2, 1, 0, 15, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2])
        var text = [CChar](repeating: 0, count: 256)
        var bytes = table.bytes
        bytes.withUnsafeMutableBytes { mad_dump_sltovl(&text, Int32(text.count), $0.baseAddress, 8) }
        let dumped = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(dumped == "| 3| 2| 1| 0|15| 0| 1| 2| 3| 4| 5| 6| 7| 0| 1| 2|\n")
    }

    @Test func switchModifiersNameInputAndOutputPorts() {
        #expect(SLToVLMappingTable.modifier(input: 3, output: 17) == 0x0311)
        let (input, output) = SLToVLMappingTable.ports(of: 0x0311)
        #expect(input == 3 && output == 17)
        #expect(VLArbitrationTableBlock.modifier(block: .highFirst, port: 5) == 0x0003_0005)
        #expect(VLArbitrationTableBlock.blockAndPort(of: 0x0002_0000)?.block == .lowSecond)
        #expect(VLArbitrationTableBlock.blockAndPort(of: 0x0005_0000) == nil)
        #expect(VLArbitrationTableBlock.blockAndPort(of: 0x0000_0001) == nil)
    }

    @Test func vlArbitrationEntriesAreAVLByteAndAWeightByte() {
        let block = VLArbitrationTableBlock(entries: [VLArbitrationEntry(vl: 0, weight: 4), VLArbitrationEntry(vl: 14, weight: 255)])
        #expect(Array(block.bytes[0..<4]) == [0x00, 0x04, 0x0E, 0xFF])
        #expect(block.bytes[4...].allSatisfy { $0 == 0 })
        var raw = block.bytes
        raw[2] = 0xF3  // reserved bits set by an agent are dropped
        #expect(VLArbitrationTableBlock(bytes: raw).entries[1] == VLArbitrationEntry(vl: 3, weight: 255))
        #expect(block.entries.count == 32)
    }

    @Test func portInfoVLFieldsAreLibibmads() {
        var info = PortInfo()
        info.vlCap = 4
        info.vlHighLimit = 0x12
        info.vlArbitrationHighCap = 8
        info.vlArbitrationLowCap = 64
        info.operationalVLs = 3
        // IBA 14.2.5.6: byte 37 VLCap:4|InitType:4, 38 VLHighLimit, 39 high cap, 40 low cap, 43 OperationalVLs:4|...
        #expect(info.bytes[37] == 0x40 && info.bytes[38] == 0x12 && info.bytes[39] == 8 && info.bytes[40] == 64)
        #expect(info.bytes[43] >> 4 == 3)
        #expect(PortInfo.dataVLCount(info.vlCap) == 8 && PortInfo.dataVLCount(5) == 15 && PortInfo.dataVLCount(6) == 0)
    }
}
