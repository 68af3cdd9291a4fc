/// An SA record: its bytes (exactly `layout.size`) and typed accessors over `SARecordLayout`.
public protocol SARecord: Hashable, Sendable {
    static var attribute: SAAttributeID { get }
    static var layout: SARecordLayout { get }
    var bytes: [UInt8] { get set }
    init(bytes: [UInt8])
}

extension SARecord {
    /// A record with every field zero.
    public init() { self.init(bytes: [UInt8](repeating: 0, count: Self.layout.size)) }

    /// The record at the start of an SA MAD's data (shorter data is zero-padded).
    @inlinable public init(data: [UInt8]) {
        let size = Self.layout.size
        if data.count >= size {
            self.init(bytes: Array(data[0..<size]))
        } else {
            self.init(bytes: data + [UInt8](repeating: 0, count: size - data.count))
        }
    }

    /// The record at the start of `data` (shorter data is zero-padded).
    public init(data: some Collection<UInt8>) {
        var bytes = Array(data.prefix(Self.layout.size))
        bytes += [UInt8](repeating: 0, count: Self.layout.size - bytes.count)
        self.init(bytes: bytes)
    }

    /// Component `index` (a field of at most 64 bits).
    public subscript(component index: Int) -> UInt64 {
        get { bytes.bits(Self.layout.components[index]) }
        set { bytes.setBits(Self.layout.components[index], newValue) }
    }

    /// True when this record equals `query` in every component `mask` selects.
    public func matches(_ query: Self, mask: UInt64) -> Bool { Self.layout.matches(bytes, query: query.bytes, mask: mask) }
}

/// ClassPortInfo (0x0001) of the SA class.
public struct ClassPortInfo: SARecord {
    public static let attribute = SAAttributeID.classPortInfo
    public static let layout = SARecordLayout.classPortInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var baseVersion: UInt8 { get { bytes[0] } set { bytes[0] = newValue } }
    public var classVersion: UInt8 { get { bytes[1] } set { bytes[1] = newValue } }
    public var capabilityMask: UInt16 {
        get { UInt16(bytes.bits(BitField(16, 16))) }
        set { bytes.setBits(BitField(16, 16), UInt64(newValue)) }
    }
    public var capabilityMask2: UInt32 {
        get { UInt32(bytes.bits(BitField(32, 27))) }
        set { bytes.setBits(BitField(32, 27), UInt64(newValue)) }
    }
    public var responseTimeValue: UInt8 {
        get { UInt8(bytes.bits(BitField(59, 5))) }
        set { bytes.setBits(BitField(59, 5), UInt64(newValue)) }
    }
}

/// NodeRecord (0x0011): a node's NodeInfo and NodeDescription, by the LID of one of its ports.
public struct NodeRecord: SARecord {
    public static let attribute = SAAttributeID.nodeRecord
    public static let layout = SARecordLayout.nodeRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    /// The first 40 bytes of NodeInfo (what the record embeds).
    public var nodeInfo: NodeInfo {
        get { NodeInfo(bytes: Array(bytes[4..<44]) + [UInt8](repeating: 0, count: 24)) }
        set { bytes.replaceSubrange(4..<44, with: newValue.bytes[0..<40]) }
    }
    public var nodeDescription: NodeDescription {
        get { NodeDescription(bytes: Array(bytes[44..<108])) }
        set { bytes.replaceSubrange(44..<108, with: newValue.bytes) }
    }
}

/// PortInfoRecord (0x0012): a port's PortInfo by its endport LID and port number.
public struct PortInfoRecord: SARecord {
    public static let attribute = SAAttributeID.portInfoRecord
    public static let layout = SARecordLayout.portInfoRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var endportLID: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var portNumber: PortNumber { get { PortNumber(UInt8(self[component: 1])) } set { self[component: 1] = UInt64(newValue.rawValue) } }
    public var portInfo: PortInfo {
        get { PortInfo(bytes: Array(bytes[4..<68])) }
        set { bytes.replaceSubrange(4..<68, with: newValue.bytes) }
    }
}

