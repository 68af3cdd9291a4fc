/// A method of the Subnet Administration class (0x03); unknown values are kept so they can be refused
/// with the right status.
public struct SAMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let get = SAMethod(rawValue: 0x01)
    public static let set = SAMethod(rawValue: 0x02)
    public static let getResponse = SAMethod(rawValue: 0x81)
    public static let report = SAMethod(rawValue: 0x06)
    public static let reportResponse = SAMethod(rawValue: 0x86)
    public static let getTable = SAMethod(rawValue: 0x12)
    public static let getTableResponse = SAMethod(rawValue: 0x92)
    public static let getMulti = SAMethod(rawValue: 0x14)
    public static let getMultiResponse = SAMethod(rawValue: 0x94)
    public static let delete = SAMethod(rawValue: 0x15)
    public static let deleteResponse = SAMethod(rawValue: 0x95)

    public var isResponse: Bool { rawValue & 0x80 != 0 }
    /// The response method of a request (Set and Get answer with GetResp).
    public var response: SAMethod {
        switch self {
        case .set: .getResponse
        default: SAMethod(rawValue: rawValue | 0x80)
        }
    }

    public var description: String {
        switch self {
        case .get: "SubnAdmGet"
        case .set: "SubnAdmSet"
        case .getResponse: "SubnAdmGetResp"
        case .report: "SubnAdmReport"
        case .reportResponse: "SubnAdmReportResp"
        case .getTable: "SubnAdmGetTable"
        case .getTableResponse: "SubnAdmGetTableResp"
        case .getMulti: "SubnAdmGetMulti"
        case .getMultiResponse: "SubnAdmGetMultiResp"
        case .delete: "SubnAdmDelete"
        case .deleteResponse: "SubnAdmDeleteResp"
        default: "method 0x\(String(rawValue, radix: 16))"
        }
    }
}

