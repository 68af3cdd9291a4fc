/// Where each component of an SA record lies: the record size and, indexed by component-mask bit,
/// the field's bits (IBA vol 1 ch. 15, the ComponentMask order OpenSM's ib_types.h names too).
/// A test checks every field against libibmad's table wherever libibmad has one.
public struct SARecordLayout: Sendable {
    /// Bytes of one record.
    public let size: Int
    /// Field of component-mask bit i.
    public let components: [BitField]

    public init(size: Int, components: [BitField]) {
        self.size = size
        self.components = components
    }

    /// AttributeOffset of a GetTable response: the record size in 8-byte words.
    public var attributeOffset: UInt16 { UInt16((size + 7) / 8) }

    /// A component mask with bits the record does not have.
    public func hasUnknownComponents(_ mask: UInt64) -> Bool {
        components.count < 64 && mask >> UInt64(components.count) != 0
    }

    /// True when `record` equals `query` in every component the mask selects.
    public func matches(_ record: [UInt8], query: [UInt8], mask: UInt64) -> Bool {
        var rest = mask
        while rest != 0 {
            let bit = rest.trailingZeroBitCount
            rest &= rest - 1
            guard bit < components.count else { return false }
            if !record.fieldEquals(query, components[bit]) { return false }
        }
        return true
    }

    /// Fields laid end to end from `start`, one per width.
    static func sequence(from start: Int, widths: [Int]) -> [BitField] {
        var offset = start
        return widths.map { width in
            defer { offset += width }
            return BitField(offset, width)
        }
    }
}

extension SARecordLayout {
    /// NodeRecord: LID, reserved, then NodeInfo's fields, NodeDescription (108 bytes).
    public static let nodeRecord = SARecordLayout(size: 108, components: sequence(
        from: 0, widths: [16, 16, 8, 8, 8, 8, 64, 64, 64, 16, 16, 32, 8, 24, 512]))

    /// PortInfoRecord: EndportLID, PortNum, Options, then PortInfo's fields (4 + 64 bytes).
    public static let portInfoRecord = SARecordLayout(size: 68, components:
        [BitField(0, 16), BitField(16, 8), BitField(24, 8)] + portInfoFields.map { BitField($0.offset + 32, $0.width) })

    /// PortInfo's fields in ComponentMask order (offsets within PortInfo).
    static let portInfoFields: [BitField] = [
        BitField(0, 64), BitField(64, 64), BitField(128, 16), BitField(144, 16), BitField(160, 32), // MKey .. CapabilityMask
        BitField(192, 16), BitField(208, 16), BitField(224, 8), BitField(232, 8), BitField(240, 8), // DiagCode .. LinkWidthSupported
        BitField(248, 8), BitField(256, 4), BitField(260, 4), BitField(264, 4), BitField(268, 4), // LinkWidthActive .. LinkDownDefault
        BitField(272, 2), BitField(274, 3), BitField(277, 3), BitField(280, 4), BitField(284, 4), // MKeyProtect, resv, LMC, speeds
        BitField(288, 4), BitField(292, 4), BitField(296, 4), BitField(300, 4), BitField(304, 8), // NeighborMTU .. VLHighLimit
        BitField(312, 8), BitField(320, 8), BitField(328, 4), BitField(332, 4), BitField(336, 3), // VLArb caps, InitTypeReply, MTUCap, VLStall
        BitField(339, 5), BitField(344, 4), BitField(348, 1), BitField(349, 1), BitField(350, 1), // HOQLife, OperVLs, enforcement
        BitField(351, 1), BitField(352, 16), BitField(368, 16), BitField(384, 16), BitField(400, 8), // FilterRawOut, violations, GUIDCap
        BitField(408, 1), BitField(409, 2), BitField(411, 5), BitField(416, 3), BitField(419, 5), // ClientReregister, resv, SubnetTimeout, resv, RespTime
        BitField(424, 4), BitField(428, 4), BitField(432, 16), BitField(448, 8), BitField(456, 24), // errors, MaxCreditHint, resv, round trip
    ]

    /// SwitchInfoRecord: LID, reserved, SwitchInfo (20 bytes kept whole).
    public static let switchInfoRecord = SARecordLayout(size: 24, components: [BitField(0, 16), BitField(16, 16)])

    /// LinearForwardingTableRecord: LID, BlockNum, reserved, the 64-entry block.
    public static let linearForwardingTableRecord = SARecordLayout(size: 72, components: sequence(from: 0, widths: [16, 16, 32, 512]))

    /// SMInfoRecord: LID, reserved, GUID, SM_Key, ActCount, Priority, SMState.
    public static let smInfoRecord = SARecordLayout(size: 25, components: sequence(from: 0, widths: [16, 16, 64, 64, 32, 4, 4]))

    /// LinkRecord: FromLID, FromPort, ToPort, ToLID.
    public static let linkRecord = SARecordLayout(size: 8, components: sequence(from: 0, widths: [16, 8, 8, 16]))

