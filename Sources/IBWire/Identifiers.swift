/// A local identifier: the 16-bit address a subnet manager gives each port.
public struct LID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ value: UInt16) { self.rawValue = value }

    /// No LID assigned yet.
    public static let unassigned = LID(0)
    /// Accepted by every port; used as DrSLID/DrDLID and as the destination of directed-route SMPs.
    public static let permissive = LID(0xFFFF)
    /// The highest unicast LID (0xC000 and up are multicast).
    public static let maxUnicast = LID(0xBFFF)

    public var isUnicast: Bool { rawValue >= 1 && rawValue <= LID.maxUnicast.rawValue }
    public static func < (a: LID, b: LID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// A 64-bit globally unique identifier of a node, port or system image.
public struct GUID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }

    public static let zero = GUID(0)
    public static func < (a: GUID, b: GUID) -> Bool { a.rawValue < b.rawValue }

    /// `0x0002c90300a1b2c3`: sixteen hex digits, as the diag tools print GUIDs.
    public var description: String { "0x" + hexDigits }
    /// The sixteen hex digits without prefix.
    public var hexDigits: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Parses `0x...` or bare hex.
    public init?(parsing text: some StringProtocol) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 16, let value = UInt64(digits, radix: 16) else { return nil }
        self.rawValue = value
    }
}

/// A physical port number on a node: 0 is a switch's management port, 1...254 external ports.
public struct PortNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ value: UInt8) { self.rawValue = value }
    public init(integerLiteral value: UInt8) { self.rawValue = value }

    /// Switch management port.
    public static let management = PortNumber(0)
    public static func < (a: PortNumber, b: PortNumber) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
    public var index: Int { Int(rawValue) }
}

/// The output ports a directed-route SMP takes, hop by hop, from the SM's own port.
/// An empty route addresses the SM's own node.
public struct DirectedRoute: Hashable, Sendable, CustomStringConvertible {
    /// The most hops a directed-route SMP can carry (its path has 64 entries and entry 0 is unused).
    public static let maxHops = 63

    public private(set) var hops: [PortNumber]

    public init(_ hops: [PortNumber] = []) throws(WireError) {
        guard hops.count <= DirectedRoute.maxHops else { throw .routeTooLong(hops.count) }
        self.hops = hops
    }

    /// The SM's own node.
    public static let local = DirectedRoute(unchecked: [])
    init(unchecked hops: [PortNumber]) { self.hops = hops }

    public var hopCount: Int { hops.count }

    /// The route one hop further, out through `port` of the node this route reaches.
    public func appending(_ port: PortNumber) throws(WireError) -> DirectedRoute {
        try DirectedRoute(hops + [port])
    }

    /// `0,1,3,5` as ibnetdiscover and smpquery write directed routes (a leading 0 for the local node).
    public var description: String { (["0"] + hops.map(\.description)).joined(separator: ",") }

    /// Parses the `0,1,3` form; the leading 0 is optional.
    public init?(parsing text: some StringProtocol) {
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        if parts.first == "0" { parts.removeFirst() }
        var hops: [PortNumber] = []
        for part in parts {
            guard let value = UInt8(part), value != 0 else { return nil }
            hops.append(PortNumber(value))
        }
        guard hops.count <= DirectedRoute.maxHops else { return nil }
        self.hops = hops
    }
}

extension StringProtocol {
    /// The text without leading and trailing blanks and tabs.
    public var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return text
    }
}
