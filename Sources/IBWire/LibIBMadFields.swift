// The one file in IBWire that calls libibmad: every bit offset of every MAD and attribute field comes
// from libibmad's field table, never from hand-written shifts.
import CIBMad

/// A field of the MAD header or of an SMP attribute, as libibmad's field table defines it.
public struct WireField: Sendable, Hashable {
    let cField: MAD_FIELDS
    init(_ field: MAD_FIELDS) { self.cField = field }
    public static func == (a: WireField, b: WireField) -> Bool { a.cField.rawValue == b.cField.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(cField.rawValue) }

    // MAD common header and SMP header.
    static let method = WireField(IB_MAD_METHOD_F)
    static let response = WireField(IB_MAD_RESPONSE_F)
    static let classVersion = WireField(IB_MAD_CLASSVER_F)
    static let managementClass = WireField(IB_MAD_MGMTCLASS_F)
    static let baseVersion = WireField(IB_MAD_BASEVER_F)
    static let status = WireField(IB_MAD_STATUS_F)
    static let drHopCount = WireField(IB_DRSMP_HOPCNT_F)
    static let drHopPointer = WireField(IB_DRSMP_HOPPTR_F)
    static let drStatus = WireField(IB_DRSMP_STATUS_F)
    static let drDirection = WireField(IB_DRSMP_DIRECTION_F)
    static let transactionID = WireField(IB_MAD_TRID_F)
    static let attributeID = WireField(IB_MAD_ATTRID_F)
    static let attributeModifier = WireField(IB_MAD_ATTRMOD_F)
    static let mKey = WireField(IB_MAD_MKEY_F)
    static let drDLID = WireField(IB_DRSMP_DRDLID_F)
    static let drSLID = WireField(IB_DRSMP_DRSLID_F)
    static let smpData = WireField(IB_SM_DATA_F)
    static let drInitialPath = WireField(IB_DRSMP_PATH_F)
    static let drReturnPath = WireField(IB_DRSMP_RPATH_F)

    // SA MAD (class 0x03): the RMPP header and the SA header.
    static let rmppVersion = WireField(IB_SA_RMPP_VERS_F)
    static let rmppType = WireField(IB_SA_RMPP_TYPE_F)
    static let rmppResponseTime = WireField(IB_SA_RMPP_RESP_F)
    static let rmppFlags = WireField(IB_SA_RMPP_FLAGS_F)
    static let rmppStatus = WireField(IB_SA_RMPP_STATUS_F)
    static let rmppData1 = WireField(IB_SA_RMPP_D1_F)
    static let rmppData2 = WireField(IB_SA_RMPP_D2_F)
    static let saSMKey = WireField(IB_SA_MKEY_F)
    static let saAttributeOffset = WireField(IB_SA_ATTROFFS_F)
    static let saComponentMask = WireField(IB_SA_COMPMASK_F)
    static let saData = WireField(IB_SA_DATA_F)

    // NodeInfo.
    static let nodeBaseVersion = WireField(IB_NODE_BASE_VERS_F)
    static let nodeClassVersion = WireField(IB_NODE_CLASS_VERS_F)
    static let nodeType = WireField(IB_NODE_TYPE_F)
    static let nodePortCount = WireField(IB_NODE_NPORTS_F)
    static let nodeSystemImageGUID = WireField(IB_NODE_SYSTEM_GUID_F)
    static let nodeGUID = WireField(IB_NODE_GUID_F)
    static let nodePortGUID = WireField(IB_NODE_PORT_GUID_F)
    static let nodePartitionCap = WireField(IB_NODE_PARTITION_CAP_F)
    static let nodeDeviceID = WireField(IB_NODE_DEVID_F)
    static let nodeRevision = WireField(IB_NODE_REVISION_F)
    static let nodeLocalPort = WireField(IB_NODE_LOCAL_PORT_F)
    static let nodeVendorID = WireField(IB_NODE_VENDORID_F)

    // NodeDescription.
    static let nodeDescription = WireField(IB_NODE_DESC_F)

