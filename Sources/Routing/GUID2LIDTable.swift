import FabricModel
import IBWire
import SystemBoundary

/// A block of consecutive unicast LIDs held by one port: `first...last`.
public struct LIDRange: Hashable, Sendable, CustomStringConvertible {
    public var first: LID
    public var last: LID
    public init(first: LID, last: LID) {
        self.first = first
        self.last = last
    }
    /// How many LIDs the range holds (0 when `last < first`).
    public var count: Int { max(0, Int(last.rawValue) - Int(first.rawValue) + 1) }
    public func contains(_ lid: LID) -> Bool { lid >= first && lid <= last }
    public func overlaps(_ other: LIDRange) -> Bool { first <= other.last && other.first <= last }
    public var description: String { first == last ? "\(first)" : "\(first)-\(last)" }
}

/// Why a guid2lid file could not be read or written. One line, naming the file.
public struct GUID2LIDError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file does not exist (a first run: callers usually start from an empty table).
        case missing
        /// It exists but cannot be read.
        case unreadable
        /// Its content is not a guid2lid file at all (binary data, or no entry among its lines).
        case notGUID2LID
        /// Writing the temporary file or renaming it over the target failed.
        case writeFailed
    }
    public var kind: Kind
    public var source: String
    public var message: String
    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }
    public var description: String { "\(source): \(message)" }
}

/// OpenSM's persistent port GUID → LID map (the `guid2lid` file in its cache directory,
/// `/var/cache/opensm/guid2lid` by default).
///
/// The format, as OpenSM 3.3 writes it (`osm_db_files.c`, `osm_db_pack.c`): one entry per port,
/// `0x<16 hex digit port GUID> 0x<4 hex digit first LID> 0x<4 hex digit last LID>`, each entry
/// followed by an empty line, in hash order. A switch is keyed by its port 0 GUID (all its ports
/// share it). OpenSM's reader needs that empty line: it appends every following non-empty line to
/// the previous entry's value (dropping the later entries silently), so `text()` writes it too.
///
/// Reading here is line by line and more forgiving: entries with or without empty lines between
/// them, surrounding blanks ignored, `#` comment lines skipped (OpenSM has no comments), numbers as
/// `0x` hex, decimal or leading-`0` octal (what `strtoull(…, 0)` accepts). Each bad entry is dropped
/// with a warning `file:line: …` — as OpenSM drops them (ERR 0312/0313/0314/6106): a line that is
/// not `guid first last`, GUID 0, LID 0, a LID at or above 0xC000 (multicast/permissive), first above
/// last, a range whose size is not a power of two (1…128, LMC 0…7) or whose first LID is not a
/// multiple of that size, a GUID already listed (the first entry wins), a range overlapping an
/// earlier entry (the earlier one wins). Text with NUL or other control bytes, or with non-blank,
/// non-comment lines of which none is a valid entry, is not a guid2lid file: an error.
public struct GUID2LIDTable: Sendable, Equatable {
    public var entries: [GUID: LIDRange]

    public init(entries: [GUID: LIDRange] = [:]) { self.entries = entries }

