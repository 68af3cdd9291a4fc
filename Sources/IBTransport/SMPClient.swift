import IBWire
import Logging
import Synchronization

/// How an `SMPClient` paces and retries SMPs.
public struct SMPClientOptions: Sendable {
    /// SMPs in flight in total (umad2sim deadlocks with several hundred; keep it at 64 or below there).
    public var maxOutstanding: Int
    /// SMPs in flight to one destination node.
    public var maxPerDestination: Int
    /// How long to wait for the first attempt's response; doubled after each timeout, up to 8 times this.
    public var timeout: Duration
    /// Further attempts after a timeout (an attempt that got no answer within its timeout).
    public var retries: Int
    /// How long an SMP whose attempts the fabric fails at once keeps being retried, from its first attempt
    /// (nil: the time its attempts' timeouts add up to, `timeout` × (1 + 2 + 4 + 8) with 3 retries).
    /// Such an attempt (ibsim and HCAs report an undeliverable MAD at once) is not a timeout: the next one
    /// goes when its timeout would have run out, with the same timeout, so retries span real time (a
    /// flapping link or a rebooting switch is ridden out). It gets at least `retries` retries, and more
    /// while they start before this deadline.
    public var deadline: Duration?
    /// Probes of nodes not known yet in flight at once. The discoverer spreads them so that few can
    /// reach one node (see `FabricDiscoverer.maxProbingSwitches`); this caps them all.
    public var maxUnknownProbes: Int

    public init(maxOutstanding: Int = 16, maxPerDestination: Int = 2, timeout: Duration = .milliseconds(200), retries: Int = 3,
                maxUnknownProbes: Int = 64, deadline: Duration? = nil) {
        self.maxOutstanding = maxOutstanding
        self.maxPerDestination = maxPerDestination
        self.maxUnknownProbes = maxUnknownProbes
        self.timeout = timeout
        self.retries = retries
        self.deadline = deadline
    }

    /// The timeout of the attempt after one that timed out with `timeout`: doubled, but boundedly, so
    /// that on a lossy fabric many retries do not add up to minutes.
    func timeout(after timeout: Duration) -> Duration { min(timeout * 2, self.timeout * 8) }

    /// `deadline`, or the time the first attempt and its `retries` take when every one times out.
    public var effectiveDeadline: Duration {
        if let deadline { return deadline }
        var total = Duration.zero, timeout = self.timeout
        for _ in 0...max(0, retries) {
            total += timeout
            timeout = self.timeout(after: timeout)
        }
        return total
    }
}

/// Sends SMPs over any transport with the SM's rules: fresh transaction IDs, the two outstanding windows,
/// retries with a growing timeout, and non-success statuses turned into typed errors. Safe to call from
/// many tasks at once; that is how callers keep the window full.
public final class SMPClient: Sendable {
    public let transport: any MADTransport
    public let options: SMPClientOptions
    /// The M_Key every SMP carries unless it names one itself (0: none). A port protected by another key
    /// refuses Sets, and with protect bits 2 or 3 Gets too, by not answering: they end as `.noResponse`.
    public let mKey: UInt64
    /// Where to run the tasks that keep the window full (`mapConcurrently`'s workers), in turn; empty:
    /// wherever the caller runs.
    public let runnerExecutors: [any TaskExecutor]
    let logger: Logger
    private let window: SendWindow
    private let counters = Mutex(SMPStatistics())

    public init(transport: any MADTransport, options: SMPClientOptions = SMPClientOptions(), mKey: UInt64 = 0,
                runnerExecutors: [any TaskExecutor] = [], logger: Logger = Logger(label: "swiftsm.smp")) {
        self.transport = transport
        self.options = options
        self.mKey = mKey
        self.runnerExecutors = runnerExecutors
        self.logger = logger
        self.window = SendWindow(maxTotal: options.maxOutstanding, maxPerDestination: options.maxPerDestination, maxUnknown: options.maxUnknownProbes)
    }

    /// How many tasks a caller should keep feeding SMPs: one per slot of the window. More would mostly
    /// wait at the window, and every wait is a suspension and a wake-up (measured: 6-12% slower sweeps).
    public var runnerCount: Int { max(4, options.maxOutstanding) }

    /// What was sent so far, by method and attribute, with timeouts and errors.
    public var statistics: SMPStatistics { counters.withLock { $0 } }

