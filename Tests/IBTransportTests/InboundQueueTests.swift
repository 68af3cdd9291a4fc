import IBTransport
import IBWire
import Testing

@Suite struct InboundQueueTests {
    /// A 256-byte SA Get whose transaction ID is `number`, from LID `number`.
    func mad(_ number: UInt16) throws -> InboundMAD {
        var bytes = [UInt8](repeating: 0, count: SMP.madSize)
        bytes[0] = 1
        bytes[1] = 0x03
        bytes[2] = 2
        bytes[3] = 0x01
        bytes[14] = UInt8(number >> 8)
        bytes[15] = UInt8(number & 0xFF)
        return try InboundMAD(bytes: bytes, source: MADAddress(lid: LID(number)))
    }

    @Test func madsComeOutInOrderAndNilOnceFinishedAndEmpty() async throws {
        let queue = InboundQueue()
        for number: UInt16 in 1...5 { queue.yield(try mad(number)) }
        queue.finish()
        queue.yield(try mad(6))  // after finish: dropped
        var seen: [UInt16] = []
        for await arrived in queue { seen.append(arrived.source.lid.rawValue) }
        #expect(seen == [1, 2, 3, 4, 5])
    }

    @Test func pastTheLimitTheOldestIsDropped() async throws {
        let queue = InboundQueue(limit: 3)
        for number: UInt16 in 1...5 { queue.yield(try mad(number)) }
        queue.finish()
        var seen: [UInt16] = []
        for await arrived in queue { seen.append(arrived.source.lid.rawValue) }
        #expect(seen == [3, 4, 5])
        #expect(queue.dropped == 2)
    }

    @Test func aWaitingConsumerIsWokenByYieldAndByFinish() async throws {
        let queue = InboundQueue()
        let consumer = Task { () -> [UInt16] in
            var seen: [UInt16] = []
            for await arrived in queue { seen.append(arrived.source.lid.rawValue) }
            return seen
        }
        // Let the consumer suspend on the empty queue first, then feed it from another task.
        try await Task.sleep(for: .milliseconds(20))
        for number: UInt16 in 1...100 { queue.yield(try mad(number)) }
        try await Task.sleep(for: .milliseconds(20))
        queue.finish()
        #expect(await consumer.value == Array(1...100))
    }

    @Test func aTransportWithoutAnInboundSideHandsOutAFinishedQueue() async {
        var iterator = InboundQueue.finished().makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }
}
