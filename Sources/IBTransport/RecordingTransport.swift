import IBCapture
import IBWire
import Synchronization

/// Wraps any transport and writes every request and response to a pcap (ERF) capture, which Wireshark
/// decodes and `--simulate` replays. The file appears only when `finish()` succeeds.
public final class RecordingTransport: MADTransport {
    public let inner: any MADTransport
    private let writer: CaptureWriter
    private let firstFailure = Mutex<CaptureError?>(nil)

    public init(wrapping inner: any MADTransport, path: String) throws(CaptureError) {
        self.inner = inner
        self.writer = try CaptureWriter(path: path)
    }

    nonisolated(nonsending) public func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        try await exchangeKeepingWireBytes(request, timeout: timeout).response
    }

    nonisolated(nonsending) public func exchangeKeepingWireBytes(_ request: SMP, timeout: Duration) async throws(TransportError) -> (response: SMP, wire: [UInt8]) {
        record(request, wire: request.encoded(), direction: .sent)
        let answer = try await inner.exchangeKeepingWireBytes(request, timeout: timeout)
        record(answer.response, wire: answer.wire, direction: .received)
        return answer
    }

    public func close() async { await inner.close() }

    /// The wrapped port's: recording adds no thread of its own.
    public var inboundExecutor: (any TaskExecutor)? { inner.inboundExecutor }

    /// What arrives unasked is recorded as it is handed on.
    public var unsolicited: InboundQueue {
        let source = inner.unsolicited
        // Bounded like the port's own queue: the forwarding task runs until the port closes, read or not.
        let recorded = InboundQueue(limit: 4096)
        Task {
            for await mad in source {
                record(mad.bytes, from: mad.source.lid, to: .permissive, direction: .received)
                recorded.yield(mad)
            }
            recorded.finish()
        }
        return recorded
    }

    nonisolated(nonsending) public func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError) {
        record(mad, from: .permissive, to: address.lid, direction: .sent)
        try await inner.post(mad, to: address)
    }

    nonisolated(nonsending) public func post(_ mad: [UInt8], length: Int, to address: MADAddress) async throws(TransportError) {
        record(mad, from: .permissive, to: address.lid, direction: .sent)
        try await inner.post(mad, length: length, to: address)
    }

    nonisolated(nonsending) public func exchangeMAD(_ mad: [UInt8], to address: MADAddress, timeout: Duration) async throws(TransportError) -> InboundMAD {
        record(mad, from: .permissive, to: address.lid, direction: .sent)
        let answer = try await inner.exchangeMAD(mad, to: address, timeout: timeout)
        record(answer.bytes, from: answer.source.lid, to: .permissive, direction: .received)
        return answer
    }

    /// Closes the capture, moving it into place; throws the first write failure, leaving no file.
    public func finish() throws(CaptureError) {
        if let failure = firstFailure.withLock({ $0 }) {
            writer.discard()
            throw failure
        }
        try writer.close()
    }

    /// Drops the capture without writing it.
    public func discard() { writer.discard() }

    private func record(_ smp: SMP, wire: [UInt8], direction: CapturedMAD.Direction) {
        let remote: LID = switch smp.addressing {
        case .directed: .permissive
        case .lidRouted(let lid): lid
        }
        record(wire, from: direction == .sent ? .permissive : remote, to: direction == .sent ? remote : .permissive, direction: direction)
    }

    private func record(_ wire: [UInt8], from source: LID, to destination: LID, direction: CapturedMAD.Direction) {
        let captured = CapturedMAD(
            timestamp: CapturedMAD.now(), direction: direction, sourceLID: source, destinationLID: destination, mad: wire)
        do { try writer.append(captured) } catch {
            firstFailure.withLock { if $0 == nil { $0 = error } }
        }
    }
}
