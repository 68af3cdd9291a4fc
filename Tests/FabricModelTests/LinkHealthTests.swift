import FabricModel
import IBWire
import TestSupport
import Testing

@Suite struct LinkHealthTests {
    /// A PortInfo as a port would answer: supported/active width and speed masks.
    static func info(widthSupported: UInt8 = 0x1F, width: LinkWidth = .x4, speedSupported: UInt8 = 0x07, speed: LinkSpeed = .qdr,
                     extSupported: UInt8 = 0, capabilities: UInt32 = 0x4000) -> PortInfo {
        var info = PortInfo()
        info.capabilityMask = capabilities
        info.linkWidthSupported = widthSupported
        info.linkWidthActive = width
        info.linkSpeedSupported = speedSupported
        info.linkSpeedActive = speed.encoding.classic
        info.linkSpeedExtendedActive = speed.encoding.extended
        info.linkSpeedExtendedSupported = extSupported
        return info
    }

    /// sw[1..3] cabled to three hosts, with the given PortInfo at both ends of each link.
    static func fabric(_ ends: [(PortInfo, PortInfo)], switchPort0: PortInfo = info()) -> Fabric {
        var builder = FabricBuilder()
        builder.addSwitch("sw", ports: ends.count)
        for index in ends.indices {
            builder.addCA("h\(index)")
            builder.link("sw", UInt8(index + 1), "h\(index)", 1)
        }
        var fabric = builder.fabric
        let sw = builder.index("sw")
        fabric[sw].ports[0]?.info = switchPort0
        for (index, (here, there)) in ends.enumerated() {
            fabric[sw].ports[index + 1]?.info = here
            fabric[builder.index("h\(index)")].ports[1]?.info = there
        }
        return fabric
    }

    @Test func dataRatesEachWay() {
        #expect(linkDataRate(width: .x4, speed: .sdr) == 8)
        #expect(linkDataRate(width: .x4, speed: .qdr) == 32)
        #expect(linkDataRate(width: .x1, speed: .ddr) == 4)
        #expect(linkDataRate(width: .x12, speed: .qdr) == 96)
        #expect(abs(linkDataRate(width: .x4, speed: .fdr) - 54.545) < 0.001)
        #expect(linkDataRate(width: .x4, speed: .edr) == 100)
        #expect(abs(linkDataRate(width: .x4, speed: .hdr) - 206.06) < 0.01)
        #expect(abs(linkDataRate(width: .x4, speed: .ndr) - 412.12) < 0.01)
        #expect(LinkHealth.rate(32) == "32")
        #expect(LinkHealth.rate(54.5454) == "54.55")
        #expect(LinkHealth.rate(2.5) == "2.5")
        #expect(LinkHealth.rate(13.6363) == "13.64")
        #expect(LinkHealth.rate(1.05) == "1.05")
    }

    @Test func widestAndFastestFollowIblinkinfo() {
        #expect(LinkWidth.widest(in: 0x1F) == .x12, "2X is the top bit but not the widest")
        #expect(LinkWidth.widest(in: 0x13) == .x4)
        #expect(LinkWidth.widest(in: 0x10) == .x2)
        #expect(LinkWidth.widest(in: 0) == nil)
        #expect(LinkSpeed.fastestClassic(in: 0x07) == .qdr)
        #expect(LinkSpeed.fastestClassic(in: 0x03) == .ddr)
        #expect(LinkSpeed.fastestExtended(in: 0x07) == .hdr)
        #expect(LinkSpeed.fastestExtended(in: 0x0F) == .ndr)
        #expect(LinkSpeed.fastestExtended(in: 0x01) == .fdr)
    }

    @Test func linksBelowWhatBothEndsSupportAreReportedWithWhatTheyCouldBe() {
        let fabric = Self.fabric([
            // 4X cable trained to 1X, both ends 4X-capable.
            (Self.info(widthSupported: 0x03, width: .x1), Self.info(widthSupported: 0x03, width: .x1)),
            // At the best both support: 4X QDR, though one end could do 12X.
            (Self.info(widthSupported: 0x0B), Self.info(widthSupported: 0x03)),
            // QDR-capable ends at SDR.
            (Self.info(widthSupported: 0x03, speed: .sdr), Self.info(widthSupported: 0x03, speed: .sdr)),
        ])
        let reports = LinkHealth.assess(fabric)
        #expect(reports.count == 3)
        #expect(reports[0].couldBeWidth == .x4 && reports[0].couldBeSpeed == nil)
        #expect(reports[0].dataRate == 8 && reports[0].possibleDataRate == 32)
        #expect(!reports[1].isDegraded)
        #expect(reports[1].dataRate == 32)
        #expect(reports[2].couldBeWidth == nil && reports[2].couldBeSpeed == .qdr)
        #expect(LinkHealth.degraded(fabric).count == 2)
        #expect(LinkHealth.line(reports[0], in: fabric) == "\"sw\"[1] <-> \"h0\"[1]  1X QDR  8 Gb/s each way  (below what both ends support: could be 4X, 32 Gb/s)")
        #expect(LinkHealth.line(reports[1], in: fabric) == "\"sw\"[2] <-> \"h1\"[1]  4X QDR  32 Gb/s each way")
    }

    @Test func extendedSpeedsCountOnlyWhenBothEndsHaveThem() {
        let edrCapable = Self.info(widthSupported: 0x03, speed: .edr, extSupported: 0x07)
        let reports = LinkHealth.assess(Self.fabric([
            (edrCapable, edrCapable),  // EDR, both could do HDR
            (Self.info(widthSupported: 0x03, speed: .hdr, extSupported: 0x07), Self.info(widthSupported: 0x03, speed: .hdr, extSupported: 0x07)),
        ]))
        #expect(reports[0].speed == .edr && reports[0].couldBeSpeed == .hdr)
        #expect(!reports[1].isDegraded && reports[1].speed == .hdr)
        // Without the capability bit on the switch's port 0, the classic fields decide (QDR active: fine).
        let classic = LinkHealth.assess(Self.fabric([(edrCapable, edrCapable)], switchPort0: Self.info(capabilities: 0)))
        #expect(!classic[0].isDegraded)
    }

    @Test func fabricsFromTopologyFilesHaveRatesButNothingToCompare() throws {
        let fabric = try TopologyFile.parse("""
            Switch 2 "sw"
            [1] "h"[1] # "h" lid 2 4xEDR

            Ca 1 "h"
            [1] "sw"[1] # lid 2 lmc 0 "sw" lid 1 4xEDR
            """)
        let reports = LinkHealth.assess(fabric)
        #expect(reports.count == 1)
        #expect(reports[0].width == .x4 && reports[0].speed == .edr && reports[0].dataRate == 100)
        #expect(!reports[0].isDegraded)
    }
}
