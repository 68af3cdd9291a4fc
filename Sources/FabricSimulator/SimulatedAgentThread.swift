import Foundation
import HeapModule
import IBWire

/// The agents of an in-process fabric with a service time, on a thread of their own as a real fabric's
/// switches are: the SM's side hands over each SMP with the time its agent will have served it, and the
/// agent acts on it and answers then. Kept on the SM's thread, the agents' work and their timers took
/// about a third of it.
///
/// The thread sleeps until the earliest answer is due. A new SMP is due one service time from now at
/// the soonest, rarely before that, so handing one over seldom has to wake the thread.
final class SimulatedAgentThread: @unchecked Sendable {
    typealias Answer = UnsafeContinuation<SimulatedFabric.Reply, Never>

    private struct Served {
        var request: SMP
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
    private let origin = ContinuousClock.now

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var inbox: [(deadline: UInt64, served: Served)] = []
    private var running = true
    private var waiting = false
    private var sleepingUntil = UInt64.max

    // The thread's own.
    private var timers = Heap<Timer>()
    private var held: [Served?] = []
    private var freeSlots: [Int] = []

    init(fabric: SimulatedFabric) {
        self.fabric = fabric
        let thread = Thread { [self] in run() }
        thread.name = "swiftsm-sim-agents"
        thread.start()
    }

    /// Has the agent at `arrival` act on `request` at `deadline` and returns its reply then.
    func reply(to request: SMP, at arrival: Arrival, servedBy deadline: ContinuousClock.Instant) async -> SimulatedFabric.Reply {
        let due = nanoseconds(until: deadline)
        return await withUnsafeContinuation { (answer: Answer) in
            condition.lock()
            guard running else {
                condition.unlock()
                answer.resume(returning: fabric.respond(to: request, at: arrival))
                return
            }
            inbox.append((due, Served(request: request, arrival: arrival, answer: answer)))
            if waiting, due < sleepingUntil { condition.signal() }
            condition.unlock()
        }
    }

    /// Answers every SMP still held at once and ends the thread.
    func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func nanoseconds(until instant: ContinuousClock.Instant) -> UInt64 {
        let (seconds, attoseconds) = (instant - origin).components
        return seconds < 0 ? 0 : UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    private func run() {
        var arrived: [(deadline: UInt64, served: Served)] = []
        while true {
            condition.lock()
            while running, inbox.isEmpty {
                let next = timers.min?.deadline ?? .max
                let now = nanoseconds(until: .now)
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

            for (deadline, served) in arrived { hold(served, until: deadline) }
            arrived.removeAll(keepingCapacity: true)
            let now = nanoseconds(until: .now)
            while let first = timers.min, first.deadline <= now || stopped {
                let served = release(timers.removeMin().slot)
                served.answer.resume(returning: fabric.respond(to: served.request, at: served.arrival))
            }
            if stopped { return }
        }
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