    // PortInfo.
    static let portMKey = WireField(IB_PORT_MKEY_F)
    static let portGIDPrefix = WireField(IB_PORT_GID_PREFIX_F)
    static let portLID = WireField(IB_PORT_LID_F)
    static let portMasterSMLID = WireField(IB_PORT_SMLID_F)
    static let portCapabilityMask = WireField(IB_PORT_CAPMASK_F)
    static let portMKeyLeasePeriod = WireField(IB_PORT_MKEY_LEASE_F)
    static let portLocalPort = WireField(IB_PORT_LOCAL_PORT_F)
    static let portLinkWidthEnabled = WireField(IB_PORT_LINK_WIDTH_ENABLED_F)
    static let portLinkWidthSupported = WireField(IB_PORT_LINK_WIDTH_SUPPORTED_F)
    static let portLinkWidthActive = WireField(IB_PORT_LINK_WIDTH_ACTIVE_F)
    static let portLinkSpeedSupported = WireField(IB_PORT_LINK_SPEED_SUPPORTED_F)
    static let portState = WireField(IB_PORT_STATE_F)
    static let portPhysicalState = WireField(IB_PORT_PHYS_STATE_F)
    static let portLinkDownDefault = WireField(IB_PORT_LINK_DOWN_DEF_F)
    static let portMKeyProtectBits = WireField(IB_PORT_MKEY_PROT_BITS_F)
    static let portLMC = WireField(IB_PORT_LMC_F)
    static let portLinkSpeedActive = WireField(IB_PORT_LINK_SPEED_ACTIVE_F)
    static let portLinkSpeedEnabled = WireField(IB_PORT_LINK_SPEED_ENABLED_F)
    static let portNeighborMTU = WireField(IB_PORT_NEIGHBOR_MTU_F)
    static let portMasterSMSL = WireField(IB_PORT_SMSL_F)
    static let portVLCap = WireField(IB_PORT_VL_CAP_F)
    static let portVLHighLimit = WireField(IB_PORT_VL_HIGH_LIMIT_F)
    static let portVLArbitrationHighCap = WireField(IB_PORT_VL_ARBITRATION_HIGH_CAP_F)
    static let portVLArbitrationLowCap = WireField(IB_PORT_VL_ARBITRATION_LOW_CAP_F)
    static let portMTUCap = WireField(IB_PORT_MTU_CAP_F)
    static let portHOQLife = WireField(IB_PORT_HOQ_LIFE_F)
    static let portOperVLs = WireField(IB_PORT_OPER_VLS_F)
    static let portMKeyViolations = WireField(IB_PORT_MKEY_VIOL_F)
    static let portClientReregister = WireField(IB_PORT_CLIENT_REREG_F)
    static let portSubnetTimeout = WireField(IB_PORT_SUBN_TIMEOUT_F)
    static let portResponseTimeValue = WireField(IB_PORT_RESP_TIME_VAL_F)
    static let portLinkSpeedExtActive = WireField(IB_PORT_LINK_SPEED_EXT_ACTIVE_F)
    static let portLinkSpeedExtSupported = WireField(IB_PORT_LINK_SPEED_EXT_SUPPORTED_F)
    static let portLinkSpeedExtEnabled = WireField(IB_PORT_LINK_SPEED_EXT_ENABLED_F)

    // SwitchInfo.
    static let switchLinearFDBCap = WireField(IB_SW_LINEAR_FDB_CAP_F)
    static let switchRandomFDBCap = WireField(IB_SW_RANDOM_FDB_CAP_F)
    static let switchMulticastFDBCap = WireField(IB_SW_MCAST_FDB_CAP_F)
    static let switchLinearFDBTop = WireField(IB_SW_LINEAR_FDB_TOP_F)
    static let switchDefaultPort = WireField(IB_SW_DEF_PORT_F)
    static let switchLifeTime = WireField(IB_SW_LIFE_TIME_F)
    static let switchPortStateChange = WireField(IB_SW_STATE_CHANGE_F)
    static let switchLIDsPerPort = WireField(IB_SW_LIDS_PER_PORT_F)
    static let switchPartitionEnforcementCap = WireField(IB_SW_PARTITION_ENFORCE_CAP_F)
    static let switchEnhancedPort0 = WireField(IB_SW_ENHANCED_PORT0_F)
    static let switchMulticastFDBTop = WireField(IB_SW_MCAST_FDB_TOP_F)

    // LinearForwardingTable.
    static let linearForwardingTable = WireField(IB_LINEAR_FORW_TBL_F)

    // MulticastForwardingTable (the 64 bytes of 32 port masks).
    static let multicastForwardingTable = WireField(IB_MULTICAST_FORW_TBL_F)

