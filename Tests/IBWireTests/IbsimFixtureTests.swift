import Foundation
import IBWire
import Testing

/// Decoding MADs exactly as ibsim sent them (a committed recording of a discovery sweep).
@Suite struct IbsimFixtureTests {
    struct Recorded {
        var received: Bool
        var bytes: [UInt8]
    }

    static func load() throws -> [Recorded] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ibsim-sweep.hex")
        return try String(contentsOf: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: " ")
            var bytes: [UInt8] = []
            var hex = parts[1][...]
            while !hex.isEmpty {
                bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                hex = hex.dropFirst(2)
            }
            return Recorded(received: parts[0] == "received", bytes: bytes)
        }
    }

    @Test func everyMADDecodesAndReencodesToTheSameBytes() throws {
        let records = try Self.load()
        #expect(records.count == 66)
        for record in records {
            let smp = try SMP(decoding: record.bytes)
            #expect(smp.encoded() == record.bytes)
            #expect((smp.method == .getResponse) == record.received)
            if case .directed(let header) = smp.addressing { #expect(header.isReturning == record.received) }
        }
    }

    @Test func everyResponseAnswersARequest() throws {
        let records = try Self.load()
        let requests = Set(try records.filter { !$0.received }.map { try SMP(decoding: $0.bytes).matchKey })
        for response in records.filter(\.received) {
            #expect(requests.contains(SMP.matchKey(of: response.bytes)!))
            #expect(try SMP(decoding: response.bytes).status == .ok)
        }
    }

    @Test func attributesReadAsIbsimSetThemUp() throws {
        let responses = try Self.load().filter(\.received).map { try SMP(decoding: $0.bytes) }
        let local = try #require(responses.first { $0.attribute == .nodeInfo && $0.directedRoute?.hopCount == 0 })
        let info = local.decode(NodeInfo.self)
        #expect(info.nodeType == .switch)
        #expect(info.nodeGUID == GUID(0x200000))
        #expect(info.portCount == 8)
        #expect(info.localPortNumber == 0)

        let names = Set(responses.filter { $0.attribute == .nodeDescription }.map { $0.decode(NodeDescription.self).text })
        #expect(names == ["sw1", "sw2", "h1", "h2", "h3"])

        let h2 = try #require(responses.first { $0.attribute == .nodeInfo && $0.directedRoute?.hops == [2] }).decode(NodeInfo.self)
        #expect(h2.nodeType == .channelAdapter && h2.portCount == 2 && h2.portGUID == GUID(0x100003))

        let linked = try #require(responses.first { $0.attribute == .portInfo && $0.directedRoute?.hopCount == 0 && $0.attributeModifier == 1 })
        let port = linked.decode(PortInfo.self)
        #expect(port.state == .initialize)
        #expect(port.physicalState == .linkUp)
        #expect(port.linkWidthActive == .x4)
        #expect(port.activeSpeed == .sdr)
        // LocalPortNum is the port the SMP came in on (port 0 for the SM on the switch), not the port asked about.
        #expect(port.localPortNumber == 0)
        let idle = try #require(responses.first { $0.attribute == .portInfo && $0.directedRoute?.hopCount == 0 && $0.attributeModifier == 7 })
        #expect(idle.decode(PortInfo.self).physicalState == .polling)
    }
}
