/// Notice (0x0002): what a Trap carries. Switches send Trap 128 (a port's link state changed) and ports
/// send Trap 144 (their capability mask changed, e.g. IsSM) to their MasterSMLID.
public struct Notice: SMPAttribute {
    public static let attributeID = AttributeID.notice
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isGeneric: Bool {
        get { bytes.field(.noticeIsGeneric) != 0 }
        set { bytes.setField(.noticeIsGeneric, newValue ? 1 : 0) }
    }
    /// 0 fatal, 1 urgent, 2 security, 3 subnet management, 4 informational.
    public var type: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.noticeType)) }
        set { bytes.setField(.noticeType, UInt32(newValue)) }
    }
    /// For generic notices, the node type of the producer (1 CA, 2 switch, 3 router, 4 subnet management).
    public var producerType: UInt32 {
        get { bytes.field(.noticeProducerType) }
        set { bytes.setField(.noticeProducerType, newValue) }
    }
    public var trapNumber: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.noticeTrapNumber)) }
        set { bytes.setField(.noticeTrapNumber, UInt32(newValue)) }
    }
    public var issuerLID: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.noticeIssuerLID))) }
        set { bytes.setField(.noticeIssuerLID, UInt32(newValue.rawValue)) }
    }
    public var toggle: Bool {
        get { bytes.field(.noticeToggle) != 0 }
        set { bytes.setField(.noticeToggle, newValue ? 1 : 0) }
    }
    public var count: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.noticeCount)) }
        set { bytes.setField(.noticeCount, UInt32(newValue)) }
    }
    /// The LID the trap is about: the switch for Trap 128 (data details, LIDAddr).
    public var dataLID: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.noticeDataLID))) }
        set { bytes.setField(.noticeDataLID, UInt32(newValue.rawValue)) }
    }
    /// Trap 144: the LID of the port whose capabilities changed.
    public var trap144LID: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.notice144LID))) }
        set { bytes.setField(.notice144LID, UInt32(newValue.rawValue)) }
    }
    /// Trap 144: that port's new capability mask.
    public var trap144CapabilityMask: UInt32 {
        get { bytes.field(.notice144CapabilityMask) }
        set { bytes.setField(.notice144CapabilityMask, newValue) }
    }
}

/// What a Set of SMInfo asks of another SM (its attribute modifier, IBA 14.4.1).
public enum SMInfoControl: UInt32, Sendable, CustomStringConvertible {
    case handover = 1, acknowledge = 2, disable = 3, standby = 4, discover = 5

    public var description: String {
        switch self {
        case .handover: "HANDOVER"
        case .acknowledge: "ACKNOWLEDGE"
        case .disable: "DISABLE"
        case .standby: "STANDBY"
        case .discover: "DISCOVER"
        }
    }
}
