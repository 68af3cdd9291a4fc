import FabricModel
import IBTransport
import IBWire
import Synchronization

/// Timing and fault knobs of the simulator.
public struct SimulatorOptions: Sendable {
    /// Chance that any SMP exchange is silently lost: half the time the request (the agent never sees it),
    /// half the time the response (the agent acted on it).
    public var dropProbability: Double
    /// Time each agent takes to serve one SMP, one at a time (0: instant). About 255 us models a current switch.
    public var serviceTime: Duration
    /// SMPs an agent can hold while busy (its VL15 buffer); more are silently dropped. Used with a service time.
    public var vl15Depth: Int
    /// Seed of the loss generator, so that lossy runs repeat.
    public var seed: UInt64

    public init(dropProbability: Double = 0, serviceTime: Duration = .zero, vl15Depth: Int = 4, seed: UInt64 = 1) {
        self.dropProbability = dropProbability
        self.serviceTime = serviceTime
        self.vl15Depth = vl15Depth
        self.seed = seed
    }
}

/// What the simulator did with the SMPs it was given.
public struct SimulatorCounters: Sendable, Equatable {
    public var answered = 0
    /// Lost at random (`dropProbability`).
    public var dropped = 0
    /// Lost because an agent's VL15 buffer was full.
    public var overflowed = 0
    /// A hop of the route failed.
    public var undeliverable = 0
    /// Reached a node that does not answer, or a LID-routed response found no way back.
    public var unanswered = 0
    /// Refused by the M_Key check: the agent stayed silent.
    public var refusedByMKey = 0
    /// An SMInfo (or SA) request that reached a port where no SM runs: bounced at once, as under ibsim.
    public var bounced = 0
}

/// A `MADTransport` answered in-process by a `SimulatedFabric`, attached at one port of it (as a client
/// of ibsim is): its SMPs start there. Several can share a fabric, each at its own port.
///
/// With the `.subnetManager` role it behaves as `UMadTransport` does for an SM under ibsim: its port
/// advertises IsSM while it is open; SMInfo Gets and Sets that reach the port, and the Traps sent to its
/// LID, arrive on `unsolicited`; the answers it posts go back to the requester's waiting exchange.
/// With `.subnetAdministration`, the same for SA requests (class 0x03). See `SimulatedInbound.swift`.
public final class SimulatorTransport: MADTransport {
    public let fabric: SimulatedFabric
    public let options: SimulatorOptions
    /// The port this transport sends from (a CA port or a switch's port 0).
    public let attachment: PortAddress
    public let role: UMadRole

    /// Counted with atomics: every SMP passes here, and at hundreds of thousands a second a lock
    /// would be contended by every thread.
    private struct Counters: ~Copyable {
        let answered = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
        let overflowed = Atomic<Int>(0)
        let undeliverable = Atomic<Int>(0)
        let unanswered = Atomic<Int>(0)
        let refusedByMKey = Atomic<Int>(0)
        let bounced = Atomic<Int>(0)
    }
    private let counting = Counters()
    private let closed = Atomic<Bool>(false)
    private let random: Mutex<SplitMix64>
    /// Event loops for the SM's side with a service time: SMPs leave and their answers resume on them,
    /// while the agents serve them on a thread of their own. Two, so that the SM's SMP work can use a
    /// processor the agents leave idle (`SMPClient.runnerExecutors`). Empty without a service time.
    public let eventLoops: [ThreadExecutor]
    /// Where the SM's side runs best (`withTaskExecutorPreference`): the first of `eventLoops`.
    public var eventLoop: ThreadExecutor? { eventLoops.first }
    /// The agents' own thread, shared with the fabric's other transports of the same timing; there with
    /// a service time only.
    private let agents: SimulatedAgentThread?
    private let inbound = InboundQueue(limit: 65_536)

