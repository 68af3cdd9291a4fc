import FabricModel
import IBTransport
import IBWire
import Synchronization

/// The SMs' side of a simulated fabric, as ibsim gives it to clients under umad2sim: several transports
/// listen at their own ports; an SMInfo Get or Set (or an SA request) that reaches a port where one
/// listens goes to that transport's `unsolicited` stream, and the response it posts travels back to the
/// requester's waiting exchange; a request to a port where no SM runs bounces at once.

/// A transport that receives requests at its port.
struct InboundListener {
    let owner: ObjectIdentifier
    let role: UMadRole
    let sink: InboundQueue

    /// Whether requests of `managementClass` are for this listener: SMPs for an SM, class 0x03 for an SA.
    func serves(_ managementClass: UInt8) -> Bool {
        switch managementClass {
        case ManagementClass.lidRoutedSMP.rawValue, ManagementClass.directedRouteSMP.rawValue: role.contains(.subnetManager)
        case SimulatedFabric.subnetAdministrationClass: role.contains(.subnetAdministration)
        default: false
        }
    }
}

/// A request handed to a listener, whose requester waits for the answer.
struct AwaitedAnswer {
    typealias Resume = UnsafeContinuation<Result<InboundMAD, TransportError>, Never>
    /// Tells this wait from a later one with the same key.
    let ticket: UInt64
    let requester: ObjectIdentifier
    /// The requester's port, where the answer must arrive.
    let requesterPort: PortAddress
    /// How the request travelled: the answer goes back the same way.
    let addressing: SMP.Addressing
    /// For an SMP, the request, which the answer must fit (as `UMadTransport` checks).
    let request: SMP?
    let resume: Resume
    /// An answer sent by RMPP: the DATA segments received so far, in order, and the last segment of the
    /// window granted (the receiver's side of RMPP, as the kernel's MAD layer does it for a host).
    var segments: [[UInt8]] = []
    var windowLast: UInt32 = 1
}

struct AwaitKey: Hashable {
    /// The listener's port.
    var listener: PortAddress
    var match: SMP.MatchKey
}

struct InboundState {
    var listeners: [PortAddress: InboundListener] = [:]
    var awaiting: [AwaitKey: AwaitedAnswer] = [:]
    var nextTicket: UInt64 = 0
    var trapFaults = TrapFaults()
    var counters = InboundCounters()
}

/// What the fabric's agents and SMs did with MADs other than SMP requests and responses.
public struct InboundCounters: Sendable, Equatable {
    /// Traps the agents put on the wire (Trap 128 from switches, Trap 144 from ports).
    public var trapsSent = 0
    /// Traps handed to a listening transport (a duplicated trap counts twice).
    public var trapsDelivered = 0
    /// Traps whose route failed (a dead link, an unrouted LID) or whose destination port has no listener.
    public var trapsLost = 0
    /// Traps not sent because the port had no LID or no MasterSMLID yet (ibsim sends none then either).
    public var trapsUnaddressed = 0
    /// Traps dropped or duplicated by `trapFaults`.
    public var trapsDroppedByFault = 0
    public var trapsDuplicatedByFault = 0
    /// TrapRepress MADs posted by SMs: accepted and dropped, as ibsim does.
    public var trapRepresses = 0
    /// Requests delivered to a listening transport.
    public var requestsDelivered = 0
    /// Answers posted by a listener that reached the waiting requester.
    public var answersDelivered = 0
    /// Answers that found no way back (the route died) or no waiting requester (late, foreign, or not
    /// fitting the request): dropped.
    public var answersDropped = 0
    /// RMPP: DATA segments received in order, out-of-order or repeated ones ignored, ACKs sent back.
    public var segmentsReceived = 0
    public var segmentsIgnored = 0
    public var acknowledgementsSent = 0
    /// Other MADs posted (Reports, requests) that reached no listener: dropped.
    public var postsDropped = 0
}

