/// The common header of any MAD (the first 24 bytes), read without decoding the rest: what the inbound
/// side of a transport needs to tell a Trap from an SMInfo request from an SA query before handing it on.
public struct MADHeader: Hashable, Sendable {
    public var baseVersion: UInt8
    public var managementClass: UInt8
    public var classVersion: UInt8
    /// The method byte with its response bit (0x80), e.g. 0x01 Get, 0x81 GetResp, 0x05 Trap.
    public var method: UInt8
    public var status: UInt16
    public var transactionID: UInt64
    public var attributeID: UInt16
    public var attributeModifier: UInt32

    /// Reads the header of `mad`, which must be a whole 256-byte MAD.
    public init(peeking mad: [UInt8]) throws(WireError) {
        guard mad.count == SMP.madSize else { throw .wrongMADSize(mad.count) }
        baseVersion = UInt8(truncatingIfNeeded: mad.field(.baseVersion))
        guard baseVersion == 1 else { throw .unsupportedBaseVersion(baseVersion) }
        managementClass = UInt8(truncatingIfNeeded: mad.field(.managementClass))
        classVersion = UInt8(truncatingIfNeeded: mad.field(.classVersion))
        method = UInt8(truncatingIfNeeded: mad.field(.method) | mad.field(.response) << 7)
        status = UInt16(truncatingIfNeeded: mad.field(.status))
        transactionID = mad.field64(.transactionID)
        attributeID = UInt16(truncatingIfNeeded: mad.field(.attributeID))
        attributeModifier = mad.field(.attributeModifier)
    }

    /// Whether this MAD answers a request (GetResp, GetTableResp, ReportResp...), as opposed to asking
    /// something or reporting a trap. TrapRepress (0x07) is an answer too, though its response bit is clear.
    public var isResponse: Bool { method & 0x80 != 0 || method == MADMethod.trapRepress.rawValue }
}
