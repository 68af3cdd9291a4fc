import IBWire

/// Another SM as this one knows it: its port GUID, priority and state from its SMInfo, and where to
/// reach it.
public struct RemoteSM: Hashable, Sendable, CustomStringConvertible {
    public var guid: GUID
    public var priority: UInt8
    public var state: SMState
    /// Its port's LID, when it has one (SMInfo is then sent LID-routed).
    public var lid: LID?

    public init(guid: GUID, priority: UInt8, state: SMState, lid: LID? = nil) {
        self.guid = guid
        self.priority = priority
        self.state = state
        self.lid = lid
    }

    /// From an SMInfo answer. `portGUID`, when known, stands in for an SMInfo GUID of 0 (an SM that has not
    /// learned its own port's GUID yet), so that one SM is never known under two GUIDs.
    public init(_ info: SMInfo, lid: LID? = nil, portGUID: GUID? = nil) {
        let guid = info.guid == .zero ? (portGUID ?? .zero) : info.guid
        self.init(guid: guid, priority: info.priority, state: info.state ?? .notActive, lid: lid)
    }

    public var description: String { "SM \(guid) (priority \(priority), \(state))" }
}

/// The election rule of IBA 14.4.1.2: the higher priority wins; between equals, the lower port GUID.
public func smOutranks(priority: UInt8, guid: GUID, over otherPriority: UInt8, _ otherGUID: GUID) -> Bool {
    priority > otherPriority || (priority == otherPriority && guid < otherGUID)
}

/// The SM state machine of IBA 14.4 (NOTACTIVE, DISCOVERING, STANDBY, MASTER), pure: events in, actions
/// out. The daemon performs the actions (sweeps, polls, SMInfo Sets) and feeds back what happened.
public struct SMStateMachine: Sendable {
    /// What the daemon must do next.
    public enum Action: Equatable, Sendable {
        /// Sweep the subnet to learn the fabric and the other SMs (DISCOVERING).
        case discover
        /// Configure the subnet as MASTER. `takeover`: another SM was master before (failover or handover),
        /// so keep every LID that ports hold and send only what differs.
        case configure(takeover: Bool)
        /// Poll this SM's SMInfo every polling interval (STANDBY).
        case poll(RemoteSM)
        /// Ask this SM, which outranks us, to take over (SMInfo Set HANDOVER).
        case handOver(to: RemoteSM)
        /// Tell the SM that handed over to us that we took over (SMInfo Set ACKNOWLEDGE).
        case acknowledge(RemoteSM)
        /// Stop sweeping and serving: NOTACTIVE after DISABLE.
        case stop
    }

    /// What happened.
    public enum Event: Equatable, Sendable {
        case start
        /// A discovery sweep ended; these SMs answered SMInfo (ours excluded).
        case discovered([RemoteSM])
        /// The polled master answered.
        case pollAnswered(RemoteSM)
        /// The polled master did not answer this poll.
        case pollFailed
        /// Another SM sent SMInfo Set with this control; `from` is its SMInfo as sent.
        case control(SMInfoControl, from: RemoteSM)
        /// As MASTER, a sweep found this SM (not master) that outranks us.
        case foundHigherSM(RemoteSM)
        /// The SM we handed over to did not acknowledge in time.
        case handoverTimedOut
    }

    public private(set) var priority: UInt8
    public let guid: GUID
    /// Polls the master may miss in a row before this SM considers it gone.
    public private(set) var pollRetries: Int
    public private(set) var state: SMState = .notActive
    /// The SM this one polls as STANDBY, or has handed over to as MASTER.
    public private(set) var master: RemoteSM?
    /// Whether a handover to `master` is under way (we are still MASTER until it acknowledges).
    public private(set) var handingOver = false
    private var missedPolls = 0
    /// Whether another SM was master before we became master (the next configuration is a takeover).
    private var otherWasMaster = false

    public init(priority: UInt8, guid: GUID, pollRetries: Int, state: SMState = .notActive) {
        self.priority = priority
        self.guid = guid
        self.pollRetries = pollRetries
        self.state = state
    }

