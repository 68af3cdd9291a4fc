import Foundation
import IBWire

/// One MAD as it crossed the SM's port: when, which way, between which LIDs, and its 256 bytes.
public struct CapturedMAD: Sendable, Equatable {
    /// Which way a MAD went, seen from the subnet manager's port.
    public enum Direction: Sendable, Equatable {
        /// The SM sent it (stored as ERF capture interface 0, "Port A"; Wireshark's direction "sent").
        case sent
        /// The SM received it (stored as ERF capture interface 1, "Port B"; Wireshark's direction "received").
        case received
    }

    /// Nanoseconds since the Unix epoch (1970-01-01 00:00:00 UTC).
    public var timestamp: UInt64
    public var direction: Direction
    /// The LRH source LID; permissive (0xFFFF) for directed-route SMPs.
    public var sourceLID: LID
    /// The LRH destination LID; permissive (0xFFFF) for directed-route SMPs.
    public var destinationLID: LID
    /// The whole MAD: exactly 256 bytes to be written.
    public var mad: [UInt8]

    public init(timestamp: UInt64, direction: Direction, sourceLID: LID, destinationLID: LID, mad: [UInt8]) {
        self.timestamp = timestamp
        self.direction = direction
        self.sourceLID = sourceLID
        self.destinationLID = destinationLID
        self.mad = mad
    }

    /// A directed-route MAD: both LRH LIDs permissive.
    public init(timestamp: UInt64, direction: Direction, directedRouteMAD mad: [UInt8]) {
        self.init(timestamp: timestamp, direction: direction, sourceLID: .permissive, destinationLID: .permissive,
                  mad: mad)
    }

    /// The MAD decoded as an SMP (LID-routed SMPs get `destinationLID` as their address).
    public func smp() throws(WireError) -> SMP {
        try SMP(decoding: mad, destination: destinationLID)
    }

    /// The current wall-clock time in nanoseconds since the Unix epoch, for `timestamp`.
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
