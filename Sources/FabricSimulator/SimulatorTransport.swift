import FabricModel
import IBTransport
import IBWire
import Synchronization

/// Timing and fault knobs of the simulator.
public struct SimulatorOptions: Sendable {
    /// Chance that any SMP exchange is silently lost: half the time the request (the agent never sees it),
    /// half the time the response (the agent acted on it).
    public var dropProbability: Double
    /// Time each agent takes to serve one SMP, one at a time (0: instant). About 255 us models a current switch.
    public var serviceTime: Duration
    /// SMPs an agent can hold while busy (its VL15 buffer); more are silently dropped. Used with a service time.
    public var vl15Depth: Int
    /// Seed of the loss generator, so that lossy runs repeat.
    public var seed: UInt64

    public init(dropProbability: Double = 0, serviceTime: Duration = .zero, vl15Depth: Int = 4, seed: UInt64 = 1) {
        self.dropProbability = dropProbability
        self.serviceTime = serviceTime
        self.vl15Depth = vl15Depth
        self.seed = seed
    }
}

/// What the simulator did with the SMPs it was given.
public struct SimulatorCounters: Sendable, Equatable {
    public var answered = 0
    /// Lost at random (`dropProbability`).
    public var dropped = 0
    /// Lost because an agent's VL15 buffer was full.
    public var overflowed = 0
    /// A hop of the route failed.
    public var undeliverable = 0
    /// Reached a node that does not answer, or a LID-routed response found no way back.
    public var unanswered = 0
    /// Refused by the M_Key check: the agent stayed silent.
    public var refusedByMKey = 0
}

/// A `MADTransport` answered in-process by a `SimulatedFabric`.
public final class SimulatorTransport: MADTransport {
    public let fabric: SimulatedFabric
    public let options: SimulatorOptions

    private struct AgentQueues {
        var busyUntil: [Int: ContinuousClock.Instant] = [:]
        var queued: [Int: Int] = [:]
        var random: SplitMix64
        var counters = SimulatorCounters()
        var closed = false
    }
    private let queues: Mutex<AgentQueues>
    /// Only needed with a service time.
    private let clock: WakeupScheduler?

    public init(fabric: SimulatedFabric, options: SimulatorOptions = SimulatorOptions()) {
        self.fabric = fabric
        self.options = options
        self.queues = Mutex(AgentQueues(random: SplitMix64(seed: options.seed)))
        self.clock = options.serviceTime > .zero ? WakeupScheduler() : nil
    }

    deinit { clock?.stop() }

    public var counters: SimulatorCounters { queues.withLock { $0.counters } }

    public func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        // A lost SMP is either the request (nothing happens) or the response (the agent acted on it).
        enum Loss { case none, request, response }
        let loss = try queues.withLock { queues throws(TransportError) -> Loss in
            guard !queues.closed else { throw .closed }
            guard options.dropProbability > 0, queues.random.nextUnit() < options.dropProbability else { return .none }
            queues.counters.dropped += 1
            return queues.random.next() & 1 == 0 ? .request : .response
        }
        if loss == .request { return try await timedOut(after: timeout) }

        let arrival: Arrival
        switch fabric.deliver(request) {
        case .undeliverable:
            queues.withLock { $0.counters.undeliverable += 1 }
            throw .timeout
        case .unanswered:
            queues.withLock { $0.counters.unanswered += 1 }
            return try await timedOut(after: timeout)
        case .arrived(let reached):
            arrival = reached
        }
        if options.serviceTime > .zero {
            guard let done = admit(to: arrival.node) else { return try await timedOut(after: timeout) }
            await clock?.sleep(until: done)
            queues.withLock { $0.queued[arrival.node, default: 1] -= 1 }
        }
        let response: SMP
        switch fabric.respond(to: request, at: arrival) {
        case .answered(let answer):
            response = answer
        case .refusedByMKey:
            queues.withLock { $0.counters.refusedByMKey += 1 }
            return try await timedOut(after: timeout)
        case .lost:
            queues.withLock { $0.counters.unanswered += 1 }
            return try await timedOut(after: timeout)
        }
        if loss == .response { return try await timedOut(after: timeout) }
        queues.withLock { $0.counters.answered += 1 }
        return response
    }

    public func close() async {
        queues.withLock { $0.closed = true }
        clock?.stop()
    }

    /// Queues an SMP at a busy agent; nil when its VL15 buffer is full and the SMP is dropped.
    private func admit(to node: Int) -> ContinuousClock.Instant? {
        queues.withLock { queues in
            let waiting = queues.queued[node, default: 0]
            guard waiting < options.vl15Depth else {
                queues.counters.overflowed += 1
                return nil
            }
            let now = ContinuousClock.now
            let start = max(now, queues.busyUntil[node] ?? now)
            let done = start + options.serviceTime
            queues.busyUntil[node] = done
            queues.queued[node] = waiting + 1
            return done
        }
    }

    /// A lost SMP: the requester hears nothing until its timeout.
    private func timedOut(after timeout: Duration) async throws(TransportError) -> SMP {
        try? await Task.sleep(for: timeout)
        throw .timeout
    }
}
