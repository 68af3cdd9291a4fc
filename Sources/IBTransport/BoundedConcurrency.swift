import Synchronization

/// Runs `body` on every item with at most `limit` running at once, returning results in item order.
///
/// SMP work goes through here rather than one task per SMP: `limit` worker tasks each take the next
/// item in turn, so no task is created or joined per item. Order items so that neighbours target
/// different nodes (the client holds back SMPs to busy nodes).
///
/// With `executors`, the workers take turns among them: an SM on an in-process fabric spreads its
/// SMP work over two event loops (`SMPClient.runnerExecutors`).
public func mapConcurrently<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, executors: [any TaskExecutor] = [], _ body: @escaping @Sendable (Item) async -> Output
) async -> [Output] {
    guard !items.isEmpty else { return [] }
    let shared = WorkQueue<Output>(count: items.count)
    @Sendable func work() async {
        while true {
            let index = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < items.count else { return }
            let output = await body(items[index])
            shared.results.withLock { $0[index] = output }
        }
    }
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<min(max(1, limit), items.count) {
            if executors.isEmpty {
                group.addTask { await work() }
            } else {
                group.addTask(executorPreference: executors[worker % executors.count]) { await work() }
            }
        }
    }
    return shared.results.withLock { $0.map { $0! } }
}

/// The next item to take and the results so far, shared by the workers.
private final class WorkQueue<Output: Sendable>: Sendable {
    let next = Atomic<Int>(0)
    let results: Mutex<[Output?]>
    init(count: Int) { results = Mutex([Output?](repeating: nil, count: count)) }
}
