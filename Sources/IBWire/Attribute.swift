/// An SMP attribute: 64 bytes of payload with typed accessors over libibmad's field table.
/// The bytes are kept whole, so an attribute read from a real fabric round-trips exactly.
public protocol SMPAttribute: Hashable, Sendable {
    static var attributeID: AttributeID { get }
    var bytes: [UInt8] { get }
    init(bytes: [UInt8])
}

extension SMPAttribute {
    /// An attribute with every field zero.
    public init() { self.init(bytes: [UInt8](repeating: 0, count: SMP.payloadSize)) }
}
