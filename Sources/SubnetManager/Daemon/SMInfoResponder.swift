import IBTransport
import IBWire

/// Who this SM is, as its SMInfo tells other SMs.
public struct OwnSMInfo: Sendable, Equatable {
    public var guid: GUID
    public var smKey: UInt64
    public var priority: UInt8
    public var state: SMState
    public var activityCount: UInt32

    public init(guid: GUID, smKey: UInt64, priority: UInt8, state: SMState, activityCount: UInt32 = 0) {
        self.guid = guid
        self.smKey = smKey
        self.priority = priority
        self.state = state
        self.activityCount = activityCount
    }

    public var attribute: SMInfo {
        var info = SMInfo()
        info.guid = guid
        info.smKey = smKey
        info.priority = priority
        info.state = state
        info.activityCount = activityCount
        return info
    }
}

/// Answers to SMInfo requests from other SMs, built as the spec and OpenSM build them: the request with
/// method GetResp, the direction bit set for directed route, and our SMInfo as the payload.
public enum SMInfoResponder {
    /// What an inbound SMInfo request asks.
    public enum Request: Equatable, Sendable {
        case get
        /// A Set with this control from the SM described by `from` (its SMInfo as it sent it).
        case set(SMInfoControl, from: RemoteSM)
        /// A Set whose SM_Key is not ours, or whose control is unknown: refused, never acted on.
        case refused(String)
    }

    /// Reads an SMInfo Get or Set. `smKey` is ours: OpenSM ignores SMInfo whose key differs, and so do we
    /// for Sets (a Set can hand the subnet over or disable us).
    public static func classify(_ request: SMP, smKey: UInt64) -> Request {
        switch request.method {
        case .get:
            return .get
        case .set:
            let sender = request.decode(SMInfo.self)
            guard sender.smKey == smKey else {
                return .refused("SMInfo Set from SM \(sender.guid) carries SM_Key 0x\(String(sender.smKey, radix: 16)), not ours")
            }
            guard let control = SMInfoControl(rawValue: request.attributeModifier) else {
                return .refused("SMInfo Set from SM \(sender.guid) with unknown control \(request.attributeModifier)")
            }
            return .set(control, from: RemoteSM(sender))
        default:
            return .refused("SMInfo \(request.method) is not a request an SM answers")
        }
    }

    /// The response MAD to `request`: our SMInfo, with `status` (0, or 0x1C for a refused Set).
    ///
    /// The SM_Key is in the answer (the spec says 0 unless the requester is known as master; OpenSM ignores
    /// answers whose key is not its own, 0 included, so an SM answering 0 is never seen as alive by an
    /// OpenSM standby). SwiftSM answers with its key: Sets still need it, and the M_Key guards the ports.
    public static func response(to request: SMP, own: OwnSMInfo, status: MADStatus = .ok) -> SMP {
        var response = request
        response.method = .getResponse
        response.status = status
        if case .directed(var header) = request.addressing {
            header.isReturning = true
            swap(&header.drSLID, &header.drDLID)
            response.addressing = .directed(header)
        }
        response.payload = SMPBytes(own.attribute.bytes)
        return response
    }
}
