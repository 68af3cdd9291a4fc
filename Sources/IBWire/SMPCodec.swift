/// Encoding and decoding of whole 256-byte SMPs, field by field through libibmad's tables.
extension SMP {
    public static let madSize = 256
    /// Offset of the 64-byte attribute payload inside an SMP.
    static let payloadOffset = 64

    /// The 256 bytes of this SMP as sent on the wire.
    public func encoded() -> [UInt8] {
        var mad = [UInt8](repeating: 0, count: SMP.madSize)
        mad.setField(.baseVersion, 1)
        mad.setField(.managementClass, UInt32(managementClass.rawValue))
        mad.setField(.classVersion, 1)
        // libibmad splits the method byte into the 7-bit method and the response bit.
        mad.setField(.method, UInt32(method.rawValue & 0x7F))
        mad.setField(.response, UInt32(method.rawValue >> 7))
        mad.setField64(.transactionID, transactionID)
        mad.setField(.attributeID, UInt32(attribute.rawValue))
        mad.setField(.attributeModifier, attributeModifier)
        mad.setField64(.mKey, mKey)
        switch addressing {
        case .lidRouted:
            mad.setField(.status, UInt32(status.rawValue))
        case .directed(let header):
            mad.setField(.drStatus, UInt32(status.rawValue & 0x7FFF))
            mad.setField(.drDirection, header.isReturning ? 1 : 0)
            mad.setField(.drHopPointer, UInt32(header.hopPointer))
            mad.setField(.drHopCount, UInt32(header.hopCount))
            mad.setField(.drSLID, UInt32(header.drSLID.rawValue))
            mad.setField(.drDLID, UInt32(header.drDLID.rawValue))
            mad.setArrayField(.drInitialPath, header.initialPath.array)
            mad.setArrayField(.drReturnPath, header.returnPath.array)
        }
        mad.replaceSubrange(SMP.payloadOffset..<(SMP.payloadOffset + SMP.payloadSize), with: payload)
        return mad
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
                initialPath: SMPBytes(mad.arrayField(.drInitialPath, count: SMPBytes.count)),
                returnPath: SMPBytes(mad.arrayField(.drReturnPath, count: SMPBytes.count))))
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
