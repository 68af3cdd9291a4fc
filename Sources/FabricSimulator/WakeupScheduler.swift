import Foundation
import HeapModule
import Synchronization

/// Wakes waiting tasks at their deadlines from one thread. A simulated agent's service time would
/// otherwise cost one system timer per SMP, and at hundreds of thousands of SMPs per second the timers,
/// not the simulated fabric, would set the pace.
final class WakeupScheduler: Sendable {
    private struct Wakeup: Comparable {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var continuation: CheckedContinuation<Void, Never>

        static func < (a: Wakeup, b: Wakeup) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
        static func == (a: Wakeup, b: Wakeup) -> Bool { (a.deadline, a.sequence) == (b.deadline, b.sequence) }
    }

    private struct State {
        var pending = Heap<Wakeup>()
        var sequence: UInt64 = 0
        var running = true
    }

    private let state = Mutex(State())
    /// How long the thread naps when nothing is due sooner; bounds how late a wakeup can be.
    private let slice: Duration

    init(slice: Duration = .microseconds(100)) {
        self.slice = slice
        let thread = Thread { [self] in run() }
        thread.name = "swiftsm-sim-clock"
        thread.start()
    }

    /// Suspends until `deadline` (returns at once if it has passed).
    func sleep(until deadline: ContinuousClock.Instant) async {
        guard deadline > .now else { return }
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.sequence += 1
                state.pending.insert(Wakeup(deadline: deadline, sequence: state.sequence, continuation: continuation))
            }
        }
    }

    /// Stops the thread after waking everyone still waiting.
    func stop() {
        state.withLock { $0.running = false }
    }

    private func run() {
        while true {
            let now = ContinuousClock.now
            let (due, running) = state.withLock { state -> ([CheckedContinuation<Void, Never>], Bool) in
                var due: [CheckedContinuation<Void, Never>] = []
                while let first = state.pending.min, first.deadline <= now || !state.running {
                    due.append(state.pending.removeMin().continuation)
                }
                return (due, state.running)
            }
            for continuation in due { continuation.resume() }
            guard running else { return }
            Thread.sleep(forTimeInterval: Double(slice.components.attoseconds) / 1e18 + Double(slice.components.seconds))
        }
    }
}
