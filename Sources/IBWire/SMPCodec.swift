/// Encoding and decoding of whole 256-byte SMPs, field by field through libibmad's tables.
extension SMP {
    public static let madSize = 256
    /// Offset of the 64-byte attribute payload inside an SMP.
    static let payloadOffset = 64

    /// The 256 bytes of this SMP as sent on the wire.
    public func encoded() -> [UInt8] {
        var mad = [UInt8](repeating: 0, count: SMP.madSize)
        encode(into: &mad, at: 0)
        return mad
    }

    /// Writes the 256 bytes of this SMP into `buffer` from byte `offset` on (a libibumad send buffer holds
    /// its own header first), which must be zero there.
    public func encode(into buffer: inout [UInt8], at offset: Int) {
        precondition(buffer.count >= offset + SMP.madSize, "no room for a MAD")
        buffer.setField(.baseVersion, 1, base: offset)
        buffer.setField(.managementClass, UInt32(managementClass.rawValue), base: offset)
        buffer.setField(.classVersion, 1, base: offset)
        // libibmad splits the method byte into the 7-bit method and the response bit.
        buffer.setField(.method, UInt32(method.rawValue & 0x7F), base: offset)
        buffer.setField(.response, UInt32(method.rawValue >> 7), base: offset)
        buffer.setField64(.transactionID, transactionID, base: offset)
        buffer.setField(.attributeID, UInt32(attribute.rawValue), base: offset)
        buffer.setField(.attributeModifier, attributeModifier, base: offset)
        buffer.setField64(.mKey, mKey, base: offset)
        switch addressing {
        case .lidRouted:
            buffer.setField(.status, UInt32(status.rawValue), base: offset)
        case .directed(let header):
            buffer.setField(.drStatus, UInt32(status.rawValue & 0x7FFF), base: offset)
            buffer.setField(.drDirection, header.isReturning ? 1 : 0, base: offset)
            buffer.setField(.drHopPointer, UInt32(header.hopPointer), base: offset)
            buffer.setField(.drHopCount, UInt32(header.hopCount), base: offset)
            buffer.setField(.drSLID, UInt32(header.drSLID.rawValue), base: offset)
            buffer.setField(.drDLID, UInt32(header.drDLID.rawValue), base: offset)
            buffer.setArrayField(.drInitialPath, header.initialPath, base: offset)
            buffer.setArrayField(.drReturnPath, header.returnPath, base: offset)
        }
        let payloadStart = offset + SMP.payloadOffset
        buffer.replaceSubrange(payloadStart..<(payloadStart + SMP.payloadSize), with: payload)
    }

    /// Decodes a received SMP. `destination` is the LID a LID-routed SMP was addressed to (it travels in
    /// the packet's LRH, not in the MAD).
    public init(decoding mad: [UInt8], destination: LID = .permissive) throws(WireError) {
        guard mad.count == SMP.madSize else { throw .wrongMADSize(mad.count) }
        let baseVersion = UInt8(mad.field(.baseVersion))
        guard baseVersion == 1 else { throw .unsupportedBaseVersion(baseVersion) }
        let rawClass = UInt8(mad.field(.managementClass))
        guard let managementClass = ManagementClass(rawValue: rawClass) else { throw .notAnSMP(managementClass: rawClass) }
        let rawMethod = UInt8(truncatingIfNeeded: mad.field(.method) | mad.field(.response) << 7)
        guard let method = MADMethod(rawValue: rawMethod) else { throw .unknownMethod(rawMethod) }
        self.method = method
        transactionID = mad.field64(.transactionID)
        attribute = AttributeID(rawValue: UInt16(mad.field(.attributeID)))
        attributeModifier = mad.field(.attributeModifier)
        mKey = mad.field64(.mKey)
        switch managementClass {
        case .lidRoutedSMP:
            status = MADStatus(rawValue: UInt16(mad.field(.status)))
            addressing = .lidRouted(destination)
        case .directedRouteSMP:
            status = MADStatus(rawValue: UInt16(mad.field(.drStatus)))
            addressing = .directed(DirectedRouteHeader(
                hopCount: UInt8(truncatingIfNeeded: mad.field(.drHopCount)),
                hopPointer: UInt8(truncatingIfNeeded: mad.field(.drHopPointer)),
                isReturning: mad.field(.drDirection) != 0,
                drSLID: LID(UInt16(truncatingIfNeeded: mad.field(.drSLID))),
                drDLID: LID(UInt16(truncatingIfNeeded: mad.field(.drDLID))),
                initialPath: mad.arrayField(.drInitialPath),
                returnPath: mad.arrayField(.drReturnPath)))
        }
        payload = SMPBytes(mad[SMP.payloadOffset..<(SMP.payloadOffset + SMP.payloadSize)])
    }

    /// Reads the identifying header fields of a MAD without decoding it all (for matching replies).
    public static func matchKey(of mad: [UInt8]) -> MatchKey? {
        guard mad.count >= 24 else { return nil }
        return MatchKey(
            transactionLow32: UInt32(truncatingIfNeeded: mad.field64(.transactionID)),
            managementClass: UInt8(truncatingIfNeeded: mad.field(.managementClass)),
            attribute: UInt16(truncatingIfNeeded: mad.field(.attributeID)))
    }

    /// What pairs a response with its request: the kernel and umad2sim rewrite the upper 32 TID bits.
    public var matchKey: MatchKey {
        MatchKey(transactionLow32: UInt32(truncatingIfNeeded: transactionID),
                 managementClass: managementClass.rawValue, attribute: attribute.rawValue)
    }

    public struct MatchKey: Hashable, Sendable {
        public var transactionLow32: UInt32
        public var managementClass: UInt8
        public var attribute: UInt16
    }
}