/// Faults injected into traps, for tests of lost and repeated traps.
public struct TrapFaults: Sendable, Equatable {
    /// The next this many traps sent are lost on the wire.
    public var dropNext: Int
    /// Every trap that arrives is delivered twice (as when a switch repeats it).
    public var duplicate: Bool

    public init(dropNext: Int = 0, duplicate: Bool = false) {
        self.dropNext = dropNext
        self.duplicate = duplicate
    }
}

/// Where an SMInfo (or SA) request ends up.
enum SubnetManagerLookup {
    /// A hop failed: bounced at once, as ibsim does.
    case undeliverable
    /// It reached a node that answers nothing.
    case unanswered
    /// It reached a port where no SM runs: bounced at once (ibsim's status 110).
    case noSubnetManager
    /// `runSubnetManager(at:info:)` answers there as an agent would.
    case staticInfo
    /// A transport listens there; the MAD as it arrives.
    case listener(port: PortAddress, sink: InboundQueue, mad: InboundMAD)
}

extension SimulatedFabric {
    static let subnetAdministrationClass: UInt8 = 0x03

    /// Faults injected into the traps sent from now on.
    public var trapFaults: TrapFaults {
        get { inbound.withLock { $0.trapFaults } }
        set { inbound.withLock { $0.trapFaults = newValue } }
    }

    public var inboundCounters: InboundCounters { inbound.withLock { $0.counters } }

    /// Starts delivering requests for `role` that reach `port` to `sink`; a transport with the
    /// `.subnetManager` role sets IsSM on the port (a Trap 144 if that changed it).
    func listen(at port: PortAddress, owner: ObjectIdentifier, role: UMadRole, sink: InboundQueue) {
        inbound.withLock { $0.listeners[port] = InboundListener(owner: owner, role: role, sink: sink) }
        guard role.contains(.subnetManager) else { return }
        send(state.withLock { $0.setIsSM(true, at: port) }.map { [$0] } ?? [])
    }

    /// Stops `owner` listening at `port`, clears IsSM there unless another SM still runs there (a Trap
    /// 144 if that changed it), and fails the requests `owner` is waiting on with `.closed`.
    func stopListening(at port: PortAddress, owner: ObjectIdentifier) {
        let (wasListening, orphans) = inbound.withLock { inbound -> (Bool, [AwaitedAnswer]) in
            var was = false
            if inbound.listeners[port]?.owner == owner {
                inbound.listeners[port] = nil
                was = true
            }
            let keys = inbound.awaiting.filter { $0.value.requester == owner }.map(\.key)
            return (was, keys.compactMap { inbound.awaiting.removeValue(forKey: $0) })
        }
        for orphan in orphans { orphan.resume.resume(returning: .failure(.closed)) }
        guard wasListening else { return }
        let trap = state.withLock { state -> OutgoingTrap? in
            state.subnetManagers[port] != nil ? nil : state.setIsSM(false, at: port)
        }
        send(trap.map { [$0] } ?? [])
    }

