import IBWire
import SubnetAdministration

/// How `swiftsm run` behaves beyond a single sweep.
public struct DaemonOptions: Sendable {
    /// Everything a configuration pass needs (priority, LMC, guid2lid, M_Key...).
    public var sweep: SweepOptions
    /// Our SM_Key: SMInfo Sets carrying another key are refused, and OpenSM ignores SMInfo whose key is
    /// not its own (its default is 1, and so is ours).
    public var smKey: UInt64
    /// Time between light sweeps as MASTER; nil: none (traps and SIGHUP only).
    public var sweepInterval: Duration?
    /// Time between polls of the master's SMInfo as STANDBY.
    public var pollInterval: Duration
    /// Polls the master may miss in a row; one more and it is taken for dead.
    public var pollRetries: Int
    /// How long a handover may go unacknowledged before we stay MASTER.
    public var handoverTimeout: Duration
    /// Traps that arrive within this time of the first are handled together.
    public var trapCoalescing: Duration
    /// Flap suppression: a switch port whose link changes state this many times within `flapWindow`
    /// is held down (left out of routing and not activated) for `holdDown`.
    public var flapLimit: Int
    public var flapWindow: Duration
    public var holdDown: Duration
    /// The partitions (partitions.conf) whose P_Keys the endports get and whose IPoIB groups the SA creates.
    public var partitions: PartitionConfiguration
    /// SA requests waiting to be answered; past this the SA answers BUSY at once. Room for every host of a
    /// large fabric joining at once after a new master's ClientReregister (`Benchmarks/sa-join-burst.sh`:
    /// with 256, a burst of 1,000 simulated hosts got 1,038 BUSY answers; with this, 10,000 got none),
    /// at about 400 bytes a request.
    public var saQueueLimit: Int

    public init(sweep: SweepOptions = SweepOptions(), smKey: UInt64 = 1, sweepInterval: Duration? = .seconds(10),
                pollInterval: Duration = .milliseconds(500), pollRetries: Int = 3, handoverTimeout: Duration = .seconds(5),
                trapCoalescing: Duration = .milliseconds(20), flapLimit: Int = 4, flapWindow: Duration = .seconds(30),
                holdDown: Duration = .seconds(60), partitions: PartitionConfiguration = .openSMDefault, saQueueLimit: Int = 16_384) {
        self.sweep = sweep
        self.smKey = smKey
        self.sweepInterval = sweepInterval
        self.pollInterval = pollInterval
        self.pollRetries = pollRetries
        self.handoverTimeout = handoverTimeout
        self.trapCoalescing = trapCoalescing
        self.flapLimit = flapLimit
        self.flapWindow = flapWindow
        self.holdDown = holdDown
        self.partitions = partitions
        self.saQueueLimit = saQueueLimit
    }
}
