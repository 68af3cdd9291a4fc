import DequeModule
import IBWire
import Synchronization

/// Where an SMP is headed, for the per-destination window: the node when the caller knows it (several
/// routes can lead to one node), else the path of a directed-route SMP or its LID.
enum DestinationKey: Hashable, Sendable {
    case node(GUID)
    /// A node not known yet (a directed-route probe through a port): all such SMPs share one window,
    /// since any of them may reach a node that is also busy with others.
    case unknownNode
    case route([UInt8])
    case lid(UInt16)
}

/// Admission control for outstanding SMPs: at most `maxTotal` in flight, and at most `maxPerDestination`
/// to any one destination, because a switch's agent serves SMPs one at a time and silently drops what
/// overflows its small VL15 buffer. Waiters for busy destinations never block others: the total window
/// is refilled from whichever destinations have room, in arrival order.
final class SendWindow: Sendable {
    private struct State {
        var total = 0
        var inFlight: [DestinationKey: Int] = [:]
        var waiting: [DestinationKey: Deque<CheckedContinuation<Void, Never>>] = [:]
        /// Destinations that have waiters and room of their own, in the order they became ready.
        var ready: Deque<DestinationKey> = []
        var isReady: Set<DestinationKey> = []
    }

    let maxTotal: Int
    let maxPerDestination: Int
    /// The shared window of probes to nodes not known yet.
    let maxUnknown: Int
    private let state = Mutex(State())

    init(maxTotal: Int, maxPerDestination: Int, maxUnknown: Int) {
        precondition(maxTotal >= 1 && maxPerDestination >= 1 && maxUnknown >= 1, "windows hold at least one SMP")
        self.maxUnknown = maxUnknown
        self.maxTotal = maxTotal
        self.maxPerDestination = maxPerDestination
    }

    /// Waits until an SMP to `destination` may be sent.
    nonisolated(nonsending) func acquire(_ destination: DestinationKey) async {
        // Most SMPs find room at once: admit them without suspending.
        if state.withLock({ admitNow(destination, in: &$0) }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                // The state may have changed since the first look.
                if admitNow(destination, in: &state) { return true }
                state.waiting[destination, default: []].append(continuation)
                if state.inFlight[destination, default: 0] < limit(destination) { Self.markReady(destination, in: &state) }
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    /// Takes a slot for `destination` if both windows have room and nobody is waiting ahead of it.
    private func admitNow(_ destination: DestinationKey, in state: inout State) -> Bool {
        let inFlight = state.inFlight[destination, default: 0]
        guard state.total < maxTotal, inFlight < limit(destination), state.ready.isEmpty, state.waiting[destination] == nil else {
            return false
        }
        state.total += 1
        state.inFlight[destination] = inFlight + 1
        return true
    }

    /// Gives back the slot of a finished SMP to `destination` and admits whoever can go next.
    func release(_ destination: DestinationKey) {
        let admitted = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.total -= 1
            let remaining = state.inFlight[destination, default: 1] - 1
            state.inFlight[destination] = remaining == 0 ? nil : remaining
            if state.waiting[destination] != nil { Self.markReady(destination, in: &state) }

            var admitted: [CheckedContinuation<Void, Never>] = []
            while state.total < maxTotal, let next = state.ready.popFirst() {
                state.isReady.remove(next)
                guard let continuation = state.waiting[next]?.popFirst() else { continue }
                if state.waiting[next]?.isEmpty == true { state.waiting[next] = nil }
                let inFlight = state.inFlight[next, default: 0] + 1
                state.inFlight[next] = inFlight
                state.total += 1
                admitted.append(continuation)
                if state.waiting[next] != nil, inFlight < limit(next) { Self.markReady(next, in: &state) }
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }

    private func limit(_ destination: DestinationKey) -> Int {
        destination == .unknownNode ? maxUnknown : maxPerDestination
    }

    private static func markReady(_ destination: DestinationKey, in state: inout State) {
        if state.isReady.insert(destination).inserted { state.ready.append(destination) }
    }
}