    /// GUIDInfoRecord: LID, BlockNum, reserved, reserved, GUID 0...7.
    public static let guidInfoRecord = SARecordLayout(size: 72, components: sequence(from: 0, widths: [16, 8, 8, 32] + [Int](repeating: 64, count: 8)))

    /// ServiceRecord: ID, GID, P_Key, reserved, Lease, Key, Name, Data8[16], Data16[8], Data32[4], Data64[2].
    public static let serviceRecord = SARecordLayout(size: 176, components: sequence(
        from: 0, widths: [64, 128, 16, 16, 32, 128, 512] + [Int](repeating: 8, count: 16) + [Int](repeating: 16, count: 8)
            + [Int](repeating: 32, count: 4) + [Int](repeating: 64, count: 2)))

    /// P_KeyTableRecord: LID, BlockNum, PortNum, reserved, the 32-key block.
    public static let pKeyTableRecord = SARecordLayout(size: 72, components: sequence(from: 0, widths: [16, 16, 8, 24, 512]))

    /// SLtoVLMappingTableRecord: LID, InputPortNum, OutputPortNum, reserved, the 16 VL nibbles (16 bytes).
    public static let slToVLMappingTableRecord = SARecordLayout(size: 16, components: sequence(from: 0, widths: [16, 8, 8, 32, 64]))

    /// VLArbitrationTableRecord: LID, OutputPortNum, BlockNum, reserved, the 32-entry block (72 bytes).
    public static let vlArbitrationTableRecord = SARecordLayout(size: 72, components: sequence(from: 0, widths: [16, 8, 8, 32, 512]))

    /// PathRecord (64 bytes).
    public static let pathRecord = SARecordLayout(size: 64, components: sequence(
        from: 0, widths: [32, 32, 128, 128, 16, 16, 1, 3, 20, 8, 8, 1, 7, 16, 12, 4, 2, 6, 2, 6, 2, 6, 8]))

    /// MCMemberRecord (52 bytes; ProxyJoin is the last component).
    public static let mcMemberRecord = SARecordLayout(size: 52, components: sequence(
        from: 0, widths: [128, 128, 32, 16, 2, 6, 8, 16, 2, 6, 2, 6, 4, 20, 8, 4, 4, 1]))

    /// InformInfo (36 bytes), in field order.
    public static let informInfo = SARecordLayout(size: 36, components: sequence(
        from: 0, widths: [128, 16, 16, 16, 8, 8, 16, 16, 24, 3, 5, 8, 24]))

    /// ClassPortInfo (72 bytes; never matched by component).
    public static let classPortInfo = SARecordLayout(size: 72, components: [])

    /// Notice (80 bytes): IsGeneric, Type, ProducerType, TrapNumber, IssuerLID, Toggle, Count, DataDetails, IssuerGID.
    public static let notice = SARecordLayout(size: 80, components: sequence(from: 0, widths: [1, 7, 24, 16, 16, 1, 15, 432, 128]))
}

/// Component-mask bits by name, for the records the SA logic reads.
public enum PathRecordComponent {
    public static let dgid: UInt64 = 1 << 2, sgid: UInt64 = 1 << 3, dlid: UInt64 = 1 << 4, slid: UInt64 = 1 << 5
    public static let rawTraffic: UInt64 = 1 << 6, flowLabel: UInt64 = 1 << 8, hopLimit: UInt64 = 1 << 9
    public static let tClass: UInt64 = 1 << 10, reversible: UInt64 = 1 << 11, numbPath: UInt64 = 1 << 12
    public static let pKey: UInt64 = 1 << 13, qosClass: UInt64 = 1 << 14, sl: UInt64 = 1 << 15
    public static let mtuSelector: UInt64 = 1 << 16, mtu: UInt64 = 1 << 17
    public static let rateSelector: UInt64 = 1 << 18, rate: UInt64 = 1 << 19
    public static let packetLifeTimeSelector: UInt64 = 1 << 20, packetLifeTime: UInt64 = 1 << 21
}

public enum MCMemberComponent {
    public static let mgid: UInt64 = 1 << 0, portGID: UInt64 = 1 << 1, qKey: UInt64 = 1 << 2, mlid: UInt64 = 1 << 3
    public static let mtuSelector: UInt64 = 1 << 4, mtu: UInt64 = 1 << 5, tClass: UInt64 = 1 << 6, pKey: UInt64 = 1 << 7
    public static let rateSelector: UInt64 = 1 << 8, rate: UInt64 = 1 << 9
    public static let packetLifeTimeSelector: UInt64 = 1 << 10, packetLifeTime: UInt64 = 1 << 11
    public static let sl: UInt64 = 1 << 12, flowLabel: UInt64 = 1 << 13, hopLimit: UInt64 = 1 << 14
    public static let scope: UInt64 = 1 << 15, joinState: UInt64 = 1 << 16, proxyJoin: UInt64 = 1 << 17
}
