/// Why a MAD could not be encoded or decoded.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A MAD must be exactly 256 bytes.
    case wrongMADSize(Int)
    /// An SMP's management class must be 0x01 (LID-routed) or 0x81 (directed route).
    case notAnSMP(managementClass: UInt8)
    case unknownMethod(UInt8)
    /// An SA MAD's management class must be 0x03.
    case notSA(managementClass: UInt8)
    case unsupportedBaseVersion(UInt8)
    case routeTooLong(Int)
    case payloadSize(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .wrongMADSize(let size): "MAD is \(size) bytes, expected 256"
        case .notAnSMP(let cls): "management class 0x\(String(cls, radix: 16)) is not an SMP class"
        case .notSA(let cls): "management class 0x\(String(cls, radix: 16)) is not the SA class (0x03)"
        case .unknownMethod(let method): "unknown MAD method 0x\(String(method, radix: 16))"
        case .unsupportedBaseVersion(let version): "unsupported MAD base version \(version)"
        case .routeTooLong(let hops): "directed route of \(hops) hops exceeds 63"
        case .payloadSize(let expected, let actual): "attribute payload is \(actual) bytes, expected \(expected)"
        }
    }
}
