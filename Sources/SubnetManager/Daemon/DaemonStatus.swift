import IBWire

/// The kinds of pass a running SM makes over the subnet.
public enum SweepKind: String, Sendable, CaseIterable {
    /// Discovery only, to find the other SMs (DISCOVERING).
    case discovery
    /// A full configuration pass: discover, plan, reconcile, activate, verify.
    case heavy
    /// SwitchInfo.PortStateChange of every switch and the known SMs' SMInfo; no Set on a healthy subnet.
    case light
    /// After a trap: only the ports around its source are read and only what changed is written.
    case reroute
}

/// Something a running SM noticed and acts on: values a daemon (and its metrics) can match on.
public enum DaemonProblem: Equatable, Sendable, CustomStringConvertible {
    /// The last configuration pass left the subnet not fully configured.
    case subnetNotHealthy([SweepProblem])
    /// The last configuration pass could not run (no local node, bad guid2lid, too many LIDs, conflicting identities).
    case sweepFailed(SweepError)
    /// A port flapped and is held down until the given uptime.
    case portHeldDown(String)
    /// An SMInfo Set was refused (wrong SM_Key, illegal control).
    case refusedSMInfo(String)
    /// A MAD arrived that could not be read.
    case malformedMAD(String)
    /// The SM we handed over to never acknowledged.
    case handoverNotAcknowledged(GUID)
    /// The multicast trees, with the unicast routes, make a cycle of channel dependencies (named).
    case multicastCreditLoop(String)

    public var description: String {
        switch self {
        case .subnetNotHealthy(let problems):
            "subnet not fully configured: \(problems.first.map { "\($0)" } ?? "")" + (problems.count > 1 ? " (+\(problems.count - 1) more)" : "")
        case .sweepFailed(let error): "subnet not fully configured: \(error)"
        case .portHeldDown(let port): "\(port) flaps; held down"
        case .refusedSMInfo(let why): "refused SMInfo: \(why)"
        case .malformedMAD(let why): "malformed MAD: \(why)"
        case .handoverNotAcknowledged(let guid): "SM \(guid) did not acknowledge the handover"
        case .multicastCreditLoop(let loop): "multicast trees add a credit loop: \(loop)"
        }
    }
}

/// What a running SM is doing, as other SMs, logs, metrics and `swiftsm status` see it.
public struct DaemonStatus: Sendable {
    public var own: OwnSMInfo
    /// Our port's LID (what MasterSMLID holds on every port while we are MASTER).
    public var lid: LID?
    /// The master we poll (STANDBY) or hand over to.
    public var master: RemoteSM?
    public var sweeps: [SweepKind: Int] = [:]
    public var lastSweep: (kind: SweepKind, duration: Duration, healthy: Bool)?
    /// Whether the last pass of each kind left the subnet healthy (a re-route's result stays readable after
    /// the light sweeps that follow it).
    public var lastHealthy: [SweepKind: Bool] = [:]
    /// Linked ports ACTIVE, of those planned to be, after the last configuration pass.
    public var activePorts: (active: Int, planned: Int)?
    public var trapsReceived: [UInt16: Int] = [:]
    public var problems: [DaemonProblem] = []
    /// Sets sent by the last pass of each kind (a light sweep of a healthy subnet sends none).
    public var lastSets: [SweepKind: Int] = [:]
    /// LFT blocks written by the last pass of each kind (a takeover of a subnet routed as we route it writes none).
    public var lastBlockSets: [SweepKind: Int] = [:]
    /// What the last re-route after a trap did.
    public var lastReroute: RerouteSummary?

    public init(own: OwnSMInfo) { self.own = own }
}

/// What a re-route after Trap 128 did, phase by phase.
public struct RerouteSummary: Sendable {
    /// The routes were repaired where the change needs it, not computed anew.
    public var repaired: Bool
    /// Time of each phase from the first trap: wait (trap coalescing), read ports, route, plan, program
    /// (which ends with the last Set).
    public var phases: [(name: String, duration: Duration)]
    /// SMPs sent from the trap to the last Set.
    public var smps: Int
    /// What the routing says it did (what the repair changed, or why it routed anew).
    public var note: String
    /// LFT blocks planned for the switch with the most: its agent serves one SMP at a time, so programming
    /// takes at least that many service times.
    public var busiestSwitchBlocks: Int

    /// From the trap to the last Set.
    public var duration: Duration { phases.reduce(.zero) { $0 + $1.duration } }
}
