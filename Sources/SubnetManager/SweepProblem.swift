import Discovery
import FabricModel
import IBWire
import Routing

/// Something that keeps the subnet from being fully usable after a sweep, as a value a daemon can match
/// on. `description` is the line `swiftsm sweep` prints for it.
public enum SweepProblem: Hashable, Sendable, CustomStringConvertible {
    /// Discovery could not read part of the fabric, or could not believe it.
    case discovery(DiscoveryProblem)
    /// An SMP that programs the fabric failed, or a port or switch could not be programmed
    /// (`ApplyReport.failures`).
    case programming(String)
    /// Linked ports that did not reach ACTIVE, with the state each reported last (nil: unknown).
    case portsNotActive([PortNotActive])
    /// Following the tables the switches hold found pairs that are not delivered, or loop, or take a
    /// longer path than min-hop.
    case routes(undelivered: Int, loops: Int, longerThanMinHop: Int, summary: String)
    /// The last discovery found two nodes with one GUID, or a neighbour that changed while it was
    /// being discovered: nothing was set on that pass.
    case conflictingIdentities(String)

    /// A linked port that is not ACTIVE, named as messages name it.
    public struct PortNotActive: Hashable, Sendable {
        public var port: PortAddress
        public var name: String
        public var state: PortState?

        public init(port: PortAddress, name: String, state: PortState?) {
            self.port = port
            self.name = name
            self.state = state
        }
    }

    public var description: String {
        switch self {
        case .discovery(let problem): problem.message
        case .programming(let failure): failure
        case .portsNotActive(let ports):
            "\(ports.count) linked port(s) not ACTIVE: " + firstFew(ports.map { "\($0.name) is \($0.state.map { "\($0)" } ?? "unknown")" })
        case .routes(_, _, _, let summary): "route verification failed: \(summary)"
        case .conflictingIdentities(let why): why
        }
    }
}

extension SweepProblem {
    /// The problems of a pass: discovery's, programming's, the planned ports not ACTIVE, and failed verification.
    /// Routes fail verification when they break what their engine promised (`RouteVerification.failures`).
    static func of(discovery: DiscoveryResult, failures: [String], inactive: [PortNotActive], verification: RouteVerification,
                   routed: RoutedTables) -> [SweepProblem] {
        var problems = discovery.problems.map(SweepProblem.discovery) + failures.map(SweepProblem.programming)
        if !inactive.isEmpty { problems.append(.portsNotActive(inactive)) }
        let broken = verification.failures(promised: routed.guarantees)
        if !broken.isEmpty {
            problems.append(.routes(undelivered: verification.undelivered, loops: verification.loops,
                                    longerThanMinHop: verification.longerThanMinHop,
                                    summary: "(\(routed.engine) promised \(routed.guarantees)): \(verification.summary); " + broken.joined(separator: "; ")))
        }
        return problems
    }
}
