import FabricModel
import IBTransport
import IBWire
import DequeModule
import Logging

/// A breadth-first directed-route sweep from the SM's own port. SMPs are issued as soon as what they
/// depend on is known (a port's NodeInfo probe once its PortInfo says the link is up), so the client's
/// window stays full; all answers are folded into the model on one task, in arrival order.
public struct FabricDiscoverer: Sendable {
    public let client: SMPClient
    /// Switches whose ports are probed at once. A switch's probes reach different neighbours, so no node
    /// gets more than this many probes at a time (barring parallel cables), however many are in flight.
    public let maxProbingSwitches: Int
    let logger: Logger

    public init(client: SMPClient, maxProbingSwitches: Int = 2, logger: Logger = Logger(label: "swiftsm.discovery")) {
        precondition(maxProbingSwitches >= 1, "at least one switch probes")
        self.client = client
        self.maxProbingSwitches = maxProbingSwitches
        self.logger = logger
    }

    public func discover() async -> DiscoveryResult {
        var sweep = DiscoverySweep()
        // Only a few queries run as tasks at a time (a task group's bookkeeping grows with its children);
        // the rest wait here, taken round-robin across nodes so the client's per-node window never
        // starves the total one.
        var waiting = QueryQueue()
        var probes = ProbeScheduler(maxSources: maxProbingSwitches)
        let maxRunning = client.runnerCount
        await withTaskGroup(of: DiscoveryAnswer.self) { group in
            let client = self.client
            var running = 0
            // Probes first: they are what finds new nodes and so the next queries.
            func refill() {
                while running < maxRunning, let query = probes.pop() ?? waiting.pop() {
                    // A link whose far end probed it first needs no probe from this end.
                    if case .nodeInfo(_, let via?) = query, sweep.fabric[via]?.remote != nil {
                        probes.finished(source: via.node)
                        continue
                    }
                    running += 1
                    group.addTask { await query.run(on: client) }
                }
            }
            waiting.push(.nodeInfo(route: .local, via: nil))
            refill()
            for await answer in group {
                running -= 1
                if case .nodeInfo(_, let via?, _) = answer { probes.finished(source: via.node) }
                for query in sweep.absorb(answer) {
                    if case .nodeInfo(_, let via?) = query { probes.push(query, source: via.node) } else { waiting.push(query) }
                }
                refill()
            }
        }
        logger.info("discovered \(sweep.fabric.nodes.count) nodes, \(sweep.fabric.links.count) links, \(sweep.problems.count) problems")
        return DiscoveryResult(canonicalizing: sweep.fabric, sweptRoutes: sweep.routes, problems: sweep.problems)
    }
}

/// One SMP the sweep wants answered.
enum DiscoveryQuery: Sendable {
    /// Who is at the end of `route`; `via` is the port it was probed through (nil for the SM's own node).
    case nodeInfo(route: DirectedRoute, via: PortAddress?)
    case nodeDescription(node: Int, guid: GUID, route: DirectedRoute)
    case switchInfo(node: Int, guid: GUID, route: DirectedRoute)
    case portInfo(node: Int, guid: GUID, port: PortNumber, route: DirectedRoute)

    /// The route the SMP travels: what the per-node window and the round-robin go by.
    var route: DirectedRoute {
        switch self {
        case .nodeInfo(let route, _), .nodeDescription(_, _, let route), .switchInfo(_, _, let route), .portInfo(_, _, _, let route): route
        }
    }

    func run(on client: SMPClient) async -> DiscoveryAnswer {
        switch self {
        case .nodeInfo(let route, let via):
            .nodeInfo(route: route, via: via, await Self.result { () async throws(SMPError) in
                try await client.send(.get(.nodeInfo, route: route), to: via == nil ? .route : .unknownNode).decode(NodeInfo.self)
            })
        case .nodeDescription(let node, let guid, let route):
            .nodeDescription(node: node, await Self.result { () async throws(SMPError) in
                try await client.get(NodeDescription.self, route: route, node: guid)
            })
        case .switchInfo(let node, let guid, let route):
            .switchInfo(node: node, await Self.result { () async throws(SMPError) in try await client.get(SwitchInfo.self, route: route, node: guid) })
        case .portInfo(let node, let guid, let port, let route):
            .portInfo(node: node, port: port, await Self.result { () async throws(SMPError) in
                try await client.get(PortInfo.self, modifier: UInt32(port.rawValue), route: route, node: guid)
            })
        }
    }

    private static func result<T>(_ body: () async throws(SMPError) -> T) async -> Result<T, SMPError> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}

/// One answer (or failure) coming back to the sweep.
enum DiscoveryAnswer: Sendable {
    case nodeInfo(route: DirectedRoute, via: PortAddress?, Result<NodeInfo, SMPError>)
    case nodeDescription(node: Int, Result<NodeDescription, SMPError>)
    case switchInfo(node: Int, Result<SwitchInfo, SMPError>)
    case portInfo(node: Int, port: PortNumber, Result<PortInfo, SMPError>)
}

/// Queries waiting to run, one queue per route, served round-robin.
struct QueryQueue {
    private var byRoute: [DirectedRoute: Deque<DiscoveryQuery>] = [:]
    private var rotation: Deque<DirectedRoute> = []

    mutating func push(_ query: DiscoveryQuery) {
        let route = query.route
        if byRoute[route] == nil {
            byRoute[route] = [query]
            rotation.append(route)
        } else {
            byRoute[route]!.append(query)
        }
    }

    mutating func pop() -> DiscoveryQuery? {
        guard let route = rotation.popFirst(), let query = byRoute[route]?.popFirst() else { return nil }
        if byRoute[route]!.isEmpty { byRoute[route] = nil } else { rotation.append(route) }
        return query
    }
}

/// Probes of not-yet-known nodes, released one probing switch at a time (at most `maxSources` at
/// once): every probe of a switch goes to a different neighbour, so the switches limit how many
/// probes can converge on one node, where a shared window of probes from anywhere could not.
struct ProbeScheduler {
    let maxSources: Int
    private var queued: [Int: Deque<DiscoveryQuery>] = [:]
    /// Sources with queued probes that are not probing yet, in the order they asked.
    private var order: Deque<Int> = []
    /// Probing sources and their probes in flight.
    private var inFlight: [Int: Int] = [:]

    init(maxSources: Int) { self.maxSources = maxSources }

    mutating func push(_ probe: DiscoveryQuery, source: Int) {
        if queued[source] == nil {
            queued[source] = [probe]
            if inFlight[source] == nil { order.append(source) }
        } else {
            queued[source]!.append(probe)
        }
    }

    /// The next probe of a probing source, or the first of a new source if there is room for one.
    mutating func pop() -> DiscoveryQuery? {
        for source in inFlight.keys where queued[source] != nil { return take(from: source) }
        guard inFlight.count < maxSources, let source = order.popFirst() else { return nil }
        inFlight[source] = 0
        return take(from: source)
    }

    /// A probe of `source` was answered (or failed).
    mutating func finished(source: Int) {
        guard let count = inFlight[source] else { return }
        if count > 1 || queued[source] != nil {
            inFlight[source] = count - 1
        } else {
            inFlight[source] = nil
        }
    }

    private mutating func take(from source: Int) -> DiscoveryQuery? {
        guard let probe = queued[source]?.popFirst() else { return nil }
        if queued[source]!.isEmpty { queued[source] = nil }
        inFlight[source, default: 0] += 1
        return probe
    }
}
