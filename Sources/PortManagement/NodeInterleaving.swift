/// `items` in an order where consecutive ones go to different nodes: every node's first item, then every
/// node's second, and so on, each node's items keeping their order. The SMP window lets only a few SMPs per
/// node be outstanding (`SMPClientOptions.maxPerDestination`): a job list in node order would leave most of
/// the window waiting on one switch (reading SL2VL tables switch by switch ran at 2 SMPs at a time).
func interleavedByNode<Item>(_ items: [Item], node: (Item) -> Int) -> [Item] {
    var seen: [Int: Int] = [:]
    let ranked = items.map { item -> (rank: Int, node: Int, item: Item) in
        let node = node(item)
        let rank = seen[node, default: 0]
        seen[node] = rank + 1
        return (rank, node, item)
    }
    return ranked.sorted { ($0.rank, $0.node) < ($1.rank, $1.node) }.map(\.item)
}