    /// Finds where a request sent from `from` reaches an SM: an SMInfo Get or Set (`smp`, by directed
    /// route or LID), or an SA request (`mad` of class 0x03, LID-routed).
    func locateSubnetManager(_ mad: [UInt8], smp: SMP?, managementClass: UInt8, addressing: SMP.Addressing, from: PortAddress) -> SubnetManagerLookup {
        enum Reach { case nowhere, deadNode, reached(Arrival, smPort: PortAddress, isStatic: Bool, senderLID: LID) }
        let reach = state.withLock { state -> Reach in
            let arrival: Arrival?
            switch addressing {
            case .directed(let header):
                arrival = state.forwardDirected(header, from: from)
            case .lidRouted(let lid):
                arrival = state.forwardLIDRouted(to: lid, from: Arrival(node: from.node, port: from.port.index), leavingBy: from.port.index)
            }
            guard let arrival else { return .nowhere }
            if state.nodes[arrival.node].isDead { return .deadNode }
            let smPort = state.smPort(at: arrival)
            let senderLID = state.nodes[from.node].port(from.port.index)?.info.lid ?? .unassigned
            return .reached(arrival, smPort: smPort, isStatic: state.subnetManagers[smPort] != nil, senderLID: senderLID)
        }
        guard case .reached(let arrival, let smPort, let isStatic, let senderLID) = reach else {
            if case .deadNode = reach { return .unanswered }
            return .undeliverable
        }
        let listener = inbound.withLock { $0.listeners[smPort] }
        guard let listener, listener.serves(managementClass) else { return isStatic ? .staticInfo : .noSubnetManager }

        // The MAD as the listener's port receives it: a directed-route one with its return path filled in
        // and the hop pointer past the last hop; the source as the real stack gives it (the permissive
        // LID for directed route, else the sender's LID).
        var arrived = mad
        var source = MADAddress.subnetManagement(senderLID)
        if managementClass == Self.subnetAdministrationClass {
            source = .generalServices(senderLID)
        } else if case .directed(var header) = addressing, var smp {
            header.returnPath = arrival.returnPath
            header.hopPointer = header.hopCount &+ 1
            smp.addressing = .directed(header)
            arrived = smp.encoded()
            source = .subnetManagement(.permissive)
        }
        guard let inboundMAD = try? InboundMAD(bytes: arrived, source: source) else { return .undeliverable }
        return .listener(port: smPort, sink: listener.sink, mad: inboundMAD)
    }

    /// Hands `mad` to the listener at `port` (whose stream is `sink`) and waits for the answer it posts,
    /// at most `timeout`.
    nonisolated(nonsending) func ask(_ mad: InboundMAD, listenerAt port: PortAddress, sink: InboundQueue,
                                      requester: ObjectIdentifier, requesterPort: PortAddress, addressing: SMP.Addressing,
                                      request: SMP?, timeout: Duration) async -> Result<InboundMAD, TransportError> {
        guard let match = SMP.matchKey(of: mad.bytes) else { return .failure(.sendFailed("a MAD is 256 bytes")) }
        let key = AwaitKey(listener: port, match: match)
        return await withUnsafeContinuation { (resume: AwaitedAnswer.Resume) in
            let ticket = inbound.withLock { inbound -> UInt64 in
                inbound.nextTicket += 1
                inbound.awaiting[key] = AwaitedAnswer(ticket: inbound.nextTicket, requester: requester, requesterPort: requesterPort,
                                                      addressing: addressing, request: request, resume: resume)
                inbound.counters.requestsDelivered += 1
                return inbound.nextTicket
            }
            sink.yield(mad)
            // A listener that never answers: the requester times out.
            Task { [self] in
                try? await Task.sleep(for: timeout)
                let expired = inbound.withLock { inbound -> AwaitedAnswer? in
                    guard inbound.awaiting[key]?.ticket == ticket else { return nil }
                    return inbound.awaiting.removeValue(forKey: key)
                }
                expired?.resume.resume(returning: .failure(.timeout))
            }
        }
    }

