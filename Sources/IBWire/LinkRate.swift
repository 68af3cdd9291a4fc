/// Link widths, speeds and data rates: what PortInfo's Supported/Enabled/Active masks mean, and the
/// rate a link carries each way.

extension LinkWidth {
    /// Lanes of the width (1X, 2X, 4X, 8X, 12X); nil for a reserved value.
    public var lanes: Int? {
        switch self {
        case .x1: 1
        case .x2: 2
        case .x4: 4
        case .x8: 8
        case .x12: 12
        default: nil
        }
    }

    /// The widest width in a Supported/Enabled mask, ranked by lanes (12X, 8X, 4X, 2X, 1X; the 2X bit
    /// is the highest bit but not the widest), as iblinkinfo ranks them.
    public static func widest(in mask: UInt8) -> LinkWidth? {
        for width in [LinkWidth.x12, .x8, .x4, .x2, .x1] where mask & width.rawValue != 0 { return width }
        return nil
    }

    /// "4X", as iblinkinfo prints a width.
    public var upperDescription: String { description.uppercased() }
}

extension LinkSpeed {
    /// Signalling rate of one lane, in Gb/s.
    public var laneSignallingGbps: Double {
        switch self {
        case .sdr: 2.5
        case .ddr: 5
        case .qdr: 10
        case .fdr10: 10.3125
        case .fdr: 14.0625
        case .edr: 25.78125
        case .hdr: 53.125
        case .ndr: 106.25
        case .unknown: 0
        }
    }

    /// Payload bits per signalled bit: 8b/10b up to QDR, 64b/66b from FDR10 and FDR on.
    public var encodingEfficiency: Double {
        switch self {
        case .sdr, .ddr, .qdr: 8.0 / 10.0
        case .fdr10, .fdr, .edr, .hdr, .ndr: 64.0 / 66.0
        case .unknown: 0
        }
    }

    /// Data rate one lane carries each way, in Gb/s (QDR 8, FDR 13.64, EDR 25, HDR 51.5, NDR 103).
    public var laneDataGbps: Double { laneSignallingGbps * encodingEfficiency }

    /// The fastest classic speed (SDR/DDR/QDR) in a LinkSpeedSupported/Enabled mask: the highest bit, as
    /// iblinkinfo takes it.
    public static func fastestClassic(in mask: UInt8) -> LinkSpeed? {
        guard mask != 0 else { return nil }
        let highest = UInt8(1) << (7 - mask.leadingZeroBitCount)
        return LinkSpeed(classic: highest, extended: 0) == .unknown ? nil : LinkSpeed(classic: highest, extended: 0)
    }

    /// The fastest extended speed (FDR/EDR/HDR/NDR) in a LinkSpeedExtSupported/Enabled mask.
    public static func fastestExtended(in mask: UInt8) -> LinkSpeed? {
        guard mask != 0 else { return nil }
        let highest = UInt8(1) << (7 - mask.leadingZeroBitCount)
        let speed = LinkSpeed(classic: 0, extended: highest)
        return speed == .unknown ? nil : speed
    }

    /// The per-lane signalling rate as iblinkinfo prints it ("10.0 Gbps", "25.78125 Gbps").
    public var iblinkinfoText: String {
        switch self {
        case .sdr: "2.5 Gbps"
        case .ddr: "5.0 Gbps"
        case .qdr: "10.0 Gbps"
        case .fdr10: "10.3125 Gbps"
        case .fdr: "14.0625 Gbps"
        case .edr: "25.78125 Gbps"
        case .hdr: "53.125 Gbps"
        case .ndr: "106.25 Gbps"
        case .unknown: "?"
        }
    }
}

/// The data rate of a link of `width` lanes at `speed`, each way, in Gb/s (4X QDR: 32).
public func linkDataRate(width: LinkWidth, speed: LinkSpeed) -> Double {
    Double(width.lanes ?? 0) * speed.laneDataGbps
}

extension PortInfo {
    /// CapabilityMask bit 14: the port has the LinkSpeedExt fields (FDR and faster).
    public var hasExtendedSpeeds: Bool { capabilityMask & 0x4000 != 0 }

    public var linkSpeedExtendedEnabled: UInt8 {
        get { UInt8(truncatingIfNeeded: bytes.field(.portLinkSpeedExtEnabled)) }
        set { bytes.setField(.portLinkSpeedExtEnabled, UInt32(newValue)) }
    }
}
