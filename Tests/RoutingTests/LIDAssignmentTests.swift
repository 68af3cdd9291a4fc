import FabricModel
import IBWire
import Routing
import Testing

@Suite struct LIDAssignmentTests {
    @Test(arguments: smallFabrics.map(\.name), [UInt8(0), 1, 2])
    func everyKindGetsUniqueAlignedLIDs(name: String, lmc: UInt8) throws {
        let fabric = try smallFabric(name)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        #expect(assignmentIssues(fabric, lids, lmc: lmc) == [])
        #expect(lids.problems == [])
        #expect(lids.lmc == lmc)
        if lmc == 0 {
            // Nothing to keep: the LIDs are exactly 1...endports.
            #expect(lids.maxLID.rawValue == UInt16(lids.endports.count))
        }
        // Same fabric, same LIDs; nodes in another order, same LIDs per port GUID.
        let again = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
        #expect(again.endports == lids.endports)
        let reversed = fabric.renumbered(Array(fabric.nodes.indices.reversed()))
        let other = try assignLIDs(reversed, options: LIDAssignmentOptions(lmc: lmc))
        #expect(other.table == lids.table)
    }

    @Test(arguments: [UInt8(0), 1, 2, 7])
    func theSMPortGetsTheFirstBlock(lmc: UInt8) throws {
        let fabric = try smallFabric("fat-tree-2")
        let sm = fabric.port1("host-17")
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc, smPort: sm))
        #expect(lids.lid(of: sm) == LID(UInt16(1 << Int(lmc))))  // LID 1, or the first aligned block (4 for LMC 2)
        #expect(lids.lids(of: sm).count == 1 << Int(lmc))
        #expect(assignmentIssues(fabric, lids, lmc: lmc) == [])
        // A switch as SM: its port 0 gets LID 1.
        let switchSM = fabric.port0("spine-2")
        #expect(try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc, smPort: switchSM)).lid(of: switchSM) == LID(1))
    }

    @Test func theSMPortKeepsItsCurrentLIDFirst() throws {
        var fabric = try smallFabric("fat-tree-2")
        let sm = fabric.port1("host-9")
        let other = fabric.port1("host-0")  // lower GUID than host-9
        fabric.setLID(12, sm)
        fabric.setLID(12, other)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(smPort: sm))
        #expect(lids.lid(of: sm) == LID(12))
        #expect(lids.lid(of: other) != LID(12))
        #expect(lids.problems.count == 1 && lids.problems[0].contains("\"host-0\"[1]: current LID 12 is taken by \"host-9\"[1]"))
    }

    @Test func validCurrentLIDsAreKept() throws {
        var fabric = try smallFabric("torus-2d")
        fabric.setLID(300, fabric.port1("host-3"))
        fabric.setLID(2, fabric.port0("sw-1-1"))
        fabric.setLID(17, fabric.port1("host-0"))
        for lmc in [UInt8(0), 1] {
            let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc))
            #expect(lids.lid(of: fabric.port1("host-3")) == LID(300))
            #expect(lids.lid(of: fabric.port0("sw-1-1")) == LID(2))
            // 17 is odd: kept with LMC 0, replaced with LMC 1.
            #expect((lids.lid(of: fabric.port1("host-0")) == LID(17)) == (lmc == 0))
            #expect(assignmentIssues(fabric, lids, lmc: lmc) == [])
            #expect(lids.maxLID == LID(300 + (1 << lmc) - 1))
        }
        // keepCurrentLIDs false: everything fresh, compact.
        let fresh = try assignLIDs(fabric, options: LIDAssignmentOptions(keepCurrentLIDs: false))
        #expect(fresh.maxLID.rawValue == UInt16(fresh.endports.count))
    }

    @Test func invalidCurrentLIDsAreReplaced() throws {
        var fabric = try smallFabric("fat-tree-2")
        for index in fabric.switches { fabric.setSwitchInfo(index, cap: 1024) }  // limit 1023
        fabric.setLID(5, fabric.port1("host-1"))  // unaligned for LMC 1
        fabric.setLID(2000, fabric.port1("host-2"))  // above the limit
        fabric.setLID(0xC001, fabric.port1("host-3"))  // multicast
        fabric.setLID(0xFFFF, fabric.port0("leaf-3"))  // permissive
        fabric.setLID(1022, fabric.port1("host-4"))  // 1022-1023: fits
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1))
        #expect(assignmentIssues(fabric, lids, lmc: 1) == [])
        #expect(lids.lid(of: fabric.port1("host-4")) == LID(1022))
        for name in ["host-1", "host-2", "host-3"] {
            #expect(![LID(5), LID(2000), LID(0xC001)].contains(lids.lid(of: fabric.port1(name))!))
        }
        #expect(lids.limit == LID(1023))
        #expect(lids.problems.count == 4)
        #expect(lids.problems.contains { $0.hasPrefix("\"host-1\"[1]: current LID 5 is not a multiple of 2") })
        #expect(lids.problems.contains { $0.hasPrefix("\"host-2\"[1]: current LIDs 2000-2001 exceed the limit 1023") })
        #expect(lids.problems.contains { $0.hasPrefix("\"host-3\"[1]: current LID 49153 is not unicast") })
        #expect(lids.problems.contains { $0.hasPrefix("\"leaf-3\"[0]: current LID 65535 is not unicast") })
        #expect(lids.problems.allSatisfy { !$0.contains("\n") })
    }

    @Test func clashingCurrentLIDsGoToTheLowerGUID() throws {
        var fabric = try smallFabric("fat-tree-2")
        // host-4 (GUID 0x100009) and leaf-2 (switch GUID 0x200002) and host-30 all claim LID 40.
        for address in [fabric.port1("host-30"), fabric.port0("leaf-2"), fabric.port1("host-4")] { fabric.setLID(40, address) }
        // Whatever the node order, host-4 (the lowest GUID) keeps it.
        for order in [Array(fabric.nodes.indices), Array(fabric.nodes.indices.reversed()), fabric.nodes.indices.sorted { ($0 * 7) % 11 < ($1 * 7) % 11 }] {
            let shuffled = fabric.renumbered(order)
            let lids = try assignLIDs(shuffled, options: LIDAssignmentOptions())
            #expect(lids.owner(of: LID(40)).map { shuffled[$0.node].description } == "host-4")
            #expect(assignmentIssues(shuffled, lids, lmc: 0) == [])
            #expect(lids.problems.sorted() == [
                "\"host-30\"[1]: current LID 40 is taken by \"host-4\"[1], reassigned",
                "\"leaf-2\"[0]: current LID 40 is taken by \"host-4\"[1], reassigned",
            ])
            #expect(lids.table == (try assignLIDs(fabric, options: LIDAssignmentOptions())).table)
        }
    }

    @Test func persistedEntriesAreHonoured() throws {
        var fabric = try smallFabric("fat-tree-2")
        let guid = { (address: PortAddress) in fabric[address]!.guid }
        var persisted = GUID2LIDTable()
        persisted[guid(fabric.port1("host-2"))] = LIDRange(first: LID(50), last: LID(51))
        persisted[guid(fabric.port0("spine-1"))] = LIDRange(first: LID(61), last: LID(61))
        persisted[guid(fabric.port1("host-5"))] = LIDRange(first: LID(70), last: LID(71))  // current LID wins
        persisted[guid(fabric.port1("host-6"))] = LIDRange(first: LID(80), last: LID(81))  // clashes with host-7's current
        persisted[guid(fabric.port1("host-8"))] = LIDRange(first: LID(90), last: LID(90))  // one LID, LMC 1 now: 90-91
        persisted[GUID(0xdead_beef)] = LIDRange(first: LID(2), last: LID(3))  // a port not in the fabric
        fabric.setLID(20, fabric.port1("host-5"))
        fabric.setLID(80, fabric.port1("host-7"))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1, persisted: persisted))
        #expect(assignmentIssues(fabric, lids, lmc: 1) == [])
        #expect(lids.lid(of: fabric.port1("host-2")) == LID(50))
        #expect(lids.lid(of: fabric.port0("spine-1")) == LID(61))
        #expect(lids.lid(of: fabric.port1("host-5")) == LID(20))
        #expect(lids.lid(of: fabric.port1("host-7")) == LID(80))
        #expect(lids.lid(of: fabric.port1("host-6")) != LID(80))
        #expect(lids.lids(of: fabric.port1("host-8")) == [LID(90), LID(91)])
        #expect(lids.problems == ["\"host-6\"[1]: persisted LID 80 is taken by \"host-7\"[1], not used"])
        // The absent port's LIDs 2-3 stay free while others are, and stay in the table.
        #expect(lids.owner(of: LID(2)) == nil && lids.owner(of: LID(3)) == nil)
        #expect(lids.table[GUID(0xdead_beef)] == LIDRange(first: LID(2), last: LID(3)))
        // Feeding the table back gives the same LIDs, even with the fabric's LIDs gone.
        var cleared = fabric
        cleared.setLID(0, fabric.port1("host-5"))
        cleared.setLID(0, fabric.port1("host-7"))
        let again = try assignLIDs(cleared, options: LIDAssignmentOptions(lmc: 1, persisted: lids.table))
        #expect(again.endports == lids.endports)
        #expect(again.problems == [])
    }

    @Test func rememberedLIDsAreReusedOnlyWhenNothingElseIsLeft() throws {
        var fabric = try smallFabric("fat-tree-2")  // 12 switches + 32 hosts = 44 LIDs
        for index in fabric.switches { fabric.setSwitchInfo(index, cap: 46) }  // LIDs 1...45
        var persisted = GUID2LIDTable()
        for i in 0..<4 { persisted[GUID(0xabc0 + UInt64(i))] = LIDRange(first: LID(UInt16(10 + i)), last: LID(UInt16(10 + i))) }
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(persisted: persisted))
        #expect(assignmentIssues(fabric, lids, lmc: 0) == [])
        // 41 free LIDs besides 10-13: three of those four are reused, noted, and dropped from the table.
        #expect(lids.problems.count == 3 && lids.problems.allSatisfy { $0.contains("persisted for a port not in the fabric, reused") })
        #expect(lids.table.count == 44 + 1)
        #expect(lids.table[GUID(0xabc3)] == LIDRange(first: LID(13), last: LID(13)))
    }

    @Test func runningOutOfLIDsIsAnError() throws {
        var fabric = try smallFabric("fat-tree-2")
        fabric.setSwitchInfo(fabric.named("spine-3"), cap: 44)  // LIDs 1...43 for 44 endports
        #expect(throws: LIDAssignmentError.self) { try assignLIDs(fabric, options: LIDAssignmentOptions()) }
        do {
            _ = try assignLIDs(fabric, options: LIDAssignmentOptions())
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("out of LIDs: no free block of 1 for "))
            #expect(error.description.contains("at or below LID 43 (44 endports need at least 44 LIDs)"))
        }
        fabric.setSwitchInfo(fabric.named("spine-3"), cap: 45)
        #expect(try assignLIDs(fabric, options: LIDAssignmentOptions()).maxLID == LID(44))
        // LMC 7: 32 hosts x 128 LIDs do not fit under 4096; they do under the default 0xBFFF.
        fabric.setSwitchInfo(fabric.named("spine-3"), cap: 4096)
        #expect(throws: LIDAssignmentError.self) { try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 7)) }
        fabric.setSwitchInfo(fabric.named("spine-3"), cap: 49152)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 7))
        #expect(assignmentIssues(fabric, lids, lmc: 7) == [])
    }

    @Test func badOptionsAreErrors() throws {
        let fabric = try smallFabric("fat-tree-2")
        #expect(throws: LIDAssignmentError.invalidLMC(8)) { try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 8)) }
        let switchPort = PortAddress(node: fabric.named("leaf-0"), port: 3)
        #expect(throws: LIDAssignmentError.smPortNotEndport("\"leaf-0\"[3]")) {
            try assignLIDs(fabric, options: LIDAssignmentOptions(smPort: switchPort))
        }
    }

    @Test func enhancedPort0SwitchesTakeLMCBlocks() throws {
        var fabric = try smallFabric("fat-tree-2")
        fabric.setSwitchInfo(fabric.named("spine-0"), enhancedPort0: true)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 2))
        #expect(lids.lids(of: fabric.port0("spine-0")).count == 4)
        #expect(lids.lids(of: fabric.port0("spine-1")).count == 1)
        #expect(assignmentIssues(fabric, lids, lmc: 2) == [])
    }

    @Test func fabricsWithoutSwitches() throws {
        var builder = FabricBuilderLite()
        let fabric = builder.backToBack()
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1, smPort: PortAddress(node: 1, port: 1)))
        #expect(lids.endports.count == 2)
        #expect(lids.lid(of: PortAddress(node: 1, port: 1)) == LID(2))
        #expect(lids.lid(of: PortAddress(node: 0, port: 1)) == LID(4))
        #expect(lids.limit == LID.maxUnicast)
        #expect(try assignLIDs(Fabric(), options: LIDAssignmentOptions()).endports.isEmpty)
    }

    @Test(arguments: ["lmc0", "lmc2"])
    func observedLIDsMatchWhatOpenSMPersisted(variant: String) throws {
        let fabric = try TopologyFile.parse(fixture("opensm-\(variant).ibnetdiscover"), source: "fixture")
        let persisted = try GUID2LIDTable.parse(fixture("opensm-\(variant).guid2lid"), source: "fixture").table
        // The CA lines carry "lid N lmc M": the ports' own LMC gives the ranges.
        let observed = LIDAssignment(observedIn: fabric)
        #expect(observed.problems == [])
        #expect(observed.table == persisted)
        #expect(LIDAssignment(observedIn: fabric, lmc: variant == "lmc0" ? 0 : 2).table == persisted)
        // Assigning with that table (or with the fabric's own LIDs) changes nothing.
        let lmc: UInt8 = variant == "lmc0" ? 0 : 2
        #expect(try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc)).table == persisted)
        #expect(try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc, persisted: persisted, keepCurrentLIDs: false)).table == persisted)
    }
}

/// Two hosts cabled back to back, no switch.
struct FabricBuilderLite {
    mutating func backToBack() -> Fabric {
        var fabric = Fabric()
        for (i, name) in ["a", "b"].enumerated() {
            var node = FabricNode(type: .channelAdapter, guid: GUID(0x100000 + UInt64(i) * 2), description: name, portCount: 2)
            for p in 1...2 { node.ports[p] = FabricPort(number: PortNumber(UInt8(p)), guid: GUID(0x100000 + UInt64(i) * 2 + UInt64(p))) }
            _ = try! fabric.add(node)
        }
        try! fabric.connect(PortAddress(node: 0, port: 1), PortAddress(node: 1, port: 1))
        return fabric
    }
}
