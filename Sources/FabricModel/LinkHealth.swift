import IBWire

/// One link as it runs: its width and speed, the data rate each way, and what it could run at if it
/// trained to the best that both ends support.
public struct LinkReport: Sendable, Equatable {
    public var a: PortAddress
    public var b: PortAddress
    public var width: LinkWidth
    public var speed: LinkSpeed
    /// Gb/s each way (8b/10b up to QDR, 64b/66b from FDR).
    public var dataRate: Double
    /// The widest width both ends support, when the link runs narrower.
    public var couldBeWidth: LinkWidth?
    /// The fastest speed both ends support, when the link runs slower.
    public var couldBeSpeed: LinkSpeed?

    /// Trained below what both ends support (a 4X cable running at 1X, a QDR link at SDR).
    public var isDegraded: Bool { couldBeWidth != nil || couldBeSpeed != nil }

    /// The data rate the link would have at the best width and speed both ends support.
    public var possibleDataRate: Double { linkDataRate(width: couldBeWidth ?? width, speed: couldBeSpeed ?? speed) }
}

/// Link health: every link's active width and speed against what both ends support, by iblinkinfo's
/// rules, so that the links reported degraded are exactly those iblinkinfo marks "Could be":
/// - width: the widest width in both LinkWidthSupported masks (12X > 8X > 4X > 2X > 1X), against
///   LinkWidthActive;
/// - speed: when both ends have extended speeds (CapabilityMask bit 14, a switch's taken from its port 0)
///   and both LinkSpeedExtSupported masks are non-zero, the fastest extended speed in both against
///   LinkSpeedExtActive; otherwise the fastest classic speed in both LinkSpeedSupported masks against
///   LinkSpeedActive. (FDR10, a vendor attribute, is not read.)
/// Ports without a PortInfo (a fabric read from a topology file) are reported at their width and speed,
/// with nothing to compare against.
public enum LinkHealth {
    public static func assess(_ fabric: Fabric) -> [LinkReport] {
        fabric.links.map { assess($0, in: fabric) }
    }

    /// The degraded links only.
    public static func degraded(_ fabric: Fabric) -> [LinkReport] {
        assess(fabric).filter(\.isDegraded)
    }

    static func assess(_ link: Link, in fabric: Fabric) -> LinkReport {
        let portA = fabric[link.a]
        let width = portA?.info?.linkWidthActive ?? portA?.width ?? .x4
        let speed = portA?.info?.activeSpeed ?? portA?.speed ?? .unknown
        var report = LinkReport(a: link.a, b: link.b, width: width, speed: speed, dataRate: linkDataRate(width: width, speed: speed))
        // Judged from each end, as iblinkinfo prints each port; both ends normally agree.
        for (here, there) in [(link.a, link.b), (link.b, link.a)] {
            guard let info = fabric[here]?.info, let remote = fabric[there]?.info else { continue }
            if report.couldBeWidth == nil, let best = LinkWidth.widest(in: info.linkWidthSupported & remote.linkWidthSupported),
               best.rawValue & info.linkWidthActive.rawValue == 0 {
                report.couldBeWidth = best
            }
            if report.couldBeSpeed == nil {
                report.couldBeSpeed = slowerThanPossible(info, remote,
                                                         extended: hasExtendedSpeeds(here, in: fabric) && hasExtendedSpeeds(there, in: fabric))
            }
        }
        return report
    }

    private static func slowerThanPossible(_ info: PortInfo, _ remote: PortInfo, extended: Bool) -> LinkSpeed? {
        if extended, info.linkSpeedExtendedSupported != 0, remote.linkSpeedExtendedSupported != 0 {
            let common = info.linkSpeedExtendedSupported & remote.linkSpeedExtendedSupported
            let highest: UInt8 = common == 0 ? 0 : UInt8(1) << (7 - common.leadingZeroBitCount)
            guard highest & info.linkSpeedExtendedActive == 0 else { return nil }
            return LinkSpeed.fastestExtended(in: common) ?? .unknown
        }
        let common = info.linkSpeedSupported & remote.linkSpeedSupported
        let highest: UInt8 = common == 0 ? 0 : UInt8(1) << (7 - common.leadingZeroBitCount)
        guard highest & info.linkSpeedActive == 0 else { return nil }
        return LinkSpeed.fastestClassic(in: common) ?? .unknown
    }

    /// A switch port's capabilities are its port 0's.
    private static func hasExtendedSpeeds(_ address: PortAddress, in fabric: Fabric) -> Bool {
        let node = fabric[address.node]
        let info = node.type == .switch ? node.ports.first??.info : fabric[address]?.info
        return info?.hasExtendedSpeeds ?? false
    }

    /// `"leaf-0"[3] <-> "host-5"[1]  4X QDR  32 Gb/s each way`, and what it could be when degraded.
    public static func line(_ report: LinkReport, in fabric: Fabric) -> String {
        var text = "\(fabric.describe(report.a)) <-> \(fabric.describe(report.b))  \(report.width.upperDescription) \(report.speed.rawValue)  \(rate(report.dataRate)) Gb/s each way"
        if report.isDegraded {
            let could = [report.couldBeWidth.map(\.upperDescription), report.couldBeSpeed.map(\.rawValue)].compactMap { $0 }
            text += "  (below what both ends support: could be \(could.joined(separator: " ")), \(rate(report.possibleDataRate)) Gb/s)"
        }
        return text
    }

    /// Gb/s with at most two decimals, trailing zeros dropped (32, 13.64, 51.52).
    public static func rate(_ gbps: Double) -> String {
        let hundredths = Int((gbps * 100).rounded())
        let whole = hundredths / 100, fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
