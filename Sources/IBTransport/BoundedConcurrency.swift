import Synchronization

/// Runs `body` on every item with at most `limit` running at once, returning results in item order.
///
/// SMP work goes through here rather than one task per SMP: `limit` worker tasks each take the next
/// item in turn, so no task is created or joined per item. Order items so that neighbours target
/// different nodes (the client holds back SMPs to busy nodes).
public func mapConcurrently<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Output
) async -> [Output] {
    guard !items.isEmpty else { return [] }
    let shared = WorkQueue<Output>(count: items.count)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<min(max(1, limit), items.count) {
            group.addTask {
                while true {
                    let index = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < items.count else { return }
                    let output = await body(items[index])
                    shared.results.withLock { $0[index] = output }
                }
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
