import CIBMad
import IBWire
import Testing

/// Typed attribute accessors agree with libibmad's field table, read independently.
@Suite struct AttributeTests {
    private func field(_ bytes: [UInt8], _ field: MAD_FIELDS) -> UInt32 {
        var copy = bytes
        return copy.withUnsafeMutableBytes { mad_get_field($0.baseAddress, 0, field) }
    }

    @Test func portInfoFieldsLandWhereLibibmadReadsThem() {
        var info = PortInfo()
        info.lid = LID(0x1234)
        info.masterSMLID = LID(7)
        info.lmc = 2
        info.state = .armed
        info.physicalState = .linkUp
        info.neighborMTU = 4
        info.operationalVLs = 3
        info.linkWidthActive = .x4
        info.subnetTimeout = 18
        #expect(field(info.bytes, IB_PORT_LID_F) == 0x1234)
        #expect(field(info.bytes, IB_PORT_SMLID_F) == 7)
        #expect(field(info.bytes, IB_PORT_LMC_F) == 2)
        #expect(field(info.bytes, IB_PORT_STATE_F) == 3)
        #expect(field(info.bytes, IB_PORT_PHYS_STATE_F) == 5)
        #expect(field(info.bytes, IB_PORT_NEIGHBOR_MTU_F) == 4)
        #expect(field(info.bytes, IB_PORT_OPER_VLS_F) == 3)
        #expect(field(info.bytes, IB_PORT_LINK_WIDTH_ACTIVE_F) == 2)
        #expect(field(info.bytes, IB_PORT_SUBN_TIMEOUT_F) == 18)
        // Byte positions from the IBA spec (PortInfo: LID at bytes 16-17, PortState in the low nibble of byte 32).
        #expect(info.bytes[16] == 0x12 && info.bytes[17] == 0x34)
        #expect(info.bytes[32] & 0x0F == 3)
    }

    @Test func nodeInfoRoundTrip() {
        var info = NodeInfo()
        info.nodeType = .switch
        info.portCount = 36
        info.nodeGUID = GUID(0x0002_C903_00A1_B2C3)
        info.portGUID = GUID(0x0002_C903_00A1_B2C3)
        info.systemImageGUID = GUID(0x0002_C903_00A1_B2C0)
        info.localPortNumber = 17
        info.vendorID = 0x02C9
        info.deviceID = 0xC738
        let copy = NodeInfo(bytes: info.bytes)
        #expect(copy == info)
        #expect(copy.nodeType == .switch && copy.portCount == 36 && copy.localPortNumber == 17)
        #expect(field(info.bytes, IB_NODE_TYPE_F) == 2)
        #expect(field(info.bytes, IB_NODE_VENDORID_F) == 0x02C9)
    }

    @Test func nodeDescriptionIsTruncatedTo64BytesAndStopsAtNUL() {
        #expect(NodeDescription("host-17 mlx5_0").text == "host-17 mlx5_0")
        #expect(NodeDescription(String(repeating: "x", count: 80)).text.count == 64)
    }

    @Test func forwardingTableBlockKeepsEveryEntry() {
        let ports = (0..<64).map { PortNumber(UInt8($0 % 37)) }
        let block = LinearForwardingTableBlock(ports: ports)
        #expect(block.ports == ports)
        #expect(block.bytes[5] == 5)
    }

    @Test func switchAndSMInfo() {
        var info = SwitchInfo()
        info.linearFDBCap = 49152
        info.linearFDBTop = LID(300)
        info.portStateChange = true
        #expect(SwitchInfo(bytes: info.bytes).linearFDBTop == LID(300))
        #expect(field(info.bytes, IB_SW_LINEAR_FDB_CAP_F) == 49152)
        var sm = SMInfo()
        sm.guid = GUID(42)
        sm.priority = 15
        sm.state = .master
        #expect(SMInfo(bytes: sm.bytes).state == .master && SMInfo(bytes: sm.bytes).priority == 15)
    }

    @Test func speedsAndWidthsPrintAsTheDiagTools() {
        #expect(LinkSpeed(classic: 1, extended: 0) == .sdr)
        #expect(LinkSpeed(classic: 4, extended: 2) == .edr)
        #expect(LinkWidth.x4.description == "4x")
        #expect(GUID(0x200001).description == "0x0000000000200001")
        #expect(GUID(parsing: "0x200001") == GUID(0x200001))
    }

    @Test func mKeyFieldsLandWhereLibibmadReadsThem() {
        var info = PortInfo()
        info.apply(MKeyPolicy(key: 0x0123_4567_89AB_CDEF, protectBits: 2, leasePeriod: 600))
        info.mKeyViolations = 7
        #expect(field(info.bytes, IB_PORT_MKEY_LEASE_F) == 600)
        #expect(field(info.bytes, IB_PORT_MKEY_PROT_BITS_F) == 2)
        #expect(field(info.bytes, IB_PORT_MKEY_VIOL_F) == 7)
        // M_Key is the first 8 bytes, most significant first.
        #expect(info.bytes[0..<8] == [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF])
        #expect(info.holds(MKeyPolicy(key: 0x0123_4567_89AB_CDEF, protectBits: 2, leasePeriod: 600)))
        #expect(!info.holds(MKeyPolicy(key: 0x0123_4567_89AB_CDEF, protectBits: 1, leasePeriod: 600)))
    }

    @Test func mKeysParseAsHexOrDecimal() {
        #expect(MKeyPolicy.parseKey("0x1234") == 0x1234)
        #expect(MKeyPolicy.parseKey("0XFFFFFFFFFFFFFFFF") == .max)
        #expect(MKeyPolicy.parseKey("4660") == 4660)
        for bad in ["", "0x", "0x1FFFFFFFFFFFFFFFF", "18446744073709551616", "-1", "12ab", "key"] {
            #expect(MKeyPolicy.parseKey(bad) == nil, "\(bad)")
        }
    }

    @Test func aPortMayRefuseSetsWhenItShowsAnotherKeyOrHidesOne() {
        var info = PortInfo()
        #expect(!info.mayRefuseSets(carrying: 0))
        #expect(!info.mayRefuseSets(carrying: 5))
        info.apply(MKeyPolicy(key: 5, protectBits: 0, leasePeriod: 0))
        #expect(!info.mayRefuseSets(carrying: 5))
        #expect(info.mayRefuseSets(carrying: 6))
        // Protect bits 1 read as key 0 by a Get with another key.
        info.apply(MKeyPolicy(key: 0, protectBits: 1, leasePeriod: 0))
        #expect(info.mayRefuseSets(carrying: 6))
    }
}
