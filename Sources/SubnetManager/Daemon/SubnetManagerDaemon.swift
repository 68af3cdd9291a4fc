import Discovery
import FabricModel
import IBTransport
import IBWire
import Logging
import Synchronization

/// What reaches the daemon's loop: inbound MADs it must act on, ticks of its clock, requests.
enum DaemonEvent: Sendable {
    case tick
    /// A Trap (already repressed) from `source`.
    case trap(Notice, source: LID)
    /// An SMInfo Set from another SM, already answered.
    case control(SMInfoControl, from: RemoteSM)
    /// SIGHUP, or an operator: a heavy sweep now.
    case heavySweepRequested
    /// New options (SIGHUP re-read the configuration): the loop takes the priority, poll retries and cadences.
    case reconfigured
}

/// The long-running SM (`swiftsm run`): the state machine of IBA 14.4 driven by sweeps, polls, traps and
/// SMInfo from other SMs.
///
/// Two tasks share the port. The inbound task answers what must be answered at once (SMInfo Gets and
/// Sets, TrapRepress) from the published `status`, so other SMs see us alive even mid-sweep, and passes
/// what needs acting on to the loop. The loop owns the state machine and does the passes, one at a time.
public final class SubnetManagerDaemon: Sendable {
    public let client: SMPClient
    let logger: Logger
    /// The options now, and the client of polls they shape; `reconfigure` replaces both.
    private let settings: Mutex<(options: DaemonOptions, pollClient: SMPClient)>
    let published: Mutex<DaemonStatus>
    let events: AsyncStream<DaemonEvent>
    let eventSink: AsyncStream<DaemonEvent>.Continuation
    /// Trap 128s the inbound task has handed to the loop that the loop has not taken into its batch yet.
    let linkTrapsInFlight = Atomic<Int>(0)
    /// Whether a Trap 128 is on its way to the loop's batch (the loop's `linkTrapWaits` adds the batch itself).
    public var linkTrapIsWaiting: Bool { linkTrapsInFlight.load(ordering: .acquiring) > 0 }
    /// Called after every pass with the new status (the metrics and the service manager's STATUS=).
    let observer: (@Sendable (DaemonStatus) -> Void)?
    /// The Subnet Administration: answers class-0x03 MADs while we are MASTER.
    public let subnetAdministration: SubnetAdministrationService
    /// Where the inbound task and the SA's task run: the transport's receive thread if it offers it, else a
    /// thread of their own. A request received, queued and answered is then queue operations on one
    /// thread, not cross-thread wake-ups (which cost far more than the answer).
    let inboundLoop: any TaskExecutor
    private let ownInboundLoop: ThreadExecutor?

    /// `guid` is our port's GUID when the transport knows it (learned from discovery otherwise).
    public init(client: SMPClient, options: DaemonOptions, guid: GUID = .zero, logger: Logger = Logger(label: "swiftsm.daemon"),
                observer: (@Sendable (DaemonStatus) -> Void)? = nil) {
        self.client = client
        self.logger = logger
        self.observer = observer
        self.settings = Mutex((options, Self.pollClient(for: client, interval: options.pollInterval, logger: logger)))
        self.published = Mutex(DaemonStatus(own: OwnSMInfo(guid: guid, smKey: options.smKey, priority: options.sweep.priority, state: .notActive)))
        (events, eventSink) = AsyncStream.makeStream(of: DaemonEvent.self)
        subnetAdministration = SubnetAdministrationService(transport: client.transport, queueLimit: options.saQueueLimit, logger: logger)
        if let executor = client.transport.inboundExecutor {
            (inboundLoop, ownInboundLoop) = (executor, nil)
        } else {
            let loop = ThreadExecutor(name: "swiftsm-inbound")
            (inboundLoop, ownInboundLoop) = (loop, loop)
        }
    }

    /// Single attempts with the polling interval as timeout: a poll that fails is a missed poll.
    private static func pollClient(for client: SMPClient, interval: Duration, logger: Logger) -> SMPClient {
        var pollOptions = client.options
        pollOptions.retries = 0
        pollOptions.timeout = interval
        return SMPClient(transport: client.transport, options: pollOptions, mKey: client.mKey, logger: logger)
    }

    /// How the daemon behaves now (`reconfigure` changes it while it runs).
    public var options: DaemonOptions { settings.withLock { $0.options } }

    /// The client of SMInfo polls (single attempts, the polling interval as timeout).
    var pollClient: SMPClient { settings.withLock { $0.pollClient } }

