import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pid file held under an exclusive lock (flock) for as long as the process runs, so that a second SM
/// on the same port refuses to start instead of fighting the first: `acquire` fails while another live
/// process holds the lock, and a file left by a dead process is simply taken over (the kernel drops a dead
/// process's locks). The file names the holder's pid for people and tools.
public final class PIDFile: @unchecked Sendable {
    public let path: String
    private var descriptor: FileDescriptor?

    /// Why a pid file could not be taken.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another process holds it (its pid, if the file says).
        case held(path: String, pid: Int32?)
        case system(SystemError)

        public var description: String {
            switch self {
            case .held(let path, let pid): "\(path) is held by another running process" + (pid.map { " (pid \($0))" } ?? "")
            case .system(let error): error.description
            }
        }
    }

    private init(path: String, descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Locks `path` (creating it) and writes this process's pid into it.
    public static func acquire(_ path: String) throws(Failure) -> PIDFile {
        let descriptor: FileDescriptor
        do {
            descriptor = try SystemError.attempt("open", path) {
                try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            }
        } catch { throw .system(error) }
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let holder = errno == EWOULDBLOCK ? Self.pid(in: descriptor) : nil
            let lockErrno = errno
            try? descriptor.close()
            if lockErrno == EWOULDBLOCK { throw .held(path: path, pid: holder) }
            throw .system(SystemError("lock", path, Errno(rawValue: lockErrno)))
        }
        let text = Array("\(getpid())\n".utf8)
        do throws(SystemError) {
            guard ftruncate(descriptor.rawValue, 0) == 0 else { throw SystemError("truncate", path, Errno(rawValue: errno)) }
            _ = try SystemError.attempt("write", path) { try descriptor.writeAll(toAbsoluteOffset: 0, text) }
        } catch {
            try? descriptor.close()
            throw .system(error)
        }
        return PIDFile(path: path, descriptor: descriptor)
    }

    /// Removes the file and drops the lock (also done at exit by the kernel, minus the removal).
    public func release() {
        guard let descriptor else { return }
        self.descriptor = nil
        unlink(path)
        try? descriptor.close()
    }

    deinit { release() }

    private static func pid(in descriptor: FileDescriptor) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        guard let count = try? buffer.withUnsafeMutableBytes({ try descriptor.read(fromAbsoluteOffset: 0, into: $0) }), count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingNewlines)
    }
}

private extension String {
    var trimmingNewlines: String { String(filter { $0 != "\n" && $0 != " " }) }
}
