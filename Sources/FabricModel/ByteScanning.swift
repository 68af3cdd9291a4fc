// Small byte-level helpers for the topology parser (ASCII text, C-like number rules).

enum ASCII {
    static let tab: UInt8 = 9
    static let newline: UInt8 = 10
    static let carriageReturn: UInt8 = 13
    static let space: UInt8 = 32
    static let quote: UInt8 = 34
    static let hash: UInt8 = 35
    static let openParen: UInt8 = 40
    static let closeParen: UInt8 = 41
    static let plus: UInt8 = 43
    static let equals: UInt8 = 61
    static let at: UInt8 = 64
    static let openBracket: UInt8 = 91
    static let closeBracket: UInt8 = 93
    static let zero: UInt8 = 48
    static let nine: UInt8 = 57
    static let lowerX: UInt8 = 120
    static let upperX: UInt8 = 88

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == space || (c >= 9 && c <= 13) }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= zero && c <= nine }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    @inline(__always) static func hexValue(_ c: UInt8) -> UInt64? {
        switch c {
        case 48...57: UInt64(c - 48)
        case 97...102: UInt64(c - 87)
        case 65...70: UInt64(c - 55)
        default: nil
        }
    }
}

/// A view of one line of a byte buffer.
struct ByteLine {
    let bytes: [UInt8]
    let start: Int
    let end: Int

    var isEmpty: Bool { start >= end }
    var count: Int { end - start }
    subscript(i: Int) -> UInt8 { bytes[i] }

    var text: String { string(start, end) }

    func string(_ from: Int, _ to: Int) -> String {
        guard from < to else { return "" }
        return String(decoding: bytes[from..<to], as: UTF8.self)
    }

    /// True when the line holds only blanks.
    var isBlank: Bool {
        var i = start
        while i < end {
            if !ASCII.isSpace(bytes[i]) { return false }
            i += 1
        }
        return true
    }

    func skipSpaces(from: Int) -> Int {
        var i = from
        while i < end, ASCII.isSpace(bytes[i]) { i += 1 }
        return i
    }

    func firstIndex(of c: UInt8, from: Int) -> Int? {
        var i = from
        while i < end {
            if bytes[i] == c { return i }
            i += 1
        }
        return nil
    }

    func lastIndex(of c: UInt8, from: Int) -> Int? {
        var i = end - 1
        while i >= from {
            if bytes[i] == c { return i }
            i -= 1
        }
        return nil
    }

    /// First occurrence of an ASCII needle in `from..<end`, like strstr.
    func find(_ needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, end - from >= needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = end - needle.count
        outer: while i <= last {
            if bytes[i] == first {
                var j = 1
                while j < needle.count {
                    if bytes[i + j] != needle[j] { i += 1; continue outer }
                    j += 1
                }
                return i
            }
            i += 1
        }
        return nil
    }

    func hasPrefix(_ prefix: [UInt8], at: Int) -> Bool {
        guard end - at >= prefix.count else { return false }
        for k in 0..<prefix.count where bytes[at + k] != prefix[k] { return false }
        return true
    }

    /// The leading run of letters and '-' (a keyword such as `Switch`, `caguid`, `Non-Chassis`).
    func keyword() -> String {
        var i = start
        while i < end, ASCII.isAlpha(bytes[i]) || (i > start && bytes[i] == 45) { i += 1 }
        return string(start, i)
    }

    /// Parses an unsigned number like C's strtoull with base 0 (0x.. hex, 0.. octal, else decimal),
    /// skipping leading blanks. Returns nil when there are no digits or the value overflows.
    func scanNumber(from: Int) -> (value: UInt64, end: Int)? {
        var i = skipSpaces(from: from)
        if i < end, bytes[i] == ASCII.plus { i += 1 }
        guard i < end, ASCII.isDigit(bytes[i]) else { return nil }
        var base: UInt64 = 10
        if bytes[i] == ASCII.zero {
            if i + 2 < end, bytes[i + 1] == ASCII.lowerX || bytes[i + 1] == ASCII.upperX,
                ASCII.hexValue(bytes[i + 2]) != nil
            {
                base = 16
                i += 2
            } else {
                base = 8
            }
        }
        var value: UInt64 = 0
        var any = false
        while i < end, let digit = ASCII.hexValue(bytes[i]), digit < base {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            any = true
            i += 1
        }
        return any ? (value, i) : nil
    }

    /// Parses a signed decimal integer like `%d`, skipping leading blanks.
    func scanDecimal(from: Int) -> (value: Int, end: Int)? {
        var i = skipSpaces(from: from)
        var negative = false
        if i < end, bytes[i] == 45 || bytes[i] == ASCII.plus {
            negative = bytes[i] == 45
            i += 1
        }
        var value = 0
        var any = false
        while i < end, ASCII.isDigit(bytes[i]) {
            value = value &* 10 &+ Int(bytes[i] - ASCII.zero)
            if value > 1_000_000_000 { return nil }
            any = true
            i += 1
        }
        return any ? (negative ? -value : value, i) : nil
    }
}
