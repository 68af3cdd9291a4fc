/// SwitchInfo (0x0012): a switch's forwarding table sizes and settings.
public struct SwitchInfo: SMPAttribute {
    public static let attributeID = AttributeID.switchInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// How many unicast LIDs the linear forwarding table holds.
    public var linearFDBCap: Int {
        get { Int(bytes.field(.switchLinearFDBCap)) }
        set { bytes.setField(.switchLinearFDBCap, UInt32(newValue)) }
    }
    public var randomFDBCap: Int {
        get { Int(bytes.field(.switchRandomFDBCap)) }
        set { bytes.setField(.switchRandomFDBCap, UInt32(newValue)) }
    }
    public var multicastFDBCap: Int {
        get { Int(bytes.field(.switchMulticastFDBCap)) }
        set { bytes.setField(.switchMulticastFDBCap, UInt32(newValue)) }
    }
    /// The highest LID the linear forwarding table routes.
    public var linearFDBTop: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.switchLinearFDBTop))) }
        set { bytes.setField(.switchLinearFDBTop, UInt32(newValue.rawValue)) }
    }
    public var defaultPort: PortNumber {
        get { PortNumber(UInt8(truncatingIfNeeded: bytes.field(.switchDefaultPort))) }
        set { bytes.setField(.switchDefaultPort, UInt32(newValue.rawValue)) }
    }
    public var lifeTime: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.switchLifeTime)) }
        set { bytes.setField(.switchLifeTime, UInt32(newValue)) }
    }
    public var portStateChange: Bool {
        get { bytes.field(.switchPortStateChange) != 0 }
        set { bytes.setField(.switchPortStateChange, newValue ? 1 : 0) }
    }
    public var lidsPerPort: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.switchLIDsPerPort)) }
        set { bytes.setField(.switchLIDsPerPort, UInt32(newValue)) }
    }
    public var partitionEnforcementCap: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.switchPartitionEnforcementCap)) }
        set { bytes.setField(.switchPartitionEnforcementCap, UInt32(newValue)) }
    }
    /// The highest multicast LID the switch's MFT holds (0 or below 0xC000: none; switches without
    /// the MulticastFDBTop capability ignore it).
    public var multicastFDBTop: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.switchMulticastFDBTop))) }
        set { bytes.setField(.switchMulticastFDBTop, UInt32(newValue.rawValue)) }
    }
    /// Port 0 is an enhanced port 0 (it has its own PortInfo link data).
    public var enhancedPort0: Bool {
        get { bytes.field(.switchEnhancedPort0) != 0 }
        set { bytes.setField(.switchEnhancedPort0, newValue ? 1 : 0) }
    }
}

/// LinearForwardingTable (0x0019): one block of 64 output ports; the attribute modifier is the block number.
public struct LinearForwardingTableBlock: SMPAttribute {
    public static let attributeID = AttributeID.linearForwardingTable
    public static let entriesPerBlock = 64
    /// The port value meaning "drop".
    public static let unrouted = PortNumber(255)

    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(ports: [PortNumber]) {
        self.init(rawPorts: ports.map(\.rawValue))
    }

    /// A block of raw port numbers (what switch programming holds: a third of a sweep's SMPs are blocks).
    public init(rawPorts: [UInt8]) {
        precondition(rawPorts.count == Self.entriesPerBlock, "an LFT block has 64 entries")
        var encoded = [UInt8](repeating: 0, count: SMP.payloadSize)
        encoded.setArrayField(.linearForwardingTable, rawPorts)
        self.bytes = encoded
    }

    /// The 64 output ports, entry i for LID blockNumber*64 + i.
    public var ports: [PortNumber] { rawPorts.map(PortNumber.init(rawValue:)) }

    /// `ports` as raw port numbers.
    public var rawPorts: [UInt8] { bytes.arrayField(.linearForwardingTable, count: Self.entriesPerBlock) }
}

/// The state field of SMInfo.
public enum SMState: UInt8, Sendable, CustomStringConvertible {
    case notActive = 0, discovering = 1, standby = 2, master = 3

    public var description: String {
        switch self {
        case .notActive: "NOTACTIVE"
        case .discovering: "DISCOVERING"
        case .standby: "STANDBY"
        case .master: "MASTER"
        }
    }
}

/// SMInfo (0x0020): a subnet manager's identity, priority and state.
public struct SMInfo: SMPAttribute {
    public static let attributeID = AttributeID.smInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var guid: GUID {
        get { GUID(bytes.field64(.smInfoGUID)) }
        set { bytes.setField64(.smInfoGUID, newValue.rawValue) }
    }
    public var smKey: UInt64 {
        get { bytes.field64(.smInfoKey) }
        set { bytes.setField64(.smInfoKey, newValue) }
    }
    public var activityCount: UInt32 {
        get { bytes.field(.smInfoActivityCount) }
        set { bytes.setField(.smInfoActivityCount, newValue) }
    }
    public var priority: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.smInfoPriority)) }
        set { bytes.setField(.smInfoPriority, UInt32(newValue)) }
    }
    public var state: SMState? {
        get { SMState(rawValue: UInt8(truncatingIfNeeded: bytes.field(.smInfoState))) }
        set { bytes.setField(.smInfoState, UInt32(newValue?.rawValue ?? 0)) }
    }
}