/// SwitchInfoRecord (0x0014).
public struct SwitchInfoRecord: SARecord {
    public static let attribute = SAAttributeID.switchInfoRecord
    public static let layout = SARecordLayout.switchInfoRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var switchInfo: SwitchInfo {
        get { SwitchInfo(bytes: Array(bytes[4..<24]) + [UInt8](repeating: 0, count: 44)) }
        set { bytes.replaceSubrange(4..<24, with: newValue.bytes[0..<20]) }
    }
}

/// LinearForwardingTableRecord (0x0015): one 64-entry LFT block of a switch.
public struct LinearForwardingTableRecord: SARecord {
    public static let attribute = SAAttributeID.linearForwardingTableRecord
    public static let layout = SARecordLayout.linearForwardingTableRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var blockNumber: UInt16 { get { UInt16(self[component: 1]) } set { self[component: 1] = UInt64(newValue) } }
    public var block: LinearForwardingTableBlock {
        get { LinearForwardingTableBlock(bytes: Array(bytes[8..<72])) }
        set { bytes.replaceSubrange(8..<72, with: newValue.bytes) }
    }
}

/// SMInfoRecord (0x0018).
public struct SMInfoRecord: SARecord {
    public static let attribute = SAAttributeID.smInfoRecord
    public static let layout = SARecordLayout.smInfoRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var guid: GUID { get { GUID(self[component: 2]) } set { self[component: 2] = newValue.rawValue } }
    public var smKey: UInt64 { get { self[component: 3] } set { self[component: 3] = newValue } }
    public var activityCount: UInt32 { get { UInt32(self[component: 4]) } set { self[component: 4] = UInt64(newValue) } }
    public var priority: UInt8 { get { UInt8(self[component: 5]) } set { self[component: 5] = UInt64(newValue) } }
    public var state: SMState? { get { SMState(rawValue: UInt8(self[component: 6])) } set { self[component: 6] = UInt64(newValue?.rawValue ?? 0) } }
}

/// LinkRecord (0x0020): one direction of a link, from a LID and port to a LID and port.
public struct LinkRecord: SARecord {
    public static let attribute = SAAttributeID.linkRecord
    public static let layout = SARecordLayout.linkRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var fromLID: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var fromPort: PortNumber { get { PortNumber(UInt8(self[component: 1])) } set { self[component: 1] = UInt64(newValue.rawValue) } }
    public var toPort: PortNumber { get { PortNumber(UInt8(self[component: 2])) } set { self[component: 2] = UInt64(newValue.rawValue) } }
    public var toLID: LID { get { LID(UInt16(self[component: 3])) } set { self[component: 3] = UInt64(newValue.rawValue) } }
}

/// GUIDInfoRecord (0x0030): a block of eight GUIDs of a port.
public struct GUIDInfoRecord: SARecord {
    public static let attribute = SAAttributeID.guidInfoRecord
    public static let layout = SARecordLayout.guidInfoRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var blockNumber: UInt8 { get { UInt8(self[component: 1]) } set { self[component: 1] = UInt64(newValue) } }
    public func guid(_ index: Int) -> GUID { GUID(self[component: 4 + index]) }
    public mutating func setGUID(_ index: Int, _ guid: GUID) { self[component: 4 + index] = guid.rawValue }
}

/// ServiceRecord (0x0031): a service a port registered.
public struct ServiceRecord: SARecord {
    public static let attribute = SAAttributeID.serviceRecord
    public static let layout = SARecordLayout.serviceRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var serviceID: UInt64 { get { self[component: 0] } set { self[component: 0] = newValue } }
    public var serviceGID: GID { get { bytes.gid(at: 8) } set { bytes.setGID(newValue, at: 8) } }
    public var serviceKey: PKey { get { PKey(UInt16(self[component: 2])) } set { self[component: 2] = UInt64(newValue.rawValue) } }
    public var lease: UInt32 { get { UInt32(self[component: 4]) } set { self[component: 4] = UInt64(newValue) } }
    /// The service name, up to 64 bytes, NUL-padded.
    public var name: String {
        get { String(decoding: bytes[48..<112].prefix { $0 != 0 }, as: UTF8.self) }
        set { bytes.replaceSubrange(48..<112, with: Array(newValue.utf8.prefix(64)) + [UInt8](repeating: 0, count: max(0, 64 - newValue.utf8.count))) }
    }
}

