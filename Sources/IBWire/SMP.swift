/// The two management classes that carry subnet management packets.
public enum ManagementClass: UInt8, Sendable {
    case lidRoutedSMP = 0x01
    case directedRouteSMP = 0x81
}

public enum MADMethod: UInt8, Sendable, CustomStringConvertible {
    case get = 0x01
    case set = 0x02
    case getResponse = 0x81
    case trap = 0x05
    case trapRepress = 0x07

    public var description: String {
        switch self {
        case .get: "Get"
        case .set: "Set"
        case .getResponse: "GetResp"
        case .trap: "Trap"
        case .trapRepress: "TrapRepress"
        }
    }
}

/// An SMP attribute identifier; unknown values are kept so that replies to them can be built and reported.
public struct AttributeID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let notice = AttributeID(rawValue: 0x0002)
    public static let nodeDescription = AttributeID(rawValue: 0x0010)
    public static let nodeInfo = AttributeID(rawValue: 0x0011)
    public static let switchInfo = AttributeID(rawValue: 0x0012)
    public static let portInfo = AttributeID(rawValue: 0x0015)
    public static let pKeyTable = AttributeID(rawValue: 0x0016)
    public static let slToVLMappingTable = AttributeID(rawValue: 0x0017)
    public static let vlArbitrationTable = AttributeID(rawValue: 0x0018)
    public static let linearForwardingTable = AttributeID(rawValue: 0x0019)
    public static let multicastForwardingTable = AttributeID(rawValue: 0x001B)
    public static let smInfo = AttributeID(rawValue: 0x0020)

    public var description: String {
        switch self {
        case .notice: "Notice"
        case .nodeDescription: "NodeDescription"
        case .nodeInfo: "NodeInfo"
        case .switchInfo: "SwitchInfo"
        case .portInfo: "PortInfo"
        case .linearForwardingTable: "LinearForwardingTable"
        case .pKeyTable: "P_KeyTable"
        case .slToVLMappingTable: "SLtoVLMappingTable"
        case .vlArbitrationTable: "VLArbitrationTable"
        case .multicastForwardingTable: "MulticastForwardingTable"
        case .smInfo: "SMInfo"
        default: "Attribute(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// The status word of a MAD response (for directed-route SMPs, without the direction bit).
public struct MADStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ok = MADStatus(rawValue: 0)
    public static let busy = MADStatus(rawValue: 0x0001)
    public static let redirect = MADStatus(rawValue: 0x0002)
    public static let badBaseVersionOrClass = MADStatus(rawValue: 0x0004)
    public static let methodNotSupported = MADStatus(rawValue: 0x0008)
    public static let methodAttributeNotSupported = MADStatus(rawValue: 0x000C)
    public static let invalidAttributeValue = MADStatus(rawValue: 0x001C)

    public var isOK: Bool { rawValue == 0 }

    public var description: String {
        switch self {
        case .ok: "success"
        case .busy: "busy"
        case .redirect: "redirect required"
        case .badBaseVersionOrClass: "bad base version or class (0x04)"
        case .methodNotSupported: "method not supported (0x08)"
        case .methodAttributeNotSupported: "method/attribute combination not supported (0x0C)"
        case .invalidAttributeValue: "invalid attribute or modifier value (0x1C)"
        default: "status 0x\(String(rawValue, radix: 16))"
        }
    }
}

/// The directed-route part of an SMP header (class 0x81).
public struct DirectedRouteHeader: Hashable, Sendable {
    public var hopCount: UInt8
    public var hopPointer: UInt8
    /// The D bit: set on the way back to the requester.
    public var isReturning: Bool
    public var drSLID: LID
    public var drDLID: LID
    /// Entry i the port a node at hop i sends the SMP out of; entry 0 unused.
    public var initialPath: SMPBytes
    /// Filled in hop by hop with the ports the SMP came in on.
    public var returnPath: SMPBytes

    /// An outgoing directed-route header for a purely directed route (permissive DrSLID/DrDLID).
    public init(route: DirectedRoute) {
        hopCount = UInt8(route.hopCount)
        hopPointer = 0
        isReturning = false
        drSLID = .permissive
        drDLID = .permissive
        initialPath = SMPBytes()
        for (index, port) in route.hops.enumerated() { initialPath[index + 1] = port.rawValue }
        returnPath = SMPBytes()
    }

    public init(
        hopCount: UInt8, hopPointer: UInt8, isReturning: Bool, drSLID: LID, drDLID: LID,
        initialPath: SMPBytes, returnPath: SMPBytes
    ) {
        self.hopCount = hopCount
        self.hopPointer = hopPointer
        self.isReturning = isReturning
        self.drSLID = drSLID
        self.drDLID = drDLID
        self.initialPath = initialPath
        self.returnPath = returnPath
    }

    /// The route in the initial path.
    public var route: DirectedRoute {
        DirectedRoute(unchecked: initialPath[1..<(1 + Int(min(hopCount, 63)))].map(PortNumber.init(rawValue:)))
    }
}

/// A subnet management packet: the header fields and the 64-byte attribute payload.
public struct SMP: Hashable, Sendable {
    public enum Addressing: Hashable, Sendable {
        /// Class 0x01, routed by the switches' forwarding tables to this destination LID.
        case lidRouted(LID)
        /// Class 0x81, forwarded hop by hop along an explicit path.
        case directed(DirectedRouteHeader)
    }

    public static let payloadSize = 64

    public var method: MADMethod
    public var attribute: AttributeID
    public var attributeModifier: UInt32
    public var transactionID: UInt64
    public var mKey: UInt64
    public var status: MADStatus
    public var addressing: Addressing
    /// The attribute payload.
    public var payload: SMPBytes

    public init(
        method: MADMethod, attribute: AttributeID, attributeModifier: UInt32 = 0, transactionID: UInt64 = 0,
        mKey: UInt64 = 0, status: MADStatus = .ok, addressing: Addressing, payload: SMPBytes = SMPBytes()
    ) {
        self.method = method
        self.attribute = attribute
        self.attributeModifier = attributeModifier
        self.transactionID = transactionID
        self.mKey = mKey
        self.status = status
        self.addressing = addressing
        self.payload = payload
    }

    public var managementClass: ManagementClass {
        if case .directed = addressing { return .directedRouteSMP }
        return .lidRoutedSMP
    }

    /// The route of a directed-route SMP, nil for a LID-routed one.
    public var directedRoute: DirectedRoute? {
        if case .directed(let header) = addressing { return header.route }
        return nil
    }

    /// A Get of `attribute` along a directed route.
    public static func get(_ attribute: AttributeID, modifier: UInt32 = 0, route: DirectedRoute, mKey: UInt64 = 0) -> SMP {
        SMP(method: .get, attribute: attribute, attributeModifier: modifier, mKey: mKey,
            addressing: .directed(DirectedRouteHeader(route: route)))
    }

    /// A Get of `attribute` routed to `lid` by the forwarding tables.
    public static func get(_ attribute: AttributeID, modifier: UInt32 = 0, lid: LID, mKey: UInt64 = 0) -> SMP {
        SMP(method: .get, attribute: attribute, attributeModifier: modifier, mKey: mKey, addressing: .lidRouted(lid))
    }

    /// A Set of `value` along a directed route.
    public static func set<A: SMPAttribute>(_ value: A, modifier: UInt32 = 0, route: DirectedRoute, mKey: UInt64 = 0) -> SMP {
        SMP(method: .set, attribute: A.attributeID, attributeModifier: modifier, mKey: mKey,
            addressing: .directed(DirectedRouteHeader(route: route)), payload: SMPBytes(value.bytes))
    }

    /// A Set of `value` routed to `lid`.
    public static func set<A: SMPAttribute>(_ value: A, modifier: UInt32 = 0, lid: LID, mKey: UInt64 = 0) -> SMP {
        SMP(method: .set, attribute: A.attributeID, attributeModifier: modifier, mKey: mKey,
            addressing: .lidRouted(lid), payload: SMPBytes(value.bytes))
    }

    /// The payload read as attribute `A`.
    public func decode<A: SMPAttribute>(_ type: A.Type) -> A { A(bytes: payload.array) }
}
