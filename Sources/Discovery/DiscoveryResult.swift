import FabricModel
import IBWire

/// Something discovery could not see or could not believe.
public struct DiscoveryProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A node or attribute did not answer (after retries) or answered with an error status.
        case unreachable
        /// Two different nodes answer with the same GUID.
        case duplicateGUID
        /// A port reports a different neighbour than the fabric already showed.
        case inconsistentLink
        /// An answer outside the spec (unknown node type, route too long).
        case badAnswer
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What a sweep found: the fabric model, the directed route to each node, and what went wrong.
public struct DiscoveryResult: Sendable {
    public var fabric: Fabric
    /// The route the sweep used to reach each node, by node index.
    public var routes: [DirectedRoute]
    public var problems: [DiscoveryProblem]

    /// Every node and port answered and nothing was inconsistent.
    public var isComplete: Bool { problems.isEmpty }

    /// Answers arrive in whatever order the fabric sends them, so the sweep's own numbering varies from
    /// run to run. The result does not: nodes are ordered by hop distance from the SM, then by GUID, and
    /// each gets its shortest route with the lowest port numbers.
    /// A node the final graph does not connect (its link was refused as inconsistent) keeps the route
    /// the sweep reached it by.
    init(canonicalizing swept: Fabric, sweptRoutes fallback: [DirectedRoute], problems: [DiscoveryProblem]) {
        let sweptRoutes = swept.shortestRoutes()
        let order = swept.nodes.indices.sorted { a, b in
            let hopsA = sweptRoutes[a]?.hopCount ?? Int.max, hopsB = sweptRoutes[b]?.hopCount ?? Int.max
            return (hopsA, swept[a].guid) < (hopsB, swept[b].guid)
        }
        fabric = swept.renumbered(order)
        routes = zip(fabric.shortestRoutes(), order).map { route, old in route ?? fallback[old] }
        self.problems = problems
    }
}
