import IBTransport
import IBWire
import Synchronization
import Testing

/// A transport that answers after a short delay and records how many requests were in flight.
final class CountingTransport: MADTransport {
    struct Load { var inFlight = 0, peak = 0, perRoute: [[PortNumber]: Int] = [:], peakPerRoute = 0, served = 0 }
    let load = Mutex(Load())
    let delay: Duration
    let failures: Mutex<[TransportError]>
    let status: MADStatus

    init(delay: Duration = .milliseconds(2), failures: [TransportError] = [], status: MADStatus = .ok) {
        self.delay = delay
        self.failures = Mutex(failures)
        self.status = status
    }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        let route = request.directedRoute?.hops ?? []
        load.withLock { load in
            load.inFlight += 1
            load.peak = max(load.peak, load.inFlight)
            load.perRoute[route, default: 0] += 1
            load.peakPerRoute = max(load.peakPerRoute, load.perRoute[route]!)
        }
        try? await Task.sleep(for: delay)
        load.withLock { load in
            load.inFlight -= 1
            load.perRoute[route]! -= 1
            load.served += 1
        }
        var response = request
        response.method = .getResponse
        response.status = status
        return response
    }

    func close() async {}
}

/// A transport that never gets an answer: it fails each attempt after `after` (at once, as ibsim does
/// for an injected error), or, with nil, when the attempt's timeout runs out.
final class FailingTransport: MADTransport {
    let after: Duration?
    let attempts = Atomic<Int>(0)

    init(after: Duration?) { self.after = after }

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        attempts.add(1, ordering: .relaxed)
        let wait = after ?? timeout
        if wait > .zero { try? await Task.sleep(for: wait) }
        throw .timeout
    }

    func close() async {}
}

/// A transport that answers only once `open` is set (or after a minute, so that a broken test ends).
final class GatedTransport: MADTransport {
    let open = Atomic<Bool>(false)
    let started = Atomic<Int>(0)

    func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        started.add(1, ordering: .relaxed)
        for _ in 0..<6000 where !open.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(10)) }
        var response = request
        response.method = .getResponse
        return response
    }

    func close() async {}
}