    // SLtoVLMappingTable (the 8 bytes of 16 VL nibbles) and VLArbitrationTable (the 64 bytes of 32 entries).
    static let slToVLMappingTable = WireField(IB_SLTOVL_MAPPING_TABLE_F)
    static let vlArbitrationTable = WireField(IB_VL_ARBITRATION_TABLE_F)

    // SMInfo.
    static let smInfoGUID = WireField(IB_SMINFO_GUID_F)
    static let smInfoKey = WireField(IB_SMINFO_KEY_F)
    static let smInfoActivityCount = WireField(IB_SMINFO_ACT_F)
    static let smInfoPriority = WireField(IB_SMINFO_PRIO_F)
    static let smInfoState = WireField(IB_SMINFO_STATE_F)

    // Notice (the payload of a Trap).
    static let noticeIsGeneric = WireField(IB_NOTICE_IS_GENERIC_F)
    static let noticeType = WireField(IB_NOTICE_TYPE_F)
    static let noticeProducerType = WireField(IB_NOTICE_PRODUCER_F)
    static let noticeTrapNumber = WireField(IB_NOTICE_TRAP_NUMBER_F)
    static let noticeIssuerLID = WireField(IB_NOTICE_ISSUER_LID_F)
    static let noticeToggle = WireField(IB_NOTICE_TOGGLE_F)
    static let noticeCount = WireField(IB_NOTICE_COUNT_F)
    static let noticeDataLID = WireField(IB_NOTICE_DATA_LID_F)
    static let notice144LID = WireField(IB_NOTICE_DATA_144_LID_F)
    static let notice144CapabilityMask = WireField(IB_NOTICE_DATA_144_CAPMASK_F)
}

/// Raw bytes read and written field by field through libibmad.
/// (libibmad's getters take mutable pointers but only read.)
extension Array where Element == UInt8 {
    func field(_ field: WireField, base: Int = 0) -> UInt32 {
        withUnsafeBytes { mad_get_field(UnsafeMutableRawPointer(mutating: $0.baseAddress), Int32(base), field.cField) }
    }

    func field64(_ field: WireField, base: Int = 0) -> UInt64 {
        withUnsafeBytes { mad_get_field64(UnsafeMutableRawPointer(mutating: $0.baseAddress), Int32(base), field.cField) }
    }

    mutating func setField(_ field: WireField, _ value: UInt32, base: Int = 0) {
        withUnsafeMutableBytes { mad_set_field($0.baseAddress, Int32(base), field.cField, value) }
    }

    mutating func setField64(_ field: WireField, _ value: UInt64, base: Int = 0) {
        withUnsafeMutableBytes { mad_set_field64($0.baseAddress, Int32(base), field.cField, value) }
    }

    /// A byte-array field (paths, descriptions, forwarding table blocks): `count` bytes.
    func arrayField(_ field: WireField, count: Int, base: Int = 0) -> [UInt8] {
        var value = [UInt8](repeating: 0, count: count)
        withUnsafeBytes { buf in
            // libibmad takes a mutable pointer but only reads the source buffer.
            let source = UnsafeMutableRawPointer(mutating: buf.baseAddress)
            value.withUnsafeMutableBytes { mad_get_array(source, Int32(base), field.cField, $0.baseAddress) }
        }
        return value
    }

    mutating func setArrayField(_ field: WireField, _ value: [UInt8], base: Int = 0) {
        var value = value
        withUnsafeMutableBytes { buf in
            value.withUnsafeMutableBytes { mad_set_array(buf.baseAddress, Int32(base), field.cField, $0.baseAddress) }
        }
    }
}

/// The inline 64-byte fields of an SMP (paths) copied straight to and from a MAD through libibmad,
/// without an array in between.
extension Array where Element == UInt8 {
    func arrayField(_ field: WireField, base: Int = 0) -> SMPBytes {
        var value = SMPBytes()
        withUnsafeBytes { buf in
            let source = UnsafeMutableRawPointer(mutating: buf.baseAddress)
            value.withUnsafeMutableBytes { mad_get_array(source, Int32(base), field.cField, $0.baseAddress) }
        }
        return value
    }

    mutating func setArrayField(_ field: WireField, _ value: SMPBytes, base: Int = 0) {
        var value = value
        withUnsafeMutableBytes { buf in
            value.withUnsafeMutableBytes { mad_set_array(buf.baseAddress, Int32(base), field.cField, $0.baseAddress) }
        }
    }
}