    /// New settings while running (SIGHUP); the state stays. A MASTER that now ranks below a STANDBY hands
    /// the subnet over when its next heavy pass finds it.
    public mutating func reconfigure(priority: UInt8, pollRetries: Int) {
        self.priority = priority
        self.pollRetries = pollRetries
    }

    func outranksUs(_ remote: RemoteSM) -> Bool {
        smOutranks(priority: remote.priority, guid: remote.guid, over: priority, guid)
    }

    /// Whether a Set of `control` from an SM in `senderState` is legal now (IBA 14.4.1, as OpenSM checks):
    /// ACKNOWLEDGE only from a STANDBY that we handed over to; the rest only from a MASTER.
    public func accepts(_ control: SMInfoControl, from sender: RemoteSM) -> Bool {
        switch control {
        case .acknowledge:
            return state == .master && handingOver && sender.guid == master?.guid
        case .handover:
            return sender.state == .master && (state == .standby || state == .discovering)
        case .disable, .standby, .discover:
            return sender.state == .master && state != .master
        }
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.notActive, .start):
            state = .discovering
            return [.discover]

        case (.discovering, .discovered(let others)):
            let others = others.filter { $0.guid != guid }
            if let current = others.first(where: { $0.state == .master }) {
                return becomeStandby(polling: current)
            }
            let higher = others.filter { ($0.state == .discovering || $0.state == .standby) && outranksUs($0) }
            if let best = higher.max(by: { smOutranks(priority: $1.priority, guid: $1.guid, over: $0.priority, $0.guid) }) {
                return becomeStandby(polling: best)
            }
            return becomeMaster()

        case (.standby, .pollAnswered(let remote)):
            missedPolls = 0
            master = remote
            // A master that dropped to STANDBY (and no longer outranks us) is no longer worth following.
            if remote.state != .master && !outranksUs(remote) {
                state = .discovering
                master = nil
                return [.discover]
            }
            return []

        case (.standby, .pollFailed):
            missedPolls += 1
            guard missedPolls > pollRetries else { return [] }
            // The master is gone: discover again, and become master unless a higher SM is found.
            otherWasMaster = true
            state = .discovering
            master = nil
            return [.discover]

        case (.standby, .control(.handover, let from)), (.discovering, .control(.handover, let from)):
            guard accepts(.handover, from: from) else { return [] }
            otherWasMaster = true
            // Acknowledged first, as OpenSM does (its check wants the acknowledging SM still STANDBY).
            return [.acknowledge(from)] + becomeMaster()

        case (_, .control(.disable, let from)):
            guard accepts(.disable, from: from) else { return [] }
            state = .notActive
            master = nil
            return [.stop]

        case (.standby, .control(.discover, let from)):
            guard accepts(.discover, from: from) else { return [] }
            state = .discovering
            master = nil
            return [.discover]

        case (.discovering, .control(.standby, let from)):
            guard accepts(.standby, from: from) else { return [] }
            return becomeStandby(polling: from)

        case (.master, .foundHigherSM(let remote)):
            guard outranksUs(remote), !handingOver else { return [] }
            handingOver = true
            master = remote
            return [.handOver(to: remote)]

        case (.master, .control(.acknowledge, let from)):
            guard accepts(.acknowledge, from: from) else { return [] }
            handingOver = false
            var remote = from
            remote.state = .master
            return becomeStandby(polling: remote)

        case (.master, .handoverTimedOut):
            handingOver = false
            master = nil
            return []

        case (.master, .discovered(let others)):
            // Two masters (subnets merged): the one outranked steps down and follows the other.
            if let other = others.first(where: { $0.state == .master && $0.guid != guid && outranksUs($0) }) {
                return becomeStandby(polling: other)
            }
            return []

        default:
            return []
        }
    }

    private mutating func becomeStandby(polling remote: RemoteSM) -> [Action] {
        state = .standby
        master = remote
        missedPolls = 0
        handingOver = false
        otherWasMaster = true
        return [.poll(remote)]
    }

    private mutating func becomeMaster() -> [Action] {
        state = .master
        let takeover = otherWasMaster
        master = nil
        handingOver = false
        return [.configure(takeover: takeover)]
    }
}
