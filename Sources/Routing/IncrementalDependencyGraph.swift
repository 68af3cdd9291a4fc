/// A channel dependency graph kept acyclic as dependencies are added one at a time: an addition that
/// would close a cycle is refused. Kept in a topological order that is repaired locally after each
/// addition (Pearce and Kelly's dynamic topological sort), so that most checks are one comparison
/// and the others search only the channels between the two positions.
struct IncrementalDependencyGraph {
    enum Addition { case present, added, refused }

    private(set) var successors: [[Int32]]
    private var predecessors: [[Int32]]
    /// Position of each channel in the order, and the channel at each position.
    private var position: [Int32]
    private var channelAt: [Int32]
    private var forwardMark: [Int32]
    private var backwardMark: [Int32]
    private var mark: Int32 = 0
    private var stack: [Int32] = []
    /// Counts removals (from 1): a dependency refused at one count stays refused until the next removal.
    private(set) var generation: UInt32 = 1
    private var forward: [Int32] = []
    private var backward: [Int32] = []

    init(channelCount: Int) {
        successors = [[Int32]](repeating: [], count: channelCount)
        predecessors = [[Int32]](repeating: [], count: channelCount)
        position = (0..<channelCount).map { Int32($0) }
        channelAt = position
        forwardMark = [Int32](repeating: 0, count: channelCount)
        backwardMark = [Int32](repeating: 0, count: channelCount)
    }

    func contains(_ from: Int, _ to: Int) -> Bool { successors[from].contains(Int32(to)) }

    /// Adds the dependency from -> to unless it would close a cycle.
    mutating func add(_ from: Int, _ to: Int) -> Addition {
        if successors[from].contains(Int32(to)) { return .present }
        let lower = position[to], upper = position[from]
        if lower > upper {
            insert(from, to)
            return .added
        }
        mark += 1
        // Channels reachable from `to` that sit at or before `from` in the order.
        forward.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        stack.append(Int32(to))
        forwardMark[to] = mark
        while let current = stack.popLast() {
            if Int(current) == from { return .refused }
            forward.append(current)
            for next in successors[Int(current)] where forwardMark[Int(next)] != mark && position[Int(next)] <= upper {
                forwardMark[Int(next)] = mark
                stack.append(next)
            }
        }
        // Channels that reach `from` and sit after `to` in the order.
        backward.removeAll(keepingCapacity: true)
        stack.append(Int32(from))
        backwardMark[from] = mark
        while let current = stack.popLast() {
            backward.append(current)
            for previous in predecessors[Int(current)] where backwardMark[Int(previous)] != mark && position[Int(previous)] >= lower {
                backwardMark[Int(previous)] = mark
                stack.append(previous)
            }
        }
        // Everything that reaches `from` goes before everything `to` reaches, in the same positions.
        backward.sort { position[Int($0)] < position[Int($1)] }
        forward.sort { position[Int($0)] < position[Int($1)] }
        var slots = (backward + forward).map { position[Int($0)] }
        slots.sort()
        for (index, channel) in (backward + forward).enumerated() {
            position[Int(channel)] = slots[index]
            channelAt[Int(slots[index])] = channel
        }
        insert(from, to)
        return .added
    }

    private mutating func insert(_ from: Int, _ to: Int) {
        successors[from].append(Int32(to))
        predecessors[to].append(Int32(from))
    }

    /// Removes a dependency added earlier (an order stays valid when dependencies go).
    mutating func remove(_ from: Int, _ to: Int) {
        generation &+= 1
        if let at = successors[from].lastIndex(of: Int32(to)) { successors[from].remove(at: at) }
        if let at = predecessors[to].lastIndex(of: Int32(from)) { predecessors[to].remove(at: at) }
    }
}

/// A binary min-heap of route candidates for the deadlock-free engine's searches.
struct CandidateHeap {
    struct Candidate {
        var hops: Int32
        var cost: UInt64
        /// The switch that would route through `parent`, leaving by `port`.
        var slot: Int32
        var port: UInt8
        var parent: Int32

        @inline(__always)
        static func < (a: Candidate, b: Candidate) -> Bool {
            if a.hops != b.hops { return a.hops < b.hops }
            if a.cost != b.cost { return a.cost < b.cost }
            if a.slot != b.slot { return a.slot < b.slot }
            return a.port < b.port
        }
    }

    private(set) var items: [Candidate] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ candidate: Candidate) {
        items.append(candidate)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
