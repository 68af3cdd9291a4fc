import IBTransport
import IBWire
import Logging
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
}
