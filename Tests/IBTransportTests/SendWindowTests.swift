@testable import IBTransport
import Testing

/// A task waiting for a window slot leaves the queue when it is cancelled, holding no slot.
@Suite struct SendWindowTests {
    @Test func aCancelledWaiterLeavesTheQueueAndTakesNoSlot() async throws {
        let window = SendWindow(maxTotal: 1, maxPerDestination: 1, maxUnknown: 1)
        try await window.acquire(.lid(1))
        let waiter = Task { try await window.acquire(.lid(2)) }
        while window.occupancy.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(window.occupancy == (inFlight: 1, waiting: 0))

        // Releasing the slot admits nobody (the cancelled waiter is gone), and the next SMP takes it at once.
        window.release(.lid(1))
        #expect(window.occupancy == (inFlight: 0, waiting: 0))
        try await window.acquire(.lid(3))
        #expect(window.occupancy == (inFlight: 1, waiting: 0))

        // Waiters behind a cancelled one are still admitted in turn.
        let first = Task { try await window.acquire(.lid(4)) }
        while window.occupancy.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let second = Task { try await window.acquire(.lid(5)) }
        while window.occupancy.waiting < 2 { try await Task.sleep(for: .milliseconds(5)) }
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        window.release(.lid(3))
        try await second.value
        #expect(window.occupancy == (inFlight: 1, waiting: 0))
    }
}
