/// Runs `body` on every item with at most `limit` running at once, returning results in item order.
///
/// SMP work goes through here rather than one task per SMP: a task group's bookkeeping grows with its
/// number of children, and a bounded set of runners that feeds the client's window is all a sweep needs.
/// Order items so that neighbours target different nodes (the client holds back SMPs to busy nodes).
public func mapConcurrently<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Output
) async -> [Output] {
    guard !items.isEmpty else { return [] }
    var results = [Output?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, Output).self) { group in
        var next = 0
        func start() {
            let index = next
            next += 1
            group.addTask { (index, await body(items[index])) }
        }
        while next < min(max(1, limit), items.count) { start() }
        for await (index, output) in group {
            results[index] = output
            if next < items.count { start() }
        }
    }
    return results.map { $0! }
}
