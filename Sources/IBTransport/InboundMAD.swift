import IBWire
import Synchronization

/// Where a MAD comes from or goes to: the port's LID and, for general services such as the SA, the queue
/// pair, its Q_Key, the service level and the P_Key index (SMPs always use QP0 and need none of these).
public struct MADAddress: Hashable, Sendable, CustomStringConvertible {
    public var lid: LID
    public var queuePair: UInt32
    public var qKey: UInt32
    public var serviceLevel: UInt8
    public var pKeyIndex: UInt16

    /// The Q_Key of every QP1 (general services interface).
    public static let generalServicesQKey: UInt32 = 0x8001_0000

    public init(lid: LID, queuePair: UInt32 = 0, qKey: UInt32 = 0, serviceLevel: UInt8 = 0, pKeyIndex: UInt16 = 0) {
        self.lid = lid
        self.queuePair = queuePair
        self.qKey = qKey
        self.serviceLevel = serviceLevel
        self.pKeyIndex = pKeyIndex
    }

    /// A port's subnet management agent or SM (QP0), LID-routed; `.permissive` for directed route.
    public static func subnetManagement(_ lid: LID) -> MADAddress { MADAddress(lid: lid) }

    /// A port's general services interface (QP1), where the SA listens.
    public static func generalServices(_ lid: LID) -> MADAddress {
        MADAddress(lid: lid, queuePair: 1, qKey: generalServicesQKey)
    }

    public var description: String { queuePair == 0 ? "LID \(lid)" : "LID \(lid) QP \(queuePair)" }
}

/// A MAD that arrived unasked: a Trap, an SMInfo Get or Set from another SM, an SA query. It keeps its
/// bytes as they arrived; the header is read once, and whoever handles the class decodes the rest.
public struct InboundMAD: Sendable {
    public var bytes: [UInt8]
    public var header: MADHeader
    public var source: MADAddress

    public init(bytes: [UInt8], source: MADAddress) throws(WireError) {
        // More than 256 bytes: an RMPP answer reassembled below us (the first segment's headers, then
        // every segment's data), as the kernel hands it to a program.
        self.header = try MADHeader(peeking: bytes.count > SMP.madSize ? Array(bytes.prefix(SMP.madSize)) : bytes)
        self.bytes = bytes
        self.source = source
    }

    /// The MAD decoded as an SMP (classes 0x01 and 0x81).
    public func smp() throws(WireError) -> SMP { try SMP(decoding: bytes, destination: source.lid) }
}

/// The one place transaction IDs are allocated in this process: the sweeper, the SMInfo agent, the trap
/// handler and the SA client share a port, and their requests must never be taken for one another's.
/// The kernel and umad2sim overwrite the upper 32 bits, so uniqueness is kept in the low 32.
public enum TransactionIDs {
    private static let counter = Atomic<UInt32>(0x1000)

    /// A transaction ID no other request of this process is using.
    public static func next() -> UInt64 {
        UInt64(counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }
}

extension MADTransport {
    /// A transport with no inbound side receives nothing unasked.
    public var unsolicited: InboundQueue { InboundQueue.finished() }

    nonisolated(nonsending) public func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError) {
        throw .sendFailed("this transport sends only SMP requests")
    }

    nonisolated(nonsending) public func exchangeMAD(_ mad: [UInt8], to address: MADAddress, timeout: Duration) async throws(TransportError) -> InboundMAD {
        throw .sendFailed("this transport sends only SMP requests")
    }
}
