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

    /// Counted with atomics: every SMP passes here, and at hundreds of thousands a second a lock
    /// would be contended by every thread.
    private struct Counters: ~Copyable {
        let answered = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
        let overflowed = Atomic<Int>(0)
        let undeliverable = Atomic<Int>(0)
        let unanswered = Atomic<Int>(0)
        let refusedByMKey = Atomic<Int>(0)
    }
    private let counting = Counters()
    private let closed = Atomic<Bool>(false)
    private let random: Mutex<SplitMix64>
    /// Event loops for the SM's side with a service time: SMPs leave and their answers resume on them,
    /// while the agents serve them on a thread of their own. Two, so that the SM's SMP work can use a
    /// processor the agents leave idle (`SMPClient.runnerExecutors`). Empty without a service time.
    public let eventLoops: [SimulatorEventLoop]
    /// Where the SM's side runs best (`withTaskExecutorPreference`): the first of `eventLoops`.
    public var eventLoop: SimulatorEventLoop? { eventLoops.first }
    /// The agents' own thread; there with a service time only.
    private let agents: SimulatedAgentThread?

    public init(fabric: SimulatedFabric, options: SimulatorOptions = SimulatorOptions()) {
        self.fabric = fabric
        self.options = options
        self.random = Mutex(SplitMix64(seed: options.seed))
        let timed = options.serviceTime > .zero
        self.eventLoops = timed ? [SimulatorEventLoop(), SimulatorEventLoop()] : []
        self.agents = timed ? SimulatedAgentThread(fabric: fabric, serviceTime: options.serviceTime, vl15Depth: options.vl15Depth) : nil
    }

    deinit {
        for loop in eventLoops { loop.stop() }
        agents?.stop()
    }

    public var counters: SimulatorCounters {
        SimulatorCounters(
            answered: counting.answered.load(ordering: .relaxed), dropped: counting.dropped.load(ordering: .relaxed),
            overflowed: counting.overflowed.load(ordering: .relaxed), undeliverable: counting.undeliverable.load(ordering: .relaxed),
            unanswered: counting.unanswered.load(ordering: .relaxed), refusedByMKey: counting.refusedByMKey.load(ordering: .relaxed))
    }

    nonisolated(nonsending) public func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        // A lost SMP is either the request (nothing happens) or the response (the agent acted on it).
        enum Loss { case none, request, response }
        var loss = Loss.none
        if options.dropProbability > 0 {
            loss = random.withLock { random in
                guard random.nextUnit() < options.dropProbability else { return .none }
                return random.next() & 1 == 0 ? .request : .response
            }
            if loss != .none { counting.dropped.add(1, ordering: .relaxed) }
        }
        if loss == .request { return try await timedOut(after: timeout) }

        let outcome: SimulatedAgentThread.Outcome
        if let agents {
            outcome = await agents.exchange(request)
        } else {
            outcome = SimulatedAgentThread.serveAtOnce(request, by: fabric)
        }
        let response: SMP
        switch outcome {
        case .replied(.answered(let answer)):
            response = answer
        case .undeliverable:
            counting.undeliverable.add(1, ordering: .relaxed)
            throw .timeout
        case .unanswered, .replied(.lost):
            counting.unanswered.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        case .overflowed:
            counting.overflowed.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        case .replied(.refusedByMKey):
            counting.refusedByMKey.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        }
        if loss == .response { return try await timedOut(after: timeout) }
        counting.answered.add(1, ordering: .relaxed)
        return response
    }

    public func close() async {
        closed.store(true, ordering: .relaxed)
        for loop in eventLoops { loop.stop() }
        agents?.stop()
    }

    /// A lost SMP: the requester hears nothing until its timeout.
    nonisolated(nonsending) private func timedOut(after timeout: Duration) async throws(TransportError) -> SMP {
        try? await Task.sleep(for: timeout)
        throw .timeout
    }
}