@Suite struct SMPClientTests {
    @Test func windowsHoldAndTheTotalWindowFills() async throws {
        let transport = CountingTransport()
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 8, maxPerDestination: 2))
        // 40 requests to one busy node first, then 40 nodes with one request each.
        let busy = try DirectedRoute([1])
        let routes = Array(repeating: busy, count: 40) + (2...41).map { try! DirectedRoute([PortNumber(UInt8($0))]) }
        await withTaskGroup(of: Void.self) { group in
            for route in routes {
                group.addTask { _ = try? await client.send(.get(.portInfo, route: route)) }
            }
        }
        let load = transport.load.withLock { $0 }
        #expect(load.served == 80)
        #expect(load.peak <= 8)
        #expect(load.peakPerRoute <= 2)
        // Requests to other nodes were not stuck behind the busy one.
        #expect(load.peak == 8)
    }

    @Test func timeoutsAreRetriedWithFreshTransactionIDs() async throws {
        let transport = CountingTransport(failures: [.timeout, .timeout])
        let client = SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(5), retries: 3))
        _ = try await client.send(.get(.nodeInfo, route: .local))
        let statistics = client.statistics
        #expect(statistics.timeouts == 2)
        #expect(statistics.totalSent == 3)
    }

    @Test func givesUpAfterItsRetries() async throws {
        let client = SMPClient(transport: FailingTransport(after: nil), options: SMPClientOptions(timeout: .milliseconds(1), retries: 2))
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: SMPError.noResponse(attribute: .nodeInfo, target: .route(.local), attempts: 3)) {
            try await client.send(.get(.nodeInfo, route: .local))
        }
        // The timeout doubles: 1 + 2 + 4 ms.
        #expect(clock.now - started >= .milliseconds(7))
    }

    /// ibsim answers an injected error or a failed route at once (umad status 110, `.timeout`): retries of
    /// such an SMP are paced by their timeouts, not spent in microseconds, and end at the SMP's deadline.
    /// (No upper bounds on time here: integration tests running alongside can stall this one for seconds.)
    @Test func anSMPFailingAtOnceIsRetriedOverItsTimeoutsNotInMicroseconds() async throws {
        let transport = FailingTransport(after: .zero)
        let options = SMPClientOptions(timeout: .milliseconds(20), retries: 3)
        // 20 + 40 + 80 + 160 ms: what four attempts that each time out would take.
        #expect(options.effectiveDeadline == .milliseconds(300))
        let client = SMPClient(transport: transport, options: options)
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: SMPError.self) { try await client.send(.get(.nodeInfo, route: .local)) }
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(280), "\(elapsed)")
        // One attempt per 20 ms timeout, each waiting out the previous one's: up to 15 in 300 ms (fewer on
        // a loaded machine, whose sleeps run long), never fewer than the 4 that retries alone would give.
        let attempts = transport.attempts.load(ordering: .relaxed)
        #expect(attempts >= 4 && attempts <= 15, "\(attempts) attempts")
        #expect(client.statistics.timeouts == attempts)

        // An explicit deadline bounds them instead.
        let bounded = SMPClient(transport: FailingTransport(after: .zero), options: SMPClientOptions(timeout: .milliseconds(20), retries: 1, deadline: .milliseconds(100)))
        let again = clock.now
        await #expect(throws: SMPError.self) { try await bounded.send(.get(.nodeInfo, route: .local)) }
        #expect(clock.now - again >= .milliseconds(80))
        // No retries: one attempt, and no wait for its (two-minute) timeout.
        let once = SMPClient(transport: FailingTransport(after: .zero), options: SMPClientOptions(timeout: .seconds(120), retries: 0))
        let single = clock.now
        await #expect(throws: SMPError.noResponse(attribute: .nodeInfo, target: .route(.local), attempts: 1)) {
            try await once.send(.get(.nodeInfo, route: .local))
        }
        #expect(clock.now - single < .seconds(60))
    }

    @Test func cancellationEndsASendWaitingToRetry() async throws {
        let transport = FailingTransport(after: .zero)
        let client = SMPClient(transport: transport, options: SMPClientOptions(timeout: .seconds(120), retries: 3))
        let clock = ContinuousClock()
        let started = clock.now
        let send = Task { try await client.send(.get(.nodeInfo, route: .local)) }
        while transport.attempts.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        send.cancel()
        await #expect(throws: SMPError.cancelled) { try await send.value }
        // Its next attempt would have gone two minutes after the first.
        #expect(clock.now - started < .seconds(60))
        #expect(transport.attempts.load(ordering: .relaxed) == 1)
    }

    @Test func cancellationEndsASendWaitingForTheWindow() async throws {
        let transport = GatedTransport()
        let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 1, maxPerDestination: 1, timeout: .seconds(120)))
        let busy = Task { try await client.send(.get(.nodeInfo, route: .local)) }
        while transport.started.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiting = Task { try await client.send(.get(.nodeInfo, route: try DirectedRoute([2]))) }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: SMPError.cancelled) { try await waiting.value }
        // It did not wait for the busy SMP, which is still held at the gate.
        #expect(transport.started.load(ordering: .relaxed) == 1)
        transport.open.store(true, ordering: .relaxed)
        _ = try await busy.value
        // The cancelled one was never sent, and the window is whole: the next SMP goes out.
        _ = try await client.send(.get(.nodeInfo, route: try DirectedRoute([3])))
        #expect(transport.started.load(ordering: .relaxed) == 2)

        // A task cancelled before it has to wait is not queued at all.
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(.get(.nodeInfo, route: .local))
        }
        await #expect(throws: SMPError.cancelled) { try await late.value }
        #expect(transport.started.load(ordering: .relaxed) == 2)
    }

    @Test func errorStatusesBecomeTypedErrors() async throws {
        let client = SMPClient(transport: CountingTransport(status: .methodAttributeNotSupported))
        let route = try DirectedRoute([3])
        await #expect(throws: SMPError.status(.methodAttributeNotSupported, attribute: .smInfo, target: .route(route))) {
            try await client.send(.get(.smInfo, route: route))
        }
    }

    @Test func everySMPCarriesTheClientsMKeyUnlessItNamesOne() async throws {
        // The counting transport echoes each request back, header included.
        let client = SMPClient(transport: CountingTransport(delay: .zero), mKey: 0xC0FFEE)
        #expect(try await client.send(.get(.nodeInfo, route: .local)).mKey == 0xC0FFEE)
        #expect(try await client.send(.set(PortInfo(), modifier: 1, route: .local)).mKey == 0xC0FFEE)
        #expect(try await client.send(.get(.nodeInfo, lid: LID(3))).mKey == 0xC0FFEE)
        #expect(try await client.send(.get(.nodeInfo, route: .local, mKey: 42)).mKey == 42)
        let keyless = SMPClient(transport: CountingTransport(delay: .zero))
        #expect(try await keyless.send(.get(.nodeInfo, route: .local)).mKey == 0)
    }
}
