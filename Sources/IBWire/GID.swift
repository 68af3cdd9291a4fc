/// A 128-bit global identifier: a 64-bit subnet prefix and a 64-bit interface ID (a port GUID), or a
/// multicast GID (first byte 0xFF).
public struct GID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var prefix: UInt64
    public var interfaceID: UInt64
    public init(prefix: UInt64, interfaceID: UInt64) {
        self.prefix = prefix
        self.interfaceID = interfaceID
    }

    /// The default subnet prefix fe80::/64.
    public static let defaultPrefix: UInt64 = 0xFE80_0000_0000_0000
    public static let zero = GID(prefix: 0, interfaceID: 0)

    /// The unicast GID of a port on a subnet.
    public init(port: GUID, prefix: UInt64 = GID.defaultPrefix) { self.init(prefix: prefix, interfaceID: port.rawValue) }

    public var isMulticast: Bool { prefix >> 56 == 0xFF }
    public var isZero: Bool { prefix == 0 && interfaceID == 0 }
    public var guid: GUID { GUID(interfaceID) }

    /// Multicast scope (low nibble of the second byte).
    public var multicastScope: UInt8 { UInt8((prefix >> 48) & 0x0F) }
    /// Multicast flags (high nibble of the second byte).
    public var multicastFlags: UInt8 { UInt8((prefix >> 52) & 0x0F) }

    /// The 16 bytes as sent.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: prefix >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: interfaceID >> (56 - 8 * UInt64($0))) }
    }

    public static func < (a: GID, b: GID) -> Bool { (a.prefix, a.interfaceID) < (b.prefix, b.interfaceID) }

    /// `fe80::2:c903:a:b0c`-style groups of four hex digits, zeros not compressed except leading ones.
    public var description: String {
        let words = (0..<8).map { index -> String in
            let word = index < 4 ? UInt16(truncatingIfNeeded: prefix >> (48 - 16 * UInt64(index)))
                : UInt16(truncatingIfNeeded: interfaceID >> (48 - 16 * UInt64(index - 4)))
            return String(word, radix: 16)
        }
        return words.joined(separator: ":")
    }

    /// Parses eight colon-separated groups of hex digits, with at most one `::` for a run of zeros
    /// (`ff12:401b:ffff::ffff:ffff`).
    public init?(parsing text: some StringProtocol) {
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var words: [UInt16] = []
            for group in part.split(separator: Character(":"), omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let word = UInt16(group, radix: 16) else { return nil }
                words.append(word)
            }
            return words
        }
        let text = Substring(text)
        var words: [UInt16]
        let gap = text.indices.first { index in
            text[index] == ":" && text.index(after: index) < text.endIndex && text[text.index(after: index)] == ":"
        }
        if let gap {
            guard let head = groups(text[..<gap]), let tail = groups(text[text.index(gap, offsetBy: 2)...]),
                  head.count + tail.count < 8 else { return nil }
            words = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(text) else { return nil }
            words = all
        }
        guard words.count == 8 else { return nil }
        prefix = words[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        interfaceID = words[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }
}

extension Array where Element == UInt8 {
    /// The GID at byte `offset`.
    public func gid(at offset: Int) -> GID {
        var prefix: UInt64 = 0
        var interface: UInt64 = 0
        for index in 0..<8 { prefix = prefix << 8 | UInt64(self[offset + index]) }
        for index in 8..<16 { interface = interface << 8 | UInt64(self[offset + index]) }
        return GID(prefix: prefix, interfaceID: interface)
    }

    public mutating func setGID(_ gid: GID, at offset: Int) {
        for index in 0..<8 { self[offset + index] = UInt8(truncatingIfNeeded: gid.prefix >> (56 - 8 * UInt64(index))) }
        for index in 0..<8 { self[offset + 8 + index] = UInt8(truncatingIfNeeded: gid.interfaceID >> (56 - 8 * UInt64(index))) }
    }
}
