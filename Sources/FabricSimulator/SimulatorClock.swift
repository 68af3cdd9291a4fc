import Synchronization

/// The time the simulated agents go by (M_Key lease periods): real time since the clock was made, plus
/// whatever `advance(by:)` added. A frozen clock moves only when advanced, so tests can cross a lease
/// period of minutes without waiting for it.
public final class SimulatorClock: Sendable {
    private let origin: ContinuousClock.Instant?
    private let added = Mutex(Duration.zero)

    public init(frozen: Bool = false) {
        origin = frozen ? nil : .now
    }

    /// Time since the clock started.
    public var elapsed: Duration {
        let real = origin.map { ContinuousClock.now - $0 } ?? .zero
        return real + added.withLock { $0 }
    }

    public func advance(by duration: Duration) {
        added.withLock { $0 += duration }
    }
}
