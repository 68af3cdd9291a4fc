import FabricModel
import FabricSimulator
import Foundation
import IBTransport
import IBWire
import SubnetManager
import Testing
import TestSupport

/// Hosts on the simulator asking SwiftSM's SA as Linux does: IPoIB brings its interfaces up (carrier),
/// RDMA-CM resolves routes, GetTable answers travel by RMPP, and after a failover the hosts join again.
@Suite(.serialized) struct SimulatedHostsTests {
    typealias SM = DaemonSubnetAdministrationTests.SMWithSA

    /// Small fabrics of every generated kind.
    static func smallFabric(_ kind: FabricKind) throws -> Fabric {
        let options: GeneratorOptions = switch kind {
        case .fatTree2, .fatTree3, .dualRail: GeneratorOptions(radix: 4)
        case .torus2D, .mesh2D: GeneratorOptions(dimensions: [3, 3])
        case .torus3D, .mesh3D: GeneratorOptions(dimensions: [2, 2, 2])
        case .dragonfly: GeneratorOptions(routersPerGroup: 2, globalLinksPerRouter: 1)
        case .random: GeneratorOptions(switches: 6, hosts: 8)
        }
        return try generateFabric(kind, options: options)
    }

    /// Every linked CA port (a dual-rail host has two).
    static func hostPorts(_ model: Fabric) -> [PortAddress] {
        model.channelAdapters.flatMap { node in
            model[node].knownPorts.filter { $0.remote != nil }.map { PortAddress(node: node, port: $0.number) }
        }
    }

    /// Waits until every group member's multicast reaches each other member exactly once, without a switch
    /// seeing a packet twice; returns the senders whose packets do not (empty: every tree is right).
    static func treesReachEveryMember(_ fabric: SimulatedFabric, groups: [LID: [PortAddress]], seconds: Double = 90) async -> [String] {
        var failures: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            failures = []
            for (mlid, members) in groups {
                for sender in members {
                    let delivery = fabric.sendMulticast(from: sender, to: mlid)
                    if !delivery.reachesExactlyOnce(members, sender: sender) {
                        failures.append("MLID \(mlid) from node \(sender.node): \(delivery.receivers.count) of \(members.count - 1) reached, twice at \(delivery.switchesReachedTwice.sorted())")
                    }
                }
            }
            if failures.isEmpty { return [] }
            try? await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return failures
    }

    @Test(arguments: FabricKind.allCases)
    func ipoibGetsCarrierOnEveryHost(_ kind: FabricKind) async throws {
        let model = try Self.smallFabric(kind)
        let ports = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model)
        let sm = SM(fabric, at: ports[0], priority: 5)
        #expect(await sm.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        #expect(await DaemonSubnetAdministrationTests.eventually { sm.daemon.subnetAdministration.sa.snapshot != nil })
        let clients = ports.map { SimulatedSAClient(fabric: fabric, port: $0) }
        var broadcast: [LID: [PortAddress]] = [:]
        await withTaskGroup(of: (PortAddress, Result<MCMemberRecord, IPoIBInterface.NoCarrier>).self) { group in
            for client in clients {
                group.addTask {
                    do throws(IPoIBInterface.NoCarrier) { return (client.port, .success(try await IPoIBInterface(client).bringUp())) } catch { return (client.port, .failure(error)) }
                }
            }
            for await (port, result) in group {
                switch result {
                case .success(let record):
                    #expect(record.mgid == IPoIBInterface.broadcastMGID(pKey: .defaultFull) && record.qKey == 0x0B1B)
                    broadcast[record.mlid, default: []].append(port)
                case .failure(let reason):
                    Issue.record("\(kind.rawValue): \(model[port.node].description) port \(port.port) has no carrier: \(reason)")
                }
            }
        }
        // One broadcast group, every host in it, and its tree reaches all of them from each.
        #expect(broadcast.count == 1 && broadcast.values.first?.count == ports.count)
        #expect(await Self.treesReachEveryMember(fabric, groups: broadcast) == [])

