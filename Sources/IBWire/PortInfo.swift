/// The logical state of a port (PortInfo.PortState).
public enum PortState: UInt8, Sendable, CustomStringConvertible, Codable {
    /// In a Set: leave the state as it is.
    case noChange = 0
    case down = 1
    case initialize = 2
    case armed = 3
    case active = 4

    public var description: String {
        switch self {
        case .noChange: "NoChange"
        case .down: "Down"
        case .initialize: "Initialize"
        case .armed: "Armed"
        case .active: "Active"
        }
    }
}

/// The physical state of a port (PortInfo.PortPhysicalState).
public enum PhysicalPortState: UInt8, Sendable, CustomStringConvertible, Codable {
    case noChange = 0
    case sleep = 1
    case polling = 2
    case disabled = 3
    case configurationTraining = 4
    case linkUp = 5
    case linkErrorRecovery = 6
    case phyTest = 7

    public var description: String {
        switch self {
        case .noChange: "NoChange"
        case .sleep: "Sleep"
        case .polling: "Polling"
        case .disabled: "Disabled"
        case .configurationTraining: "PortConfigurationTraining"
        case .linkUp: "LinkUp"
        case .linkErrorRecovery: "LinkErrorRecovery"
        case .phyTest: "PhyTest"
        }
    }
}

/// PortInfo (0x0015): a port's addresses, link and state. The attribute modifier names the port.
public struct PortInfo: SMPAttribute {
    public static let attributeID = AttributeID.portInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var mKey: UInt64 {
        get { bytes.field64(.portMKey) }
        set { bytes.setField64(.portMKey, newValue) }
    }
    public var gidPrefix: UInt64 {
        get { bytes.field64(.portGIDPrefix) }
        set { bytes.setField64(.portGIDPrefix, newValue) }
    }
    public var lid: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.portLID))) }
        set { bytes.setField(.portLID, UInt32(newValue.rawValue)) }
    }
    public var masterSMLID: LID {
        get { LID(UInt16(truncatingIfNeeded: bytes.field(.portMasterSMLID))) }
        set { bytes.setField(.portMasterSMLID, UInt32(newValue.rawValue)) }
    }
    public var capabilityMask: UInt32 {
        get { bytes.field(.portCapabilityMask) }
        set { bytes.setField(.portCapabilityMask, newValue) }
    }
    /// CapabilityMask bit 1: the port runs a subnet manager.
    public var isSubnetManager: Bool { capabilityMask & 0x2 != 0 }

    public var mKeyLeasePeriod: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.portMKeyLeasePeriod)) }
        set { bytes.setField(.portMKeyLeasePeriod, UInt32(newValue)) }
    }
    public var localPortNumber: PortNumber {
        get { PortNumber(UInt8(truncatingIfNeeded: bytes.field(.portLocalPort))) }
        set { bytes.setField(.portLocalPort, UInt32(newValue.rawValue)) }
    }
    public var linkWidthEnabled: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkWidthEnabled)) }
        set { bytes.setField(.portLinkWidthEnabled, UInt32(newValue)) }
    }
    public var linkWidthSupported: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkWidthSupported)) }
        set { bytes.setField(.portLinkWidthSupported, UInt32(newValue)) }
    }
    public var linkWidthActive: LinkWidth {
        get { LinkWidth(rawValue: UInt8(truncatingIfNeeded: bytes.field(.portLinkWidthActive))) }
        set { bytes.setField(.portLinkWidthActive, UInt32(newValue.rawValue)) }
    }
    public var linkSpeedSupported: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedSupported)) }
        set { bytes.setField(.portLinkSpeedSupported, UInt32(newValue)) }
    }
    /// Nil for a reserved value.
    public var state: PortState? {
        get { PortState(rawValue: UInt8(truncatingIfNeeded: bytes.field(.portState))) }
        set { bytes.setField(.portState, UInt32(newValue?.rawValue ?? 0)) }
    }
    public var physicalState: PhysicalPortState? {
        get { PhysicalPortState(rawValue: UInt8(truncatingIfNeeded: bytes.field(.portPhysicalState))) }
        set { bytes.setField(.portPhysicalState, UInt32(newValue?.rawValue ?? 0)) }
    }
    public var mKeyProtectBits: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portMKeyProtectBits)) }
        set { bytes.setField(.portMKeyProtectBits, UInt32(newValue)) }
    }
    public var lmc: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLMC)) }
        set { bytes.setField(.portLMC, UInt32(newValue)) }
    }
    public var linkSpeedActive: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedActive)) }
        set { bytes.setField(.portLinkSpeedActive, UInt32(newValue)) }
    }
    public var linkSpeedEnabled: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedEnabled)) }
        set { bytes.setField(.portLinkSpeedEnabled, UInt32(newValue)) }
    }
    /// Extended speeds (FDR and up); 0 when the port uses LinkSpeedActive.
    public var linkSpeedExtendedActive: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedExtActive)) }
        set { bytes.setField(.portLinkSpeedExtActive, UInt32(newValue)) }
    }
    public var linkSpeedExtendedSupported: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedExtSupported)) }
        set { bytes.setField(.portLinkSpeedExtSupported, UInt32(newValue)) }
    }
    public var neighborMTU: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portNeighborMTU)) }
        set { bytes.setField(.portNeighborMTU, UInt32(newValue)) }
    }
    public var masterSMSL: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portMasterSMSL)) }
        set { bytes.setField(.portMasterSMSL, UInt32(newValue)) }
    }
    public var vlCap: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portVLCap)) }
        set { bytes.setField(.portVLCap, UInt32(newValue)) }
    }
    /// The weight the high-priority VLs may send before a low-priority one gets a turn (VLArbitration).
    public var vlHighLimit: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portVLHighLimit)) }
        set { bytes.setField(.portVLHighLimit, UInt32(newValue)) }
    }
    /// How many entries the port's high- and low-priority VL arbitration tables have (0: none).
    public var vlArbitrationHighCap: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portVLArbitrationHighCap)) }
        set { bytes.setField(.portVLArbitrationHighCap, UInt32(newValue)) }
    }
    public var vlArbitrationLowCap: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portVLArbitrationLowCap)) }
        set { bytes.setField(.portVLArbitrationLowCap, UInt32(newValue)) }
    }
    /// CapabilityMask bit 6 (IsSLMappingSupported): the port has an SLtoVLMappingTable.
    public var supportsSLMapping: Bool { capabilityMask & 0x40 != 0 }
    /// How many data VLs an OperationalVLs or VLCap code means: 1 (VL0), 2, 4, 8 or 15 (VL0-VL14); 0 for others.
    public static func dataVLCount(_ code: UInt8) -> Int {
        switch code {
        case 1: 1
        case 2: 2
        case 3: 4
        case 4: 8
        case 5: 15
        default: 0
        }
    }

    public var mtuCap: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portMTUCap)) }
        set { bytes.setField(.portMTUCap, UInt32(newValue)) }
    }
    public var operationalVLs: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portOperVLs)) }
        set { bytes.setField(.portOperVLs, UInt32(newValue)) }
    }
    public var clientReregister: Bool {
        get { bytes.field(.portClientReregister) != 0 }
        set { bytes.setField(.portClientReregister, newValue ? 1 : 0) }
    }
    public var subnetTimeout: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portSubnetTimeout)) }
        set { bytes.setField(.portSubnetTimeout, UInt32(newValue)) }
    }
    public var mKeyViolations: UInt16 {
        get { UInt16(truncatingIfNeeded: bytes.field(.portMKeyViolations)) }
        set { bytes.setField(.portMKeyViolations, UInt32(newValue)) }
    }

    /// The link speed in effect: the extended speed when one is active.
    public var activeSpeed: LinkSpeed { LinkSpeed(classic: linkSpeedActive, extended: linkSpeedExtendedActive) }
}