    public subscript(guid: GUID) -> LIDRange? {
        get { entries[guid] }
        set { entries[guid] = newValue }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Parses guid2lid text. `source` names it in warnings and errors (usually the path).
    public static func parse(_ text: String, source: String) throws(GUID2LIDError) -> (table: GUID2LIDTable, warnings: [String]) {
        for scalar in text.unicodeScalars where scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t" {
            throw GUID2LIDError(.notGUID2LID, source: source, "not a guid2lid file (binary data: control byte 0x\(String(scalar.value, radix: 16)))")
        }
        var table = GUID2LIDTable()
        var warnings: [String] = []
        var contentLines = 0
        // Which entry holds each LID so far, for overlap checks.
        var ownerOfLID: [UInt16: GUID] = [:]
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            contentLines += 1
            func drop(_ why: String) { warnings.append("\(source):\(offset + 1): \(why), entry dropped") }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 3 else {
                drop("expected '0x<port guid> 0x<first lid> 0x<last lid>', got \(words.count) field\(words.count == 1 ? "" : "s")")
                continue
            }
            guard let guidValue = parseCNumber(words[0]) else { drop("'\(words[0].prefix(40))' is not a GUID"); continue }
            guard let firstValue = parseCNumber(words[1]), let lastValue = parseCNumber(words[2]) else {
                drop("'\(words[1].prefix(20)) \(words[2].prefix(20))' are not two LIDs")
                continue
            }
            let guid = GUID(guidValue)
            guard guidValue != 0 else { drop("GUID 0 is not a port GUID"); continue }
            guard firstValue != 0 else { drop("LID 0 is not a unicast LID"); continue }
            guard firstValue <= UInt64(LID.maxUnicast.rawValue), lastValue <= UInt64(LID.maxUnicast.rawValue) else {
                drop("LID range \(firstValue)-\(lastValue) is not unicast (LIDs from 0xC000 are multicast)")
                continue
            }
            guard firstValue <= lastValue else { drop("first LID \(firstValue) is above last LID \(lastValue)"); continue }
            let size = lastValue - firstValue + 1
            guard size <= 128, size & (size - 1) == 0 else {
                drop("LID range \(firstValue)-\(lastValue) holds \(size) LIDs, not a power of two up to 128 (LMC 0-7)")
                continue
            }
            guard firstValue % size == 0 else {
                drop("LID range \(firstValue)-\(lastValue) is not aligned (its first LID must be a multiple of \(size))")
                continue
            }
            let range = LIDRange(first: LID(UInt16(firstValue)), last: LID(UInt16(lastValue)))
            if let existing = table.entries[guid] {
                drop("GUID \(guid) is already listed (LIDs \(existing))")
                continue
            }
            if let clash = (range.first.rawValue...range.last.rawValue).first(where: { ownerOfLID[$0] != nil }),
               let owner = ownerOfLID[clash] {
                drop("LIDs \(range) overlap LIDs \(table.entries[owner]!) of \(owner)")
                continue
            }
            for lid in range.first.rawValue...range.last.rawValue { ownerOfLID[lid] = guid }
            table.entries[guid] = range
        }
        if table.isEmpty && contentLines > 0 {
            throw GUID2LIDError(.notGUID2LID, source: source, "not a guid2lid file (none of its \(contentLines) lines is a '0x<port guid> 0x<first lid> 0x<last lid>' entry)")
        }
        return (table, warnings)
    }

    /// The table in OpenSM's format: entries by GUID, each followed by an empty line.
    public func text() -> String {
        var result = ""
        result.reserveCapacity(entries.count * 36)
        for (guid, range) in entries.sorted(by: { $0.key < $1.key }) {
            result += "\(guid) \(hex4(range.first)) \(hex4(range.last))\n\n"
        }
        return result
    }

    /// Reads and parses a guid2lid file. A missing file is an error of kind `.missing`.
    public static func load(path: String) throws(GUID2LIDError) -> (table: GUID2LIDTable, warnings: [String]) {
        switch Files.kind(of: path) {
        case .missing: throw GUID2LIDError(.missing, source: path, "no such file")
        case .directory: throw GUID2LIDError(.unreadable, source: path, "is a directory")
        case .regularFile, .other: break
        }
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch {
            throw GUID2LIDError(.unreadable, source: path, "cannot read the file (\(error.reason))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GUID2LIDError(.notGUID2LID, source: path, "not a guid2lid file (binary data: not UTF-8 text)")
        }
        return try parse(text, source: path)
    }

    /// Writes the table atomically (`Files.atomicWrite`): readers see the old file or the new one,
    /// never a partial one.
    public func write(to path: String) throws(GUID2LIDError) {
        do { try Files.atomicWrite(Array(text().utf8), to: path) } catch {
            throw GUID2LIDError(.writeFailed, source: path, error.description)
        }
    }
}

private func hex4(_ lid: LID) -> String {
    let digits = String(lid.rawValue, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// A number as `strtoull(text, NULL, 0)` reads a whole word: `0x` hex, leading-`0` octal, else decimal.
private func parseCNumber(_ word: Substring) -> UInt64? {
    if word.hasPrefix("0x") || word.hasPrefix("0X") {
        let digits = word.dropFirst(2)
        return digits.isEmpty ? nil : UInt64(digits, radix: 16)
    }
    if word.count > 1, word.hasPrefix("0") { return UInt64(word.dropFirst(), radix: 8) }
    return UInt64(word, radix: 10)
}
