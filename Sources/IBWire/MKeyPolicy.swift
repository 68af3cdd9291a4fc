/// The management key an SM puts on the ports it configures (IBA 14.2.4), and how strictly the ports
/// hold SMPs that do not carry it to account. On a CA each port holds its own; on a switch port 0's
/// guards the whole switch.
public struct MKeyPolicy: Hashable, Sendable {
    /// The key. 0 means no key: agents check nothing.
    public var key: UInt64
    /// What an SMP with another key may still do (PortInfo.MKeyProtectBits):
    /// 0 Get, and it shows the key; 1 Get, with the key read as 0; 2 and 3 nothing (3 is 2 since IBA 1.2).
    /// A Set with another key always fails.
    public var protectBits: UInt8
    /// Seconds after a refused SMP, with no SMP carrying the key since, at which the protect bits fall
    /// back to 0 so that a fabric whose SM is gone can be taken over. 0: never.
    public var leasePeriod: UInt16

    public static let protectBitsRange: ClosedRange<UInt8> = 0...3

    public init(key: UInt64, protectBits: UInt8, leasePeriod: UInt16) {
        precondition(Self.protectBitsRange.contains(protectBits), "MKeyProtectBits is a 2-bit field")
        self.key = key
        self.protectBits = protectBits
        self.leasePeriod = leasePeriod
    }

    /// A key as written on a command line: `0x`-prefixed hex or decimal, 64 bits; nil for anything else.
    public static func parseKey(_ text: String) -> UInt64? {
        if text.lowercased().hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }
}

extension PortInfo {
    /// Whether this PortInfo already holds `policy`'s key, protect bits and lease period.
    public func holds(_ policy: MKeyPolicy) -> Bool {
        mKey == policy.key && mKeyProtectBits == policy.protectBits && mKeyLeasePeriod == policy.leasePeriod
    }

    /// Writes `policy` into the M_Key fields.
    public mutating func apply(_ policy: MKeyPolicy) {
        mKey = policy.key
        mKeyProtectBits = policy.protectBits
        mKeyLeasePeriod = policy.leasePeriod
    }

    /// Whether Sets carrying `key` may be refused by the port this PortInfo was read from (by a Get
    /// carrying `key`): it shows another key, or shows none while its protect bits are set, which is how
    /// protect bits 1 hide a key from Gets that do not carry it.
    public func mayRefuseSets(carrying key: UInt64) -> Bool {
        mKey != 0 ? mKey != key : mKeyProtectBits != 0
    }
}
