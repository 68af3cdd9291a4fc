import DequeModule
import IBTransport
import Synchronization

/// The SA's queue of requests: many producers, one consumer, first in first out. What `AsyncStream` does
/// here, minus its generic code: the standard library's stream is not specialized for our element, and
/// looking up its generic metadata on every push and pop cost more of the SA's CPU than answering did.
final class RequestQueue: Sendable {
    private struct State {
        var waiting = Deque<InboundMAD>()
        /// The consumer, suspended until a request arrives (or the queue is finished).
        var consumer: UnsafeContinuation<InboundMAD?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Queues `mad`, or hands it straight to the waiting consumer. Dropped once finished.
    func push(_ mad: InboundMAD) {
        let consumer = state.withLock { state -> UnsafeContinuation<InboundMAD?, Never>? in
            guard !state.finished else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.waiting.append(mad)
            return nil
        }
        consumer?.resume(returning: mad)
    }

    /// The next request; nil once the queue is finished and empty.
    func next() async -> InboundMAD? {
        if let ready = state.withLock({ $0.waiting.popFirst() }) { return ready }
        return await withUnsafeContinuation { (continuation: UnsafeContinuation<InboundMAD?, Never>) in
            // Looked at again under the lock: a push or finish may have come since.
            let now: InboundMAD?? = state.withLock { state in
                if let ready = state.waiting.popFirst() { return .some(ready) }
                if state.finished { return .some(nil) }
                state.consumer = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Ends the queue: the consumer gets nil once what is queued is taken.
    func finish() {
        let consumer = state.withLock { state -> UnsafeContinuation<InboundMAD?, Never>? in
            state.finished = true
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }
}
