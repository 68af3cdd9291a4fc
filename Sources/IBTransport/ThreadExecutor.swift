import DequeModule
import Foundation

/// One thread that runs the tasks preferring it, like an event loop. Tasks that hand work to one another
/// many times a second (a MAD received, queued, answered) cost a queue operation each on one thread, where
/// on the shared pool every hand-over is a cross-thread wake-up (a futex and a context switch) that costs
/// more than the work itself. Run work on it with `withTaskExecutorPreference(loop) { ... }` or a task
/// group's `addTask(executorPreference:)`; child tasks inherit the preference.
///
/// The simulator runs the SM's side of an in-process fabric on two of them (`SimulatorTransport.eventLoops`).
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // All guarded by `condition`.
    private let condition = NSCondition()
    private var jobs = Deque<UnownedJob>()
    private var running = true
    private var waiting = false

    public init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
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
