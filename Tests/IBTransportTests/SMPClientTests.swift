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
        let transport = CountingTransport(failures: Array(repeating: .timeout, count: 10))
        let client = SMPClient(transport: transport, options: SMPClientOptions(timeout: .milliseconds(1), retries: 2))
        await #expect(throws: SMPError.noResponse(attribute: .nodeInfo, target: .route(.local), attempts: 3)) {
            try await client.send(.get(.nodeInfo, route: .local))
        }
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