/// P_KeyTableRecord (0x0033): one 32-key block of a port's P_Key table.
public struct PKeyTableRecord: SARecord {
    public static let attribute = SAAttributeID.pKeyTableRecord
    public static let layout = SARecordLayout.pKeyTableRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var blockNumber: UInt16 { get { UInt16(self[component: 1]) } set { self[component: 1] = UInt64(newValue) } }
    public var portNumber: PortNumber { get { PortNumber(UInt8(self[component: 2])) } set { self[component: 2] = UInt64(newValue.rawValue) } }
    public var block: PKeyTableBlock {
        get { PKeyTableBlock(bytes: Array(bytes[8..<72])) }
        set { bytes.replaceSubrange(8..<72, with: newValue.bytes) }
    }
}

/// SLtoVLMappingTableRecord (0x0013): one SL2VL table, a CA port's (ports 0) or a switch's (input, output) pair.
public struct SLToVLMappingTableRecord: SARecord {
    public static let attribute = SAAttributeID.slToVLMappingTableRecord
    public static let layout = SARecordLayout.slToVLMappingTableRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var inputPort: PortNumber { get { PortNumber(UInt8(self[component: 1])) } set { self[component: 1] = UInt64(newValue.rawValue) } }
    public var outputPort: PortNumber { get { PortNumber(UInt8(self[component: 2])) } set { self[component: 2] = UInt64(newValue.rawValue) } }
    public var table: SLToVLMappingTable {
        get { SLToVLMappingTable(packed: self[component: 4]) }
        set { self[component: 4] = newValue.packed }
    }
}

/// VLArbitrationTableRecord (0x0036): one 32-entry block (1-4) of a port's VL arbitration tables.
public struct VLArbitrationTableRecord: SARecord {
    public static let attribute = SAAttributeID.vlArbitrationTableRecord
    public static let layout = SARecordLayout.vlArbitrationTableRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var lid: LID { get { LID(UInt16(self[component: 0])) } set { self[component: 0] = UInt64(newValue.rawValue) } }
    public var outputPort: PortNumber { get { PortNumber(UInt8(self[component: 1])) } set { self[component: 1] = UInt64(newValue.rawValue) } }
    public var blockNumber: UInt8 { get { UInt8(self[component: 2]) } set { self[component: 2] = UInt64(newValue) } }
    public var block: VLArbitrationTableBlock {
        get { VLArbitrationTableBlock(bytes: Array(bytes[8..<72])) }
        set { bytes.replaceSubrange(8..<72, with: newValue.bytes) }
    }
}

/// The selector of a PathRecord/MCMemberRecord MTU, rate or packet lifetime.
public enum ValueSelector: UInt8, Sendable {
    case greaterThan = 0, lessThan = 1, exactly = 2, largestAvailable = 3
}

