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
/// (SM_Key, AttributeOffset, ComponentMask) and 200 bytes of data. Every header field goes through
/// libibmad's field table.
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
        self.data = data + [UInt8](repeating: 0, count: Self.dataSize - data.count)
    }

    /// Decodes a MAD of class 0x03. Only the size, base version and class are checked here: a request
    /// with a bad method, class version or attribute still decodes, so it can be answered with a status.
    public init(decoding mad: [UInt8]) throws(WireError) {
        guard mad.count == Self.madSize else { throw .wrongMADSize(mad.count) }
        let baseVersion = UInt8(truncatingIfNeeded: mad.field(.baseVersion))
        guard baseVersion == 1 else { throw .unsupportedBaseVersion(baseVersion) }
        let rawClass = UInt8(truncatingIfNeeded: mad.field(.managementClass))
        guard rawClass == Self.managementClass else { throw .notSA(managementClass: rawClass) }
        classVersion = UInt8(truncatingIfNeeded: mad.field(.classVersion))
        method = SAMethod(rawValue: UInt8(truncatingIfNeeded: mad.field(.method) | mad.field(.response) << 7))
        status = MADStatus(rawValue: UInt16(truncatingIfNeeded: mad.field(.status)))
        transactionID = mad.field64(.transactionID)
        attribute = SAAttributeID(rawValue: UInt16(truncatingIfNeeded: mad.field(.attributeID)))
        attributeModifier = mad.field(.attributeModifier)
        rmpp = RMPPHeader(
            version: UInt8(truncatingIfNeeded: mad.field(.rmppVersion)),
            type: UInt8(truncatingIfNeeded: mad.field(.rmppType)),
            responseTime: UInt8(truncatingIfNeeded: mad.field(.rmppResponseTime)),
            flags: UInt8(truncatingIfNeeded: mad.field(.rmppFlags)),
            status: UInt8(truncatingIfNeeded: mad.field(.rmppStatus)),
            data1: mad.field(.rmppData1), data2: mad.field(.rmppData2))
        smKey = mad.field64(.saSMKey)
        attributeOffset = UInt16(truncatingIfNeeded: mad.field(.saAttributeOffset))
        componentMask = mad.field64(.saComponentMask)
        data = Array(mad[Self.dataOffset..<Self.madSize])
    }

    /// The 256 bytes as sent.
    public func encoded() -> [UInt8] {
        var mad = [UInt8](repeating: 0, count: Self.madSize)
        mad.setField(.baseVersion, 1)
        mad.setField(.managementClass, UInt32(Self.managementClass))
        mad.setField(.classVersion, UInt32(classVersion))
        mad.setField(.method, UInt32(method.rawValue & 0x7F))
        mad.setField(.response, UInt32(method.rawValue >> 7))
        mad.setField(.status, UInt32(status.rawValue))
        mad.setField64(.transactionID, transactionID)
        mad.setField(.attributeID, UInt32(attribute.rawValue))
        mad.setField(.attributeModifier, attributeModifier)
        mad.setField(.rmppVersion, UInt32(rmpp.version))
        mad.setField(.rmppType, UInt32(rmpp.type))
        mad.setField(.rmppResponseTime, UInt32(rmpp.responseTime & 0x1F))
        mad.setField(.rmppFlags, UInt32(rmpp.flags & 0x7))
        mad.setField(.rmppStatus, UInt32(rmpp.status))
        mad.setField(.rmppData1, rmpp.data1)
        mad.setField(.rmppData2, rmpp.data2)
        mad.setField64(.saSMKey, smKey)
        mad.setField(.saAttributeOffset, UInt32(attributeOffset))
        mad.setField64(.saComponentMask, componentMask)
        mad.replaceSubrange(Self.dataOffset..<Self.madSize, with: data)
        return mad
    }

    /// True when `mad` is 256 bytes of base version 1 and class 0x03 (what an inbound loop routes to the SA).
    public static func isSA(_ mad: [UInt8]) -> Bool {
        mad.count == madSize && mad.field(.baseVersion) == 1 && mad.field(.managementClass) == UInt32(managementClass)
    }
}
