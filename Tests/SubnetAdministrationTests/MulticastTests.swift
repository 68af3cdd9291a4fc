import FabricModel
import IBWire
import Routing
import SubnetAdministration
import Testing
import TestSupport

@Suite struct MulticastTests {
    /// A join of `host` to `mgid` with the components IPoIB sends.
    private func join(_ h: SAHarness, _ host: String, mgid: GID, portOf: String? = nil, qKey: UInt32 = ipoibQKey, pKey: UInt16 = 0xFFFF,
                      joinState: UInt8 = 1, create: Bool = false, trusted: Bool = false, method: SAMethod = .set) -> SAMAD {
        var record = MCMemberRecord()
        record.mgid = mgid
        record.portGID = h.gid(portOf ?? host)
        record.joinState = joinState
        var mask = MCMemberComponent.mgid | MCMemberComponent.portGID | MCMemberComponent.joinState
        if create {
            record.qKey = qKey
            record.pKey = PKey(pKey)
            mask |= MCMemberComponent.qKey | MCMemberComponent.pKey | MCMemberComponent.sl | MCMemberComponent.flowLabel | MCMemberComponent.tClass
        }
        return h.ask(method, .mcMemberRecord, mask: mask, data: record.bytes, from: host, trusted: trusted)[0]
    }

