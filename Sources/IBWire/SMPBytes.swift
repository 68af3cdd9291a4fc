/// The 64-byte fields of an SMP (its attribute payload, and the initial and return paths of a
/// directed route), held inline. An SMP is then a plain value: making, copying and dropping one
/// allocates nothing, and one handed to another thread shares no storage with the sender (measured:
/// with the three as arrays, malloc's cross-thread frees made one run in three of the 11,664-host
/// real-switch model 30% slower).
public struct SMPBytes: RandomAccessCollection, MutableCollection, Hashable, Sendable, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    public static let count = 64
    // Inlinable throughout: every SMP reads and writes these, and unspecialized across modules each
    // byte went through a witness table (measured: 15% slower sweeps than with arrays).
    @usableFromInline var storage: InlineArray<64, UInt8>

    /// 64 zero bytes.
    @inlinable public init() { storage = InlineArray(repeating: 0) }

    /// `bytes`, zero-padded to 64; more than 64 is a programming error.
    @inlinable public init(_ bytes: some Sequence<UInt8>) {
        storage = InlineArray(repeating: 0)
        var index = 0
        for byte in bytes {
            precondition(index < Self.count, "an SMP field holds 64 bytes")
            storage[index] = byte
            index += 1
        }
    }

    public init(arrayLiteral elements: UInt8...) { self.init(elements) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Self.count }

    @inlinable public subscript(position: Int) -> UInt8 {
        get { storage[position] }
        set { storage[position] = newValue }
    }

    /// The 64 bytes as an array (what attribute types hold).
    @inlinable public var array: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.count) { buffer, initialized in
            for index in 0..<Self.count { buffer[index] = storage[index] }
            initialized = Self.count
        }
    }

    @inlinable public static func == (a: SMPBytes, b: SMPBytes) -> Bool {
        for index in 0..<count where a.storage[index] != b.storage[index] { return false }
        return true
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        for index in 0..<Self.count { hasher.combine(storage[index]) }
    }

    public var description: String { array.description }

    /// The 64 bytes in place, for the codec's copies through libibmad.
    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        var span = storage.mutableSpan
        return span.withUnsafeMutableBytes(body)
    }
}