/// PortInfo.LinkWidthActive.
public struct LinkWidth: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let x1 = LinkWidth(rawValue: 1)
    public static let x4 = LinkWidth(rawValue: 2)
    public static let x8 = LinkWidth(rawValue: 4)
    public static let x12 = LinkWidth(rawValue: 8)
    public static let x2 = LinkWidth(rawValue: 16)

    /// "4x", as the diag tools print it.
    public var description: String {
        switch self {
        case .x1: "1x"
        case .x2: "2x"
        case .x4: "4x"
        case .x8: "8x"
        case .x12: "12x"
        default: "?x"
        }
    }

    public init?(parsing text: some StringProtocol) {
        switch text {
        case "1x": self = .x1
        case "2x": self = .x2
        case "4x": self = .x4
        case "8x": self = .x8
        case "12x": self = .x12
        default: return nil
        }
    }
}

/// The signalling rate of a link, from LinkSpeedActive and LinkSpeedExtActive.
public enum LinkSpeed: String, Hashable, Sendable, CaseIterable, Codable {
    case sdr = "SDR", ddr = "DDR", qdr = "QDR", fdr10 = "FDR10", fdr = "FDR", edr = "EDR", hdr = "HDR", ndr = "NDR"
    case unknown = "?"

    public init(classic: UInt8, extended: UInt8) {
        switch extended {
        case 1: self = .fdr
        case 2: self = .edr
        case 4: self = .hdr
        case 8: self = .ndr
        default:
            switch classic {
            case 1: self = .sdr
            case 2: self = .ddr
            case 4: self = .qdr
            default: self = .unknown
            }
        }
    }

    /// The (LinkSpeedActive, LinkSpeedExtActive) pair that encodes this speed.
    public var encoding: (classic: UInt8, extended: UInt8) {
        switch self {
        case .sdr: (1, 0)
        case .ddr: (2, 0)
        case .qdr, .fdr10: (4, 0)
        case .fdr: (4, 1)
        case .edr: (4, 2)
        case .hdr: (4, 4)
        case .ndr: (4, 8)
        case .unknown: (0, 0)
        }
    }
}