    /// New options while running (SIGHUP): SMInfo answers carry the new priority and SM_Key at once; the
    /// loop takes the rest before its next event (state-machine priority and poll retries, the light-sweep and
    /// poll cadences); passes started from then on use the new sweep options (routing, partitions, timeouts).
    /// The SMP client is not changed: its window, timeouts and M_Key stay as started.
    public func reconfigure(_ options: DaemonOptions) {
        settings.withLock { settings in
            if options.pollInterval != settings.options.pollInterval {
                settings.pollClient = Self.pollClient(for: client, interval: options.pollInterval, logger: logger)
            }
            settings.options = options
        }
        publish { status in
            status.own.priority = options.sweep.priority
            status.own.smKey = options.smKey
        }
        eventSink.yield(.reconfigured)
    }

    /// Whether we are MASTER now (the SA answers only then).
    var isMaster: Bool { published.withLock { $0.own.state == .master } }

    /// What the SM is doing now.
    public var status: DaemonStatus { published.withLock { $0 } }

    /// Asks for a heavy sweep as soon as the current pass ends (SIGHUP).
    public func requestHeavySweep() { eventSink.yield(.heavySweepRequested) }

    /// Runs until the task is cancelled. Cancellation ends a pass promptly (SMPs waiting on the window or
    /// a timeout are cancelled with it); closing the transport then clears IsSM.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask(executorPreference: inboundLoop) { await self.serveInbound() }
            group.addTask { await self.tick() }
            group.addTask(executorPreference: inboundLoop) { await self.subnetAdministration.serve(isMaster: { self.isMaster }) }
            var loop = DaemonLoop(daemon: self)
            await loop.run()
            group.cancelAll()
            subnetAdministration.finish()
        }
        ownInboundLoop?.stop()
        eventSink.finish()
    }

    /// Updates the published status and tells the observer.
    func publish(_ change: (inout DaemonStatus) -> Void) {
        let status = published.withLock { status in
            change(&status)
            status.own.activityCount = UInt32(truncatingIfNeeded: client.statistics.totalSent)
            return status
        }
        observer?(status)
    }

    /// One extra tick at `instant` (a trap batch due then).
    func tick(at instant: ContinuousClock.Instant) {
        let sink = eventSink
        Task {
            try? await Task.sleep(until: instant, clock: .continuous)
            sink.yield(.tick)
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            eventSink.yield(.tick)
        }
    }

    // MARK: - Inbound

    private func serveInbound() async {
        for await mad in client.transport.unsolicited {
            if Task.isCancelled { break }
            await handleInbound(mad)
        }
    }

    func handleInbound(_ mad: InboundMAD) async {
        if mad.header.managementClass == SAMAD.managementClass {
            await subnetAdministration.accept(mad, master: isMaster)
            return
        }
        let isSMP = mad.header.managementClass == ManagementClass.lidRoutedSMP.rawValue
            || mad.header.managementClass == ManagementClass.directedRouteSMP.rawValue
        guard isSMP else {
            logger.debug("dropped a MAD of class 0x\(String(mad.header.managementClass, radix: 16)) from \(mad.source): nothing serves it")
            return
        }
        let request: SMP
        do throws(WireError) {
            request = try mad.smp()
        } catch {
            publish { $0.problems.append(.malformedMAD("from \(mad.source): \(error)")) }
            return
        }
        switch (request.method, request.attribute) {
        case (.trap, .notice):
            var repress = request
            repress.method = .trapRepress
            repress.status = .ok
            try? await client.transport.post(repress.encoded(), to: mad.source)
            let notice = request.decode(Notice.self)
            publish { $0.trapsReceived[notice.trapNumber, default: 0] += 1 }
            if notice.trapNumber == 128 { linkTrapsInFlight.add(1, ordering: .releasing) }
            eventSink.yield(.trap(notice, source: mad.source.lid))
        case (.get, .smInfo), (.set, .smInfo):
            await answerSMInfo(request, from: mad.source)
        default:
            // An SM answers nothing else; a real port's agent does (the kernel's SMA), so nobody waits on us.
            logger.debug("ignored \(request.method)(\(request.attribute)) from \(mad.source)")
        }
    }

    private func answerSMInfo(_ request: SMP, from source: MADAddress) async {
        let own = published.withLock { $0.own }
        let classified = SMInfoResponder.classify(request, smKey: options.smKey)
        var status = MADStatus.ok
        if case .refused(let why) = classified {
            status = .invalidAttributeValue
            publish { $0.problems.append(.refusedSMInfo(why)) }
            logger.warning("\(why)")
        }
        let response = SMInfoResponder.response(to: request, own: own, status: status)
        do throws(TransportError) {
            try await client.transport.post(response.encoded(), to: source)
        } catch {
            logger.warning("could not answer SMInfo \(request.method) from \(source): \(error)")
        }
        if case .set(let control, let from) = classified {
            logger.info("SMInfo Set \(control) from \(from)")
            eventSink.yield(.control(control, from: from))
        }
    }
}
