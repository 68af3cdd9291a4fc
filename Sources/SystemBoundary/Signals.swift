import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signals as an async sequence (SIGHUP: re-read the configuration; SIGTERM/SIGINT: stop). The signals'
/// default actions are turned off for as long as the stream is consumed, and restored when it ends.
public enum Signals {
    public static let hangup = SIGHUP
    public static let terminate = SIGTERM
    public static let interrupt = SIGINT

    /// Every delivery of any of `numbers`, in order. Only one stream should watch a given signal at a time.
    public static func stream(_ numbers: [Int32]) -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "swiftsm.signals")
            let sources = numbers.map { number -> any DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                return source
            }
            let box = SourcesBox(sources)
            continuation.onTermination = { _ in
                for source in box.sources { source.cancel() }
                for number in numbers { signal(number, SIG_DFL) }
            }
        }
    }

    /// Sends `number` to this process (for tests).
    public static func raise(_ number: Int32) {
        kill(getpid(), number)
    }
}

/// Dispatch sources are thread-safe to cancel.
private final class SourcesBox: @unchecked Sendable {
    let sources: [any DispatchSourceSignal]
    init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
}
