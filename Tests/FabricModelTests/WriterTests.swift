import FabricModel
import Foundation
import IBWire
import Testing

/// Node blocks of an ibnetdiscover text (header comments dropped), for order-independent comparison.
private func blocks(_ text: String) -> Set<String> {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
    return Set(lines.joined(separator: "\n").components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }
        .filter { !$0.isEmpty })
}

@Suite struct WriterTests {
    @Test func writerMatchesRealIbnetdiscoverNodeByNode() throws {
        // Parse what real ibnetdiscover printed, write it again: the same node blocks, byte for byte.
        for discovered in [Fixtures.mixedDiscovered, Fixtures.speedsDiscovered, Fixtures.guidLinesDiscovered] {
            let fabric = try TopologyFile.parse(discovered)
            let written = fabric.ibnetdiscoverText()
            #expect(blocks(written) == blocks(discovered))
        }
    }

    @Test func writerOutputOfAnIbsimFileMatchesIbnetdiscoverOfThatFile() throws {
        let written = try TopologyFile.parse(Fixtures.speedsNet).ibnetdiscoverText()
        #expect(blocks(written) == blocks(Fixtures.speedsDiscovered))
    }

    @Test func headerAndNodeOrder() throws {
        var fabric = try TopologyFile.parse(Fixtures.mixedNet)
        fabric.origin = PortAddress(node: 2, port: 1)  // h2 port 1
        let text = fabric.ibnetdiscoverText(generatedOn: "Sat Nov 21 05:57:05 2026")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "#")
        #expect(lines[1] == "# Topology file: generated on Sat Nov 21 05:57:05 2026")
        #expect(lines[2] == "#")
        #expect(lines[3] == "# Initiated from node 0000000000100000 port 0000000000100001")
        let nodeLines = lines.filter { $0.hasPrefix("Switch") || $0.hasPrefix("Ca") }
        #expect(nodeLines.map { $0.split(separator: "\"")[1] } == [
            "S-0000000000200000", "S-0000000000200001", "H-0000000000100000", "H-0000000000100003",
            "H-0000000000100005", "H-0000000000100007", "H-0000000000500000",
        ])
    }

    @Test(arguments: FabricKind.allCases)
    func roundTripThroughTheWriter(kind: FabricKind) throws {
        let fabric = try generateFabric(kind, options: GeneratorOptions(seed: 3))
        let again = try TopologyFile.parse(fabric.ibnetdiscoverText(), source: "written")
        #expect(fabric.differences(from: again, options: .all) == [])
        #expect(again.nodes.count == fabric.nodes.count)
    }

    @Test func roundTripKeepsLIDsRatesAndIdentity() throws {
        var fabric = try TopologyFile.parse(Fixtures.speedsNet)
        // Give every CA port a LID and the switch a new one; vendor and system image too.
        for index in fabric.channelAdapters {
            var node = fabric[index]
            node.ports[1]?.lid = LID(UInt16(100 + index))
            node.vendorID = 0x2c9
            node.systemImageGUID = GUID(0xfeed)
            fabric[index] = node
        }
        var sw = fabric[0]
        sw.ports[0]?.lid = LID(42)
        sw.ports[0]?.lmc = 2
        fabric[0] = sw
        let again = try TopologyFile.parse(fabric.ibnetdiscoverText())
        #expect(fabric.differences(from: again, options: .all) == [])
    }

    @Test func quotesInDescriptionsCannotBreakTheFormat() throws {
        var fabric = try TopologyFile.parse("Hca 1 \"a\"\n[1] \"b\"[1]\nHca 1 \"b\"\n[1] \"a\"[1]\n")
        var node = fabric[0]
        node.description = "say \"hi\""
        fabric[0] = node
        let again = try TopologyFile.parse(fabric.ibnetdiscoverText())
        #expect(again.node(fabric[0].guid)?.description == "say 'hi'")
        #expect(again.links.count == 1)
    }

    @Test func jsonIsValidAndOrdered() throws {
        let fabric = try TopologyFile.parse(Fixtures.mixedNet)
        let json = fabric.jsonText()
        #expect(json == fabric.jsonText())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["nodeCount"] as? Int == 7)
        #expect(object["linkCount"] as? Int == 7)
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.first?["type"] as? String == "Switch")
        #expect(nodes.first?["guid"] as? String == "0x0000000000200000")
        #expect(nodes.first?["description"] as? String == "sw1")
        let ports = try #require(nodes.first?["ports"] as? [[String: Any]])
        #expect(ports.count == 9)  // port 0 and 8 external ports
        let port3 = try #require(ports.first { $0["number"] as? Int == 3 })
        #expect(port3["state"] as? String == "Initialize")
        #expect(port3["physicalState"] as? String == "LinkUp")
        #expect(port3["width"] as? String == "4x" && port3["speed"] as? String == "SDR")
        let remote = try #require(port3["remote"] as? [String: Any])
        #expect(remote["guid"] as? String == "0x0000000000200001" && remote["port"] as? Int == 1)
        let port8 = try #require(ports.first { $0["number"] as? Int == 8 })
        #expect(port8["remote"] is NSNull)
        // Keys in the documented order.
        let keys = ["\"type\"", "\"guid\"", "\"systemImageGUID\"", "\"description\"", "\"portCount\"", "\"vendorID\"",
                    "\"deviceID\"", "\"lid\"", "\"ports\""]
        let positions = keys.map { json.range(of: $0)!.lowerBound }
        #expect(positions == positions.sorted())
        // Escaping.
        var odd = fabric
        var node = odd[0]
        node.description = "a \"b\"\\\n"
        odd[0] = node
        let parsed = try JSONSerialization.jsonObject(with: Data(odd.jsonText().utf8)) as? [String: Any]
        #expect((parsed?["nodes"] as? [[String: Any]])?.first?["description"] as? String == "a \"b\"\\\n")
    }

    @Test func dotHasShapesAndOneEdgePerLink() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let dot = fabric.dotText()
        #expect(dot.hasPrefix("graph \"fabric\" {"))
        let lines = dot.split(separator: "\n")
        #expect(lines.filter { $0.contains(" -- ") }.count == fabric.links.count)
        #expect(lines.filter { $0.contains("shape=box") }.count == fabric.switches.count)
        #expect(lines.filter { $0.contains("shape=ellipse") }.count == fabric.channelAdapters.count)
        #expect(dot.contains("\"0x0000000000200000\" -- \"0x0000000000100000\" [label=\"1-1\""))
        #expect(lines.last == "}")
    }
}