    /// Attaches a transport to `fabric` at `attachment` (default: the fabric's `attachment`), which must
    /// be a CA port or a switch's port 0 (`SimulatedFabric.validateAttachment` checks one); with a `role`,
    /// it also receives the requests that role serves.
    public init(fabric: SimulatedFabric, options: SimulatorOptions = SimulatorOptions(), attachment: PortAddress? = nil, role: UMadRole = []) {
        let port = attachment ?? fabric.attachment
        do { try fabric.validateAttachment(port) } catch { preconditionFailure("SimulatorTransport: \(error)") }
        self.fabric = fabric
        self.options = options
        self.attachment = port
        self.role = role
        self.random = Mutex(SplitMix64(seed: options.seed))
        let timed = options.serviceTime > .zero
        // One thread each: an SM and its in-process fabric exchange hundreds of thousands of SMPs a second,
        // each a suspension and a resumption, a queue operation on one thread instead of a cross-thread wake-up.
        self.eventLoops = timed ? [ThreadExecutor(name: "swiftsm-sim-loop"), ThreadExecutor(name: "swiftsm-sim-loop")] : []
        self.agents = timed ? fabric.attachAgents(serviceTime: options.serviceTime, vl15Depth: options.vl15Depth) : nil
        // Room for every host of a large fabric asking at once (a join burst after a new master's
        // ClientReregister): what is dropped here never reaches the SA's own queue and its BUSY answers.
        if !role.isEmpty { fabric.listen(at: port, owner: ObjectIdentifier(self), role: role, sink: inbound) }
    }

    deinit {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        for loop in eventLoops { loop.stop() }
        if let agents { fabric.detachAgents(agents) }
        if !role.isEmpty { fabric.stopListening(at: attachment, owner: ObjectIdentifier(self)) }
        inbound.finish()
    }

    public var unsolicited: InboundQueue { inbound }

    public var counters: SimulatorCounters {
        SimulatorCounters(
            answered: counting.answered.load(ordering: .relaxed), dropped: counting.dropped.load(ordering: .relaxed),
            overflowed: counting.overflowed.load(ordering: .relaxed), undeliverable: counting.undeliverable.load(ordering: .relaxed),
            unanswered: counting.unanswered.load(ordering: .relaxed), refusedByMKey: counting.refusedByMKey.load(ordering: .relaxed),
            bounced: counting.bounced.load(ordering: .relaxed))
    }

    nonisolated(nonsending) public func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        // A lost SMP is either the request (nothing happens) or the response (the agent acted on it).
        enum Loss { case none, request, response }
        var loss = Loss.none
        if options.dropProbability > 0 {
            loss = random.withLock { random in
                guard random.nextUnit() < options.dropProbability else { return .none }
                return random.next() & 1 == 0 ? .request : .response
            }
            if loss != .none { counting.dropped.add(1, ordering: .relaxed) }
        }
        if loss == .request { return try await timedOut(after: timeout) }
        // SMInfo goes to the SM software at the port, not to its agent (and not through its VL15 queue).
        if request.attribute == .smInfo, request.method == .get || request.method == .set,
           let answer = try await exchangeWithSubnetManager(request, timeout: timeout) {
            if loss == .response { return try await timedOut(after: timeout) }
            counting.answered.add(1, ordering: .relaxed)
            return answer
        }

