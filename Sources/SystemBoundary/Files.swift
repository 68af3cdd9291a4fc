// The one boundary for files: reading whole files and writing them atomically, on swift-system's
// FileDescriptor and Errno. fsync and rename are not in swift-system (1.8), so they are called here.
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading files, asking what a path is, and writing files so that no reader ever sees half of one.
public enum Files {
    /// What a path names.
    public enum Kind: Sendable, Equatable {
        case missing, regularFile, directory, other
    }

    public static func kind(of path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public static func exists(_ path: String) -> Bool { kind(of: path) != .missing }

    /// The whole file. A directory fails with EISDIR; a file over `limit` bytes with EFBIG (a config
    /// file or guid2lid table that large is a mistake, not something to load into memory).
    public static func read(_ path: String, limit: Int = 1 << 30) throws(SystemError) -> [UInt8] {
        if kind(of: path) == .directory { throw SystemError("read", path, .isDirectory) }
        let descriptor = try SystemError.attempt("open", path) {
            try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        }
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try SystemError.attempt("read", path) {
                try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            }
            if count == 0 { return bytes }
            if bytes.count + count > limit { throw SystemError("read", path, .fileTooLarge) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Runs `body` on the whole file's bytes: mapped into memory when it is a regular non-empty file (large
    /// captures read without a copy; as with any mapped file, another process truncating it meanwhile would
    /// crash this one), else read to its end. `failure` turns a failed system call into the caller's error.
    public static func withContents<Result, Failure: Error>(
        of path: String, failure: (SystemError) -> Failure, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let descriptor: FileDescriptor
        do {
            descriptor = try SystemError.attempt("open", path) { try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) }
        } catch { throw failure(error) }
        defer { try? descriptor.close() }
        var info = stat()
        guard fstat(descriptor.rawValue, &info) == 0 else { throw failure(SystemError("read", path, Errno(rawValue: errno))) }
        if (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0,
           let mapped = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, descriptor.rawValue, 0), mapped != MAP_FAILED {
            defer { munmap(mapped, Int(info.st_size)) }
            return try body(UnsafeRawBufferPointer(start: mapped, count: Int(info.st_size)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw failure(SystemError("read", path, .isDirectory)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count: Int
            do {
                count = try SystemError.attempt("read", path) { try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) } }
            } catch { throw failure(error) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        // Array.withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let outcome: Swift.Result<Result, Failure> = bytes.withUnsafeBytes { buffer in
            do throws(Failure) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// The first `count` bytes of a file (fewer if it is shorter), e.g. to tell a capture from a text file.
    public static func readPrefix(_ path: String, count: Int) throws(SystemError) -> [UInt8] {
        if kind(of: path) == .directory { throw SystemError("read", path, .isDirectory) }
        let descriptor = try SystemError.attempt("open", path) {
            try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        }
        defer { try? descriptor.close() }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = try SystemError.attempt("read", path) {
                try bytes.withUnsafeMutableBytes { try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            }
            if read == 0 { break }
            filled += read
        }
        return Array(bytes[0..<filled])
    }

    /// Replaces (or creates) `path` with `bytes`, atomically: readers see the old file or the new one,
    /// never a partial one, and a failure leaves `path` as it was and no temporary file behind.
    public static func atomicWrite(_ bytes: some Collection<UInt8>, to path: String, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(SystemError) {
        var writer = try AtomicFileWriter(path: path, permissions: permissions)
        try writer.write(bytes)
        try writer.commit()
    }

    /// Writes to standard output (or any already-open descriptor), all of it.
    public static func write(_ bytes: some Collection<UInt8>, to descriptor: FileDescriptor, name: String) throws(SystemError) {
        _ = try SystemError.attempt("write", name) { try descriptor.writeAll(bytes) }
    }

    /// Creates a directory and any missing parents (mode 0755); an existing directory is not an error.
    public static func createDirectory(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { throw SystemError("create directory", prefix, Errno(rawValue: errno)) }
            if kind(of: prefix) != .directory { throw SystemError("create directory", prefix, .notDirectory) }
            prefix += "/"
        }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0, errno != ENOENT { throw SystemError("remove", path, Errno(rawValue: errno)) }
    }
}

/// The one way SwiftSM replaces a file: everything goes to a temporary file in the same directory
/// (`.<name>.tmp-<pid>-<random>`, created exclusively), which `commit()` flushes to disk and renames over
/// the path. `discard()`, a failed write, or dropping an uncommitted writer removes the temporary file,
/// so there is never a half-written file at `path`.
public struct AtomicFileWriter: ~Copyable {
    /// The file that `commit()` creates or replaces.
    public let path: String
    /// Where the bytes go until `commit()`.
    public let temporaryPath: String
    private var descriptor: FileDescriptor?
    /// Bytes written so far.
    public private(set) var byteCount = 0

    public init(path: String, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(SystemError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = directory + "." + name + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = temporaryPath
        descriptor = try SystemError.attempt("create", temporary) {
            try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec], permissions: permissions)
        }
    }

    deinit {
        if let descriptor {
            try? descriptor.close()
            unlink(temporaryPath)
        }
    }

    public var isOpen: Bool { descriptor != nil }

    /// Appends bytes. On failure the temporary file is removed and the writer is closed.
    public mutating func write(_ bytes: some Collection<UInt8>) throws(SystemError) {
        guard let descriptor else { throw SystemError("write", temporaryPath, .badFileDescriptor) }
        do {
            _ = try SystemError.attempt("write", temporaryPath) { try descriptor.writeAll(bytes) }
            byteCount += bytes.count
        } catch {
            discard()
            throw error
        }
    }

    /// Appends raw bytes without copying them into a collection first.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        guard let descriptor else { throw SystemError("write", temporaryPath, .badFileDescriptor) }
        do {
            _ = try SystemError.attempt("write", temporaryPath) { try descriptor.writeAll(bytes) }
            byteCount += bytes.count
        } catch {
            discard()
            throw error
        }
    }

    /// Flushes the temporary file to disk, closes it and renames it over `path`; then flushes the
    /// directory (best effort) so that the rename itself survives a crash.
    public mutating func commit() throws(SystemError) {
        guard let descriptor else { throw SystemError("commit", temporaryPath, .badFileDescriptor) }
        if fsync(descriptor.rawValue) != 0 {
            let failure = SystemError("flush", temporaryPath, Errno(rawValue: errno))
            discard()
            throw failure
        }
        self.descriptor = nil
        do {
            try SystemError.attempt("close", temporaryPath) { try descriptor.close() }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        if rename(temporaryPath, path) != 0 {
            let failure = SystemError("rename \(temporaryPath) to", path, Errno(rawValue: errno))
            unlink(temporaryPath)
            throw failure
        }
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        if let handle = try? FileDescriptor.open(FilePath(directory), .readOnly, options: .closeOnExec) {
            _ = fsync(handle.rawValue)
            try? handle.close()
        }
    }

    /// Drops what was written and removes the temporary file; `path` is left as it was.
    public mutating func discard() {
        guard let descriptor else { return }
        self.descriptor = nil
        try? descriptor.close()
        unlink(temporaryPath)
    }
}
