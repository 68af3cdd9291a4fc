import FabricModel
import IBWire
import Routing
import SubnetAdministration
import Testing
import TestSupport

@Suite struct PathRecordTests {
    private func pathQuery(sgid: GID? = nil, dgid: GID? = nil, slid: LID? = nil, dlid: LID? = nil) -> (PathRecord, UInt64) {
        var record = PathRecord()
        var mask: UInt64 = 0
        if let sgid { record.sgid = sgid; mask |= PathRecordComponent.sgid }
        if let dgid { record.dgid = dgid; mask |= PathRecordComponent.dgid }
        if let slid { record.slid = slid; mask |= PathRecordComponent.slid }
        if let dlid { record.dlid = dlid; mask |= PathRecordComponent.dlid }
        return (record, mask)
    }

    @Test func getByGIDsAnswersWithLIDsPKeyAndSL() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        let (query, mask) = pathQuery(sgid: h.gid("host-0"), dgid: h.gid("host-5"))
        let answers = h.ask(.get, .pathRecord, mask: mask, data: query.bytes, from: "host-0")
        #expect(answers.count == 1 && answers[0].status == .ok && answers[0].method == .getResponse)
        let record = answers[0].record(PathRecord.self)
        #expect(record.slid == h.lid("host-0") && record.dlid == h.lid("host-5"))
        #expect(record.sgid == h.gid("host-0") && record.dgid == h.gid("host-5"))
        #expect(record.pKey == PKey(0xFFFF) && record.sl == 0 && record.reversible)
        #expect(record.mtuSelector == 2 && record.rateSelector == 2 && record.packetLifeTimeSelector == 2)
        // The DLID/SLID form gives the same path.
        let (byLID, lidMask) = pathQuery(slid: h.lid("host-0"), dlid: h.lid("host-5"))
        let again = h.ask(.get, .pathRecord, mask: lidMask, data: byLID.bytes, from: "host-3")[0].record(PathRecord.self)
        #expect(again.dgid == record.dgid && again.mtu == record.mtu && again.packetLifeTime == record.packetLifeTime)
        // With no source at all, the source is the requester.
        let (onlyDestination, destinationMask) = pathQuery(dgid: h.gid("host-5"))
        #expect(h.ask(.get, .pathRecord, mask: destinationMask, data: onlyDestination.bytes, from: "host-2")[0].record(PathRecord.self).slid == h.lid("host-2"))
    }

    @Test func mtuAndRateAreTheSmallestAlongTheRouteTheLFTsTake() throws {
        var fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        var h = try SAHarness(fabric)
        let source = h.port("host-0"), destination = h.port("host-7")
        let route = try #require(walkLFTs(h.fabric, h.tables, from: source, to: destination, dlid: h.lid("host-7")))
        #expect(route.count == 4)  // host -> leaf -> spine -> leaf -> host
        // Slow down the spine's link on the route (1x SDR) and give a middle port a 1024-byte MTU cap.
        let spineExit = route[2]
        var slow = fabric[spineExit]!
        slow.width = .x1
        slow.speed = .sdr
        try fabric.setPort(slow, of: spineExit.node)
        let leafExit = route[1]
        var small = fabric[leafExit]!
        var info = PortInfo()
        info.mtuCap = 3
        small.info = info
        try fabric.setPort(small, of: leafExit.node)
        h = try SAHarness(fabric)
        let (query, mask) = pathQuery(sgid: h.gid("host-0"), dgid: h.gid("host-7"))
        let record = h.ask(.get, .pathRecord, mask: mask, data: query.bytes, from: "host-0")[0].record(PathRecord.self)
        #expect(record.mtu == 3)
        #expect(record.rate == 2)  // 2.5 Gb/s
        // A path whose route avoids both ports keeps 2048 bytes and 4x SDR (10 Gb/s).
        let other = try #require(h.fabric.channelAdapters.map { PortAddress(node: $0, port: 1) }.first { candidate in
            guard candidate != source, let walk = walkLFTs(h.fabric, h.tables, from: source, to: candidate, dlid: h.lids.lid(of: candidate)!) else { return false }
            return !walk.contains(spineExit) && !walk.contains(leafExit)
        })
        let (clean, cleanMask) = pathQuery(sgid: h.gid("host-0"), dgid: GID(port: h.fabric[other]!.guid))
        let fast = h.ask(.get, .pathRecord, mask: cleanMask, data: clean.bytes, from: "host-0")[0].record(PathRecord.self)
        #expect(fast.mtu == 4 && fast.rate == 3)
    }

    @Test func packetLifeTimeGrowsWithHops() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        func lifeTime(_ a: String, _ b: String) -> UInt8 {
            let (query, mask) = pathQuery(sgid: h.gid(a), dgid: h.gid(b))
            return h.ask(.get, .pathRecord, mask: mask, data: query.bytes, from: a)[0].record(PathRecord.self).packetLifeTime
        }
        // host-0 and host-1 share a leaf (2 links); host-0 and host-7 do not (4 links).
        #expect(lifeTime("host-0", "host-1") == 12 + 1)
        #expect(lifeTime("host-0", "host-7") == 12 + 2)
        #expect(lifeTime("host-0", "host-0") == 12)
    }

    @Test func lmcGivesNumbPathPathsOverDifferentRoutes() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4), lmc: 1)
        var (query, mask) = pathQuery(sgid: h.gid("host-0"), dgid: h.gid("host-7"))
        query.numbPath = 2
        mask |= PathRecordComponent.numbPath
        let result = h.table(PathRecord.self, mask: mask, query: query, from: "host-0")
        #expect(result.status == .ok && result.records.count == 2)
        let routes = result.records.map { walkLFTs(h.fabric, h.tables, from: h.port("host-0"), to: h.port("host-7"), dlid: $0.dlid)! }
        #expect(Set(result.records.map(\.dlid)).count == 2)
        #expect(routes[0] != routes[1], "the two LMC paths take different spines")
        #expect(result.records.map(\.preference) == [0, 1])
        // Without NumbPath a GetTable gives every LID pair (2 x 2); a Get gives one.
        let all = h.table(PathRecord.self, mask: PathRecordComponent.sgid | PathRecordComponent.dgid, query: query, from: "host-0")
        #expect(all.records.count == 4)
        #expect(h.ask(.get, .pathRecord, mask: PathRecordComponent.sgid | PathRecordComponent.dgid, data: query.bytes, from: "host-0").count == 1)
    }

    @Test func selectorsAndStatusCodes() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        var (query, mask) = pathQuery(sgid: h.gid("host-0"), dgid: h.gid("host-6"))
        // MTU exactly 4096 is more than the path carries: no records.
        query.mtu = 5
        query.mtuSelector = ValueSelector.exactly.rawValue
        var answer = h.ask(.get, .pathRecord, mask: mask | PathRecordComponent.mtu | PathRecordComponent.mtuSelector, data: query.bytes, from: "host-0")
        #expect(answer[0].status == .saNoRecords)
        // Less than 4096: the path's 2048.
        query.mtuSelector = ValueSelector.lessThan.rawValue
        answer = h.ask(.get, .pathRecord, mask: mask | PathRecordComponent.mtu | PathRecordComponent.mtuSelector, data: query.bytes, from: "host-0")
        #expect(answer[0].status == .ok && answer[0].record(PathRecord.self).mtu == 4)
        // Rate greater than 10 Gb/s: no.
        query.rate = 3
        query.rateSelector = ValueSelector.greaterThan.rawValue
        answer = h.ask(.get, .pathRecord, mask: mask | PathRecordComponent.rate | PathRecordComponent.rateSelector, data: query.bytes, from: "host-0")
        #expect(answer[0].status == .saNoRecords)
        // Packet lifetime exactly 20 (above the computed 14): answered as asked.
        query.packetLifeTime = 20
        query.packetLifeTimeSelector = ValueSelector.exactly.rawValue
        answer = h.ask(.get, .pathRecord, mask: mask | PathRecordComponent.packetLifeTime | PathRecordComponent.packetLifeTimeSelector, data: query.bytes, from: "host-0")
        #expect(answer[0].record(PathRecord.self).packetLifeTime == 20)
        // No destination in a Get: insufficient components. Unknown DGID: invalid GID.
        #expect(h.ask(.get, .pathRecord, mask: PathRecordComponent.sgid, data: query.bytes, from: "host-0")[0].status == .saInsufficientComponents)
        let (unknown, unknownMask) = pathQuery(dgid: GID(port: GUID(0xDEAD)))
        #expect(h.ask(.get, .pathRecord, mask: unknownMask, data: unknown.bytes, from: "host-0")[0].status == .saInvalidGID)
        // A DLID nobody has: no records. A P_Key the ports do not share: no records.
        let (nobody, nobodyMask) = pathQuery(dlid: LID(999))
        #expect(h.ask(.get, .pathRecord, mask: nobodyMask, data: nobody.bytes, from: "host-0")[0].status == .saNoRecords)
        query.pKey = PKey(0x8123)
        #expect(h.ask(.get, .pathRecord, mask: mask | PathRecordComponent.pKey, data: query.bytes, from: "host-0")[0].status == .saNoRecords)
        // A GetTable from the requester to every endport: one record per endport.
        let everything = h.table(PathRecord.self, from: "host-0")
        #expect(everything.status == .ok && everything.records.count == h.lids.endports.count)
    }

    @Test func limitedMembersOfOnePartitionGetNoPathBetweenThem() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let partitions = try PartitionConfiguration.parse("""
            Default=0x7fff,ipoib : ALL=limited, SELF=full ;
            storage=0x0002 : ALL_CAS=limited ;
            """, source: "test")
        let h = try SAHarness(fabric, partitions: partitions)
        // host-3 and host-5 are limited members of both partitions: nothing in common they may use.
        let (query, mask) = pathQuery(sgid: h.gid("host-3"), dgid: h.gid("host-5"))
        #expect(h.ask(.get, .pathRecord, mask: mask, data: query.bytes, from: "host-3")[0].status == .saNoRecords)
        // With the SM's port (a full member of the default partition) they can talk.
        let (toSM, toSMMask) = pathQuery(sgid: h.gid("host-3"), dgid: GID(port: h.snapshot.sm.guid))
        let record = h.ask(.get, .pathRecord, mask: toSMMask, data: toSM.bytes, from: "host-3")[0].record(PathRecord.self)
        #expect(record.pKey == PKey(0x7FFF))
    }
}