    /// An answer (a response MAD) posted by the listener at `port`: it goes back to the requester that
    /// waits for it, along the way the request came, if that way still works. Dropped (and counted)
    /// otherwise; the requester then times out.
    func answer(_ mad: [UInt8], postedAt port: PortAddress) {
        guard let match = SMP.matchKey(of: mad) else { return }
        let key = AwaitKey(listener: port, match: match)
        guard let waiting = inbound.withLock({ $0.awaiting[key] }) else {
            inbound.withLock { $0.counters.answersDropped += 1 }
            return
        }
        // The responder's LID: where a LID-routed answer comes from.
        let route = state.withLock { state -> (reached: Bool, responderLID: LID) in
            let responderLID = state.nodes[port.node].port(port.port.index)?.info.lid ?? .unassigned
            switch waiting.addressing {
            case .directed(let header):
                // The way back is the way out, reversed: it works if the way out still reaches the responder.
                let out = state.forwardDirected(header, from: waiting.requesterPort)
                return (out?.node == port.node, responderLID)
            case .lidRouted:
                guard let requester = state.nodes[waiting.requesterPort.node].port(waiting.requesterPort.port.index) else { return (false, responderLID) }
                let back = state.forwardLIDRouted(to: requester.info.lid, from: Arrival(node: port.node, port: port.port.index), leavingBy: port.port.index)
                return (back?.node == waiting.requesterPort.node, responderLID)
            }
        }
        let source: MADAddress
        switch waiting.addressing {
        case .directed: source = .subnetManagement(.permissive)
        case .lidRouted: source = mad[1] == Self.subnetAdministrationClass ? .generalServices(route.responderLID) : .subnetManagement(route.responderLID)
        }
        var fits = route.reached
        if fits, let request = waiting.request {
            fits = (try? SMP(decoding: mad, destination: source.lid))?.validateAsResponse(to: request) == nil
        }
        guard fits, let answer = try? InboundMAD(bytes: mad, source: source) else {
            inbound.withLock { $0.counters.answersDropped += 1 }
            return
        }
        if mad[1] == Self.subnetAdministrationClass, let segment = try? SAMAD(decoding: mad), segment.rmpp.isActive,
           segment.rmpp.kind == .data, segment.rmpp.flags & RMPPHeader.flagFirst == 0 || segment.rmpp.flags & RMPPHeader.flagLast == 0 {
            return receive(segment, mad, key: key, ticket: waiting.ticket, source: source)
        }
        let taken = inbound.withLock { inbound -> AwaitedAnswer? in
            guard inbound.awaiting[key]?.ticket == waiting.ticket else { return nil }
            inbound.counters.answersDelivered += 1
            return inbound.awaiting.removeValue(forKey: key)
        }
        taken?.resume.resume(returning: .success(answer))
    }

    /// Segments a receiver lets the sender have in flight past the last one acknowledged: Linux's
    /// window, an eighth of a MAD agent's 512 receive buffers.
    static let rmppWindow: UInt32 = 64

    /// One DATA segment of an RMPP answer for the exchange waiting at `key`, as Linux's MAD layer takes it:
    /// the next segment in order is kept, any other ignored; at the end of each window and at the last
    /// segment an ACK goes back (the DATA header with the request's method, type ACK, the segment number
    /// and the new window's last segment); after the last one the requester gets the whole answer as one
    /// MAD (the first segment's headers, then every record), as umad hands it to a program.
    private func receive(_ segment: SAMAD, _ bytes: [UInt8], key: AwaitKey, ticket: UInt64, source: MADAddress) {
        enum Step { case ignored, kept(ack: UInt32?, done: AwaitedAnswer?, requester: PortAddress) }
        let number = segment.rmpp.data1
        let isLast = segment.rmpp.flags & RMPPHeader.flagLast != 0
        let step = inbound.withLock { inbound -> Step in
            guard var waiting = inbound.awaiting[key], waiting.ticket == ticket,
                  Int(number) == waiting.segments.count + 1, number <= waiting.windowLast,
                  number > 1 || segment.rmpp.flags & RMPPHeader.flagFirst != 0
            else {
                inbound.counters.segmentsIgnored += 1
                return .ignored
            }
            inbound.counters.segmentsReceived += 1
            waiting.segments.append(bytes)
            var ack: UInt32?
            if number == waiting.windowLast || isLast {
                if !isLast { waiting.windowLast = number + Self.rmppWindow }
                ack = waiting.windowLast
                inbound.counters.acknowledgementsSent += 1
            }
            if isLast {
                inbound.counters.answersDelivered += 1
                inbound.awaiting[key] = nil
                return .kept(ack: ack, done: waiting, requester: waiting.requesterPort)
            }
            inbound.awaiting[key] = waiting
            return .kept(ack: ack, done: nil, requester: waiting.requesterPort)
        }
        guard case .kept(let ack, let done, let requester) = step else { return }
        if let ack {
            var reply = segment
            reply.rmpp = RMPPHeader(version: segment.rmpp.version, type: RMPPHeader.Kind.ack.rawValue, responseTime: segment.rmpp.responseTime,
                                    flags: RMPPHeader.flagActive, data1: number, data2: ack)
            reply.data = [UInt8](repeating: 0, count: SAMAD.dataSize)
            var encoded = reply.encoded()
            encoded[3] ^= 0x80  // the request's method: Linux's format_ack flips the response bit
            forward(encoded, from: requester, to: .generalServices(source.lid))
        }
        guard let done else { return }
        let result: Result<InboundMAD, TransportError>
        if let whole = Self.reassemble(done.segments), let mad = try? InboundMAD(bytes: whole, source: source) {
            result = .success(mad)
        } else {
            result = .failure(.malformedResponse(.wrongMADSize(done.segments.count * SAMAD.madSize)))
        }
        done.resume.resume(returning: result)
    }

