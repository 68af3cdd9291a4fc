import Synchronization
import SystemPackage

/// A file opened for appending (a log): each `append` lands whole at the end, even with other writers
/// (O_APPEND), and writes from several threads never interleave (a lock).
public final class AppendFile: Sendable {
    public let path: String
    private let descriptor: Mutex<FileDescriptor?>

    public init(path: String) throws(SystemError) {
        self.path = path
        let opened = try SystemError.attempt("open", path) {
            try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .append, .closeOnExec],
                                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        descriptor = Mutex(opened)
    }

    deinit { close() }

    public func append(_ bytes: [UInt8]) throws(SystemError) {
        let path = self.path
        try descriptor.withLock { (descriptor: inout FileDescriptor?) throws(SystemError) in
            guard let open = descriptor else { throw SystemError("append to", path, .badFileDescriptor) }
            _ = try SystemError.attempt("append to", path) { try open.writeAll(bytes) }
        }
    }

    public func close() {
        descriptor.withLock { descriptor in
            try? descriptor?.close()
            descriptor = nil
        }
    }
}
