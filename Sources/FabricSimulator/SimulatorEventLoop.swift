import DequeModule
import Foundation

/// One thread that runs the tasks preferring it, like an event loop: the SM's side of an in-process
/// fabric with a service time (the agents have a thread of their own, `SimulatedAgentThread`). An SM
/// and its in-process fabric exchange hundreds of thousands of SMPs a second, each a suspension and a
/// resumption; on one thread those are a queue operation, where on the shared pool every one of them
/// is a cross-thread wake-up (futexes and context switches) that costs more than the SMP itself.
///
/// Run work on it with `withTaskExecutorPreference(loop) { ... }`; child tasks inherit the preference.
/// CPU-heavy work that need not wait for the fabric (route verification) belongs elsewhere.
public final class SimulatorEventLoop: TaskExecutor, @unchecked Sendable {
    // All guarded by `condition`.
    private let condition = NSCondition()
    private var jobs = Deque<UnownedJob>()
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

    /// Hands any later work to the shared pool; the thread ends.
    public func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var batch = Deque<UnownedJob>()
        while true {
            condition.lock()
            while running, jobs.isEmpty {
                waiting = true
                condition.wait()
                waiting = false
            }
            swap(&batch, &jobs)
            let stopped = !running
            condition.unlock()

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