@Suite struct ComparisonTests {
    let base: Fabric

    init() throws { base = try TopologyFile.parse(Fixtures.mixedNet) }

    @Test func identicalFabricsHaveNoDifferences() {
        #expect(base.differences(from: base, options: .all) == [])
    }

    @Test func findsDescriptionTypeAndPortCountChanges() throws {
        var other = base
        var node = other[1]
        node.description = "renamed"
        node.portCount = 36
        other[1] = node
        let diffs = base.differences(from: other)
        #expect(diffs == [
            "node 0x0000000000200001: description \"spine two\" vs \"renamed\"",
            "node 0x0000000000200001: port count 8 vs 36",
        ])
        #expect(base.differences(from: other, options: []).count == 1)
    }

    @Test func findsMissingAndExtraLinksAndNodes() throws {
        let text = Fixtures.mixedNet.replacingOccurrences(of: "[6] \"h5\"[1]\n", with: "")
            .replacingOccurrences(of: "caguid=0x500000\nHca 1 \"h5\"\n[1] \"sw1\"[6]", with: "")
        let smaller = try TopologyFile.parse(text)
        let diffs = base.differences(from: smaller)
        #expect(diffs == [
            "node CA 0x0000000000500000 \"h5\": only on the left",
            "link 0x0000000000200000[6] <-> 0x0000000000500000[1]: only on the left",
        ])
        #expect(smaller.differences(from: base).allSatisfy { $0.hasSuffix("only on the right") })
    }

    @Test func lidsAndRatesOnlyWhenAsked() throws {
        let faster = try TopologyFile.parse(
            Fixtures.mixedNet.replacingOccurrences(of: "[3] \"sw2\"[1]", with: "[3] \"sw2\"[1] w=11 s=7")
                .replacingOccurrences(of: "[1] \"sw1\"[3]", with: "[1] \"sw1\"[3] w=11 s=7")
                .replacingOccurrences(of: "Switch 8 \"sw1\"", with: "Switch 8 \"sw1\" lid 9"))
        #expect(base.differences(from: faster) == [])
        let diffs = base.differences(from: faster, options: [.lids, .widthAndSpeed])
        #expect(diffs == [
            "node 0x0000000000200000: switch LID 0 LMC 0 vs LID 9 LMC 0",
            "link 0x0000000000200000[3] <-> 0x0000000000200001[1]: 4xSDR vs 12xQDR",
        ])
    }

    @Test func limitsTheOutput() throws {
        let other = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let diffs = base.differences(from: other, limit: 5)
        #expect(diffs.count == 6)
        #expect(diffs.last?.hasPrefix("... and ") == true)
    }
}

@Suite struct ParseSpeedTests {
    @Test func bigFatTreeParsesQuickly() throws {
        // k=36: 11,664 hosts, 1,620 switches; the ibnetdiscover form is about 150k lines.
        let net = try generateTopology(.fatTree3, options: GeneratorOptions(radix: 36))
        let clock = ContinuousClock()
        var fabric = Fabric()
        let netTime = try clock.measure { fabric = try TopologyFile.parse(net) }
        #expect(fabric.channelAdapters.count == 11_664)
        #expect(fabric.switches.count == 1_620)
        let written = fabric.ibnetdiscoverText()
        #expect(written.split(separator: "\n", omittingEmptySubsequences: false).count > 140_000)
        var again = Fabric()
        let writtenTime = try clock.measure { again = try TopologyFile.parse(written) }
        #expect(again.links.count == fabric.links.count)
        #if DEBUG
            let bound = Duration.seconds(20)
        #else
            let bound = Duration.seconds(1)
        #endif
        #expect(netTime < bound, "net file: \(netTime)")
        #expect(writtenTime < bound, "ibnetdiscover file: \(writtenTime)")
        print("parse times: net \(netTime), ibnetdiscover form \(writtenTime)")
    }
}
