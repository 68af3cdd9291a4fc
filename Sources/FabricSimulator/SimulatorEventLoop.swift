import DequeModule
import Foundation
import HeapModule

/// One thread that runs the tasks preferring it and keeps the simulated agents' clock, like an event
/// loop. An SM and its in-process fabric exchange hundreds of thousands of SMPs a second, each a
/// suspension and a resumption; on one thread those are a queue operation, where on the shared pool
/// every one of them is a cross-thread wake-up (futexes and context switches) that costs more than
/// the SMP itself.
///
/// Run work on it with `withTaskExecutorPreference(loop) { ... }`; child tasks inherit the preference.
/// CPU-heavy work that need not wait for the fabric (route verification) belongs elsewhere. Sleeping
/// with `sleep(until:)` works from any task: without the preference it resumes on the shared pool.
public final class SimulatorEventLoop: TaskExecutor, @unchecked Sendable {
    /// Heap entries are plain values, their continuations kept aside: sifting entries that held a
    /// continuation retains and releases it at every step (measured: 5% slower on 600,000 SMPs).
    private struct Timer: Comparable {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        static func < (a: Timer, b: Timer) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
    }

    // All guarded by `condition`.
    private let condition = NSCondition()
    private var jobs = Deque<UnownedJob>()
    private var timers = Heap<Timer>()
    private var sleepers: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var sequence: UInt64 = 0
    private var running = true
    private var waiting = false

    public init() {
        let thread = Thread { [self] in run() }
        thread.name = "swiftsm-sim-loop"
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        guard running else {
            condition.unlock()
            // Stopped: whoever still prefers this loop runs on the shared pool instead of hanging.
            globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
            return
        }
        jobs.append(unowned)
        if waiting { condition.signal() }
        condition.unlock()
    }

    /// Suspends until `deadline` (returns at once if it has passed).
    public func sleep(until deadline: ContinuousClock.Instant) async {
        guard deadline > .now else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            guard running else {
                condition.unlock()
                continuation.resume()
                return
            }
            sequence += 1
            timers.insert(Timer(deadline: deadline, sequence: sequence))
            sleepers[sequence] = continuation
            if waiting { condition.signal() }
            condition.unlock()
        }
    }

    /// Wakes every sleeper and hands any later work to the shared pool; the thread ends.
    public func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var batch = Deque<UnownedJob>()
        var due: [CheckedContinuation<Void, Never>] = []
        while true {
            condition.lock()
            while running, jobs.isEmpty {
                let now = ContinuousClock.now
                guard let next = timers.min else {
                    waiting = true
                    condition.wait()
                    waiting = false
                    continue
                }
                if next.deadline <= now { break }
                waiting = true
                _ = condition.wait(until: Date(timeIntervalSinceNow: (next.deadline - now) / .seconds(1)))
                waiting = false
            }
            let now = ContinuousClock.now
            while let first = timers.min, first.deadline <= now || !running {
                if let sleeper = sleepers.removeValue(forKey: timers.removeMin().sequence) { due.append(sleeper) }
            }
            swap(&batch, &jobs)
            let stopped = !running
            condition.unlock()

            for sleeper in due { sleeper.resume() }
            due.removeAll(keepingCapacity: true)
            while let job = batch.popFirst() { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if stopped {
                // Jobs that arrived before the stop ran above; later ones go to the shared pool.
                condition.lock()
                let left = jobs
                jobs.removeAll()
                condition.unlock()
                for job in left { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
                return
            }
        }
    }
}
