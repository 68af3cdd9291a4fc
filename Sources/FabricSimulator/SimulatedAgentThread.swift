import FabricModel
import Foundation
import HeapModule
import IBWire

/// The agents of an in-process fabric with a service time, on a thread of their own as a real fabric's
/// switches are: the SM's side hands each SMP over, and the thread carries it to its agent, queues it
/// there (one SMP served at a time, `vl15Depth` held) and has the agent act on it and answer when its
/// service time is up. Kept on the SM's thread, this work and its timers took about a third of it;
/// and delivering on this thread too keeps the fabric's lock to one thread.
///
/// An SMP counts as arriving when it was handed over, however late the thread picks it up, so the
/// thread need not wake for each one: the soonest it can be due is a service time later, and the
/// thread is woken only if it would sleep past that.
final class SimulatedAgentThread: @unchecked Sendable {
    /// What became of an SMP handed over.
    enum Outcome {
        case undeliverable
        /// It reached an agent that never answers.
        case unanswered
        /// The agent's VL15 buffer was full.
        case overflowed
        case replied(SimulatedFabric.Reply)
    }
    typealias Answer = UnsafeContinuation<Outcome, Never>

    private struct HandedOver {
        var request: SMP
        /// The sender's port.
        var from: PortAddress
        /// Nanoseconds since `origin`.
        var at: UInt64
        var answer: Answer
    }

    private struct Served {
        var request: SMP
        var from: PortAddress
        var arrival: Arrival
        var answer: Answer
    }

    /// Heap entries are two integers; what they stand for waits in `held`, so that sifting copies
    /// no SMP and retains nothing.
    private struct Timer: Comparable {
        /// Nanoseconds since `origin`.
        var deadline: UInt64
        var slot: Int
        static func < (a: Timer, b: Timer) -> Bool { a.deadline < b.deadline }
    }

    private let fabric: SimulatedFabric
    private let serviceTime: UInt64
    private let vl15Depth: UInt64
    /// Times are nanoseconds since this, read as dispatch uptime: a plain integer, where reading
    /// ContinuousClock and converting its Duration cost 3% of the SM's thread.
    private let origin = DispatchTime.now().uptimeNanoseconds

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var inbox: [HandedOver] = []
    private var running = true
    private var waiting = false
    private var sleepingUntil = UInt64.max

    // The thread's own.
    private var timers = Heap<Timer>()
    private var held: [Served?] = []
    private var freeSlots: [Int] = []
    /// When each agent finishes the last SMP it holds, by node index.
    private var busyUntil: [UInt64]

