import SystemPackage

/// A failed system call on a named file or socket: what was tried, on what, and the errno.
/// Its description is one line, e.g. `cannot rename /tmp/.x.tmp-1-2 to /var/cache/swiftsm/guid2lid: Permission denied`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was tried, as a verb phrase: "open", "write", "rename ... to".
    public var operation: String
    /// The file or socket it was tried on.
    public var path: String
    public var errno: Errno

    public init(_ operation: String, _ path: String, _ errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// Just the reason, for callers whose own message already names the file.
    public var reason: String { errno.description }

    public var description: String { "cannot \(operation) \(path): \(errno.description)" }

    /// Runs a swift-system call, naming the operation and path in the error it may throw.
    @inline(__always)
    static func attempt<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws(SystemError) -> T {
        do { return try body() } catch let errno as Errno {
            throw SystemError(operation, path, errno)
        } catch {
            throw SystemError(operation, path, .ioError)
        }
    }
}