/// PathRecord (0x0035): how to reach DGID/DLID from SGID/SLID.
public struct PathRecord: SARecord {
    public static let attribute = SAAttributeID.pathRecord
    public static let layout = SARecordLayout.pathRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var serviceID: UInt64 { get { self[component: 0] << 32 | self[component: 1] } set { self[component: 0] = newValue >> 32; self[component: 1] = newValue & 0xFFFF_FFFF } }
    public var dgid: GID { get { bytes.gid(at: 8) } set { bytes.setGID(newValue, at: 8) } }
    public var sgid: GID { get { bytes.gid(at: 24) } set { bytes.setGID(newValue, at: 24) } }
    public var dlid: LID { get { LID(UInt16(self[component: 4])) } set { self[component: 4] = UInt64(newValue.rawValue) } }
    public var slid: LID { get { LID(UInt16(self[component: 5])) } set { self[component: 5] = UInt64(newValue.rawValue) } }
    public var rawTraffic: Bool { get { self[component: 6] != 0 } set { self[component: 6] = newValue ? 1 : 0 } }
    public var flowLabel: UInt32 { get { UInt32(self[component: 8]) } set { self[component: 8] = UInt64(newValue) } }
    public var hopLimit: UInt8 { get { UInt8(self[component: 9]) } set { self[component: 9] = UInt64(newValue) } }
    public var tClass: UInt8 { get { UInt8(self[component: 10]) } set { self[component: 10] = UInt64(newValue) } }
    public var reversible: Bool { get { self[component: 11] != 0 } set { self[component: 11] = newValue ? 1 : 0 } }
    public var numbPath: UInt8 { get { UInt8(self[component: 12]) } set { self[component: 12] = UInt64(newValue) } }
    public var pKey: PKey { get { PKey(UInt16(self[component: 13])) } set { self[component: 13] = UInt64(newValue.rawValue) } }
    public var qosClass: UInt16 { get { UInt16(self[component: 14]) } set { self[component: 14] = UInt64(newValue) } }
    public var sl: UInt8 { get { UInt8(self[component: 15]) } set { self[component: 15] = UInt64(newValue) } }
    public var mtuSelector: UInt8 { get { UInt8(self[component: 16]) } set { self[component: 16] = UInt64(newValue) } }
    /// IBA MTU code: 1 = 256 ... 5 = 4096.
    public var mtu: UInt8 { get { UInt8(self[component: 17]) } set { self[component: 17] = UInt64(newValue) } }
    public var rateSelector: UInt8 { get { UInt8(self[component: 18]) } set { self[component: 18] = UInt64(newValue) } }
    /// IBA rate code (2 = 2.5 Gb/s, 3 = 10, 6 = 20, 7 = 40, ...).
    public var rate: UInt8 { get { UInt8(self[component: 19]) } set { self[component: 19] = UInt64(newValue) } }
    public var packetLifeTimeSelector: UInt8 { get { UInt8(self[component: 20]) } set { self[component: 20] = UInt64(newValue) } }
    public var packetLifeTime: UInt8 { get { UInt8(self[component: 21]) } set { self[component: 21] = UInt64(newValue) } }
    public var preference: UInt8 { get { UInt8(self[component: 22]) } set { self[component: 22] = UInt64(newValue) } }
}

/// MCMemberRecord (0x0038): a port's membership of a multicast group, and the group's parameters.
public struct MCMemberRecord: SARecord {
    public static let attribute = SAAttributeID.mcMemberRecord
    public static let layout = SARecordLayout.mcMemberRecord
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var mgid: GID { get { bytes.gid(at: 0) } set { bytes.setGID(newValue, at: 0) } }
    public var portGID: GID { get { bytes.gid(at: 16) } set { bytes.setGID(newValue, at: 16) } }
    public var qKey: UInt32 { get { UInt32(self[component: 2]) } set { self[component: 2] = UInt64(newValue) } }
    public var mlid: LID { get { LID(UInt16(self[component: 3])) } set { self[component: 3] = UInt64(newValue.rawValue) } }
    public var mtuSelector: UInt8 { get { UInt8(self[component: 4]) } set { self[component: 4] = UInt64(newValue) } }
    public var mtu: UInt8 { get { UInt8(self[component: 5]) } set { self[component: 5] = UInt64(newValue) } }
    public var tClass: UInt8 { get { UInt8(self[component: 6]) } set { self[component: 6] = UInt64(newValue) } }
    public var pKey: PKey { get { PKey(UInt16(self[component: 7])) } set { self[component: 7] = UInt64(newValue.rawValue) } }
    public var rateSelector: UInt8 { get { UInt8(self[component: 8]) } set { self[component: 8] = UInt64(newValue) } }
    public var rate: UInt8 { get { UInt8(self[component: 9]) } set { self[component: 9] = UInt64(newValue) } }
    public var packetLifeTimeSelector: UInt8 { get { UInt8(self[component: 10]) } set { self[component: 10] = UInt64(newValue) } }
    public var packetLifeTime: UInt8 { get { UInt8(self[component: 11]) } set { self[component: 11] = UInt64(newValue) } }
    public var sl: UInt8 { get { UInt8(self[component: 12]) } set { self[component: 12] = UInt64(newValue) } }
    public var flowLabel: UInt32 { get { UInt32(self[component: 13]) } set { self[component: 13] = UInt64(newValue) } }
    public var hopLimit: UInt8 { get { UInt8(self[component: 14]) } set { self[component: 14] = UInt64(newValue) } }
    public var scope: UInt8 { get { UInt8(self[component: 15]) } set { self[component: 15] = UInt64(newValue) } }
    /// Bit 0 full member, bit 1 non-member, bit 2 send-only non-member (bit 3 send-only full member).
    public var joinState: UInt8 { get { UInt8(self[component: 16]) } set { self[component: 16] = UInt64(newValue) } }
    public var proxyJoin: Bool { get { self[component: 17] != 0 } set { self[component: 17] = newValue ? 1 : 0 } }
}

