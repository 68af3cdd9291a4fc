// The one file that calls libibumad: opening a port, registering agents, sending and receiving MADs.
// Everything it hands out is typed Swift; no pointer leaves this file.
import CIBUmad
import DequeModule
import Foundation
import IBWire
import Synchronization

/// What a port opened through libibumad serves besides sending requests.
public struct UMadRole: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Receives SMP requests and Traps (classes 0x01/0x81: Get, Set, Trap) and sets the port's IsSM
    /// capability (the issm device) while open: what a running SM is.
    public static let subnetManager = UMadRole(rawValue: 1)
    /// Receives SA requests (class 0x03), with RMPP done by the kernel where it can.
    public static let subnetAdministration = UMadRole(rawValue: 2)
}

/// A real (or ibsim-simulated, under umad2sim) port reached through libibumad.
///
/// A dedicated thread receives MADs. Responses are matched to waiting requests on the low 32 bits of the
/// transaction ID plus class and attribute (the kernel and umad2sim rewrite the upper 32 bits); requests
/// and Traps go to `unsolicited`. Timeouts are our own, because umad2sim ignores the kernel's: a MAD it
/// drops is simply never answered.
public final class UMadTransport: MADTransport {
    /// The CA and port in use.
    public let caName: String
    public let portNumber: Int
    public let portGUID: GUID
    public let role: UMadRole

    private enum Waiter {
        /// An SMP request: its response is decoded and checked against it.
        case smp(SMP, UnsafeContinuation<Result<(response: SMP, wire: [UInt8]), TransportError>, Never>)
        /// A MAD of any class: the first MAD matching it is the answer.
        case mad(UnsafeContinuation<Result<InboundMAD, TransportError>, Never>)

        func fail(_ error: TransportError) {
            switch self {
            case .smp(_, let continuation): continuation.resume(returning: .failure(error))
            case .mad(let continuation): continuation.resume(returning: .failure(error))
            }
        }
    }

    private struct Pending {
        let waiter: Waiter
        let deadline: ContinuousClock.Instant
    }

    private let portID: Int32
    private let agentByClass: [UInt8: Int32]
    private let bufferSize: Int
    private let pending = Mutex<[SMP.MatchKey: Pending]>([:])
    /// Holding the issm device open is what sets IsSM on the port; -1 when not serving as an SM.
    private let issmDescriptor: Int32
    /// Requests and Traps, for whoever serves them (`unsolicited`).
    private let inbound = InboundQueue(limit: 4096)
    private let sendLock = Mutex(())
    /// SMP requests waiting for the sender thread, which alone writes them (see `SenderQueue`).
    private let outgoing = SenderQueue()
    private let senderFinished = Atomic<Bool>(false)
    private let running = Atomic<Bool>(true)
    private let receiverDone = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let receiverFinished = Atomic<Bool>(false)
    private let closedCompletely = Atomic<Bool>(false)
    /// Responses that matched no waiting request (late, duplicate or foreign); dropped.
    private let unmatched = Atomic<Int>(0)
    /// Responses that matched a request's transaction ID but not the rest of it; dropped.
    private let mismatched = Atomic<Int>(0)
    /// Runs the tasks that prefer it on the receive thread, between receptions (`inboundExecutor`).
    private let receiveThreadJobs = ReceiveThreadExecutor()
    /// The receive thread's pthread (0 until it starts).
    private let receiveThread = Atomic<pthread_t>(0)

