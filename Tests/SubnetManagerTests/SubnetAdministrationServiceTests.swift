import FabricModel
import IBTransport
import IBWire
import Logging
import Routing
import SubnetAdministration
@testable import SubnetManager
import Synchronization
import Testing

/// The SA's queue in the daemon, alone: BUSY when it is full, replies addressed to the requester.
@Suite struct SubnetAdministrationServiceTests {
    /// A transport that keeps what is posted.
    final class PostBox: MADTransport {
        let posted = Mutex<[(mad: [UInt8], length: Int, address: MADAddress)]>([])
        nonisolated(nonsending) func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP { throw .timeout }
        func close() async {}
        nonisolated(nonsending) func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError) {
            posted.withLock { $0.append((mad, mad.count, address)) }
        }
        nonisolated(nonsending) func post(_ mad: [UInt8], length: Int, to address: MADAddress) async throws(TransportError) {
            posted.withLock { $0.append((mad, length, address)) }
        }
    }

    static func request(_ transactionID: UInt64, from lid: UInt16 = 7) throws -> InboundMAD {
        let mad = SAMAD(method: .get, attribute: .classPortInfo, transactionID: transactionID).encoded()
        return try InboundMAD(bytes: mad, source: MADAddress(lid: LID(lid), queuePair: 5, qKey: 0x8001_0000, serviceLevel: 2, pKeyIndex: 3))
    }

    @Test func aFullQueueAnswersBusyAtOnceToTheRequestersQueuePair() async throws {
        let box = PostBox()
        let service = SubnetAdministrationService(transport: box, queueLimit: 2, logger: Logger(label: "test"))
        for id in 1...3 { await service.accept(try Self.request(UInt64(id)), master: true) }
        // Two wait in the queue (nobody serves it here); the third was answered BUSY.
        let posted = box.posted.withLock { $0 }
        #expect(posted.count == 1 && service.statistics.busy == 1)
        let busy = try SAMAD(decoding: posted[0].mad)
        #expect(busy.status == .busy && busy.transactionID == 3 && busy.method == .getResponse)
        #expect(posted[0].address == MADAddress(lid: LID(7), queuePair: 5, qKey: 0x8001_0000, serviceLevel: 2, pKeyIndex: 3))
        // Not MASTER: dropped, not answered.
        await service.accept(try Self.request(4), master: false)
        #expect(box.posted.withLock { $0.count } == 1 && service.statistics.droppedNotMaster == 1)
    }

    /// A host that floods gets BUSY beyond its share of the queue; two others querying meanwhile are all answered.
    @Test func aFloodingHostCannotStarveTheOthers() async throws {
        let box = PostBox()
        let service = SubnetAdministrationService(transport: box, queueLimit: 16, requesterLimit: 4, logger: Logger(label: "test"))
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let smPort = PortAddress(node: fabric.channelAdapters[0], port: 1)
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(smPort: smPort))
        service.sa.publish(SASnapshot(fabric: fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids),
                                      sm: SMIdentity(port: smPort, guid: fabric[smPort]!.guid, lid: lids.lid(of: smPort)!)))
        for id in 1...100 { await service.accept(try Self.request(UInt64(id), from: 9), master: true) }
        for id in 101...103 { await service.accept(try Self.request(UInt64(id), from: 7), master: true) }
        for id in 201...203 { await service.accept(try Self.request(UInt64(id), from: 8), master: true) }
        let serving = Task { await service.serve(isMaster: { true }) }
        let deadline = ContinuousClock.now + .seconds(10)
        while service.statistics.requests < 10, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        service.finish()
        await serving.value
        let answers = try box.posted.withLock { $0 }.map { (lid: $0.address.lid.rawValue, mad: try SAMAD(decoding: $0.mad)) }
        for lid: UInt16 in [7, 8] {
            let theirs = answers.filter { $0.lid == lid }
            #expect(theirs.count == 3 && theirs.allSatisfy { $0.mad.status == .ok }, "LID \(lid): \(theirs.map(\.mad.status))")
        }
        let flooder = answers.filter { $0.lid == 9 }
        #expect(flooder.filter { $0.mad.status == .ok }.count == 4 && flooder.filter { $0.mad.status == .busy }.count == 96)
    }

    @Test func servedRequestsGetAnswersAndBadOnesDoNotStopTheService() async throws {
        let box = PostBox()
        let service = SubnetAdministrationService(transport: box, queueLimit: 16, logger: Logger(label: "test"))
        let serving = Task { await service.serve(isMaster: { true }) }
        // Garbage with an SA header, a MAD of another class version, then a good request.
        var garbage = SAMAD(method: .get, attribute: .pathRecord, transactionID: 1).encoded()
        for index in 24..<256 { garbage[index] = UInt8(truncatingIfNeeded: index &* 37) }
        await service.accept(try InboundMAD(bytes: garbage, source: MADAddress(lid: LID(7), queuePair: 1)), master: true)
        await service.accept(try InboundMAD(bytes: SAMAD(method: .get, attribute: .classPortInfo, transactionID: 2, classVersion: 9).encoded(),
                                            source: MADAddress(lid: LID(7), queuePair: 1)), master: true)
        await service.accept(try Self.request(3), master: true)
        let deadline = ContinuousClock.now + .seconds(10)
        while service.statistics.requests < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        service.finish()
        await serving.value
        // No snapshot was published: the SA answers BUSY (a good request) or an SA status, never crashes.
        let answers = try box.posted.withLock { $0 }.map { try SAMAD(decoding: $0.mad) }
        #expect(service.statistics.requests == 3)
        #expect(answers.contains { $0.transactionID == 3 && $0.status == .busy })
        #expect(answers.allSatisfy { $0.method.isResponse })
    }

    @Test func requestsAreCountedByAttributeMethodAndStatusBusyIncluded() async throws {
        let box = PostBox()
        let service = SubnetAdministrationService(transport: box, queueLimit: 3, logger: Logger(label: "test"))
        // A published snapshot of a small fat tree, SM at its first host.
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
        let hosts = fabric.channelAdapters.map { PortAddress(node: $0, port: 1) }
        let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(smPort: hosts[0]))
        let sm = SMIdentity(port: hosts[0], guid: fabric[hosts[0]]!.guid, lid: lids.lid(of: hosts[0])!)
        service.sa.publish(SASnapshot(fabric: fabric, lids: lids, tables: computeMinHopRoutes(fabric, lids: lids), sm: sm))
        func path(_ id: UInt64, to destination: PortAddress) throws -> InboundMAD {
            var record = PathRecord()
            record.sgid = GID(port: fabric[hosts[1]]!.guid)
            record.dgid = GID(port: fabric[destination]!.guid)
            record.numbPath = 1
            let mad = SAMAD(method: .get, attribute: .pathRecord, transactionID: id,
                            componentMask: PathRecordComponent.sgid | PathRecordComponent.dgid | PathRecordComponent.numbPath, data: record.bytes)
            return try InboundMAD(bytes: mad.encoded(), source: MADAddress(lid: lids.lid(of: hosts[1])!, queuePair: 1))
        }
        // Queued before anyone serves: three fit, the fourth and fifth are answered BUSY at once.
        try await service.accept(path(1, to: hosts[2]), master: true)
        try await service.accept(path(2, to: hosts[3]), master: true)
        // To a GID no port has.
        var lost = PathRecord()
        lost.sgid = GID(port: fabric[hosts[1]]!.guid)
        lost.dgid = GID(port: GUID(0xDEAD_BEEF))
        lost.numbPath = 1
        try await service.accept(InboundMAD(bytes: SAMAD(method: .get, attribute: .pathRecord, transactionID: 3,
                                                         componentMask: PathRecordComponent.sgid | PathRecordComponent.dgid | PathRecordComponent.numbPath,
                                                         data: lost.bytes).encoded(),
                                            source: MADAddress(lid: lids.lid(of: hosts[1])!, queuePair: 1)), master: true)
        try await service.accept(Self.request(4), master: true)
        try await service.accept(path(5, to: hosts[5]), master: true)
        let serving = Task { await service.serve(isMaster: { true }) }
        let deadline = ContinuousClock.now + .seconds(10)
        while service.statistics.requests < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        // Served now: one ClassPortInfo.
        try await service.accept(Self.request(6), master: true)
        while service.statistics.requests < 4, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        service.finish()
        await serving.value

        let answers = service.statistics.answers
        let pathGet = { (status: MADStatus) in SAAnswerKind(attribute: .pathRecord, method: .get, status: status) }
        #expect(answers[pathGet(.ok)] == 2, "\(answers)")
        #expect(answers[pathGet(.busy)] == 1, "\(answers)")
        #expect(answers[SAAnswerKind(attribute: .classPortInfo, method: .get, status: .busy)] == 1, "\(answers)")
        #expect(answers[SAAnswerKind(attribute: .classPortInfo, method: .get, status: .ok)] == 1, "\(answers)")
        // The unknown destination: an error status, counted under it (not as success).
        let failed = answers.filter { $0.key.attribute == .pathRecord && $0.key.status != .ok && $0.key.status != .busy }
        #expect(failed.values.reduce(0, +) == 1 && failed.keys.allSatisfy { $0.status != nil }, "\(answers)")
        #expect(answers.values.reduce(0, +) == 6 && service.statistics.busy == 2)
        #expect(MADStatus.saNoRecords.saName == "no-records" && MADStatus.busy.saName == "busy" && MADStatus(rawValue: 0x7f00).saName == "status-0x7f00")
    }

    @Test func requestsOfEveryAttributeThereIsDoNotGrowTheCountersWithoutBound() async throws {
        let box = PostBox()
        let service = SubnetAdministrationService(transport: box, queueLimit: 4096, logger: Logger(label: "test"))
        let serving = Task { await service.serve(isMaster: { true }) }
        let sent = SAServiceCounters.kindLimit + 100
        for attribute in 0..<sent {
            let mad = SAMAD(method: .get, attribute: SAAttributeID(rawValue: UInt16(0x1000 + attribute)), transactionID: UInt64(attribute))
            await service.accept(try InboundMAD(bytes: mad.encoded(), source: MADAddress(lid: LID(7), queuePair: 1)), master: true)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while service.statistics.requests < sent, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        service.finish()
        await serving.value
        let answers = service.statistics.answers
        #expect(answers.count == SAServiceCounters.kindLimit + 1 && answers[.other] == 100, "\(answers.count) kinds")
        #expect(answers.values.reduce(0, +) == sent)
    }
}