        let outcome: SimulatedAgentThread.Outcome
        if let agents {
            outcome = await agents.exchange(request, from: attachment)
        } else {
            outcome = SimulatedAgentThread.serveAtOnce(request, from: attachment, by: fabric)
        }
        let response: SMP
        switch outcome {
        case .replied(.answered(let answer)):
            response = answer
        case .undeliverable:
            counting.undeliverable.add(1, ordering: .relaxed)
            throw .timeout
        case .unanswered, .replied(.lost):
            counting.unanswered.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        case .overflowed:
            counting.overflowed.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        case .replied(.refusedByMKey):
            counting.refusedByMKey.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        }
        if loss == .response { return try await timedOut(after: timeout) }
        counting.answered.add(1, ordering: .relaxed)
        return response
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        for loop in eventLoops { loop.stop() }
        if let agents { fabric.detachAgents(agents) }
        // Also fails this transport's exchanges waiting on another SM's answer.
        fabric.stopListening(at: attachment, owner: ObjectIdentifier(self))
        inbound.finish()
    }

    /// An SMInfo Get or Set: to the transport listening where it arrives, which answers it; nil when a
    /// static SM (`runSubnetManager`) answers there as an agent would.
    nonisolated(nonsending) private func exchangeWithSubnetManager(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP? {
        switch fabric.locateSubnetManager(request.encoded(), smp: request, managementClass: request.managementClass.rawValue,
                                          addressing: request.addressing, from: attachment) {
        case .staticInfo:
            return nil
        case .undeliverable:
            counting.undeliverable.add(1, ordering: .relaxed)
            throw .timeout
        case .noSubnetManager:
            counting.bounced.add(1, ordering: .relaxed)
            throw .timeout
        case .unanswered:
            counting.unanswered.add(1, ordering: .relaxed)
            return try await timedOut(after: timeout)
        case .listener(let port, let sink, let mad):
            let answer = await fabric.ask(mad, listenerAt: port, sink: sink, requester: ObjectIdentifier(self), requesterPort: attachment,
                                          addressing: request.addressing, request: request, timeout: timeout)
            if closed.load(ordering: .relaxed) { throw .closed }
            let response = try answer.get()
            do throws(WireError) {
                return try SMP(decoding: response.bytes, destination: response.source.lid)
            } catch {
                throw .malformedResponse(error)
            }
        }
    }

    nonisolated(nonsending) public func exchangeMAD(_ mad: [UInt8], to address: MADAddress, timeout: Duration) async throws(TransportError) -> InboundMAD {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        let header: MADHeader
        do throws(WireError) { header = try MADHeader(peeking: mad) } catch { throw .sendFailed("\(error)") }
        if header.managementClass == ManagementClass.lidRoutedSMP.rawValue || header.managementClass == ManagementClass.directedRouteSMP.rawValue {
            let request: SMP
            do throws(WireError) { request = try SMP(decoding: mad, destination: address.lid) } catch { throw .sendFailed("\(error)") }
            let response = try await exchange(request, timeout: timeout)
            let source: LID = if case .lidRouted(let lid) = response.addressing { lid } else { .permissive }
            do throws(WireError) {
                return try InboundMAD(bytes: response.encoded(), source: .subnetManagement(source))
            } catch {
                throw .malformedResponse(error)
            }
        }
        // Any other class (an SA query): LID-routed to whoever serves it at that address.
        switch fabric.locateSubnetManager(mad, smp: nil, managementClass: header.managementClass, addressing: .lidRouted(address.lid), from: attachment) {
        case .undeliverable:
            counting.undeliverable.add(1, ordering: .relaxed)
            throw .timeout
        case .noSubnetManager, .staticInfo:
            counting.bounced.add(1, ordering: .relaxed)
            throw .timeout
        case .unanswered:
            counting.unanswered.add(1, ordering: .relaxed)
            try? await Task.sleep(for: timeout)
            throw .timeout
        case .listener(let port, let sink, let arrived):
            let answer = await fabric.ask(arrived, listenerAt: port, sink: sink, requester: ObjectIdentifier(self), requesterPort: attachment,
                                          addressing: .lidRouted(address.lid), request: nil, timeout: timeout)
            if closed.load(ordering: .relaxed) { throw .closed }
            return try answer.get()
        }
    }

    /// Sends a MAD that expects no answer: a response to a request this transport received goes back to
    /// its requester; a TrapRepress is accepted and dropped (as ibsim does); anything else is LID-routed
    /// to the transport listening at `address`, or dropped. What is dropped is counted in the fabric's
    /// `inboundCounters`.
    nonisolated(nonsending) public func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError) {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        guard mad.count == SMP.madSize else { throw .sendFailed("a MAD is 256 bytes, not \(mad.count)") }
        let header: MADHeader
        do throws(WireError) { header = try MADHeader(peeking: mad) } catch { throw .sendFailed("\(error)") }
        if header.isResponse && header.method != MADMethod.trapRepress.rawValue {
            fabric.answer(mad, postedAt: attachment)
        } else {
            fabric.forward(mad, from: attachment, to: address)
        }
    }

    /// A lost SMP: the requester hears nothing until its timeout.
    nonisolated(nonsending) private func timedOut(after timeout: Duration) async throws(TransportError) -> SMP {
        try? await Task.sleep(for: timeout)
        throw .timeout
    }
}