    /// Opens the port whose GUID is `portGUID`, else `ca`/`port`, or the first port whose physical link
    /// is up when either is nil. With a `role`, the port also receives the requests that role serves.
    public init(ca: String? = nil, port: Int? = nil, portGUID: GUID? = nil, role: UMadRole = []) throws(TransportError) {
        guard umad_init() == 0 else { throw .noPort("libibumad could not initialise (umad_init failed)") }
        let (caName, portNumber) = if let portGUID { try UMadTransport.findPort(portGUID) } else { try UMadTransport.choosePort(ca: ca, port: port) }
        let portID = umad_open_port(caName, Int32(portNumber))
        guard portID >= 0 else {
            throw .noPort("cannot open \(caName) port \(portNumber) (umad_open_port: \(String(cString: strerror(-portID))))")
        }
        var agents: [UInt8: Int32] = [:]
        // Every class that may arrive must have an agent before anything is sent: umad2sim crashes on a MAD
        // of a class nobody registered. The method masks say which requests the kernel hands us.
        let classes: [(managementClass: UInt8, version: Int32, rmpp: UInt8, methods: [UInt8])] = [
            (ManagementClass.lidRoutedSMP.rawValue, 1, 0, role.contains(.subnetManager) ? Self.smMethods : []),
            (ManagementClass.directedRouteSMP.rawValue, 1, 0, role.contains(.subnetManager) ? Self.smMethods : []),
            (Self.subnetAdministrationClass, 2, role.contains(.subnetAdministration) ? 1 : 0,
             role.contains(.subnetAdministration) ? Self.saMethods : []),
        ]
        for (managementClass, version, rmpp, methods) in classes {
            var mask: [Int] = [0, 0]
            for method in methods { mask[Int(method) / Int.bitWidth] |= 1 << (Int(method) % Int.bitWidth) }
            let agent = methods.isEmpty
                ? umad_register(portID, Int32(managementClass), version, rmpp, nil)
                : mask.withUnsafeMutableBufferPointer { umad_register(portID, Int32(managementClass), version, rmpp, $0.baseAddress) }
            guard agent >= 0 else {
                for registered in agents.values { umad_unregister(portID, registered) }
                umad_close_port(portID)
                throw .noPort("cannot register class 0x\(String(managementClass, radix: 16)) on \(caName) port \(portNumber)")
            }
            agents[managementClass] = agent
        }
        var issm: Int32 = -1
        if role.contains(.subnetManager) {
            var path = [CChar](repeating: 0, count: 256)
            if umad_get_issm_path(caName, Int32(portNumber), &path, Int32(path.count)) == 0 {
                issm = open(path, O_RDWR)
            }
            guard issm >= 0 else {
                let why = String(cString: strerror(errno))
                for registered in agents.values { umad_unregister(portID, registered) }
                umad_close_port(portID)
                throw .noPort("cannot set IsSM on \(caName) port \(portNumber): opening its issm device failed (\(why))")
            }
        }
        var info = umad_port_t()
        var guid = GUID.zero
        if umad_get_port(caName, Int32(portNumber), &info) == 0 {
            guid = GUID(UInt64(bigEndian: info.port_guid))
            umad_release_port(&info)
        }

        self.caName = caName
        self.portNumber = portNumber
        self.portGUID = guid
        self.role = role
        self.issmDescriptor = issm
        self.portID = portID
        self.agentByClass = agents
        // umad_size() is only right after umad_open_port (libibumad changes its header size at open).
        self.bufferSize = umad_size() + SMP.madSize
        let thread = Thread { [self] in receiveLoop() }
        thread.name = "swiftsm-umad-recv"
        thread.start()
        let sender = Thread { [self] in sendLoop() }
        sender.name = "swiftsm-umad-send"
        sender.start()
    }

    /// Requests the kernel hands an SM: Get and Set (SMInfo from other SMs), Trap.
    private static let smMethods: [UInt8] = [0x01, 0x02, 0x05]
    /// Requests the kernel hands an SA: Get, Set, GetTable, GetTraceTable, GetMulti, Delete.
    private static let saMethods: [UInt8] = [0x01, 0x02, 0x12, 0x13, 0x14, 0x15]
    static let subnetAdministrationClass: UInt8 = 0x03

    public var unsolicited: InboundQueue { inbound }

    /// The receive thread: tasks preferring it (the consumer of `unsolicited`, and what it hands work to)
    /// run there between receptions, so a request received and answered wakes no other thread. Work from
    /// other threads waits up to 5 ms (a reception's timeout) to start; under umad2sim a blocked write
    /// stops receptions anyway (its reader thread needs the lock the writer holds), so sending from this
    /// thread adds no deadlock that was not there.
    public var inboundExecutor: (any TaskExecutor)? { receiveThreadJobs }

    /// Responses dropped because no request was waiting for them.
    public var unmatchedResponses: Int { unmatched.load(ordering: .relaxed) }
    /// Responses dropped because they did not fit the request they matched.
    public var mismatchedResponses: Int { mismatched.load(ordering: .relaxed) }

