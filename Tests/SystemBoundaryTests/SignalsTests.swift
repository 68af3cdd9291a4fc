import Testing
@testable import SystemBoundary

@Suite(.serialized) struct SignalsTests {
    @Test func hangupsArriveOnTheStreamInsteadOfEndingTheProcess() async throws {
        let stream = Signals.stream([Signals.hangup])
        var iterator = stream.makeAsyncIterator()
        // The source is installed when the stream starts; give Dispatch a moment before raising.
        try await Task.sleep(for: .milliseconds(50))
        Signals.raise(Signals.hangup)
        let first = await iterator.next()
        #expect(first == Signals.hangup)
        Signals.raise(Signals.hangup)
        #expect(await iterator.next() == Signals.hangup)
    }
}
