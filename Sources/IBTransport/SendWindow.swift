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
///
/// A waiting task that is cancelled leaves the queue at once: `acquire` then throws, holding no slot.
final class SendWindow: Sendable {
    /// A task waiting for a slot; resumed with true when admitted, false when its task was cancelled.
    fileprivate struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    /// One destination's share: kept once seen (there are at most as many as nodes), so that an SMP
    /// costs one table lookup to admit and one to release.
    fileprivate struct Destination {
        var inFlight = 0
        var waiting: Deque<Waiter> = []
        /// Queued in `ready`.
        var isReady = false
    }

    private struct State {
        var total = 0
        var destinations: [DestinationKey: Destination] = [:]
        /// Destinations that have waiters and room of their own, in the order they became ready.
        var ready: Deque<DestinationKey> = []
        /// Names waiters, so that a cancelled one can be found in its queue.
        var nextWaiterID: UInt64 = 0
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

    /// Waits until an SMP to `destination` may be sent. Throws, holding no slot, when the task is
    /// cancelled while it waits (or was already cancelled when it had to wait).
    nonisolated(nonsending) func acquire(_ destination: DestinationKey) async throws(CancellationError) {
        let limit = limit(destination)
        // Most SMPs find room at once: admit them without suspending.
        if state.withLock({ admitNow(destination, limit: limit, in: &$0) }) { return }
        let id = state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        let admitted = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let outcome = state.withLock { state -> Bool? in
                    // The state may have changed since the first look.
                    if admitNow(destination, limit: limit, in: &state) { return true }
                    // Checked under the lock that `cancel` takes: a cancellation either came before this
                    // (and is seen here) or finds the waiter queued.
                    if Task.isCancelled { return false }
                    let becameReady = state.destinations[destination, default: Destination()]
                        .queue(Waiter(id: id, continuation: continuation), limit: limit)
                    if becameReady { state.ready.append(destination) }
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            cancel(id, waitingFor: destination)
        }
        if !admitted { throw CancellationError() }
    }

    /// Takes a cancelled task's waiter out of its queue and lets it go without a slot; nothing if it
    /// was admitted already or is not queued yet.
    private func cancel(_ id: UInt64, waitingFor destination: DestinationKey) {
        let removed = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let at = state.destinations[destination]?.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            // A destination left in `ready` without waiters is skipped when its turn comes.
            return state.destinations[destination]?.waiting.remove(at: at).continuation
        }
        removed?.resume(returning: false)
    }

    /// Takes a slot for `destination` if both windows have room and nobody is waiting ahead of it.
    private func admitNow(_ destination: DestinationKey, limit: Int, in state: inout State) -> Bool {
        guard state.total < maxTotal, state.ready.isEmpty else { return false }
        let admitted = state.destinations[destination, default: Destination()].admit(limit: limit)
        if admitted { state.total += 1 }
        return admitted
    }

    /// Gives back the slot of a finished SMP to `destination` and admits whoever can go next.
    func release(_ destination: DestinationKey) {
        let admitted = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.total -= 1
            if state.destinations[destination]?.release() == true { state.ready.append(destination) }

            var admitted: [CheckedContinuation<Bool, Never>] = []
            while state.total < maxTotal, let next = state.ready.popFirst() {
                guard let (continuation, stillReady) = state.destinations[next]?.admitWaiter(limit: limit(next)) else { continue }
                state.total += 1
                admitted.append(continuation)
                if stillReady { state.ready.append(next) }
            }
            return admitted
        }
        for continuation in admitted { continuation.resume(returning: true) }
    }

    /// SMPs holding a slot, and tasks waiting for one (for tests).
    var occupancy: (inFlight: Int, waiting: Int) {
        state.withLock { state in (state.total, state.destinations.values.reduce(0) { $0 + $1.waiting.count }) }
    }

    private func limit(_ destination: DestinationKey) -> Int {
        destination == .unknownNode ? maxUnknown : maxPerDestination
    }
}

extension SendWindow.Destination {
    /// Takes a slot if there is room and nobody waiting.
    mutating func admit(limit: Int) -> Bool {
        guard waiting.isEmpty, inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    /// Queues a waiter; true when the destination has just become ready (room, and not queued yet).
    mutating func queue(_ waiter: SendWindow.Waiter, limit: Int) -> Bool {
        waiting.append(waiter)
        return markReady(limit: limit)
    }

    /// Frees a slot; true when the destination has just become ready for a waiter.
    mutating func release() -> Bool {
        inFlight -= 1
        return !waiting.isEmpty && markReady(limit: .max)
    }

    /// Lets the first waiter go; also says whether the destination stays ready for the next.
    mutating func admitWaiter(limit: Int) -> (CheckedContinuation<Bool, Never>, stillReady: Bool)? {
        isReady = false
        guard let waiter = waiting.popFirst() else { return nil }
        inFlight += 1
        return (waiter.continuation, !waiting.isEmpty && markReady(limit: limit))
    }

    private mutating func markReady(limit: Int) -> Bool {
        guard !isReady, inFlight < limit else { return false }
        isReady = true
        return true
    }
}
