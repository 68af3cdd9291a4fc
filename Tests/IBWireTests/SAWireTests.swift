import CIBMad
import IBWire
import Testing

/// The SA MAD codec, the SA record layouts and the multicast/P_Key SMP attributes, checked against
/// libibmad's own field table wherever it has the field.
@Suite struct SAWireTests {
    /// The bytes libibmad writes for `field` set to all ones in a zeroed buffer of `size` bytes.
    private func libibmadOnes(_ field: MAD_FIELDS, size: Int, base: Int = 0) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: size)
        var ones = [UInt8](repeating: 0xFF, count: 64)
        buffer.withUnsafeMutableBytes { buf in
            ones.withUnsafeMutableBytes { _ = mad_encode_field(buf.baseAddress! + base, field, $0.baseAddress) }
        }
        return buffer
    }

    /// The bytes of `field` set to all ones in a zeroed buffer.
    private func ours(_ field: BitField, size: Int, shift: Int = 0) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: size)
        for bit in field.offset..<(field.offset + field.width) { buffer.setBits(BitField(bit + shift, 1), 1) }
        return buffer
    }

    @Test func saHeaderFieldsLandWhereLibibmadReadsThem() throws {
        let mad = SAMAD(method: .getTable, attribute: .pathRecord, attributeModifier: 7, transactionID: 0x1122_3344_5566_7788,
                        status: .saNoRecords,
                        rmpp: RMPPHeader(version: 1, type: 1, responseTime: 0x1F, flags: 0x7, status: 0, data1: 3, data2: 220),
                        smKey: 0xAABB_CCDD_EEFF_0011, attributeOffset: 8, componentMask: 0x30, data: [1, 2, 3])
        var bytes = mad.encoded()
        #expect(bytes.count == 256)
        func get(_ field: MAD_FIELDS) -> UInt32 { bytes.withUnsafeMutableBytes { mad_get_field($0.baseAddress, 0, field) } }
        func get64(_ field: MAD_FIELDS) -> UInt64 { bytes.withUnsafeMutableBytes { mad_get_field64($0.baseAddress, 0, field) } }
        #expect(get(IB_MAD_MGMTCLASS_F) == 3 && get(IB_MAD_CLASSVER_F) == 2 && get(IB_MAD_BASEVER_F) == 1)
        #expect(get(IB_MAD_METHOD_F) == 0x12 && get(IB_MAD_STATUS_F) == 0x0300)
        #expect(get(IB_MAD_ATTRID_F) == 0x35 && get(IB_MAD_ATTRMOD_F) == 7)
        #expect(get64(IB_MAD_TRID_F) == 0x1122_3344_5566_7788)
        #expect(get(IB_SA_RMPP_VERS_F) == 1 && get(IB_SA_RMPP_TYPE_F) == 1 && get(IB_SA_RMPP_FLAGS_F) == 7)
        #expect(get(IB_SA_RMPP_RESP_F) == 0x1F && get(IB_SA_RMPP_SEGNUM_F) == 3 && get(IB_SA_RMPP_LEN_F) == 220)
        #expect(get64(IB_SA_MKEY_F) == 0xAABB_CCDD_EEFF_0011 && get(IB_SA_ATTROFFS_F) == 8 && get64(IB_SA_COMPMASK_F) == 0x30)
        #expect(bytes[56] == 1 && bytes[57] == 2 && bytes[58] == 3)
        let decoded = try SAMAD(decoding: bytes)
        #expect(decoded == mad)
        // A response method has the R bit (0x80) in the method byte.
        #expect(SAMAD(method: .getTableResponse, attribute: .pathRecord).encoded()[3] == 0x92)
    }

    /// The codec reads and writes fixed offsets: for random headers, what it writes is what libibmad reads,
    /// and what libibmad writes into random bytes is what it reads.
    @Test func saHeaderOffsetsAgreeWithLibibmadForRandomValues() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bytes = (0..<256).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes[0] = 1
            bytes[1] = 3
            func get(_ field: MAD_FIELDS) -> UInt32 { bytes.withUnsafeMutableBytes { mad_get_field($0.baseAddress, 0, field) } }
            func get64(_ field: MAD_FIELDS) -> UInt64 { bytes.withUnsafeMutableBytes { mad_get_field64($0.baseAddress, 0, field) } }
            let decoded = try SAMAD(decoding: bytes)
            #expect(UInt32(decoded.method.rawValue) == get(IB_MAD_METHOD_F) | get(IB_MAD_RESPONSE_F) << 7)
            #expect(UInt32(decoded.classVersion) == get(IB_MAD_CLASSVER_F) && UInt32(decoded.status.rawValue) == get(IB_MAD_STATUS_F))
            #expect(decoded.transactionID == get64(IB_MAD_TRID_F) && UInt32(decoded.attribute.rawValue) == get(IB_MAD_ATTRID_F))
            #expect(decoded.attributeModifier == get(IB_MAD_ATTRMOD_F))
            #expect(UInt32(decoded.rmpp.version) == get(IB_SA_RMPP_VERS_F) && UInt32(decoded.rmpp.type) == get(IB_SA_RMPP_TYPE_F))
            #expect(UInt32(decoded.rmpp.responseTime) == get(IB_SA_RMPP_RESP_F) && UInt32(decoded.rmpp.flags) == get(IB_SA_RMPP_FLAGS_F))
            #expect(UInt32(decoded.rmpp.status) == get(IB_SA_RMPP_STATUS_F))
            #expect(decoded.rmpp.data1 == get(IB_SA_RMPP_D1_F) && decoded.rmpp.data2 == get(IB_SA_RMPP_D2_F))
            #expect(decoded.smKey == get64(IB_SA_MKEY_F) && UInt32(decoded.attributeOffset) == get(IB_SA_ATTROFFS_F))
            #expect(decoded.componentMask == get64(IB_SA_COMPMASK_F) && decoded.data == Array(bytes[56...]))
            // Re-encoded, every field reads back the same through libibmad (the reserved bytes come back zero).
            bytes = decoded.encoded()
            #expect(try SAMAD(decoding: bytes) == decoded)
            #expect(decoded.transactionID == get64(IB_MAD_TRID_F) && decoded.componentMask == get64(IB_SA_COMPMASK_F))
            #expect(UInt32(decoded.rmpp.responseTime) == get(IB_SA_RMPP_RESP_F) && UInt32(decoded.rmpp.flags) == get(IB_SA_RMPP_FLAGS_F))
            #expect(bytes[6] == 0 && bytes[7] == 0 && bytes[18] == 0 && bytes[19] == 0 && bytes[46] == 0 && bytes[47] == 0)
        }
    }

    @Test func malformedSAMADsThrowTypedErrors() {
        #expect(throws: WireError.wrongMADSize(10)) { try SAMAD(decoding: [UInt8](repeating: 0, count: 10)) }
        var mad = SAMAD(method: .get, attribute: .nodeRecord).encoded()
        mad[1] = 0x81
        #expect(throws: WireError.notSA(managementClass: 0x81)) { try SAMAD(decoding: mad) }
        mad[1] = 3
        mad[0] = 2
        #expect(throws: WireError.unsupportedBaseVersion(2)) { try SAMAD(decoding: mad) }
        #expect(!SAMAD.isSA(mad) && SAMAD.isSA(SAMAD(method: .get, attribute: .nodeRecord).encoded()) && !SAMAD.isSA([1, 3]))
    }

    @Test func pathRecordLayoutAgreesWithLibibmad() {
        let size = 64
        let layout = SARecordLayout.pathRecord
        #expect(ours(layout.components[2], size: size) == libibmadOnes(IB_SA_PR_DGID_F, size: size))
        #expect(ours(layout.components[3], size: size) == libibmadOnes(IB_SA_PR_SGID_F, size: size))
        #expect(ours(layout.components[4], size: size) == libibmadOnes(IB_SA_PR_DLID_F, size: size))
        #expect(ours(layout.components[5], size: size) == libibmadOnes(IB_SA_PR_SLID_F, size: size))
        #expect(ours(layout.components[12], size: size) == libibmadOnes(IB_SA_PR_NPATH_F, size: size))
        #expect(ours(layout.components[15], size: size) == libibmadOnes(IB_SA_PR_SL_F, size: size))
        // The fields libibmad lacks, at the IBA byte positions: MTU in byte 54, rate 55, lifetime 56, P_Key 50-51.
        var record = PathRecord()
        record.mtuSelector = 2
        record.mtu = 4
        record.rateSelector = 2
        record.rate = 3
        record.packetLifeTimeSelector = 2
        record.packetLifeTime = 18
        record.pKey = PKey(0xFFFF)
        record.reversible = true
        record.numbPath = 0x7F
        #expect(record.bytes[54] == 0x84 && record.bytes[55] == 0x83 && record.bytes[56] == 0x80 | 18)
        #expect(record.bytes[50] == 0xFF && record.bytes[51] == 0xFF && record.bytes[49] == 0xFF)
        #expect(layout.attributeOffset == 8)
    }

    @Test func mcMemberRecordLayoutAgreesWithLibibmad() {
        let size = 64
        let layout = SARecordLayout.mcMemberRecord
        let pairs: [(Int, MAD_FIELDS)] = [
            (0, IB_SA_MCM_MGID_F), (1, IB_SA_MCM_PORTGID_F), (2, IB_SA_MCM_QKEY_F), (3, IB_SA_MCM_MLID_F),
            (5, IB_SA_MCM_MTU_F), (6, IB_SA_MCM_TCLASS_F), (7, IB_SA_MCM_PKEY_F), (9, IB_SA_MCM_RATE_F),
            (16, IB_SA_MCM_JOIN_STATE_F), (17, IB_SA_MCM_PROXY_JOIN_F),
        ]
        for (component, field) in pairs {
            #expect(ours(layout.components[component], size: size) == libibmadOnes(field, size: size), "component \(component)")
        }
        // libibmad 44 puts SL at bits 352-355 (right) but FlowLabel at 352-375 (24 bits, overlapping SL);
        // the IBA record has SL:4 then FlowLabel:20. SL agrees; FlowLabel is ours.
        #expect(ours(layout.components[12], size: size) == libibmadOnes(IB_SA_MCM_SL_F, size: size))
        #expect(layout.components[13] == BitField(356, 20))
        #expect(layout.attributeOffset == 7)
    }

    @Test func nodeServiceGUIDInfoAndPortInfoRecordsAgreeWithLibibmad() {
        let nr = SARecordLayout.nodeRecord
        let nrPairs: [(Int, MAD_FIELDS)] = [
            (0, IB_SA_NR_LID_F), (2, IB_SA_NR_BASEVER_F), (3, IB_SA_NR_CLASSVER_F), (4, IB_SA_NR_TYPE_F), (5, IB_SA_NR_NPORTS_F),
            (6, IB_SA_NR_SYSTEM_GUID_F), (7, IB_SA_NR_GUID_F), (8, IB_SA_NR_PORT_GUID_F), (9, IB_SA_NR_PARTITION_CAP_F),
            (10, IB_SA_NR_DEVID_F), (11, IB_SA_NR_REVISION_F), (12, IB_SA_NR_LOCAL_PORT_F), (13, IB_SA_NR_VENDORID_F),
            (14, IB_SA_NR_NODEDESC_F),
        ]
        for (component, field) in nrPairs {
            #expect(ours(nr.components[component], size: 128) == libibmadOnes(field, size: 128), "NodeRecord \(component)")
        }
        let sr = SARecordLayout.serviceRecord
        let srPairs: [(Int, MAD_FIELDS)] = [
            (0, IB_SA_SR_ID_F), (1, IB_SA_SR_GID_F), (2, IB_SA_SR_PKEY_F), (4, IB_SA_SR_LEASE_F), (5, IB_SA_SR_KEY_F), (6, IB_SA_SR_NAME_F),
        ]
        for (component, field) in srPairs {
            #expect(ours(sr.components[component], size: 200) == libibmadOnes(field, size: 200), "ServiceRecord \(component)")
        }
        // libibmad's SR_DATA is the 64 bytes of all ServiceData arrays.
        #expect(sr.components[7].offset == 896 && sr.components[36].offset + sr.components[36].width == 1408)
        let gir = SARecordLayout.guidInfoRecord
        #expect(ours(gir.components[0], size: 80) == libibmadOnes(IB_SA_GIR_LID_F, size: 80))
        #expect(ours(gir.components[1], size: 80) == libibmadOnes(IB_SA_GIR_BLOCKNUM_F, size: 80))
        #expect(ours(gir.components[4], size: 80) == libibmadOnes(IB_SA_GIR_GUID0_F, size: 80))
        #expect(ours(gir.components[11], size: 80) == libibmadOnes(IB_SA_GIR_GUID7_F, size: 80))
        // PortInfoRecord: PortInfo starts at byte 4; each PortInfo field where libibmad puts it, 4 bytes on.
        let pir = SARecordLayout.portInfoRecord
        let portPairs: [(Int, MAD_FIELDS)] = [
            (3, IB_PORT_MKEY_F), (4, IB_PORT_GID_PREFIX_F), (5, IB_PORT_LID_F), (6, IB_PORT_SMLID_F), (7, IB_PORT_CAPMASK_F),
            (9, IB_PORT_MKEY_LEASE_F), (10, IB_PORT_LOCAL_PORT_F), (13, IB_PORT_LINK_WIDTH_ACTIVE_F), (15, IB_PORT_STATE_F),
            (16, IB_PORT_PHYS_STATE_F), (18, IB_PORT_MKEY_PROT_BITS_F), (20, IB_PORT_LMC_F), (21, IB_PORT_LINK_SPEED_ACTIVE_F),
            (23, IB_PORT_NEIGHBOR_MTU_F), (25, IB_PORT_VL_CAP_F), (31, IB_PORT_MTU_CAP_F), (33, IB_PORT_HOQ_LIFE_F),
            (34, IB_PORT_OPER_VLS_F), (39, IB_PORT_MKEY_VIOL_F), (43, IB_PORT_CLIENT_REREG_F), (45, IB_PORT_SUBN_TIMEOUT_F),
            (47, IB_PORT_RESP_TIME_VAL_F),
        ]
        for (component, field) in portPairs {
            #expect(ours(pir.components[component], size: 80) == libibmadOnes(field, size: 80, base: 4), "PortInfoRecord \(component)")
        }
        let cpi = ClassPortInfo()
        var info = cpi
        info.capabilityMask = 0xFFFF
        info.responseTimeValue = 0x1F
        #expect(info.bytes == zip(libibmadOnes(IB_CPI_CAPMASK_F, size: 72), libibmadOnes(IB_CPI_RESP_TIME_VALUE_F, size: 72)).map { $0 | $1 })
    }

    @Test func componentMaskMatchingComparesOnlySelectedFields() {
        var a = PathRecord()
        a.dlid = LID(5)
        a.slid = LID(6)
        a.mtu = 4
        var query = PathRecord()
        query.dlid = LID(5)
        #expect(a.matches(query, mask: PathRecordComponent.dlid))
        #expect(!a.matches(query, mask: PathRecordComponent.dlid | PathRecordComponent.slid))
        query.slid = LID(6)
        #expect(a.matches(query, mask: PathRecordComponent.dlid | PathRecordComponent.slid))
        #expect(a.matches(query, mask: 0))
        #expect(!a.matches(query, mask: PathRecordComponent.mtu))
        // Bits past the record's components match nothing.
        #expect(!a.matches(a, mask: 1 << 40))
        #expect(SARecordLayout.pathRecord.hasUnknownComponents(1 << 40))
    }

    @Test func multicastForwardingTableBlockAgreesWithLibibmad() {
        var masks = [UInt16](repeating: 0, count: 32)
        masks[0] = 0x8001
        masks[31] = 0x0006
        let block = MulticastForwardingTableBlock(portMasks: masks)
        #expect(block.portMasks == masks)
        // libibmad reads the same 64 bytes: entry i is the big-endian word at bytes 2i, 2i+1.
        var bytes = block.bytes
        var raw = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes { buf in raw.withUnsafeMutableBytes { mad_decode_field(buf.baseAddress, IB_MULTICAST_FORW_TBL_F, $0.baseAddress) } }
        #expect(raw[0] == 0x80 && raw[1] == 0x01 && raw[62] == 0 && raw[63] == 6)
        #expect(MulticastForwardingTableBlock.modifier(block: 3, position: 1) == 0x1000_0003)
        #expect(MulticastForwardingTableBlock.blockAndPosition(of: 0x2000_01FF) == (block: 511, position: 2))
        #expect(MulticastForwardingTableBlock.attributeID.rawValue == 0x1B)
    }

    @Test func pKeyTableBlockAndSwitchInfoMulticastFields() {
        let block = PKeyTableBlock(keys: [PKey(0xFFFF), PKey(0x8001), PKey(0x0002)])
        #expect(block.bytes[0] == 0xFF && block.bytes[1] == 0xFF && block.bytes[2] == 0x80 && block.bytes[3] == 1 && block.bytes[5] == 2)
        #expect(block.keys.prefix(3) == [PKey(0xFFFF), PKey(0x8001), PKey(0x0002)] && block.keys[3] == .invalid)
        #expect(PKeyTableBlock.modifier(block: 2, port: 5) == 0x0005_0002)
        #expect(PKeyTableBlock.attributeID.rawValue == 0x16)
        #expect(PKey(0x8001).canTalk(to: PKey(0x0001)) && !PKey(0x0001).canTalk(to: PKey(0x0001)))
        var info = SwitchInfo()
        info.multicastFDBCap = 1024
        info.multicastFDBTop = LID(0xC3FF)
        var bytes = info.bytes
        #expect(bytes.withUnsafeMutableBytes { mad_get_field($0.baseAddress, 0, IB_SW_MCAST_FDB_CAP_F) } == 1024)
        #expect(bytes.withUnsafeMutableBytes { mad_get_field($0.baseAddress, 0, IB_SW_MCAST_FDB_TOP_F) } == 0xC3FF)
    }

    @Test func gidsParseAndPrint() {
        let gid = GID(parsing: "ff12:401b:ffff::ffff:ffff")
        #expect(gid == GID(prefix: 0xFF12_401B_FFFF_0000, interfaceID: 0x0000_0000_FFFF_FFFF))
        #expect(gid?.isMulticast == true && gid?.multicastScope == 2 && gid?.multicastFlags == 1)
        #expect(GID(parsing: "fe80::1") == GID(prefix: GID.defaultPrefix, interfaceID: 1))
        #expect(GID(parsing: "fe80::1::2") == nil && GID(parsing: "12345::") == nil && GID(parsing: "1:2:3") == nil)
        #expect(GID(port: GUID(0x10)).description == "fe80:0:0:0:0:0:0:10")
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.setGID(gid!, at: 0)
        #expect(bytes.gid(at: 0) == gid && bytes == gid!.bytes)
    }

    @Test func bitFieldsRoundTripAtOddOffsets() {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.setBits(BitField(3, 20), 0xABCDE)
        #expect(bytes.bits(BitField(3, 20)) == 0xABCDE)
        #expect(bytes[0] & 0xE0 == 0)
        bytes.setBits(BitField(64, 64), 0x0123_4567_89AB_CDEF)
        #expect(bytes.bits(BitField(64, 64)) == 0x0123_4567_89AB_CDEF && bytes[8] == 0x01)
    }

    /// Fields inside one byte take a shortcut: every offset and width there agrees with bit-by-bit
    /// reading and writing, and the neighbouring bits stay as they were.
    @Test func bitFieldsWithinOneByteAgreeWithBitByBit() {
        var random = SystemRandomNumberGenerator()
        for offset in 0..<16 {
            for width in 1...(8 - offset % 8) {
                let field = BitField(offset, width)
                let before = (0..<2).map { _ in UInt8.random(in: 0...255, using: &random) }
                var bytes = before
                let value = UInt64.random(in: 0...UInt64.max, using: &random)
                bytes.setBits(field, value)
                var expected = before
                for bit in 0..<width {
                    let position = offset + bit, mask = UInt8(0x80) >> (position % 8)
                    let set = value >> UInt64(width - 1 - bit) & 1 == 1
                    expected[position / 8] = set ? expected[position / 8] | mask : expected[position / 8] & ~mask
                }
                #expect(bytes == expected, "offset \(offset) width \(width)")
                let read = (0..<width).reduce(UInt64(0)) { $0 << 1 | UInt64(expected[(offset + $1) / 8] >> (7 - (offset + $1) % 8) & 1) }
                #expect(bytes.bits(field) == read && read == value & (UInt64(1) << width - 1))
            }
        }
    }
}