/// The attributes of the SA class.
public struct SAAttributeID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let classPortInfo = SAAttributeID(rawValue: 0x0001)
    public static let notice = SAAttributeID(rawValue: 0x0002)
    public static let informInfo = SAAttributeID(rawValue: 0x0003)
    public static let nodeRecord = SAAttributeID(rawValue: 0x0011)
    public static let portInfoRecord = SAAttributeID(rawValue: 0x0012)
    public static let slToVLMappingTableRecord = SAAttributeID(rawValue: 0x0013)
    public static let switchInfoRecord = SAAttributeID(rawValue: 0x0014)
    public static let linearForwardingTableRecord = SAAttributeID(rawValue: 0x0015)
    public static let smInfoRecord = SAAttributeID(rawValue: 0x0018)
    public static let linkRecord = SAAttributeID(rawValue: 0x0020)
    public static let guidInfoRecord = SAAttributeID(rawValue: 0x0030)
    public static let serviceRecord = SAAttributeID(rawValue: 0x0031)
    public static let pKeyTableRecord = SAAttributeID(rawValue: 0x0033)
    public static let pathRecord = SAAttributeID(rawValue: 0x0035)
    public static let vlArbitrationTableRecord = SAAttributeID(rawValue: 0x0036)
    public static let mcMemberRecord = SAAttributeID(rawValue: 0x0038)
    public static let informInfoRecord = SAAttributeID(rawValue: 0x00F3)

    public var description: String {
        switch self {
        case .classPortInfo: "ClassPortInfo"
        case .notice: "Notice"
        case .informInfo: "InformInfo"
        case .nodeRecord: "NodeRecord"
        case .portInfoRecord: "PortInfoRecord"
        case .switchInfoRecord: "SwitchInfoRecord"
        case .linearForwardingTableRecord: "LinearForwardingTableRecord"
        case .smInfoRecord: "SMInfoRecord"
        case .linkRecord: "LinkRecord"
        case .guidInfoRecord: "GUIDInfoRecord"
        case .serviceRecord: "ServiceRecord"
        case .pKeyTableRecord: "P_KeyTableRecord"
        case .slToVLMappingTableRecord: "SLtoVLMappingTableRecord"
        case .vlArbitrationTableRecord: "VLArbitrationTableRecord"
        case .pathRecord: "PathRecord"
        case .mcMemberRecord: "MCMemberRecord"
        case .informInfoRecord: "InformInfoRecord"
        default: "SAAttribute(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// SA status codes: the class-specific part of the MAD status (bits 8-15), and the generic codes a
/// request can get.
extension MADStatus {
    public static let saNoResources = MADStatus(rawValue: 0x0100)
    public static let saRequestInvalid = MADStatus(rawValue: 0x0200)
    public static let saNoRecords = MADStatus(rawValue: 0x0300)
    public static let saTooManyRecords = MADStatus(rawValue: 0x0400)
    public static let saInvalidGID = MADStatus(rawValue: 0x0500)
    public static let saInsufficientComponents = MADStatus(rawValue: 0x0600)
    public static let saDenied = MADStatus(rawValue: 0x0700)
    /// Generic code 1 in bits 2-4: the class version is not supported.
    public static let badClassVersion = MADStatus(rawValue: 0x0004)

    /// A short name of an SA answer's status, for counters and logs ("success", "busy", "no-records").
    public var saName: String {
        switch self {
        case .ok: "success"
        case .busy: "busy"
        case .redirect: "redirect"
        case .badClassVersion: "bad-class-version"
        case .methodNotSupported: "method-not-supported"
        case .methodAttributeNotSupported: "attribute-not-supported"
        case .invalidAttributeValue: "invalid-attribute-value"
        case .saNoResources: "no-resources"
        case .saRequestInvalid: "request-invalid"
        case .saNoRecords: "no-records"
        case .saTooManyRecords: "too-many-records"
        case .saInvalidGID: "invalid-gid"
        case .saInsufficientComponents: "insufficient-components"
        case .saDenied: "denied"
        default: "status-0x" + String(rawValue, radix: 16)
        }
    }
}

/// The RMPP header (bytes 24-35 of an SA MAD).
public struct RMPPHeader: Hashable, Sendable {
    public enum Kind: UInt8, Sendable { case none = 0, data = 1, ack = 2, stop = 3, abort = 4 }
    public static let flagActive: UInt8 = 0x1
    public static let flagFirst: UInt8 = 0x2
    public static let flagLast: UInt8 = 0x4

    public var version: UInt8
    /// Raw RMPPType (see `kind`).
    public var type: UInt8
    public var responseTime: UInt8
    public var flags: UInt8
    public var status: UInt8
    /// DATA: SegmentNumber; ACK: the segment acknowledged.
    public var data1: UInt32
    /// DATA: PayloadLength (first and last segment); ACK: NewWindowLast.
    public var data2: UInt32

    public init(version: UInt8 = 0, type: UInt8 = 0, responseTime: UInt8 = 0, flags: UInt8 = 0, status: UInt8 = 0,
                data1: UInt32 = 0, data2: UInt32 = 0) {
        self.version = version
        self.type = type
        self.responseTime = responseTime
        self.flags = flags
        self.status = status
        self.data1 = data1
        self.data2 = data2
    }

    /// No RMPP (a single MAD).
    public static let inactive = RMPPHeader()
    public var kind: Kind? { Kind(rawValue: type) }
    public var isActive: Bool { flags & Self.flagActive != 0 }
}

/// A whole Subnet Administration MAD (class 0x03): the common MAD header, the RMPP header, the SA header
/// (SM_Key, AttributeOffset, ComponentMask) and 200 bytes of data. Header fields sit at the offsets
/// libibmad's field table gives them (`SAWireTests` checks each).
public struct SAMAD: Hashable, Sendable {
    public static let madSize = 256
    public static let managementClass: UInt8 = 0x03
    public static let classVersion: UInt8 = 2
    /// Bytes of records (or one record) each MAD carries.
    public static let dataSize = 200
    static let dataOffset = 56

    public var classVersion: UInt8
    public var method: SAMethod
    public var status: MADStatus
    public var transactionID: UInt64
    public var attribute: SAAttributeID
    public var attributeModifier: UInt32
    public var rmpp: RMPPHeader
    public var smKey: UInt64
    /// Record size in 8-byte words (GetTable responses).
    public var attributeOffset: UInt16
    public var componentMask: UInt64
    /// Exactly 200 bytes.
    public var data: [UInt8]

    public init(
        method: SAMethod, attribute: SAAttributeID, attributeModifier: UInt32 = 0, transactionID: UInt64 = 0,
        status: MADStatus = .ok, classVersion: UInt8 = SAMAD.classVersion, rmpp: RMPPHeader = .inactive, smKey: UInt64 = 0,
        attributeOffset: UInt16 = 0, componentMask: UInt64 = 0, data: [UInt8] = []
    ) {
        precondition(data.count <= Self.dataSize, "an SA MAD holds 200 bytes of data")
        self.classVersion = classVersion
        self.method = method
        self.status = status
        self.transactionID = transactionID
        self.attribute = attribute
        self.attributeModifier = attributeModifier
        self.rmpp = rmpp
        self.smKey = smKey
        self.attributeOffset = attributeOffset
        self.componentMask = componentMask
        if data.count == Self.dataSize {
            self.data = data
        } else {
            var padded = data
            padded.append(contentsOf: repeatElement(0, count: Self.dataSize - data.count))
            self.data = padded
        }
    }

    /// Decodes a MAD of class 0x03. Only the size, base version and class are checked here: a request
    /// with a bad method, class version or attribute still decodes, so it can be answered with a status.
    ///
    /// The header fields are byte-aligned, big-endian at fixed offsets (IBA 13.4.2, 13.6.2.1, 15.2.1.1):
    /// read straight from the bytes, since every SA request and answer passes here.
    /// `SAWireTests` checks each offset against libibmad's.
    public init(decoding mad: [UInt8]) throws(WireError) {
        guard mad.count == Self.madSize else { throw .wrongMADSize(mad.count) }
        let (header, data) = mad.withUnsafeBufferPointer { bytes -> (SAMAD, [UInt8]) in
            func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
            func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) }
            func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) << 32 | UInt64(u32(at + 4)) }
            var header = SAMAD(method: SAMethod(rawValue: bytes[3]), attribute: SAAttributeID(rawValue: u16(16)), empty: ())
            header.classVersion = bytes[2]
            header.status = MADStatus(rawValue: u16(4))
            header.transactionID = u64(8)
            header.attributeModifier = u32(20)
            header.rmpp = RMPPHeader(version: bytes[24], type: bytes[25], responseTime: bytes[26] >> 3, flags: bytes[26] & 0x7,
                                     status: bytes[27], data1: u32(28), data2: u32(32))
            header.smKey = u64(36)
            header.attributeOffset = u16(44)
            header.componentMask = u64(48)
            return (header, Array(bytes[Self.dataOffset..<Self.madSize]))
        }
        guard mad[0] == 1 else { throw .unsupportedBaseVersion(mad[0]) }
        guard mad[1] == Self.managementClass else { throw .notSA(managementClass: mad[1]) }
        self = header
        self.data = data
    }

    /// A value with no data yet (the decoder fills in the rest).
    private init(method: SAMethod, attribute: SAAttributeID, empty: Void) {
        self.classVersion = Self.classVersion
        self.method = method
        self.status = .ok
        self.transactionID = 0
        self.attribute = attribute
        self.attributeModifier = 0
        self.rmpp = .inactive
        self.smKey = 0
        self.attributeOffset = 0
        self.componentMask = 0
        self.data = []
    }

    /// The 256 bytes as sent (fixed offsets, as `init(decoding:)` reads them).
    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.madSize) { bytes, count in
            func put16(_ value: UInt16, _ at: Int) { bytes[at] = UInt8(value >> 8); bytes[at + 1] = UInt8(truncatingIfNeeded: value) }
            func put32(_ value: UInt32, _ at: Int) { put16(UInt16(value >> 16), at); put16(UInt16(truncatingIfNeeded: value), at + 2) }
            func put64(_ value: UInt64, _ at: Int) { put32(UInt32(value >> 32), at); put32(UInt32(truncatingIfNeeded: value), at + 4) }
            bytes[0] = 1
            bytes[1] = Self.managementClass
            bytes[2] = classVersion
            bytes[3] = method.rawValue
            put16(status.rawValue, 4)
            put16(0, 6)
            put64(transactionID, 8)
            put16(attribute.rawValue, 16)
            put16(0, 18)
            put32(attributeModifier, 20)
            bytes[24] = rmpp.version
            bytes[25] = rmpp.type
            bytes[26] = (rmpp.responseTime & 0x1F) << 3 | rmpp.flags & 0x7
            bytes[27] = rmpp.status
            put32(rmpp.data1, 28)
            put32(rmpp.data2, 32)
            put64(smKey, 36)
            put16(attributeOffset, 44)
            put16(0, 46)
            put64(componentMask, 48)
            let count200 = Swift.min(data.count, Self.dataSize)
            data.withUnsafeBufferPointer { source in
                for index in 0..<count200 { bytes[Self.dataOffset + index] = source[index] }
            }
            for index in (Self.dataOffset + count200)..<Self.madSize { bytes[index] = 0 }
            count = Self.madSize
        }
    }

    /// True when `mad` is 256 bytes of base version 1 and class 0x03 (what an inbound loop routes to the SA).
    public static func isSA(_ mad: [UInt8]) -> Bool {
        mad.count == madSize && mad.field(.baseVersion) == 1 && mad.field(.managementClass) == UInt32(managementClass)
    }
}