/// InformInfo (0x0003): a subscription to (or cancellation of) traps forwarded as Reports.
public struct InformInfo: SARecord {
    public static let attribute = SAAttributeID.informInfo
    public static let layout = SARecordLayout.informInfo
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var gid: GID { get { bytes.gid(at: 0) } set { bytes.setGID(newValue, at: 0) } }
    public var lidRangeBegin: LID { get { LID(UInt16(self[component: 1])) } set { self[component: 1] = UInt64(newValue.rawValue) } }
    public var lidRangeEnd: LID { get { LID(UInt16(self[component: 2])) } set { self[component: 2] = UInt64(newValue.rawValue) } }
    public var isGeneric: Bool { get { self[component: 4] != 0 } set { self[component: 4] = newValue ? 1 : 0 } }
    public var subscribe: Bool { get { self[component: 5] != 0 } set { self[component: 5] = newValue ? 1 : 0 } }
    /// Notice type (0xFFFF: all).
    public var type: UInt16 { get { UInt16(self[component: 6]) } set { self[component: 6] = UInt64(newValue) } }
    /// Trap number for generic notices (0xFFFF: all), device ID otherwise.
    public var trapNumber: UInt16 { get { UInt16(self[component: 7]) } set { self[component: 7] = UInt64(newValue) } }
    public var queuePair: UInt32 { get { UInt32(self[component: 8]) } set { self[component: 8] = UInt64(newValue) } }
    public var responseTimeValue: UInt8 { get { UInt8(self[component: 10]) } set { self[component: 10] = UInt64(newValue) } }
    /// Producer type for generic notices (0xFFFFFF: all), vendor ID otherwise.
    public var producerType: UInt32 { get { UInt32(self[component: 12]) } set { self[component: 12] = UInt64(newValue) } }
}

/// Notice (0x0002) as an SA record: what a Report carries (80 bytes, with the issuer GID; the SMP form of a Trap is `Notice`).
public struct SANotice: SARecord {
    public static let attribute = SAAttributeID.notice
    public static let layout = SARecordLayout.notice
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isGeneric: Bool { get { self[component: 0] != 0 } set { self[component: 0] = newValue ? 1 : 0 } }
    public var type: UInt8 { get { UInt8(self[component: 1]) } set { self[component: 1] = UInt64(newValue) } }
    public var producerType: UInt32 { get { UInt32(self[component: 2]) } set { self[component: 2] = UInt64(newValue) } }
    public var trapNumber: UInt16 { get { UInt16(self[component: 3]) } set { self[component: 3] = UInt64(newValue) } }
    public var issuerLID: LID { get { LID(UInt16(self[component: 4])) } set { self[component: 4] = UInt64(newValue.rawValue) } }
    /// Traps 64-67: the GID the notice is about (DataDetails bytes 6-21).
    public var detailsGID: GID { get { bytes.gid(at: 16) } set { bytes.setGID(newValue, at: 16) } }
    public var issuerGID: GID { get { bytes.gid(at: 64) } set { bytes.setGID(newValue, at: 64) } }
}
