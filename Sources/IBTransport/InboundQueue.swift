import DequeModule
import Synchronization

/// MADs that arrived unasked, from the thread that receives them to the one task that serves them: what
/// `AsyncStream<InboundMAD>` did, minus its generic code. The standard library's stream is not specialized
/// for our element, and looking up its generic metadata on every MAD cost more of an SA answer's CPU than
/// answering did (`perf`: 11% of the SM's user time at 8 PathRecords outstanding).
///
/// Many producers (`yield`), one consumer (`for await`). Past `limit` waiting MADs the oldest is dropped, as
/// a real port's receive queue would drop a MAD that nobody reads.
public final class InboundQueue: AsyncSequence, Sendable {
    public typealias Element = InboundMAD

    private struct State {
        var waiting = Deque<InboundMAD>()
        /// The consumer, suspended until a MAD arrives (or the queue is finished).
        var consumer: UnsafeContinuation<InboundMAD?, Never>?
        var finished = false
        var dropped = 0
    }

    private let state = Mutex(State())
    private let limit: Int

    public init(limit: Int = .max) { self.limit = Swift.max(1, limit) }

    /// A queue that is finished before anything arrives: what a transport with no inbound side hands out.
    public static func finished() -> InboundQueue {
        let queue = InboundQueue()
        queue.finish()
        return queue
    }

    /// Queues `mad`, or hands it straight to the waiting consumer. Dropped once finished.
    public func yield(_ mad: InboundMAD) {
        let consumer = state.withLock { state -> UnsafeContinuation<InboundMAD?, Never>? in
            guard !state.finished else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            if state.waiting.count >= limit {
                state.waiting.removeFirst()
                state.dropped += 1
            }
            state.waiting.append(mad)
            return nil
        }
        consumer?.resume(returning: mad)
    }

    /// Ends the queue: the consumer gets nil once what is queued is taken.
    public func finish() {
        let consumer = state.withLock { state -> UnsafeContinuation<InboundMAD?, Never>? in
            state.finished = true
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    /// MADs dropped because `limit` were waiting.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// The next MAD; nil once the queue is finished and empty.
    public func next() async -> InboundMAD? {
        if let ready = state.withLock({ $0.waiting.popFirst() }) { return ready }
        return await withUnsafeContinuation { (continuation: UnsafeContinuation<InboundMAD?, Never>) in
            // Looked at again under the lock: a yield or finish may have come since.
            let now: InboundMAD?? = state.withLock { state in
                if let ready = state.waiting.popFirst() { return .some(ready) }
                if state.finished { return .some(nil) }
                state.consumer = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: InboundQueue
        public mutating func next() async -> InboundMAD? { await queue.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
