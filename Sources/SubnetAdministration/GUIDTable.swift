import IBWire

/// Endport indices by port GUID, for the PathRecord hot path: one flat open-addressed array of (GUID,
/// index) pairs, so a lookup reads one cache line where a Dictionary reads its bitmap, keys and values
/// (at ten thousand endports, three misses per GID, two GIDs per PathRecord).
struct GUIDTable: Sendable {
    private struct Slot {
        var guid: UInt64
        /// Endport index + 1; 0: empty.
        var entry: Int32
    }
    private let slots: [Slot]
    private let mask: Int

    init(_ pairs: some Sequence<(GUID, Int)>) {
        let all = Array(pairs)
        var capacity = 16
        while capacity < all.count * 2 { capacity *= 2 }
        var slots = [Slot](repeating: Slot(guid: 0, entry: 0), count: capacity)
        for (guid, index) in all {
            var position = Self.hash(guid.rawValue) & (capacity - 1)
            // The last pair for a GUID wins, as a Dictionary assignment would.
            while slots[position].entry != 0 && slots[position].guid != guid.rawValue { position = (position + 1) & (capacity - 1) }
            slots[position] = Slot(guid: guid.rawValue, entry: Int32(index + 1))
        }
        self.slots = slots
        mask = capacity - 1
    }

    private static func hash(_ value: UInt64) -> Int { Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> 32) }

    subscript(guid: GUID) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            var position = Self.hash(guid.rawValue) & mask
            while slots[position].entry != 0 {
                if slots[position].guid == guid.rawValue { return Int(slots[position].entry) - 1 }
                position = (position + 1) & mask
            }
            return nil
        }
    }
}