    @Test func ipoibBroadcastGroupExistsBeforeAnyHostJoins() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        let groups = h.sa.multicastGroups
        #expect(groups.count == 1)
        let group = try #require(groups.first).record
        #expect(group.mgid == GID(parsing: "ff12:401b:ffff::ffff:ffff"))
        #expect(group.mlid == LID(0xC000) && group.qKey == 0x0B1B && group.pKey == PKey(0xFFFF) && group.sl == 0)
        #expect(group.bytes[38] == 0x84 && group.bytes[42] == 0x83)  // MTU 2048 exactly, 10 Gb/s exactly
        // Visible to a host's query, without members.
        let seen = h.table(MCMemberRecord.self, from: "host-2")
        #expect(seen.records.count == 1 && seen.records[0].mgid == group.mgid && seen.records[0].portGID.isZero)
        // A partition with ipoib and its own parameters gets its group at the next MLID.
        let partitions = try PartitionConfiguration.parse("Default=0x7fff,ipoib:ALL=full; storage=0x8002,ipoib,mtu=5,rate=7,sl=3:ALL=full;", source: "t")
        let h2 = try SAHarness(try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4)), partitions: partitions)
        let second = try #require(h2.sa.multicastGroups.last).record
        #expect(second.mgid == GID(parsing: "ff12:401b:8002::ffff:ffff") && second.mlid == LID(0xC001))
        #expect(second.mtu == 5 && second.rate == 7 && second.sl == 3)
    }

    @Test func hostsJoinAndLeaveOnlyForTheirOwnPortUnlessTrusted() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        let broadcast = ipoibBroadcastMGID(pKey: 0x7FFF)
        let generation = h.sa.multicastGeneration
        let joined = join(h, "host-2", mgid: broadcast)
        #expect(joined.status == .ok && joined.method == .getResponse)
        #expect(h.sa.multicastGeneration == generation + 1)
        #expect(joined.record(MCMemberRecord.self).mlid == LID(0xC000) && joined.record(MCMemberRecord.self).portGID == h.gid("host-2"))
        // For someone else's port: refused, unless trusted.
        #expect(join(h, "host-2", mgid: broadcast, portOf: "host-3").status == .saRequestInvalid)
        #expect(h.sa.multicastGeneration == generation + 1, "a refused join changes nothing")
        #expect(join(h, "host-2", mgid: broadcast, portOf: "host-3", trusted: true).status == .ok)
        // Leaving someone else's membership: refused; own: fine; twice: refused.
        #expect(join(h, "host-2", mgid: broadcast, portOf: "host-3", method: .delete).status == .saRequestInvalid)
        let left = join(h, "host-3", mgid: broadcast, method: .delete)
        #expect(left.status == .ok && left.method == .deleteResponse)
        #expect(join(h, "host-3", mgid: broadcast, method: .delete).status == .saRequestInvalid)
        // The broadcast group stays when empty.
        #expect(join(h, "host-2", mgid: broadcast, method: .delete).status == .ok)
        #expect(h.sa.multicastGroups.count == 1)
        // An untrusted query shows only the requester's own membership.
        _ = join(h, "host-4", mgid: broadcast)
        _ = join(h, "host-5", mgid: broadcast)
        let mine = h.table(MCMemberRecord.self, from: "host-4").records
        #expect(mine.filter { !$0.portGID.isZero }.map(\.portGID) == [h.gid("host-4")])
        #expect(h.table(MCMemberRecord.self, from: "host-4", trusted: true).records.count == 2)
    }

    @Test func createRulesAndStatusCodes() throws {
        let h = try SAHarness(.fatTree2, GeneratorOptions(radix: 4))
        let mgid = try #require(GID(parsing: "ff12:601b:ffff::1"))
        // Joining a group that does not exist without the create components: insufficient.
        #expect(join(h, "host-1", mgid: mgid).status == .saInsufficientComponents)
        // Missing PortGID: insufficient.
        var partial = MCMemberRecord()
        partial.mgid = mgid
        #expect(h.ask(.set, .mcMemberRecord, mask: MCMemberComponent.mgid, data: partial.bytes, from: "host-1")[0].status == .saInsufficientComponents)
        // JoinState 0: invalid. Non-full member cannot create.
        #expect(join(h, "host-1", mgid: mgid, joinState: 0, create: true).status == .saRequestInvalid)
        #expect(join(h, "host-1", mgid: mgid, joinState: 2, create: true).status == .saRequestInvalid)
        // An IPoIB-signature MGID with another Q_Key; a unicast MGID; a P_Key the port is not in.
        #expect(join(h, "host-1", mgid: GID(parsing: "ff12:401b:ffff::1")!, qKey: 0x1234, create: true).status == .saRequestInvalid)
        #expect(join(h, "host-1", mgid: GID(port: GUID(5)), create: true).status == .saInvalidGID)
        #expect(join(h, "host-1", mgid: mgid, pKey: 0x8123, create: true).status == .saRequestInvalid)
        // A proper create gets the next MLID; a second host joins; wrong Q_Key on join: invalid.
        let created = join(h, "host-1", mgid: mgid, qKey: 0x1111, create: true)
        #expect(created.status == .ok && created.record(MCMemberRecord.self).mlid == LID(0xC001))
        #expect(join(h, "host-6", mgid: mgid).status == .ok)
        #expect(join(h, "host-7", mgid: mgid, qKey: 0x2222, create: true).status == .saRequestInvalid)
        // An SA-assigned MGID (zero MGID).
        let assigned = join(h, "host-2", mgid: .zero, qKey: 0x3333, create: true)
        #expect(assigned.status == .ok && assigned.record(MCMemberRecord.self).mgid.isMulticast && assigned.record(MCMemberRecord.self).mlid == LID(0xC002))
        // Last full member leaves: the group and its MLID go.
        #expect(join(h, "host-1", mgid: mgid, method: .delete).status == .ok)
        #expect(join(h, "host-6", mgid: mgid, method: .delete).status == .ok)
        #expect(!h.sa.multicastGroups.contains { $0.mgid == mgid })
        #expect(join(h, "host-1", mgid: GID(parsing: "ff12:601b:ffff::9")!, qKey: 1, create: true).record(MCMemberRecord.self).mlid == LID(0xC001))
    }

    @Test func mlidsStopAtTheSmallestMulticastFDBCap() throws {
        var fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        for index in fabric.switches {
            var node = fabric[index]
            var info = SwitchInfo()
            info.multicastFDBCap = index == fabric.switches.last ? 2 : 1024
            node.switchInfo = info
            fabric[index] = node
        }
        let h = try SAHarness(fabric)
        #expect(join(h, "host-1", mgid: GID(parsing: "ff12:601b:ffff::1")!, qKey: 1, create: true).status == .ok)
        #expect(join(h, "host-1", mgid: GID(parsing: "ff12:601b:ffff::2")!, qKey: 1, create: true).status == .saNoResources)
    }

    @Test func treesReachEveryMemberWithoutLoops() throws {
        let fabrics: [(FabricKind, GeneratorOptions)] = [
            (.fatTree2, GeneratorOptions(radix: 8)), (.torus2D, GeneratorOptions(dimensions: [4, 4])),
            (.random, GeneratorOptions(switches: 12, hosts: 20, seed: 7)), (.dragonfly, GeneratorOptions()),
            (.fatTree3, GeneratorOptions(radix: 4)),
        ]
        for (position, (kind, options)) in fabrics.enumerated() {
            let h = try SAHarness(kind, options)
            let hosts = h.fabric.channelAdapters.map { h.fabric[$0].description }
            let broadcast = ipoibBroadcastMGID(pKey: 0x7FFF)
            let members = hosts.enumerated().filter { ($0.offset * 7 + position) % 3 != 0 }.map(\.element) + [hosts[0]]
            for host in Set(members) { #expect(join(h, host, mgid: broadcast).status == .ok) }
            let program = h.sa.multicastProgram
            try checkTree(h, program: program, mlid: LID(0xC000), members: Set(members).map(h.port), kind: "\(kind)")
            // The root is the switch whose farthest member switch is nearest: in a two-level fat tree with
            // members on many leaves, a spine (every leaf one hop away), not a leaf.
            let root = try #require(program.roots[LID(0xC000)])
            if kind == .fatTree2 { #expect(h.fabric[root].description.hasPrefix("spine")) }
            // With the default engine's unicast routes, the tree adds no credit loop (one graph for both).
            let unicast = route(h.fabric, lids: h.lids, engines: RoutingEngineKind.defaultList).tables
            let trees = program.entries.flatMap { node, groups in groups.values.map { MulticastTreeAtSwitch(node: node, ports: $0.ports) } }
            let loop = findCreditLoop(h.fabric, lids: h.lids, tables: unicast, extraPaths: multicastTreePaths(h.fabric, trees: trees))
            #expect(loop == nil, "\(kind): \(loop?.describe(in: h.fabric) ?? "")")
        }
    }

    /// A "tree" that is a cycle (every ring port of a 4-switch ring) is caught by the same credit-loop check
    /// that passes the ring's unicast routes alone: the check sees what multicast adds.
    @Test func aMulticastCycleIsACreditLoopEvenWhereUnicastHasNone() throws {
        let fabric = try generateFabric(.torus2D, options: GeneratorOptions(hostsPerSwitch: 1, dimensions: [4, 1]))
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions())
        let unicast = route(fabric, lids: lids, engines: RoutingEngineKind.defaultList).tables
        #expect(findCreditLoop(fabric, lids: lids, tables: unicast) == nil)
        let ring = fabric.switches.map { node -> MulticastTreeAtSwitch in
            let toSwitches = fabric[node].knownPorts.filter { port -> Bool in
                guard let far = port.remote else { return false }
                return fabric[far.node].type == NodeType.switch
            }
            return MulticastTreeAtSwitch(node: node, ports: toSwitches.map { $0.number })
        }
        let loop = findCreditLoop(fabric, lids: lids, tables: unicast, extraPaths: multicastTreePaths(fabric, trees: ring))
        #expect(loop != nil)
    }

    @Test func treesAreRebuiltWhenTheTopologyChanges() throws {
        var fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        var h = try SAHarness(fabric)
        let broadcast = ipoibBroadcastMGID(pKey: 0x7FFF)
        for host in ["host-0", "host-3", "host-5", "host-7"] { #expect(join(h, host, mgid: broadcast).status == .ok) }
        let before = h.sa.multicastProgram
        try checkTree(h, program: before, mlid: LID(0xC000), members: ["host-0", "host-3", "host-5", "host-7"].map(h.port), kind: "before")
        // Cut one spine link the tree uses and publish the new fabric: the new tree avoids it.
        let root = try #require(before.roots[LID(0xC000)])
        let used = try #require(fabric[root].knownPorts.first { port in port.remote != nil && before.entries[root]?[LID(0xC000)]?.contains(port.number) == true })
        fabric = fabric.removingLink(at: PortAddress(node: root, port: used.number))
        let sa = h.sa
        h = try SAHarness(fabric)
        sa.publish(h.snapshot)
        let after = sa.multicastProgram
        #expect(after != before)
        try checkTree(h, program: after, mlid: LID(0xC000), members: ["host-0", "host-3", "host-5", "host-7"].map(h.port), kind: "after")
        // A member that leaves the fabric is dropped from the group.
        let gone = fabric.removingLink(at: h.port("host-7"))
        let h3 = try SAHarness(gone)
        let events = sa.publish(h3.snapshot)
        #expect(events == [.gidOutOfService(h.gid("host-7"))])
        #expect(sa.multicastGroups[0].members.count == 3)
    }

    @Test func mftBlocksCarryThePortMasks() throws {
        var program = MulticastProgram()
        program.mlids = [LID(0xC000), LID(0xC021)]
        program.entries = [3: [LID(0xC000): PortSet([1, 2, 17]), LID(0xC021): PortSet([0])]]
        let blocks = program.blocks(switch: 3, portCount: 18)
        // Two blocks of MLIDs (0xC000-0xC01F, 0xC020-0xC03F), two positions (ports 0-15, 16-31).
        #expect(blocks.map(\.modifier) == [0x0000_0000, 0x1000_0000, 0x0000_0001, 0x1000_0001])
        #expect(blocks[0].block.portMasks[0] == 0b110 && blocks[1].block.portMasks[0] == 0b10)
        #expect(blocks[2].block.portMasks[1] == 0b1 && blocks[3].block.portMasks[1] == 0)
        #expect(program.blocks(switch: 9, portCount: 18).allSatisfy { $0.block.portMasks.allSatisfy { $0 == 0 } })
    }

    /// Floods a packet from every member through the MFT entries: each switch is reached at most once
    /// (no loop) and every member port gets it.
    private func checkTree(_ h: SAHarness, program: MulticastProgram, mlid: LID, members: [PortAddress], kind: String) throws {
        for source in members {
            var delivered: Set<PortAddress> = []
            var visited: Set<Int> = []
            var queue: [(node: Int, inPort: PortNumber)] = []
            if h.fabric[source.node].type == .switch {
                queue.append((source.node, .management))
            } else {
                let remote = try #require(h.fabric[source]?.remote)
                queue.append((remote.node, remote.port))
            }
            while let (node, inPort) = queue.popLast() {
                #expect(visited.insert(node).inserted, "\(kind): switch \(node) reached twice: a loop")
                let ports = program.entries[node]?[mlid] ?? PortSet()
                #expect(ports.contains(inPort) || inPort == .management, "\(kind): packet arrives off the tree")
                for port in ports.ports where port != inPort {
                    if port == .management { delivered.insert(PortAddress(node: node, port: .management)); continue }
                    guard let remote = h.fabric[PortAddress(node: node, port: port)]?.remote else {
                        Issue.record("\(kind): MFT port \(port) of switch \(node) is not cabled")
                        continue
                    }
                    if h.fabric[remote.node].type == .switch { queue.append((remote.node, remote.port)) } else { delivered.insert(remote) }
                }
            }
            let expected = Set(members).subtracting([source])
            #expect(expected.isSubset(of: delivered.union([source])), "\(kind): members not reached from \(source)")
            #expect(delivered.subtracting([source]).isSubset(of: Set(members)), "\(kind): non-members get the group's packets")
        }
    }
}

extension Fabric {
    /// The fabric with the cable at `address` removed (both ends forgotten).
    func removingLink(at address: PortAddress) -> Fabric {
        var copy = Fabric()
        var result = self
        guard let remote = self[address]?.remote else { return self }
        for end in [address, remote] {
            var port = result[end]!
            port.remote = nil
            try! result.setPort(port, of: end.node)
        }
        copy = result
        return copy
    }
}
