import IBWire

/// Something that carries SMPs to a fabric and brings back their responses: a real or ibsim-simulated
/// port through libibumad, the in-process simulator, or a recorder wrapped around either.
///
/// A transport only moves MADs. Windows, retries and status checks live in `SMPClient`, so every transport
/// gets the same behaviour; transaction IDs come from `TransactionIDs`.
///
/// Beside request and response, a transport has an inbound side: MADs nobody asked for (Traps, SMInfo
/// from other SMs, SA queries) arrive on `unsolicited`, and `post` sends a MAD that expects no answer
/// (a response, a TrapRepress, a Report). Transports without one receive nothing and cannot post.
public protocol MADTransport: Sendable {
    /// Sends `request` and waits for the response with the same transaction ID, class and attribute.
    /// Throws `.timeout` when none arrives within `timeout` (or the fabric reports the MAD undeliverable).
    nonisolated(nonsending) func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP

    /// The same exchange, also returning the response's 256 bytes exactly as they arrived (what a
    /// recorder writes). The default re-encodes the decoded response.
    nonisolated(nonsending) func exchangeKeepingWireBytes(_ request: SMP, timeout: Duration) async throws(TransportError) -> (response: SMP, wire: [UInt8])

    /// Releases the port. Exchanges after this fail with `.closed`.
    func close() async

    /// Requests and traps that arrived unasked, in order; one consumer. Finishes when the port closes.
    var unsolicited: InboundQueue { get }

    /// Sends `mad` (256 bytes) to `address` and expects no answer: a response to an inbound request, a
    /// TrapRepress, a Report.
    nonisolated(nonsending) func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError)

    /// Posts only the first `length` bytes (at least the 56 of the MAD, RMPP and SA headers) of a 256-byte
    /// MAD: an SA GetTable answer of one segment carries just its records, since receivers without RMPP
    /// (saquery under umad2sim) count records by the length received. Transports that cannot send short
    /// MADs send all 256 bytes.
    nonisolated(nonsending) func post(_ mad: [UInt8], length: Int, to address: MADAddress) async throws(TransportError)

    /// Sends a request of any class (an SA query on QP1, say) and waits for the MAD that answers it, matched
    /// on transaction ID, class and attribute.
    nonisolated(nonsending) func exchangeMAD(_ mad: [UInt8], to address: MADAddress, timeout: Duration) async throws(TransportError) -> InboundMAD

    /// Where whoever consumes `unsolicited` (or sends many SMPs: a sweep) runs best, if the transport has
    /// such a place: the thread that receives the MADs, so that one received and answered costs no
    /// cross-thread wake-up. Work there must not compute for long (responses wait meanwhile). Nil: anywhere.
    var inboundExecutor: (any TaskExecutor)? { get }
}

extension MADTransport {
    public var inboundExecutor: (any TaskExecutor)? { nil }

    nonisolated(nonsending) public func post(_ mad: [UInt8], length: Int, to address: MADAddress) async throws(TransportError) {
        try await post(mad, to: address)
    }

    nonisolated(nonsending) public func exchangeKeepingWireBytes(_ request: SMP, timeout: Duration) async throws(TransportError) -> (response: SMP, wire: [UInt8]) {
        let response = try await exchange(request, timeout: timeout)
        return (response, response.encoded())
    }
}

/// Why an exchange with the fabric failed.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No response in time, or the MAD could not be delivered.
    case timeout
    /// No usable CA/port, or it could not be opened.
    case noPort(String)
    /// The device refused the send.
    case sendFailed(String)
    /// A response arrived that cannot be decoded.
    case malformedResponse(WireError)
    case closed

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .noPort(let why): why
        case .sendFailed(let why): "send failed: \(why)"
        case .malformedResponse(let error): "malformed response: \(error)"
        case .closed: "transport closed"
        }
    }
}