    nonisolated(nonsending) public func exchange(_ request: SMP, timeout: Duration) async throws(TransportError) -> SMP {
        try await exchangeKeepingWireBytes(request, timeout: timeout).response
    }

    nonisolated(nonsending) public func exchangeKeepingWireBytes(_ request: SMP, timeout: Duration) async throws(TransportError) -> (response: SMP, wire: [UInt8]) {
        guard running.load(ordering: .acquiring) else { throw .closed }
        let key = request.matchKey
        let destination: UInt16 = switch request.addressing {
        case .directed: LID.permissive.rawValue
        case .lidRouted(let lid): lid.rawValue
        }
        // The MAD is encoded straight into the send buffer, behind libibumad's header.
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        request.encode(into: &buffer, at: bufferSize - SMP.madSize)
        let outgoing = OutgoingSMP(buffer: buffer, managementClass: request.managementClass.rawValue, destination: LID(destination),
                                   timeout: timeout, key: key)
        // Resumed exactly once: by whoever takes the request out of `pending`.
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<(response: SMP, wire: [UInt8]), TransportError>, Never>) in
            pending.withLock { $0[key] = Pending(waiter: .smp(request, continuation), deadline: .now + timeout) }
            if isOnReceiveThread {
                // A task on the receive thread writes itself: waking the sender thread would cost more than
                // the write (the window keeps ibsim's socket from filling, so the write does not block).
                var outgoing = outgoing
                write(&outgoing)
            } else if !self.outgoing.enqueue(outgoing), let waiting = pending.withLock({ $0.removeValue(forKey: key) }) {
                waiting.waiter.fail(.closed)
            }
        }
        return try result.get()
    }

    nonisolated(nonsending) public func exchangeMAD(_ mad: [UInt8], to address: MADAddress, timeout: Duration) async throws(TransportError) -> InboundMAD {
        guard running.load(ordering: .acquiring) else { throw .closed }
        guard mad.count == SMP.madSize, let key = SMP.matchKey(of: mad) else { throw .sendFailed("a MAD is 256 bytes, not \(mad.count)") }
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<InboundMAD, TransportError>, Never>) in
            pending.withLock { $0[key] = Pending(waiter: .mad(continuation), deadline: .now + timeout) }
            if let failure = send(mad, to: address, timeout: timeout) {
                if let waiting = pending.withLock({ $0.removeValue(forKey: key) }) { waiting.waiter.fail(failure) }
            }
        }
        return try result.get()
    }

    nonisolated(nonsending) public func post(_ mad: [UInt8], to address: MADAddress) async throws(TransportError) {
        guard running.load(ordering: .acquiring) else { throw .closed }
        guard mad.count == SMP.madSize else { throw .sendFailed("a MAD is 256 bytes, not \(mad.count)") }
        if let failure = send(mad, to: address, timeout: nil) { throw failure }
    }

    nonisolated(nonsending) public func post(_ mad: [UInt8], length: Int, to address: MADAddress) async throws(TransportError) {
        guard running.load(ordering: .acquiring) else { throw .closed }
        guard mad.count == SMP.madSize else { throw .sendFailed("a MAD is 256 bytes, not \(mad.count)") }
        if let failure = send(mad, to: address, timeout: nil, length: min(max(length, 56), SMP.madSize)) { throw failure }
    }

    public func close() async {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else {
            // Someone else is closing (a signal handler, say): return only once the port is really closed,
            // so that a process exiting after this call has cleared IsSM.
            while !closedCompletely.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(2)) }
            return
        }
        defer { closedCompletely.store(true, ordering: .releasing) }
        outgoing.stop()
        while !senderFinished.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) }
        if !receiverFinished.load(ordering: .acquiring) {
            await withCheckedContinuation { continuation in
                let finished = receiverDone.withLock { slot -> Bool in
                    if receiverFinished.load(ordering: .acquiring) { return true }
                    slot = continuation
                    return false
                }
                if finished { continuation.resume() }
            }
        }
        for agent in agentByClass.values { umad_unregister(portID, agent) }
        // Closing the issm device clears IsSM (the SMA then sends Trap 144 to the master).
        if issmDescriptor >= 0 { Glibc.close(issmDescriptor) }
        umad_close_port(portID)
        inbound.finish()
        let waiting = pending.withLock { table in defer { table.removeAll() }; return Array(table.values) }
        for request in waiting { request.waiter.fail(.closed) }
    }

    // MARK: - Device I/O

    /// The sender thread: writes queued SMP requests in order until the port closes. Under umad2sim a write
    /// blocks while ibsim's socket is full; here that holds up only this thread, where on the shared pool it
    /// held a cooperative thread (and the other waited for the send lock), so responses waited unprocessed.
    private func sendLoop() {
        var batch = Deque<OutgoingSMP>()
        while outgoing.take(into: &batch) {
            while var request = batch.popFirst() { write(&request) }
        }
        senderFinished.store(true, ordering: .releasing)
    }

    /// Writes an SMP request; if the write fails, so does the request waiting for its response.
    private func write(_ request: inout OutgoingSMP) {
        if let failure = send(buffer: &request.buffer, managementClass: request.managementClass, to: .subnetManagement(request.destination),
                              timeout: request.timeout),
           let waiting = pending.withLock({ $0.removeValue(forKey: request.key) }) {
            waiting.waiter.fail(failure)
        }
    }

    private func send(_ mad: [UInt8], to address: MADAddress, timeout: Duration?, length: Int = SMP.madSize) -> TransportError? {
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        buffer.replaceSubrange((bufferSize - SMP.madSize)..<bufferSize, with: mad)
        return send(buffer: &buffer, managementClass: mad[1], to: address, timeout: timeout, length: length)
    }

    /// Sends the MAD at the end of `buffer`. With a timeout the kernel keeps the send open for the response
    /// (it only delivers a response while such a send waits); without one the MAD expects no answer.
    private func send(buffer: inout [UInt8], managementClass: UInt8, to address: MADAddress, timeout: Duration?,
                      length: Int = SMP.madSize) -> TransportError? {
        guard let agent = agentByClass[managementClass] else {
            return .sendFailed("no agent for management class 0x\(String(managementClass, radix: 16))")
        }
        let timeoutMilliseconds: Int32 = timeout.map {
            Int32(clamping: max(1, $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000))
        } ?? 0
        let bufferSize = self.bufferSize
        let rc: Int32 = buffer.withUnsafeMutableBytes { raw in
            umad_set_addr(raw.baseAddress, Int32(address.lid.rawValue), Int32(bitPattern: address.queuePair), Int32(address.serviceLevel),
                          Int32(bitPattern: address.qKey))
            umad_set_pkey(raw.baseAddress, Int32(address.pKeyIndex))
            guard umad_get_mad(raw.baseAddress) == raw.baseAddress! + (bufferSize - SMP.madSize) else { return -EINVAL }
            return sendLock.withLock { _ in umad_send(portID, agent, raw.baseAddress, Int32(length), timeoutMilliseconds, 0) }
        }
        return rc < 0 ? .sendFailed(String(cString: strerror(-rc))) : nil
    }

    /// Whether the caller runs on the receive thread (a task preferring `inboundExecutor`).
    private var isOnReceiveThread: Bool { pthread_equal(pthread_self(), receiveThread.load(ordering: .relaxed)) != 0 }

    private func receiveLoop() {
        receiveThread.store(pthread_self(), ordering: .relaxed)
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        var nextExpiryCheck = ContinuousClock.now
        // MADs received in a row (without waiting) before the tasks on this thread run: a burst is queued
        // where the SA can see it (and answer BUSY past its limit), not left in the device's queue.
        var burst = 0
        while running.load(ordering: .acquiring) {
            if burst == 0 || burst >= 64 {
                receiveThreadJobs.runJobs()
                burst = 0
            }
            var length = Int32(SMP.madSize)
            let wait: Int32 = burst > 0 || receiveThreadJobs.hasJobs ? 0 : 5
            let received: (status: Int32, mad: [UInt8], source: MADAddress)? = buffer.withUnsafeMutableBytes { raw in
                guard umad_recv(portID, raw.baseAddress, &length, wait) >= 0, let payload = umad_get_mad(raw.baseAddress) else { return nil }
                let mad = [UInt8](UnsafeRawBufferPointer(start: payload, count: SMP.madSize))
                let addr = raw.baseAddress!.assumingMemoryBound(to: ib_user_mad_t.self).pointee.addr
                let source = MADAddress(lid: LID(UInt16(bigEndian: addr.lid)), queuePair: UInt32(bigEndian: addr.qpn),
                                        qKey: UInt32(bigEndian: addr.qkey), serviceLevel: addr.sl, pKeyIndex: addr.pkey_index)
                return (umad_status(raw.baseAddress), mad, source)
            }
            if let received {
                deliver(received.mad, status: received.status, source: received.source)
                burst += 1
            } else {
                burst = 0
            }
            // Deadlines are checked every millisecond or so, not after every MAD.
            let now = ContinuousClock.now
            if now >= nextExpiryCheck {
                expireOverdue(now)
                nextExpiryCheck = now + .milliseconds(1)
            }
        }
        receiveThreadJobs.close()
        receiverDone.withLock { slot in
            receiverFinished.store(true, ordering: .releasing)
            slot?.resume()
            slot = nil
        }
    }

    private func deliver(_ mad: [UInt8], status: Int32, source: MADAddress) {
        // A request or Trap that arrived (status 0) is for whoever serves its class, not a waiting request.
        // A non-zero umad status (ETIMEDOUT) returns our own send: matched below, or dropped if we expected
        // no answer.
        if status == 0, let header = try? MADHeader(peeking: mad), !header.isResponse {
            if let request = try? InboundMAD(bytes: mad, source: source) { inbound.yield(request) }
            return
        }
        guard let key = SMP.matchKey(of: mad), let waiting = pending.withLock({ $0.removeValue(forKey: key) }) else {
            // An SA "response" nobody waits for is an RMPP ACK, STOP or ABORT from the receiver of a GetTable
            // answer: the SA needs it to send the next segments.
            if status == 0, role.contains(.subnetAdministration), mad.count > 1, mad[1] == Self.subnetAdministrationClass,
               let control = try? InboundMAD(bytes: mad, source: source) {
                inbound.yield(control)
                return
            }
            unmatched.add(1, ordering: .relaxed)
            return
        }
        guard status == 0 else {
            waiting.waiter.fail(.timeout)
            return
        }
        switch waiting.waiter {
        case .mad(let continuation):
            do throws(WireError) {
                continuation.resume(returning: .success(try InboundMAD(bytes: mad, source: source)))
            } catch {
                continuation.resume(returning: .failure(.malformedResponse(error)))
            }
        case .smp(let request, let continuation):
            let response: SMP
            do throws(WireError) {
                response = try SMP(decoding: mad, destination: source.lid)
            } catch {
                continuation.resume(returning: .failure(.malformedResponse(error)))
                return
            }
            if response.validateAsResponse(to: request) != nil {
                // Not the answer to this request: drop it and keep waiting for the real one (or the timeout).
                mismatched.add(1, ordering: .relaxed)
                pending.withLock { $0[key] = waiting }
                return
            }
            continuation.resume(returning: .success((response, mad)))
        }
    }

    private func expireOverdue(_ now: ContinuousClock.Instant) {
        let overdue = pending.withLock { table -> [Pending] in
            var keys: [SMP.MatchKey] = []
            for (key, request) in table where request.deadline <= now { keys.append(key) }
            return keys.compactMap { table.removeValue(forKey: $0) }
        }
        for request in overdue { request.waiter.fail(.timeout) }
    }

    // MARK: - Choosing a port

    /// The CA names libibumad knows, and for each its ports with their physical state.
    private static func choosePort(ca: String?, port: Int?) throws(TransportError) -> (String, Int) {
        let names = caNames()
        if let ca, !names.contains(ca) {
            throw .noPort("no CA named \(ca) (found: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
        }
        for name in ca.map({ [$0] }) ?? names {
            var info = umad_ca_t()
            guard umad_get_ca(name, &info) == 0 else { continue }
            defer { umad_release_ca(&info) }
            let candidates = port.map { [$0] } ?? Array(0...Int(info.numports))
            for number in candidates {
                var portInfo = umad_port_t()
                guard umad_get_port(name, Int32(number), &portInfo) == 0 else { continue }
                let linkUp = portInfo.phys_state == 5 // LinkUp
                umad_release_port(&portInfo)
                if port != nil || linkUp { return (name, number) }
            }
        }
        if let ca, let port { throw .noPort("\(ca) has no port \(port)") }
        throw .noPort("no InfiniBand port with its physical link up" + (ca.map { " on \($0)" } ?? ""))
    }

    /// The CA and port number whose port GUID is `guid` (OpenSM's `guid` option).
    private static func findPort(_ guid: GUID) throws(TransportError) -> (String, Int) {
        for name in caNames() {
            var info = umad_ca_t()
            guard umad_get_ca(name, &info) == 0 else { continue }
            defer { umad_release_ca(&info) }
            for number in 0...Int(info.numports) {
                var portInfo = umad_port_t()
                guard umad_get_port(name, Int32(number), &portInfo) == 0 else { continue }
                let found = GUID(UInt64(bigEndian: portInfo.port_guid))
                umad_release_port(&portInfo)
                if found == guid { return (name, number) }
            }
        }
        throw .noPort("no InfiniBand port has GUID \(guid)")
    }

    private static func caNames() -> [String] {
        let nameLength = Int(UMAD_CA_NAME_LEN)
        var raw = [CChar](repeating: 0, count: nameLength * Int(UMAD_MAX_DEVICES))
        let count = raw.withUnsafeMutableBytes { bytes in
            umad_get_cas_names(bytes.baseAddress!.assumingMemoryBound(to: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar).self), UMAD_MAX_DEVICES)
        }
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let slice = raw[(index * nameLength)..<((index + 1) * nameLength)]
            return String(decoding: slice.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// The task executor of `UMadTransport`'s receive thread: jobs queue here and the receive loop runs them
/// between receptions. Once the thread ends, jobs go to the shared pool.
final class ReceiveThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let jobs = Mutex<(queue: Deque<UnownedJob>, open: Bool)>(([], true))

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let queued = jobs.withLock { state -> Bool in
            guard state.open else { return false }
            state.queue.append(unowned)
            return true
        }
        if !queued { globalConcurrentExecutor.enqueue(ExecutorJob(unowned)) }
    }

    var hasJobs: Bool { jobs.withLock { !$0.queue.isEmpty } }

    /// Runs the queued jobs and those they queue, until none is left.
    func runJobs() {
        while true {
            var batch = jobs.withLock { state -> Deque<UnownedJob> in
                defer { state.queue.removeAll() }
                return state.queue
            }
            if batch.isEmpty { return }
            while let job = batch.popFirst() { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// The thread ends: what is queued and what comes later runs on the shared pool.
    func close() {
        let left = jobs.withLock { state -> Deque<UnownedJob> in
            state.open = false
            defer { state.queue.removeAll() }
            return state.queue
        }
        for job in left { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }
}

/// An encoded SMP request for the sender thread.
private struct OutgoingSMP: Sendable {
    var buffer: [UInt8]
    let managementClass: UInt8
    let destination: LID
    let timeout: Duration
    let key: SMP.MatchKey
}

/// The queue between the tasks that send SMPs and the one thread that writes them: appending never blocks a
/// task, and the thread is woken only when it sleeps.
private final class SenderQueue: @unchecked Sendable {
    // All guarded by `condition`.
    private let condition = NSCondition()
    private var queue = Deque<OutgoingSMP>()
    private var running = true
    private var sleeping = false

    /// Queues a request; false once stopped (the port is closing).
    func enqueue(_ request: OutgoingSMP) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard running else { return false }
        queue.append(request)
        if sleeping { condition.signal() }
        return true
    }

    /// Waits for requests and hands them all over in `batch`; false once stopped (what is queued is dropped:
    /// closing fails every waiting request).
    func take(into batch: inout Deque<OutgoingSMP>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while running, queue.isEmpty {
            sleeping = true
            condition.wait()
            sleeping = false
        }
        guard running else { return false }
        swap(&batch, &queue)
        return true
    }

    func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }
}
