import Foundation

/// What a running SM reports about itself: the one source of both `/status` (JSON, as is) and `/metrics`
/// (`SMMetrics.publish` turns it into Prometheus gauges and counters). Counts are totals since the SM started.
public struct SMStatus: Codable, Sendable, Equatable {
    /// The SM's state, as SMInfo names it (plus the time before the first sweep).
    public enum State: String, Codable, Sendable, CaseIterable {
        case starting, discovering, standby, master, notActive = "not-active"
    }

    /// One sweep's outcome.
    public enum SweepResult: String, Codable, Sendable, CaseIterable {
        /// Every linked port ACTIVE and every (switch, LID) pair delivered on a shortest path.
        case healthy
        /// The sweep ran but left problems (listed in `problems`).
        case problems
        /// The sweep could not run (no local port, another SM outranks us, ...).
        case failed
    }

    public struct LastSweep: Codable, Sendable, Equatable {
        /// "heavy" (full discovery and programming), "light", "trap", or what the daemon calls its kinds.
        public var kind: String
        /// When it finished, in seconds since 1970 (UTC).
        public var finishedAt: Double
        public var durationSeconds: Double
        public var result: SweepResult
        public init(kind: String, finishedAt: Double, durationSeconds: Double, result: SweepResult) {
            self.kind = kind
            self.finishedAt = finishedAt
            self.durationSeconds = durationSeconds
            self.result = result
        }
    }

    /// SMPs sent of one kind with one outcome ("sent", "timeout", "error-status").
    public struct SMPCount: Codable, Sendable, Equatable {
        public var method: String
        public var attribute: String
        public var outcome: String
        public var count: Int
        public init(method: String, attribute: String, outcome: String, count: Int) {
            self.method = method
            self.attribute = attribute
            self.outcome = outcome
            self.count = count
        }
    }

    /// SA requests of one attribute and method answered with one status ("success", "busy", "no-records", ...;
    /// "none" when the SA did not answer).
    public struct SACount: Codable, Sendable, Equatable {
        public var attribute: String
        public var method: String
        public var status: String
        public var count: Int
        public init(attribute: String, method: String, status: String, count: Int) {
            self.attribute = attribute
            self.method = method
            self.status = status
            self.count = count
        }
    }

    /// A link that trained below what both ends support.
    public struct DegradedLink: Codable, Sendable, Equatable {
        /// `"leaf-0"[3]` and the port at the other end.
        public var from: String
        public var to: String
        public var width: String
        public var speed: String
        public var couldBeWidth: String?
        public var couldBeSpeed: String?
        /// Gb/s each way, now and at the best both ends support.
        public var dataRateGbps: Double
        public var possibleGbps: Double
        public init(from: String, to: String, width: String, speed: String, couldBeWidth: String?, couldBeSpeed: String?,
                    dataRateGbps: Double, possibleGbps: Double) {
            self.from = from
            self.to = to
            self.width = width
            self.speed = speed
            self.couldBeWidth = couldBeWidth
            self.couldBeSpeed = couldBeSpeed
            self.dataRateGbps = dataRateGbps
            self.possibleGbps = possibleGbps
        }
    }

    public var state: State
    public var priority: Int
    /// The SM's port GUID, `0x...`.
    public var portGUID: String?
    /// Sweeps run, by kind.
    public var sweepsByKind: [String: Int]
    public var lastSweep: LastSweep?
    public var activePorts: Int
    public var linkedPorts: Int
    /// What keeps the subnet from being fully usable, after the last sweep.
    public var problems: [String]
    public var smps: [SMPCount]
    /// Traps received, by trap number.
    public var trapsByNumber: [String: Int]
    public var saRequests: [SACount]
    public var degradedLinks: [DegradedLink]

    public init(state: State = .starting, priority: Int = 0, portGUID: String? = nil, sweepsByKind: [String: Int] = [:],
                lastSweep: LastSweep? = nil, activePorts: Int = 0, linkedPorts: Int = 0, problems: [String] = [],
                smps: [SMPCount] = [], trapsByNumber: [String: Int] = [:], saRequests: [SACount] = [], degradedLinks: [DegradedLink] = []) {
        self.state = state
        self.priority = priority
        self.portGUID = portGUID
        self.sweepsByKind = sweepsByKind
        self.lastSweep = lastSweep
        self.activePorts = activePorts
        self.linkedPorts = linkedPorts
        self.problems = problems
        self.smps = smps
        self.trapsByNumber = trapsByNumber
        self.saRequests = saRequests
        self.degradedLinks = degradedLinks
    }

    /// Pretty, key-sorted JSON (what `/status` serves and `swiftsm status --format json` prints).
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain values cannot fail.
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }

    public static func decode(json bytes: [UInt8]) throws -> SMStatus {
        try JSONDecoder().decode(SMStatus.self, from: Data(bytes))
    }
}