        // IPoIB's unicast path and RDMA-CM's route between two hosts far apart: the destination's LID.
        let (first, last) = (clients[0], clients[clients.count - 1])
        let lastGID = try #require(last.portGID)
        let ipoibPath = try #require(await IPoIBInterface(first).path(to: lastGID))
        let route = try #require(await RDMACMResolver(first).resolveRoute(to: lastGID))
        for answer in [ipoibPath, route] {
            #expect(answer.status == .ok)
            let record = answer.record(PathRecord.self)
            #expect(record.dlid == fabric.portInfo(last.port)?.lid && record.slid == fabric.portInfo(first.port)?.lid)
            #expect(record.pKey.base == 0x7FFF && record.reversible)
        }
        #expect(clients.allSatisfy { $0.statistics.busy == 0 })
        for client in clients { await client.close() }
        await sm.kill()
    }

    @Test func noCarrierWithoutTheInterfacesPKeyOrAnActivePort() async throws {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let ports = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model)
        // Before any SM: ports are not ACTIVE.
        let early = SimulatedSAClient(fabric: fabric, port: ports[1])
        await #expect(throws: IPoIBInterface.NoCarrier.portNotActive) { _ = try await IPoIBInterface(early).bringUp() }
        let sm = SM(fabric, at: ports[0], priority: 5)
        #expect(await sm.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        // A child interface of partition 0x0002, which the default partitions.conf does not give the port.
        await #expect(throws: IPoIBInterface.NoCarrier.pKeyNotInTable(PKey(0x8002))) {
            _ = try await IPoIBInterface(early, pKey: PKey(0x0002)).bringUp()
        }
        _ = try await IPoIBInterface(early).bringUp()
        await early.close()
        await sm.kill()
    }

    @Test func getTableAnswersOfHundredsOfRecordsTravelByRMPPIntact() async throws {
        // 128 hosts and 24 switches.
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 16))
        let ports = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model)
        let sm = SM(fabric, at: ports[0], priority: 5)
        #expect(await sm.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        #expect(await DaemonSubnetAdministrationTests.eventually { sm.daemon.subnetAdministration.sa.snapshot != nil })
        let client = SimulatedSAClient(fabric: fabric, port: ports[77], timeout: .seconds(10))

        // Every NodeRecord (86 segments: more than one window of 64): one per node, each equal to the
        // single-MAD Get of its LID.
        let nodes = try #require(await client.ask(.getTable, .nodeRecord))
        #expect(nodes.status == .ok)
        let records = nodes.records(NodeRecord.self)
        #expect(records.count >= model.nodes.count && Set(records.map(\.nodeInfo.nodeGUID)) == Set(model.nodes.map(\.guid)))
        for record in records {
            var byLID = NodeRecord()
            byLID.lid = record.lid
            let single = try #require(await client.ask(.get, .nodeRecord, mask: 1, record: byLID.bytes))
            #expect(single.status == .ok && single.record(NodeRecord.self).bytes == record.bytes)
        }

        // Every PathRecord from this host: one to each endport (128 hosts and 24 switches), each the same as
        // the single PathRecord Get between the two LIDs.
        let paths = try #require(await client.ask(.getTable, .pathRecord))
        #expect(paths.status == .ok)
        let pathRecords = paths.records(PathRecord.self)
        #expect(pathRecords.count == ports.count + model.switches.count)
        #expect(Set(pathRecords.map(\.dlid)).count == pathRecords.count)
        for record in pathRecords.prefix(40) {
            var query = PathRecord()
            query.slid = record.slid
            query.dlid = record.dlid
            let single = try #require(await client.ask(.get, .pathRecord, mask: PathRecordComponent.slid | PathRecordComponent.dlid, record: query.bytes))
            #expect(single.record(PathRecord.self).bytes == record.bytes)
        }
        let counters = fabric.inboundCounters
        let segments = (records.count * 112 + 199) / 200 + (pathRecords.count * 64 + 199) / 200
        #expect(counters.segmentsReceived >= segments && counters.segmentsIgnored == 0 && counters.acknowledgementsSent >= 4)
        #expect(sm.daemon.subnetAdministration.sa.openTransfers == 0, "every transfer was acknowledged to its end")
        await client.close()
        await sm.kill()
    }

    @Test func afterFailoverTheHostsJoinAgainAndEveryGroupHasItsTree() async throws {
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 6))
        let ports = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model)
        for port in ports { fabric.setCapabilityMask(port) { $0 |= 1 << 25 } }
        let first = SM(fabric, at: ports[0], priority: 5)
        #expect(await first.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        let second = SM(fabric, at: ports[3], priority: 1)
        #expect(await second.wait { $0.own.state == .standby })

        let hosts = ports.map { IPoIBHost(SimulatedSAClient(fabric: fabric, port: $0)) }
        // Every host brings IPoIB up; even hosts also join the IPv6 all-nodes group, as IPoIB does.
        let before = await IPoIBHost.joinAll(hosts)
        #expect(before.failures == [])
        #expect(before.groups.count == 2 && before.groups.values.map(\.count).sorted() == [(ports.count + 1) / 2, ports.count])
        #expect(await Self.treesReachEveryMember(fabric, groups: before.groups) == [])
        for port in ports { fabric.acknowledgeClientReregistration(port) }

        // The master dies; the standby takes over, asks every host to register again, and they join again.
        await first.kill()
        #expect(await second.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        #expect(await DaemonSubnetAdministrationTests.eventually { ports.allSatisfy { fabric.portInfo($0)?.clientReregister == true } })
        let after = await IPoIBHost.joinAll(hosts, onlyIfAsked: true)
        #expect(after.failures == [])
        #expect(after.groups.values.map(\.count).sorted() == [(ports.count + 1) / 2, ports.count])
        #expect(second.daemon.subnetAdministration.sa.multicastGroups.count >= 2)
        #expect(await Self.treesReachEveryMember(fabric, groups: after.groups) == [])
        for host in hosts { await host.interface.sa.close() }
        await second.kill()
    }

    @Test func aJoinBurstAfterClientReregistrationIsAnsweredWithoutBusy() async throws {
        // 128 hosts joining at once, each as IPoIB does after ClientReregister.
        let model = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 16))
        let ports = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model)
        for port in ports { fabric.setCapabilityMask(port) { $0 |= 1 << 25 } }
        let sm = SM(fabric, at: ports[0], priority: 5)
        #expect(await sm.wait(until: DaemonSubnetAdministrationTests.upAsMaster))
        #expect(await DaemonSubnetAdministrationTests.eventually { ports.allSatisfy { fabric.portInfo($0)?.clientReregister == true } })
        let hosts = ports.map { IPoIBHost(SimulatedSAClient(fabric: fabric, port: $0, attempts: 1)) }
        let burst = await IPoIBHost.joinAll(hosts, onlyIfAsked: true)
        #expect(burst.failures == [])
        #expect(hosts.allSatisfy { $0.interface.sa.statistics.busy == 0 && $0.interface.sa.statistics.timeouts == 0 })
        #expect(sm.daemon.subnetAdministration.statistics.busy == 0)
        for host in hosts { await host.interface.sa.close() }
        await sm.kill()
    }

    @Test func switchesKeepMFTsAndPortsPKeyTablesAndALoopShows() async throws {
        // A 3x3 torus: its switch links make rings, so flooding every port loops.
        let model = try generateFabric(.torus2D, options: GeneratorOptions(dimensions: [3, 3]))
        let hosts = Self.hostPorts(model)
        let fabric = try SimulatedFabric(model, attachment: hosts[0])
        let transport = SimulatorTransport(fabric: fabric)
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 16, timeout: .milliseconds(500), retries: 1))
        let report = try await SubnetSweep(client: client, options: SweepOptions()).runOnce()
        let discovered = report.discovery.fabric
        let mlid = LID(0xC000)
        for node in discovered.switches {
            var masks = [UInt16](repeating: 0, count: 32)
            for port in discovered[node].knownPorts where port.remote != nil { masks[0] |= 1 << UInt16(port.number.rawValue) }
            _ = try await client.set(MulticastForwardingTableBlock(portMasks: masks), modifier: 0, route: report.discovery.routes[node],
                                     node: discovered[node].guid)
            let read = try await client.get(MulticastForwardingTableBlock.self, modifier: 0, route: report.discovery.routes[node], node: discovered[node].guid)
            #expect(read.portMasks == masks)
        }
        let flood = fabric.sendMulticast(from: hosts[0], to: mlid)
        #expect(!flood.switchesReachedTwice.isEmpty && !flood.reachesExactlyOnce(hosts, sender: hosts[0]))
        #expect(hosts.dropFirst().allSatisfy { (flood.receivers[$0] ?? 0) >= 1 })
        // Past MulticastFDBCap (1024 MLIDs: 32 blocks), a block is refused.
        await #expect(throws: (any Error).self) {
            _ = try await client.get(MulticastForwardingTableBlock.self, modifier: 32, route: report.discovery.routes[discovered.switches[0]],
                                     node: discovered[discovered.switches[0]].guid)
        }

        // A host port's P_Key table: a fresh port holds 0xFFFF; a Set is kept; past PartitionCap, refused.
        let hostNode = try #require(discovered.channelAdapters.first { discovered[$0].guid == model[hosts[4].node].guid })
        let hostPort = try #require(discovered[hostNode].knownPorts.first { $0.remote != nil })
        let route = discovered.route(toPort: PortAddress(node: hostNode, port: hostPort.number), nodeRoutes: report.discovery.routes)
        #expect(fabric.pKeys(hosts[4]) == [PKey.defaultFull])
        _ = try await client.set(PKeyTableBlock(keys: [PKey(0xFFFF), PKey(0x8002), PKey(0x0003)]), modifier: 0, route: route, node: discovered[hostNode].guid)
        #expect(fabric.pKeys(hosts[4]) == [PKey(0xFFFF), PKey(0x8002), PKey(0x0003)])
        await #expect(throws: (any Error).self) {
            _ = try await client.set(PKeyTableBlock(keys: [PKey(0x8004)]), modifier: 2, route: route, node: discovered[hostNode].guid)
        }
        await transport.close()
    }
}
