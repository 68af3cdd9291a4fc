import FabricModel
@testable import Routing
import Testing

@Suite struct IncrementalDependencyGraphTests {
    /// Whether `to` reaches `from` in `edges` (then from -> to would close a cycle), by plain search.
    private func reaches(_ edges: [Int: Set<Int>], from start: Int, to goal: Int) -> Bool {
        var seen: Set<Int> = [start]
        var stack = [start]
        while let current = stack.popLast() {
            if current == goal { return true }
            for next in edges[current] ?? [] where seen.insert(next).inserted { stack.append(next) }
        }
        return false
    }

    /// Random additions and removals: refused exactly when a plain search finds the cycle it would close.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func refusesExactlyTheDependenciesThatCloseACycle(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let count = 40
        var graph = IncrementalDependencyGraph(channelCount: count)
        var edges: [Int: Set<Int>] = [:]
        for step in 0..<3000 {
            let from = Int(random.next() % UInt64(count)), to = Int(random.next() % UInt64(count))
            guard from != to else { continue }
            if step % 7 == 0, let victim = edges.keys.sorted().first, let target = edges[victim]?.sorted().first {
                graph.remove(victim, target)
                edges[victim]!.remove(target)
                continue
            }
            let present = edges[from]?.contains(to) == true
            let closes = !present && reaches(edges, from: to, to: from)
            switch graph.add(from, to) {
            case .present: #expect(present)
            case .refused: #expect(closes, "step \(step): \(from) -> \(to) refused without a cycle")
            case .added:
                #expect(!present && !closes, "step \(step): \(from) -> \(to) added though it closes a cycle")
                edges[from, default: []].insert(to)
            }
        }
    }

    @Test func theHeapPopsInOrder() {
        var heap = CandidateHeap()
        var random = SplitMix64(seed: 9)
        var pushed: [CandidateHeap.Candidate] = []
        for _ in 0..<500 {
            let candidate = CandidateHeap.Candidate(hops: Int32(random.next() % 5), cost: random.next() % 50, slot: Int32(random.next() % 100),
                                                    port: UInt8(random.next() % 4), parent: 0)
            pushed.append(candidate)
            heap.push(candidate)
        }
        var previous: CandidateHeap.Candidate?
        var popped = 0
        while let next = heap.pop() {
            if let previous { #expect(!(next < previous)) }
            previous = next
            popped += 1
        }
        #expect(popped == pushed.count)
    }
}
