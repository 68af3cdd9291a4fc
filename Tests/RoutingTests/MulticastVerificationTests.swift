import FabricModel
import IBWire
import Routing
import Testing
import TestSupport

/// `verifyMulticast` on a ring of three switches, each with one host: s1[1]-s2[1], s2[2]-s3[1], s3[2]-s1[2],
/// host hN on sN[3].
@Suite struct MulticastVerificationTests {
    let fabric: Fabric
    let index: (String) -> Int

    init() {
        var builder = FabricBuilder()
        for name in ["s1", "s2", "s3"] { _ = builder.addSwitch(name, ports: 4) }
        for name in ["h1", "h2", "h3"] { _ = builder.addCA(name) }
        builder.link("s1", 1, "s2", 1)
        builder.link("s2", 2, "s3", 1)
        builder.link("s3", 2, "s1", 2)
        for n in 1...3 { builder.link("s\(n)", 3, "h\(n)", 1) }
        fabric = builder.fabric
        let built = builder
        index = { built.index($0) }
    }

    /// The tables of one group: switch name -> ports.
    func tables(_ ports: [String: [PortNumber]], mlid: LID = LID(0xC000)) -> [LID: [Int: [PortNumber]]] {
        [mlid: Dictionary(uniqueKeysWithValues: ports.map { (index($0.key), $0.value) })]
    }

    @Test func aTreeReachingEveryMemberPasses() {
        // h1 - s1 - s2 - s3 - h3, and h2 on s2: the ring's third link left out.
        let result = verifyMulticast(fabric, tables: tables(["s1": [1, 3], "s2": [1, 2, 3], "s3": [1, 3]]))
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.groups == 1)
        #expect(result.summary.contains("loop-free"))
    }

    @Test func theWholeRingIsALoop() {
        let result = verifyMulticast(fabric, tables: tables(["s1": [1, 2, 3], "s2": [1, 2, 3], "s3": [1, 2, 3]]))
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.contains("MLID 0xc000: a loop") == true, "\(result.problems)")
    }

    @Test func aLinkSetAtOneEndOnlyIsNamed() {
        // s2 forwards to s3, but s3 does not forward back over that link: h3 never reaches h1 or h2.
        let result = verifyMulticast(fabric, tables: tables(["s1": [1, 3], "s2": [1, 2, 3], "s3": [3]]))
        #expect(result.problems.contains { $0.contains("\"s2\"[2] - \"s3\"[1] is set at one end only") }, "\(result.problems)")
        #expect(result.problems.contains { $0.contains("2 pieces") }, "\(result.problems)")
    }

    @Test func membersCutOffFromOneAnotherAreNamed() {
        // Each switch forwards only to its own host: three members, no tree between them.
        let result = verifyMulticast(fabric, tables: tables(["s1": [3], "s2": [3], "s3": [3]]))
        #expect(result.problems == ["MLID 0xc000: its members are in 3 pieces that do not reach one another: \"h1\"[1] | \"h2\"[1] | \"h3\"[1]"])
    }

    @Test func aSwitchPortZeroIsAMemberAndOneMemberNeedsNoLink() {
        #expect(verifyMulticast(fabric, tables: tables(["s2": [0]])).problems.isEmpty)
        #expect(verifyMulticast(fabric, tables: tables(["s2": [0, 3]])).problems.isEmpty)
    }

    @Test func aGroupWithoutMembersAndAPortWithoutALinkAreFaults() {
        let stale = verifyMulticast(fabric, tables: tables(["s1": [1], "s2": [1]]))
        #expect(stale.problems == ["MLID 0xc000: forwarded by 2 switch(es) but no member is left"])
        let unlinked = verifyMulticast(fabric, tables: tables(["s1": [3, 4]]))
        #expect(unlinked.problems == ["MLID 0xc000: \"s1\"[4] forwards out of a port with no link"])
    }

    @Test func groupsAreJudgedApart() {
        var both = tables(["s1": [1, 3], "s2": [1, 3]])
        both.merge(tables(["s1": [1, 2, 3], "s2": [1, 2, 3], "s3": [1, 2, 3]], mlid: LID(0xC001))) { $1 }
        let result = verifyMulticast(fabric, tables: both)
        #expect(result.groups == 2)
        #expect(result.problems.count == 1 && result.problems[0].hasPrefix("MLID 0xc001: a loop"), "\(result.problems)")
        #expect(verifyMulticast(fabric, tables: [:]).summary == "no multicast group is forwarded")
    }
}