    init(fabric: SimulatedFabric, serviceTime: Duration, vl15Depth: Int) {
        self.fabric = fabric
        let (seconds, attoseconds) = serviceTime.components
        self.serviceTime = max(1, UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
        self.vl15Depth = UInt64(max(0, vl15Depth))
        busyUntil = [UInt64](repeating: 0, count: fabric.state.withLock { $0.nodes.count })
        let thread = Thread { [self] in run() }
        thread.name = "swiftsm-sim-agents"
        thread.start()
    }

    /// Sends `request` from port `from` to its agent and returns what became of it: at once if it went
    /// nowhere or was dropped, else when the agent has served it.
    nonisolated(nonsending) func exchange(_ request: SMP, from: PortAddress) async -> Outcome {
        await withUnsafeContinuation { (answer: Answer) in
            condition.lock()
            // Read under the lock, so the inbox is in order of arrival: a time read before it could be
            // milliseconds stale on a loaded machine, and the agent then counted SMPs queued after it
            // (and long served) as still ahead of it, and dropped it as an overflow.
            let now = elapsed()
            guard running else {
                condition.unlock()
                answer.resume(returning: Self.serveAtOnce(request, from: from, by: fabric))
                return
            }
            inbox.append(HandedOver(request: request, from: from, at: now, answer: answer))
            if waiting, now + serviceTime < sleepingUntil { condition.signal() }
            condition.unlock()
        }
    }

    /// An exchange with no service time.
    static func serveAtOnce(_ request: SMP, from: PortAddress, by fabric: SimulatedFabric) -> Outcome {
        switch fabric.deliver(request, from: from) {
        case .undeliverable: .undeliverable
        case .unanswered: .unanswered
        case .arrived(let arrival): .replied(fabric.respond(to: request, at: arrival, sentFrom: from))
        }
    }

    /// Answers every SMP still held at once and ends the thread.
    func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func elapsed() -> UInt64 { DispatchTime.now().uptimeNanoseconds - origin }

    private func run() {
        var arrived: [HandedOver] = []
        while true {
            condition.lock()
            while running, inbox.isEmpty {
                let next = timers.min?.deadline ?? .max
                let now = elapsed()
                if next <= now { break }
                sleepingUntil = next
                waiting = true
                if next == .max {
                    condition.wait()
                } else {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(next - now) / 1e9))
                }
                waiting = false
            }
            sleepingUntil = .max
            swap(&arrived, &inbox)
            let stopped = !running
            condition.unlock()

            for handedOver in arrived { deliver(handedOver) }
            arrived.removeAll(keepingCapacity: true)
            let now = elapsed()
            while let first = timers.min, first.deadline <= now || stopped {
                let served = release(timers.removeMin().slot)
                served.answer.resume(returning: .replied(fabric.respond(to: served.request, at: served.arrival, sentFrom: served.from)))
            }
            if stopped { return }
        }
    }

    /// Carries an SMP to its agent and queues it there, as of when it was handed over.
    private func deliver(_ handedOver: HandedOver) {
        let arrival: Arrival
        switch fabric.deliver(handedOver.request, from: handedOver.from) {
        case .undeliverable: return handedOver.answer.resume(returning: .undeliverable)
        case .unanswered: return handedOver.answer.resume(returning: .unanswered)
        case .arrived(let reached): arrival = reached
        }
        // The SMPs an agent holds are those not served yet: with back-to-back service,
        // (busy-until - now) / service time of them, rounded up.
        let now = handedOver.at
        let busy = busyUntil[arrival.node]
        let queued = busy > now ? (busy - now + serviceTime - 1) / serviceTime : 0
        guard queued < vl15Depth else { return handedOver.answer.resume(returning: .overflowed) }
        let done = max(now, busy) + serviceTime
        busyUntil[arrival.node] = done
        hold(Served(request: handedOver.request, from: handedOver.from, arrival: arrival, answer: handedOver.answer), until: done)
    }

    private func hold(_ served: Served, until deadline: UInt64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            held[slot] = served
        } else {
            slot = held.count
            held.append(served)
        }
        timers.insert(Timer(deadline: deadline, slot: slot))
    }

    private func release(_ slot: Int) -> Served {
        let served = held[slot]!
        held[slot] = nil
        freeSlots.append(slot)
        return served
    }
}

/// A service time and VL15 depth: transports with the same share one agents' thread.
struct AgentTiming: Hashable {
    var serviceTime: Duration
    var vl15Depth: Int
}

struct SharedAgentThread {
    let thread: SimulatedAgentThread
    var users: Int
}

extension SimulatedFabric {
    /// The agents' thread for this timing, started by the first transport that asks for it: the SMPs of
    /// every SM on the fabric queue at the same agents, as on a real fabric.
    func attachAgents(serviceTime: Duration, vl15Depth: Int) -> SimulatedAgentThread {
        agentThreads.withLock { threads in
            let timing = AgentTiming(serviceTime: serviceTime, vl15Depth: vl15Depth)
            if var shared = threads[timing] {
                shared.users += 1
                threads[timing] = shared
                return shared.thread
            }
            let thread = SimulatedAgentThread(fabric: self, serviceTime: serviceTime, vl15Depth: vl15Depth)
            threads[timing] = SharedAgentThread(thread: thread, users: 1)
            return thread
        }
    }

    /// One transport is done with `thread`; the last one stops it (answering every SMP it holds).
    func detachAgents(_ thread: SimulatedAgentThread) {
        let last = agentThreads.withLock { threads -> Bool in
            guard let (timing, shared) = threads.first(where: { $0.value.thread === thread }) else { return false }
            if shared.users > 1 {
                threads[timing]?.users -= 1
                return false
            }
            threads[timing] = nil
            return true
        }
        if last { thread.stop() }
    }
}
