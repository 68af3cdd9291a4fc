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
}
