/// Big-endian bit fields of MAD records, by bit offset and width as the IBA spec draws them (bit 0 is
/// the most significant bit of byte 0). Used for the SA record fields that libibmad's field table does
/// not have (or has wrong); `SARecordLayout` holds every offset, and a test checks them against
/// libibmad's table wherever it has the field.
public struct BitField: Hashable, Sendable {
    public var offset: Int
    public var width: Int
    public init(_ offset: Int, _ width: Int) {
        self.offset = offset
        self.width = width
    }
    public var byteRange: Range<Int> { (offset / 8)..<((offset + width + 7) / 8) }
}

extension Array where Element == UInt8 {
    /// A field of at most 64 bits.
    public func bits(_ field: BitField) -> UInt64 {
        precondition(field.width <= 64)
        // Within one byte (selectors, flags, codes): one shift and mask.
        let first = field.offset / 8, end = field.offset + field.width
        if field.width > 0, first == (end - 1) / 8 {
            return UInt64(self[first] >> (8 - (end - first * 8))) & (UInt64(1) << field.width - 1)
        }
        var value: UInt64 = 0
        var bit = field.offset
        while bit < end {
            // Whole bytes when aligned; single bits otherwise.
            if bit % 8 == 0 && end - bit >= 8 {
                value = value << 8 | UInt64(self[bit / 8])
                bit += 8
            } else {
                value = value << 1 | UInt64((self[bit / 8] >> (7 - bit % 8)) & 1)
                bit += 1
            }
        }
        return value
    }

    public mutating func setBits(_ field: BitField, _ value: UInt64) {
        precondition(field.width <= 64)
        let first = field.offset / 8, end = field.offset + field.width
        if field.width > 0, first == (end - 1) / 8 {
            let shift = UInt8(8 - (end - first * 8))
            let mask = UInt8(truncatingIfNeeded: (1 << field.width) - 1) << shift
            self[first] = self[first] & ~mask | UInt8(truncatingIfNeeded: value) << shift & mask
            return
        }
        var bit = field.offset + field.width - 1
        var rest = value
        while bit >= field.offset {
            if (bit + 1) % 8 == 0 && bit - field.offset >= 7 {
                self[bit / 8] = UInt8(truncatingIfNeeded: rest)
                rest >>= 8
                bit -= 8
            } else {
                let mask = UInt8(1) << (7 - bit % 8)
                if rest & 1 != 0 { self[bit / 8] |= mask } else { self[bit / 8] &= ~mask }
                rest >>= 1
                bit -= 1
            }
        }
    }

    /// True when the field has the same bits in both arrays (fields of any width: GIDs, names, tables).
    public func fieldEquals(_ other: [UInt8], _ field: BitField) -> Bool {
        var bit = field.offset
        let end = field.offset + field.width
        while bit < end {
            if bit % 8 == 0 && end - bit >= 8 {
                if self[bit / 8] != other[bit / 8] { return false }
                bit += 8
            } else {
                let mask = UInt8(1) << (7 - bit % 8)
                if self[bit / 8] & mask != other[bit / 8] & mask { return false }
                bit += 1
            }
        }
        return true
    }
}
