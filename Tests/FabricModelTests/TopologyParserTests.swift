import FabricModel
import IBWire
import Testing

@Suite struct TopologyParserTests {
    @Test func ibsimNetFileGetsIbsimGUIDsAndDescriptions() throws {
        let parsed = try TopologyFile.parseDetailed(Fixtures.mixedNet, source: "mixed.net")
        let fabric = parsed.fabric
        #expect(fabric.nodes.count == 7)
        #expect(fabric.switches.count == 2)
        func node(_ id: String) throws -> FabricNode { fabric.nodes[try #require(parsed.nodeIndex(id: id))] }
        // Switches count up from 0x200000, one GUID each.
        #expect(try node("sw1").guid == GUID(0x200000))
        #expect(try node("sw2").guid == GUID(0x200001))
        // CAs count up from 0x100000, reserving nports + 1 GUIDs; port GUID = node GUID + port.
        #expect(try node("h2").guid == GUID(0x100000))
        #expect(try node("h2").port(2)?.guid == GUID(0x100002))
        #expect(try node("h1").guid == GUID(0x100003))
        #expect(try node("h3").guid == GUID(0x100005))
        #expect(try node("h4").guid == GUID(0x100007))
        #expect(try node("h4").port(3)?.guid == GUID(0x10000a))
        #expect(try node("h5").guid == GUID(0x500000))  // caguid= line
        // Description: the id, unless the node line has a # comment.
        #expect(try node("sw1").description == "sw1")
        #expect(try node("sw2").description == "spine two")
        // Switch port 0 shares the node GUID and is up.
        let port0 = try #require(try node("sw1").port(.management))
        #expect(port0.guid == GUID(0x200000))
        #expect(port0.state == .active && port0.physicalState == .linkUp)
        // Linked ports Initialize/LinkUp, the rest Down/Polling.
        let linked = try #require(try node("sw1").port(3))
        #expect(linked.state == .initialize && linked.physicalState == .linkUp)
        #expect(linked.width == .x4 && linked.speed == .sdr)
        let idle = try #require(try node("sw1").port(8))
        #expect(idle.state == .down && idle.physicalState == .polling && idle.remote == nil)
        #expect(try node("h4").port(1)?.state == .down)
        #expect(fabric.links.count == 7)
        #expect(fabric.isConnected)
    }

    @Test func ibnetdiscoverOutputOfIbsimIsTheSameFabric() throws {
        // What real ibsim assigned (as ibnetdiscover saw it) must equal what we assign from the same file.
        for (net, discovered) in [
            (Fixtures.mixedNet, Fixtures.mixedDiscovered), (Fixtures.speedsNet, Fixtures.speedsDiscovered),
        ] {
            let fromNet = try TopologyFile.parse(net, source: "net")
            let fromDiscovered = try TopologyFile.parse(discovered, source: "discovered")
            #expect(fromNet.differences(from: fromDiscovered, options: .all) == [])
        }
    }

    @Test func guidLinesSysimgguidVendidDevidAndUnquotedDescriptions() throws {
        let parsed = try TopologyFile.parseDetailed(Fixtures.guidLinesNet, source: "guids.net")
        let fabric = parsed.fabric
        func node(_ id: String) throws -> FabricNode { fabric.nodes[try #require(parsed.nodeIndex(id: id))] }
        let sw1 = try node("sw1")
        #expect(sw1.guid == GUID(0x1000))
        #expect(sw1.systemImageGUID == GUID(0xabc))
        #expect(sw1.vendorID == 0x2c9 && sw1.deviceID == 0xc738)
        #expect(sw1.description == "core one")
        #expect(sw1.baseLID == LID(3))
        let sw2 = try node("sw2")
        #expect(sw2.guid == GUID(0x1001))
        #expect(sw2.systemImageGUID == GUID(0x1001))  // sysimgguid= applies to one node
        #expect(sw2.vendorID == 0 && sw2.deviceID == 0xc738)  // vendid= one node, devid= sticky
        #expect(sw2.description == "sw2")  // empty comment: the id
        #expect(try node("h1").guid == GUID(0x310))  // caguid+0x10 relative to hcaguids=0x300
        #expect(try node("h2").guid == GUID(0x312))
        #expect(try node("h1").port(1)?.remote == PortAddress(node: try #require(parsed.nodeIndex(id: "sw1")), port: 1))
        let router = try node("r1")
        #expect(router.type == .router)
        #expect(router.guid == GUID(~0))
        // Against what ibnetdiscover saw from real ibsim (routers are not crossed by discovery).
        let discovered = try TopologyFile.parse(Fixtures.guidLinesDiscovered, source: "discovered")
        for seen in discovered.nodes {
            let ours = try #require(fabric.node(seen.guid), "ibsim has \(seen.guid) \(seen.description)")
            #expect(ours.description == seen.description)
            #expect(ours.systemImageGUID == seen.systemImageGUID)
            #expect(ours.vendorID == seen.vendorID && ours.deviceID == seen.deviceID)
        }
    }

    @Test func widthsSpeedsLIDsFromIbnetdiscoverComments() throws {
        let parsed = try TopologyFile.parseDetailed(Fixtures.speedsNet, source: "speeds.net")
        let fabric = parsed.fabric
        let sw = fabric.nodes[try #require(parsed.nodeIndex(id: "sw1"))]
        #expect(sw.description == "core one")
        #expect(sw.port(.management)?.lid == LID(7) && sw.port(.management)?.lmc == 1)
        let expected: [(LinkWidth, LinkSpeed)] = [
            (.x4, .qdr), (.x4, .fdr), (.x12, .qdr), (.x1, .ddr), (.x4, .hdr), (.x12, .qdr), (.x1, .ddr), (.x8, .sdr),
        ]
        for (number, (width, speed)) in expected.enumerated() {
            let port = try #require(sw.port(PortNumber(UInt8(number + 1))))
            #expect(port.width == width && port.speed == speed, "port \(number + 1)")
            let remote = try #require(port.remote)
            #expect(fabric[remote]?.width == width && fabric[remote]?.speed == speed)
        }
        let h1 = fabric.nodes[try #require(parsed.nodeIndex(id: "h1"))]
        #expect(h1.port(1)?.lid == LID(1) && h1.port(1)?.lmc == 2)
        #expect(fabric.nodes[try #require(parsed.nodeIndex(id: "h2"))].port(1)?.lid == LID(9))
    }

    @Test func aMissingRemotePortMeansPortOne() throws {
        let fabric = try TopologyFile.parse("Switch 2 \"s\"\n[2] \"h\"\n\nHca 1 \"h\"\n[1] \"s\"[2]\n")
        #expect(fabric.links.count == 1)
        #expect(fabric.nodes[1].port(1)?.remote == PortAddress(node: 0, port: 2))
    }

    @Test func fullyListedNodesNeedNoBlankLine() throws {
        let fabric = try TopologyFile.parse("Hca 1 \"a\"\n[1] \"b\"[1]\nHca 1 \"b\"\n[1] \"a\"[1]\n")
        #expect(fabric.nodes.map(\.guid) == [GUID(0x100000), GUID(0x100002)])
        #expect(fabric.isConnected)
    }

    @Test func portOptionsSetEnabledWidthAndSpeed() throws {
        let text = """
            width=3
            Switch 4 "s"
            [1] "a"[1] w=8 s=7
            [2] "b"[1]

            Hca 1 "a"
            [1] "s"[1] w=11 s=4
            Hca 1 "b"
            [1] "s"[2] w=1
            """
        let fabric = try TopologyFile.parse(text)
        #expect(fabric.nodes[0].port(1)?.width == .x12 && fabric.nodes[0].port(1)?.speed == .qdr)
        #expect(fabric.nodes[0].port(2)?.width == .x1)
    }

    @Test func crlfAndGroupedIbnetdiscoverLinesAreAccepted() throws {
        let text = "Switch\t2 \"S-1\"\t\t# \"s\" base port 0 lid 4 lmc 0\r\n[1][ext 1]\t\"H-2\"[1](100001) \t\t# \"h\" lid 5 4xSDR\r\n\r\nNon-Chassis Nodes\r\nCa\t1 \"H-2\"\t\t# \"h\"\r\n[1](100001) \t\"S-1\"[1]\t\t# lid 5 lmc 0 \"s\" lid 4 4xSDR\r\n"
        let fabric = try TopologyFile.parse(text)
        #expect(fabric.links.count == 1)
        #expect(fabric.nodes[1].port(1)?.lid == LID(5))
        #expect(fabric.nodes[1].description == "h")
    }

    @Test func longDescriptionsAreCutTo63Bytes() throws {
        let long = String(repeating: "d", count: 80)
        let fabric = try TopologyFile.parse("Hca 1 \"a\" # \"\(long)\"\n")
        #expect(fabric.nodes[0].description == String(repeating: "d", count: 63))
    }
}
