import FabricModel
import IBWire
import Routing
import SubnetAdministration
import Testing
import TestSupport

/// The agent's answers: every status code path, component-mask matching, trust, RMPP and BUSY.
@Suite struct SAAgentTests {
    @Test func genericStatusCodes() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        // Unknown method: 0x08; unknown attribute: 0x0C; a method an attribute does not have: 0x0C.
        #expect(h.ask(SAMethod(rawValue: 0x03), .nodeRecord, from: "host-1")[0].status == .methodNotSupported)
        #expect(h.ask(.getMulti, .pathRecord, from: "host-1")[0].status == .methodNotSupported)
        #expect(h.ask(.get, SAAttributeID(rawValue: 0x77), from: "host-1")[0].status == .methodAttributeNotSupported)
        #expect(h.ask(.set, .nodeRecord, from: "host-1")[0].status == .methodAttributeNotSupported)
        #expect(h.ask(.getTable, .classPortInfo, from: "host-1")[0].status == .methodAttributeNotSupported)
        #expect(h.ask(.get, .informInfo, from: "host-1")[0].status == .methodAttributeNotSupported)
        // Bad class version: 0x04, same TID and attribute.
        var request = SAMAD(method: .get, attribute: .nodeRecord, transactionID: 99)
        request.classVersion = 1
        let answer = try SAMAD(decoding: h.sa.handle(request.encoded(), from: h.requester("host-1"))[0])
        #expect(answer.status == .badClassVersion && answer.transactionID == 99 && answer.attribute == .nodeRecord)
        // A component the record does not have: request invalid.
        #expect(h.ask(.get, .linkRecord, mask: 1 << 9, from: "host-1")[0].status == .saRequestInvalid)
        #expect(h.ask(.get, .pathRecord, mask: 1 << 30, from: "host-1")[0].status == .saRequestInvalid)
        // Get of many: too many records; Get of none: no records.
        #expect(h.ask(.get, .nodeRecord, from: "host-1")[0].status == .saTooManyRecords)
        var none = NodeRecord()
        none.lid = LID(4000)
        #expect(h.ask(.get, .nodeRecord, mask: 1, data: none.bytes, from: "host-1")[0].status == .saNoRecords)
        // ClassPortInfo.
        let info = h.ask(.get, .classPortInfo, from: "host-1")[0].record(ClassPortInfo.self)
        #expect(info.baseVersion == 1 && info.classVersion == 2)
    }

    @Test func nothingIsAnsweredToGarbageResponsesOrAsStandby() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        let from = h.requester("host-1")
        #expect(h.sa.handle([], from: from).isEmpty)
        #expect(h.sa.handle([UInt8](repeating: 0xFF, count: 256), from: from).isEmpty)
        var smp = SAMAD(method: .get, attribute: .nodeRecord).encoded()
        smp[1] = 0x81
        #expect(h.sa.handle(smp, from: from).isEmpty)
        #expect(h.sa.handle(SAMAD(method: .getResponse, attribute: .nodeRecord).encoded(), from: from).isEmpty)
        let standby = try SAHarness(try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4)), state: .standby)
        #expect(standby.ask(.get, .classPortInfo, from: "host-1").isEmpty)
        // Before the first snapshot: BUSY, not silence.
        let fresh = SubnetAdministrator()
        let busy = try SAMAD(decoding: fresh.handle(SAMAD(method: .get, attribute: .classPortInfo, transactionID: 5).encoded(), from: from)[0])
        #expect(busy.status == .busy && busy.transactionID == 5)
        #expect(try SAMAD(decoding: h.sa.busyResponse(to: SAMAD(method: .getTable, attribute: .pathRecord).encoded())!).status == .busy)
        #expect(h.sa.busyResponse(to: [1, 2, 3]) == nil)
    }

    @Test func componentMaskMatchingSelectsRecords() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        // NodeRecord by LID: exactly that node.
        var byLID = NodeRecord()
        byLID.lid = h.lid("host-6")
        let one = h.ask(.get, .nodeRecord, mask: 1, data: byLID.bytes, from: "host-1")
        #expect(one[0].status == .ok && one[0].record(NodeRecord.self).nodeDescription.text == "host-6")
        #expect(one[0].record(NodeRecord.self).nodeInfo.portGUID == h.fabric[h.port("host-6")]!.guid)
        // NodeRecord by NodeType (component 4): the switches only.
        var switches = NodeRecord()
        var info = NodeInfo()
        info.nodeType = .switch
        switches.nodeInfo = info
        let table = h.table(NodeRecord.self, mask: 1 << 4, query: switches, from: "host-1")
        #expect(table.records.count == h.fabric.switches.count)
        #expect(table.records.allSatisfy { $0.nodeInfo.nodeType == .switch })
        // PortInfoRecord by LID and port number.
        var port = PortInfoRecord()
        port.endportLID = h.lid("leaf-0")
        port.portNumber = 3
        let record = h.ask(.get, .portInfoRecord, mask: 0x3, data: port.bytes, from: "host-1")[0].record(PortInfoRecord.self)
        #expect(record.endportLID == h.lid("leaf-0") && record.portNumber == 3 && record.portInfo.localPortNumber == 3)
        // LinkRecords from a leaf: one per cabled port.
        var from = LinkRecord()
        from.fromLID = h.lid("leaf-0")
        let links = h.table(LinkRecord.self, mask: 1, query: from, from: "host-1")
        #expect(links.records.count == h.fabric[h.port("leaf-0").node].knownPorts.filter { $0.remote != nil }.count)
        // LFT record of a switch's block 0 is what the tables say.
        var lft = LinearForwardingTableRecord()
        lft.lid = h.lid("leaf-0")
        let block = h.ask(.get, .linearForwardingTableRecord, mask: 0x3, data: lft.bytes, from: "host-1")[0].record(LinearForwardingTableRecord.self)
        #expect(block.block.ports == h.tables.block(switch: h.port("leaf-0").node, number: 0))
        // GUIDInfo, SwitchInfo records exist for every endport and switch.
        #expect(h.table(GUIDInfoRecord.self, from: "host-1").records.count == h.lids.endports.count)
        #expect(h.table(SwitchInfoRecord.self, from: "host-1").records.count == h.fabric.switches.count)
    }

    @Test func privateRecordsStayPrivate() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        // P_KeyTableRecords only with the SM_Key.
        #expect(h.ask(.getTable, .pKeyTableRecord, from: "host-1")[0].status == .saDenied)
        let keys = h.table(PKeyTableRecord.self, from: "host-1", trusted: true)
        #expect(keys.status == .ok && keys.records.count == h.lids.endports.count)
        #expect(keys.records.allSatisfy { $0.block.keys[0] == PKey(0xFFFF) })
        // SMInfoRecord: the SM_Key only to the trusted.
        #expect(h.ask(.get, .smInfoRecord, from: "host-1")[0].record(SMInfoRecord.self).smKey == 0)
        let trusted = h.ask(.get, .smInfoRecord, from: "host-1", trusted: true)[0].record(SMInfoRecord.self)
        #expect(trusted.smKey == SAHarness.smKey && trusted.state == .master && trusted.priority == 5 && trusted.lid == h.snapshot.sm.lid)
    }

    @Test func getTableOfHundredsOfRecordsComesBackIntactOverRMPP() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 12))
        let expected = h.snapshot.portInfoRecordsForTests(trusted: false)
        #expect(expected.count > 200)
        let result = h.table(PortInfoRecord.self, from: "host-1", window: 8)
        #expect(result.status == .ok)
        #expect(result.records == expected)
        #expect(result.segments == (expected.count * 72 + 199) / 200)
        #expect(h.sa.openTransfers == 0)
        // The first answer is one segment (RMPP's initial window), flagged first and active.
        let first = h.ask(.getTable, .portInfoRecord, from: "host-1", transactionID: 1234)
        #expect(first.count == 1 && first[0].rmpp.flags == RMPPHeader.flagActive | RMPPHeader.flagFirst && first[0].rmpp.data1 == 1)
        #expect(first[0].attributeOffset == 9 && first[0].method == .getTableResponse)
        #expect(h.sa.openTransfers == 1)
        // A lost segment: the receiver ACKs 1 again with a wider window; segment 2 comes again.
        let again = h.sa.handle(RMPP.ack(for: first[0], received: 1, windowLast: 3).encoded(), from: h.requester("host-1")).map { try! SAMAD(decoding: $0) }
        #expect(again.map(\.rmpp.data1) == [2, 3])
        let resent = h.sa.handle(RMPP.ack(for: first[0], received: 1, windowLast: 2).encoded(), from: h.requester("host-1")).map { try! SAMAD(decoding: $0) }
        #expect(resent.map(\.rmpp.data1) == [2])
        // Linux's ACK carries the request's method (format_ack flips the response bit): an ACK all the same,
        // never a new GetTable.
        var linuxAck = RMPP.ack(for: first[0], received: 2, windowLast: 4)
        linuxAck.method = .getTable
        let linux = h.sa.handle(linuxAck.encoded(), from: h.requester("host-1")).map { try! SAMAD(decoding: $0) }
        #expect(linux.map(\.rmpp.data1) == [3, 4] && linux.allSatisfy { $0.rmpp.kind == .data && $0.method == .getTableResponse })
        // ABORT ends the transfer; a stalled transfer is dropped on the second check.
        var abort = RMPP.ack(for: first[0], received: 0, windowLast: 0)
        abort.rmpp.type = RMPPHeader.Kind.abort.rawValue
        #expect(h.sa.handle(abort.encoded(), from: h.requester("host-1")).isEmpty)
        #expect(h.sa.openTransfers == 0)
        _ = h.ask(.getTable, .portInfoRecord, from: "host-1", transactionID: 99)
        #expect(h.sa.dropStalledTransfers() == 0 && h.sa.dropStalledTransfers() == 1)
        // A short table is one segment, first and last, and needs no ACK.
        let single = h.ask(.getTable, .smInfoRecord, from: "host-1")
        #expect(single.count == 1 && single[0].rmpp.flags == 7 && single[0].rmpp.data2 == 20 + 32)
        #expect(h.sa.openTransfers == 0)
    }

    @Test func tooManyOpenTransfersGetBusy() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        let h = try SAHarness(fabric, options: SAOptions(maxOpenTransfers: 2))
        #expect(h.ask(.getTable, .portInfoRecord, from: "host-1", transactionID: 1)[0].status == .ok)
        #expect(h.ask(.getTable, .portInfoRecord, from: "host-2", transactionID: 2)[0].status == .ok)
        #expect(h.ask(.getTable, .portInfoRecord, from: "host-3", transactionID: 3)[0].status == .busy)
        // A requester asking again without ever acknowledging its earlier answer gives that one up
        // (receivers without RMPP never ACK): its oldest unacknowledged transfer makes room.
        #expect(h.ask(.getTable, .portInfoRecord, from: "host-1", transactionID: 4)[0].status == .ok)
        #expect(h.sa.openTransfers == 2)
        // Once acknowledged, a transfer is not given up: host-2 ACKs, then asks again and gets BUSY.
        let first = h.ask(.getTable, .portInfoRecord, from: "host-2", transactionID: 5)
        #expect(first[0].status == .ok, "host-2's transfer 2 (never ACKed) made room for 5")
        _ = h.sa.handle(RMPP.ack(for: first[0], received: 1, windowLast: 2).encoded(), from: h.requester("host-2"))
        #expect(h.ask(.getTable, .portInfoRecord, from: "host-2", transactionID: 6)[0].status == .busy)
        // Single-MAD answers are still served.
        #expect(h.ask(.get, .classPortInfo, from: "host-1")[0].status == .ok)
        // An answer larger than the table limit (12 LFT records of 72 bytes here): no resources, and nothing held.
        let small = try SAHarness(fabric, options: SAOptions(maxTableBytes: 500))
        #expect(small.ask(.getTable, .linearForwardingTableRecord, from: "host-1")[0].status == .saNoResources)
        #expect(small.ask(.getTable, .smInfoRecord, from: "host-1")[0].status == .ok)
        #expect(small.sa.openTransfers == 0)
    }

    @Test func rmppReassemblyRejectsBrokenSequences() {
        let response = SAMAD(method: .getTableResponse, attribute: .linkRecord)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        let segments = RMPP.segments(of: response, data: data)
        #expect(segments.count == 5)
        #expect(segments[0].rmpp.data2 == UInt32(20 * 5 + 1000) && segments[4].rmpp.data2 == 20 + 200)
        #expect(RMPP.reassemble(segments) == data)
        #expect(RMPP.reassemble(Array(segments.dropLast())) == nil)
        #expect(RMPP.reassemble([segments[0], segments[2], segments[1], segments[3], segments[4]]) == nil)
        // Every segment survives the wire encoding.
        #expect(segments.map { try! SAMAD(decoding: $0.encoded()) } == segments)
        #expect(RMPP.reassemble(RMPP.segments(of: response, data: [])) == [])
    }
}

extension SASnapshot {
    /// The PortInfoRecords a GetTable with no mask should return, built independently of the agent's matcher.
    func portInfoRecordsForTests(trusted: Bool) -> [PortInfoRecord] {
        var records: [PortInfoRecord] = []
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) {
                let address = PortAddress(node: index, port: port.number)
                let lid = node.type == .switch ? lids.lid(of: PortAddress(node: index, port: .management)) : lids.lid(of: address)
                guard let lid else { continue }
                var record = PortInfoRecord()
                record.endportLID = lid
                record.portNumber = port.number
                var info = PortInfo()
                info.gidPrefix = subnetPrefix
                info.lid = lid
                info.masterSMLID = sm.lid
                info.lmc = port.lmc
                info.state = port.state
                info.physicalState = port.physicalState
                info.linkWidthActive = port.width
                info.linkSpeedActive = port.speed.encoding.classic
                info.linkSpeedExtendedActive = port.speed.encoding.extended
                info.localPortNumber = port.number
                info.mtuCap = 4
                info.neighborMTU = 4
                record.portInfo = info
                records.append(record)
            }
        }
        return records
    }
}
