public enum NodeType: UInt8, Sendable, CustomStringConvertible, Codable {
    case channelAdapter = 1
    case `switch` = 2
    case router = 3

    public var description: String {
        switch self {
        case .channelAdapter: "CA"
        case .switch: "Switch"
        case .router: "Router"
        }
    }
}

/// NodeInfo (0x0011): what a node is and who it is.
public struct NodeInfo: SMPAttribute {
    public static let attributeID = AttributeID.nodeInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var baseVersion: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.nodeBaseVersion)) }
        set { bytes.setField(.nodeBaseVersion, UInt32(newValue)) }
    }
    public var classVersion: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.nodeClassVersion)) }
        set { bytes.setField(.nodeClassVersion, UInt32(newValue)) }
    }
    /// Nil for a value outside the spec (reported by discovery).
    public var nodeType: NodeType? {
        get { NodeType(rawValue: UInt8(truncatingIfNeeded: bytes.field(.nodeType))) }
        set { bytes.setField(.nodeType, UInt32(newValue?.rawValue ?? 0)) }
    }
    public var portCount: Int {
        get { Int(bytes.field(.nodePortCount)) }
        set { bytes.setField(.nodePortCount, UInt32(newValue)) }
    }
    public var systemImageGUID: GUID {
        get { GUID(bytes.field64(.nodeSystemImageGUID)) }
        set { bytes.setField64(.nodeSystemImageGUID, newValue.rawValue) }
    }
    public var nodeGUID: GUID {
        get { GUID(bytes.field64(.nodeGUID)) }
        set { bytes.setField64(.nodeGUID, newValue.rawValue) }
    }
    /// The GUID of the port the SMP arrived on (of port 0 on a switch).
    public var portGUID: GUID {
        get { GUID(bytes.field64(.nodePortGUID)) }
        set { bytes.setField64(.nodePortGUID, newValue.rawValue) }
    }
    public var partitionCap: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.nodePartitionCap)) }
        set { bytes.setField(.nodePartitionCap, UInt32(newValue)) }
    }
    public var deviceID: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.nodeDeviceID)) }
        set { bytes.setField(.nodeDeviceID, UInt32(newValue)) }
    }
    public var revision: UInt32 {
        get { bytes.field(.nodeRevision) }
        set { bytes.setField(.nodeRevision, newValue) }
    }
    /// The port the SMP arrived on.
    public var localPortNumber: PortNumber {
        get { PortNumber(UInt8(truncatingIfNeeded: bytes.field(.nodeLocalPort))) }
        set { bytes.setField(.nodeLocalPort, UInt32(newValue.rawValue)) }
    }
    public var vendorID: UInt32 {
        get { bytes.field(.nodeVendorID) }
        set { bytes.setField(.nodeVendorID, newValue) }
    }
}

/// NodeDescription (0x0010): the node's 64-byte human-readable name.
public struct NodeDescription: SMPAttribute {
    public static let attributeID = AttributeID.nodeDescription
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(_ text: String) {
        var raw = Array(text.utf8.prefix(SMP.payloadSize))
        raw += [UInt8](repeating: 0, count: SMP.payloadSize - raw.count)
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        encoded.setArrayField(.nodeDescription, raw)
        self.bytes = encoded
    }

    /// The text up to its first NUL.
    public var text: String {
        let raw = bytes.arrayField(.nodeDescription, count: SMP.payloadSize)
        return String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
