import FabricModel
import IBWire
import Routing
import SubnetAdministration
import Testing
import TestSupport

@Suite struct PartitionTests {
    @Test func parsesOpenSMSyntax() throws {
        let text = """
            # The default partition, IPoIB at 4096 bytes and 40 Gb/s.
            Default=0x7fff, ipoib, mtu=5, rate=7, sl=0, scope=2, scope=5 : ALL=full, SELF=full ;

            storage=0x0002,defmember=full :
                0x0000000000100001,   # one host
                0x0000000000100003=limited,
                0x0000000000100005=both ;
            compute=0x8003 : ALL_CAS=limited, ALL_SWITCHES=full;
            empty=0x10:;
            """
        let configuration = try PartitionConfiguration.parse(text, source: "partitions.conf")
        #expect(configuration.partitions.map(\.name) == ["Default", "storage", "compute", "empty"])
        let defaultPartition = configuration.partitions[0]
        #expect(defaultPartition.pKey == 0x7FFF && defaultPartition.ipoib && defaultPartition.mtu == 5 && defaultPartition.rate == 7)
        #expect(defaultPartition.scopes == [2, 5])
        #expect(defaultPartition.members == [Partition.Member(.all, .full), Partition.Member(.smPort, .full)])
        let storage = configuration.partitions[1]
        #expect(storage.pKey == 2 && !storage.ipoib)
        #expect(storage.members == [
            Partition.Member(.guid(GUID(0x100001)), .full), Partition.Member(.guid(GUID(0x100003)), .limited),
            Partition.Member(.guid(GUID(0x100005)), .both),
        ])
        // The membership bit of a P_Key written with it is dropped: partitions are numbered by the low 15 bits.
        #expect(configuration.partitions[2].pKey == 3)
        #expect(configuration.partitions[2].members == [Partition.Member(.allCAs, .limited), Partition.Member(.allSwitches, .full)])
        #expect(configuration.partitions[3].members.isEmpty)
        #expect(PartitionConfiguration.openSMDefault.partitions == [
            Partition(name: "Default", pKey: 0x7FFF, ipoib: true, members: [Partition.Member(.all, .full)]),
        ])
    }

    @Test func badFilesGiveOneLineNamingFileAndLine() {
        let cases: [(String, String)] = [
            ("Default=0x7fff : ALL=full", "partitions.conf:1: statement not ended with ';'"),
            ("# ok\nDefault=0x7fff,bogus : ALL ;", "partitions.conf:2: unknown flag 'bogus'"),
            ("\n\nDefault=0x8000 : ALL ;", "partitions.conf:3: bad P_Key '0x8000' for partition 'Default' (0x0001-0x7fff)"),
            ("Default : ALL ;", "partitions.conf:1: partition 'Default' has no P_Key (write Default=0x...)"),
            ("Default=0x7fff : EVERYBODY ;", "partitions.conf:1: member 'EVERYBODY' is not ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF or a 0x GUID"),
            ("Default=0x7fff : ALL=most ;", "partitions.conf:1: membership 'most' is not full, limited or both"),
            ("a=1 : ALL ;\nb=0x8001 : ALL ;", "partitions.conf:2: P_Key 0x1 defined twice"),
            ("a=1,mtu=9 : ALL ;", "partitions.conf:1: flag 'mtu' needs a value in 1...5"),
            ("Default=0x7fff ALL ;", "partitions.conf:1: expected 'Name=PKey : members ;'"),
            ("a=1 : ALL, ;", "partitions.conf:1: empty member in partition 'a'"),
        ]
        for (text, message) in cases {
            #expect(throws: PartitionConfigurationError.self) { try PartitionConfiguration.parse(text, source: "partitions.conf") }
            do {
                _ = try PartitionConfiguration.parse(text, source: "partitions.conf")
            } catch {
                #expect(error.description == message)
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func pKeyTablesArePlannedForEveryEndport() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let host1 = fabric.nodes.firstIndex { $0.description == "host-1" }!
        let guid = fabric[host1].knownPorts[0].guid
        let partitions = try PartitionConfiguration.parse("""
            Default=0x7fff,ipoib : ALL=limited, SELF=full ;
            storage=0x0002 : \(guid)=full ;
            lab=0x0003 : \(guid)=both, ALL_SWITCHES ;
            """, source: "t")
        let h = try SAHarness(fabric, partitions: partitions)
        let program = h.sa.pKeyProgram
        #expect(program.count == h.lids.endports.count)
        #expect(program[h.port("host-1")] == [PKey(0x7FFF), PKey(0x8002), PKey(0x8003), PKey(0x0003)])
        #expect(program[h.port("host-2")] == [PKey(0x7FFF)])
        #expect(program[h.snapshot.sm.port] == [PKey(0xFFFF), PKey(0x7FFF)])
        #expect(program[h.port("leaf-0")] == [PKey(0x7FFF), PKey(0x0003)])
        // The blocks the daemon writes (P_KeyTable, 32 keys each) and the SA's trusted records agree.
        let records = h.table(PKeyTableRecord.self, from: "host-0", trusted: true).records
        let host1Record = try #require(records.first { $0.lid == h.lid("host-1") })
        #expect(Array(host1Record.block.keys.prefix(5)) == [PKey(0x7FFF), PKey(0x8002), PKey(0x8003), PKey(0x0003), .invalid])
        #expect(PKeyTableBlock(keys: program[h.port("host-1")]!) == host1Record.block)
        // Blocks for programming: 32 keys each, the partition cap respected.
        let many = (1...40).map { PKey(UInt16($0)) }
        let planned = pKeyTableBlocks(many, partitionCap: 64)
        #expect(planned.blocks.map(\.modifier) == [0, 1] && planned.leftOut.isEmpty)
        #expect(planned.blocks[1].block.keys.prefix(8) == many[32...].prefix(8) && planned.blocks[1].block.keys[8] == .invalid)
        let capped = pKeyTableBlocks(many, port: 3, partitionCap: 32)
        #expect(capped.blocks.map(\.modifier) == [0x0003_0000] && capped.leftOut == Array(many[32...]))
    }
}

@Suite struct EventTests {
    @Test func subscribersGetReportsOfGIDsInAndOutOfService() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let h = try SAHarness(fabric)
        // host-2 subscribes to trap 65 only; host-3 to every generic trap.
        var out = InformInfo()
        out.subscribe = true
        out.isGeneric = true
        out.trapNumber = 65
        out.type = 0xFFFF
        out.producerType = 0xFF_FFFF
        out.lidRangeBegin = LID(0xFFFF)
        #expect(h.ask(.set, .informInfo, data: out.bytes, from: "host-2")[0].status == .ok)
        var all = out
        all.trapNumber = 0xFFFF
        #expect(h.ask(.set, .informInfo, data: all.bytes, from: "host-3")[0].status == .ok)
        // host-7 goes, then comes back.
        let without = try SAHarness(fabric.removingLink(at: h.port("host-7")))
        let gone = h.sa.publish(without.snapshot)
        #expect(gone == [.gidOutOfService(h.gid("host-7"))])
        var tid: UInt64 = 100
        let reports = h.sa.reports(for: gone) { tid += 1; return tid }
        #expect(Set(reports.map(\.destination)) == [h.requester("host-2"), h.requester("host-3")])
        let report = try SAMAD(decoding: reports[0].mad)
        #expect(report.method == .report && report.attribute == .notice && report.transactionID == 101)
        let notice = report.record(SANotice.self)
        #expect(notice.isGeneric && notice.trapNumber == 65 && notice.detailsGID == h.gid("host-7") && notice.issuerLID == h.snapshot.sm.lid)
        let back = h.sa.publish(h.snapshot)
        #expect(back == [.gidInService(h.gid("host-7"))])
        #expect(h.sa.reports(for: back) { 1 }.map(\.destination) == [h.requester("host-3")])
        // Unsubscribing: an unknown subscription is refused, a known one removed.
        var cancel = all
        cancel.subscribe = false
        #expect(h.ask(.set, .informInfo, data: cancel.bytes, from: "host-3")[0].status == .ok)
        #expect(h.ask(.set, .informInfo, data: cancel.bytes, from: "host-3")[0].status == .saRequestInvalid)
        #expect(h.sa.reports(for: back) { 1 }.isEmpty)
    }
}
