// The one place SwiftSM opens sockets of its own (the HTTP listener uses swift-nio's): unix datagram
// sockets, which systemd's notification protocol needs.
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sending (and, for tests, receiving) datagrams on AF_UNIX sockets, including Linux abstract names
/// (a leading `@`, as systemd writes them in $NOTIFY_SOCKET).
public enum UnixDatagram {
    /// Sends one datagram to the socket at `path`.
    public static func send(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemError("open a socket for", path, Errno(rawValue: errno)) }
        defer { close(descriptor) }
        var address = try socketAddress(path)
        let length = socklen_t(MemoryLayout<sa_family_t>.size + addressLength(path))
        let sent = bytes.withUnsafeBytes { data in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, data.baseAddress, data.count, 0, $0, length) }
            }
        }
        guard sent == bytes.count else { throw SystemError("send to", path, Errno(rawValue: sent < 0 ? errno : EMSGSIZE)) }
    }

    /// A bound datagram socket that receives what others send to `path` (a file path, or `@name` for
    /// an abstract socket). Closed on deinit.
    public final class Receiver: @unchecked Sendable {
        public let path: String
        private let descriptor: Int32

        public init(path: String) throws(SystemError) {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw SystemError("open a socket for", path, Errno(rawValue: errno)) }
            var address = try socketAddress(path)
            let length = socklen_t(MemoryLayout<sa_family_t>.size + addressLength(path))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            guard bound == 0 else {
                let failure = SystemError("bind", path, Errno(rawValue: errno))
                close(descriptor)
                throw failure
            }
        }

        deinit {
            close(descriptor)
            if !path.hasPrefix("@") { unlink(path) }
        }

        /// The next datagram, or nil if none arrives within `timeoutMilliseconds`.
        public func receive(timeoutMilliseconds: Int32) throws(SystemError) -> [UInt8]? {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready < 0 { throw SystemError("poll", path, Errno(rawValue: errno)) }
            if ready == 0 { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw SystemError("receive on", path, Errno(rawValue: errno)) }
            return Array(buffer[0..<count])
        }
    }

    private static func addressLength(_ path: String) -> Int { path.utf8.count }

    private static func socketAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { throw SystemError("address", path, .fileNameTooLong) }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return address
    }
}