    /// Sends one SMP and returns its successful response. `destination` names the node it goes to
    /// when known, so that SMPs reaching one node by different routes share its window; probes of
    /// unknown nodes share one window of their own.
    nonisolated(nonsending) public func send(_ request: SMP, to destination: SMPDestination = .route) async throws(SMPError) -> SMP {
        let key: DestinationKey = switch (destination, request.addressing) {
        case (.node(let guid), _): .node(guid)
        case (.unknownNode, _): .unknownNode
        case (.route, .directed(let header)): .route(Array(header.initialPath[1..<(1 + Int(header.hopCount))]))
        case (.route, .lidRouted(let lid)): .lid(lid.rawValue)
        }
        // A cancelled sweep sends nothing more: its remaining SMPs end at once.
        guard !Task.isCancelled else { throw .cancelled }
        do { try await window.acquire(key) } catch { throw .cancelled }
        var holdsSlot = true
        defer { if holdsSlot { window.release(key) } }

        var request = request
        if request.mKey == 0 { request.mKey = mKey }
        var timeout = options.timeout
        var attempt = 0, timeouts = 0
        let clock = ContinuousClock()
        // The only clock reading an SMP that is answered pays for; `first` bounds its retries.
        var sent = clock.now
        let first = sent
        while true {
            attempt += 1
            request.transactionID = TransactionIDs.next()
            counters.withLock { $0.countSent(request) }
            let response: SMP
            do {
                response = try await transport.exchange(request, timeout: timeout)
            } catch .timeout {
                counters.withLock { $0.timeouts += 1 }
                guard !Task.isCancelled else { throw .cancelled }
                let now = clock.now
                // Before half its timeout: the fabric failed it at once (umad status 110), nothing timed out.
                let failedAtOnce = now - sent < timeout / 2
                if !failedAtOnce { timeouts += 1 }
                // Paced like a timeout: the next attempt goes when this one's timeout would have run out.
                let next = failedAtOnce ? sent + timeout : now
                // Timeouts are bounded by `retries` alone (a loaded machine may stretch them past the deadline),
                // and attempts that fail at once get at least as many retries, then more until the deadline.
                guard timeouts <= options.retries, !failedAtOnce || attempt <= options.retries || next - first < options.effectiveDeadline else {
                    throw .noResponse(attribute: request.attribute, target: SMPTarget(request), attempts: attempt)
                }
                logger.debug("retrying \(request.attribute) to \(SMPTarget(request)) (attempt \(attempt + 1))")
                if failedAtOnce {
                    // Nothing is in flight meanwhile: the slot goes to others while this one waits.
                    window.release(key)
                    holdsSlot = false
                    try? await Task.sleep(until: next, clock: clock)
                    guard !Task.isCancelled else { throw .cancelled }
                    do { try await window.acquire(key) } catch { throw .cancelled }
                    holdsSlot = true
                } else {
                    timeout = options.timeout(after: timeout)
                }
                sent = clock.now
                continue
            } catch {
                throw .transport(error)
            }
            guard response.status.isOK else {
                counters.withLock { $0.errorStatuses += 1 }
                throw .status(response.status, attribute: request.attribute, target: SMPTarget(request))
            }
            return response
        }
    }

    /// Reads attribute `A` along a directed route (to `node`, when known).
    nonisolated(nonsending) public func get<A: SMPAttribute>(_ type: A.Type, modifier: UInt32 = 0, route: DirectedRoute, node: GUID? = nil) async throws(SMPError) -> A {
        try await send(.get(A.attributeID, modifier: modifier, route: route), to: node.map(SMPDestination.node) ?? .route).decode(A.self)
    }

    /// Writes attribute `value` along a directed route and returns what the agent answered.
    @discardableResult
    nonisolated(nonsending) public func set<A: SMPAttribute>(_ value: A, modifier: UInt32 = 0, route: DirectedRoute, node: GUID? = nil) async throws(SMPError) -> A {
        try await send(.set(value, modifier: modifier, route: route), to: node.map(SMPDestination.node) ?? .route).decode(A.self)
    }
}

/// Whom an SMP goes to, for the per-node window.
public enum SMPDestination: Sendable {
    /// A known node.
    case node(GUID)
    /// A node not known yet: a probe through a port.
    case unknownNode
    /// Whatever the route (or LID) reaches.
    case route
}

/// Counts of SMPs by method and attribute, and of what went wrong.
public struct SMPStatistics: Sendable, Equatable {
    public struct Kind: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var method: MADMethod
        public var attribute: AttributeID
        public init(method: MADMethod, attribute: AttributeID) {
            self.method = method
            self.attribute = attribute
        }
        public static func < (a: Kind, b: Kind) -> Bool {
            (a.method.rawValue, a.attribute.rawValue) < (b.method.rawValue, b.attribute.rawValue)
        }
        public var description: String { "\(method)(\(attribute))" }
    }

    /// Every attempt sent, retries included.
    public var sent: [Kind: Int] = [:]
    public var timeouts = 0
    public var errorStatuses = 0

    public var totalSent: Int { sent.values.reduce(0, +) }

    mutating func countSent(_ smp: SMP) { sent[Kind(method: smp.method, attribute: smp.attribute), default: 0] += 1 }
}