    /// The first segment's 56 bytes of headers followed by the records of every segment, cut at the
    /// length the last segment gives (PayloadLength counts each segment's 20-byte SA header).
    static func reassemble(_ segments: [[UInt8]]) -> [UInt8]? {
        guard let first = segments.first, let last = segments.last.flatMap({ try? SAMAD(decoding: $0) }) else { return nil }
        let headers = SAMAD.madSize - SAMAD.dataSize
        let lastBytes = Int(last.rmpp.data2) - 20
        guard lastBytes >= 0, lastBytes <= SAMAD.dataSize else { return nil }
        var whole = Array(first[0..<headers])
        for (index, segment) in segments.enumerated() {
            whole += segment[headers..<(index == segments.count - 1 ? headers + lastBytes : SAMAD.madSize)]
        }
        return whole
    }

    /// A MAD that is not an answer, posted from `from` to `address` (a Report, a request with no reply
    /// expected): LID-routed to the listener at that address, else dropped and counted.
    func forward(_ mad: [UInt8], from: PortAddress, to address: MADAddress) {
        guard address.lid != .permissive, let header = try? MADHeader(peeking: mad) else {
            inbound.withLock { $0.counters.postsDropped += 1 }
            return
        }
        if header.method == MADMethod.trapRepress.rawValue {
            inbound.withLock { $0.counters.trapRepresses += 1 }
            return
        }
        let reached = state.withLock { state -> (port: PortAddress, senderLID: LID)? in
            guard let arrival = state.forwardLIDRouted(to: address.lid, from: Arrival(node: from.node, port: from.port.index), leavingBy: from.port.index)
            else { return nil }
            return (state.smPort(at: arrival), state.nodes[from.node].port(from.port.index)?.info.lid ?? .unassigned)
        }
        let listener = reached.flatMap { reached in inbound.withLock { $0.listeners[reached.port] } }
        guard let reached, let listener, listener.serves(header.managementClass),
              let delivered = try? InboundMAD(bytes: mad, source: MADAddress(lid: reached.senderLID, queuePair: address.queuePair,
                                                                             qKey: address.qKey, serviceLevel: address.serviceLevel))
        else {
            inbound.withLock { $0.counters.postsDropped += 1 }
            return
        }
        listener.sink.yield(delivered)
    }
}

extension SimulatedFabric.State {
    /// The port whose SM receives what reached `arrival`: port 0 on a switch, the port itself on a CA.
    func smPort(at arrival: Arrival) -> PortAddress {
        PortAddress(node: arrival.node, port: PortNumber(UInt8(nodes[arrival.node].type == .switch ? 0 : arrival.port)))
    }
}
