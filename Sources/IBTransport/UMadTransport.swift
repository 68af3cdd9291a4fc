// The one file that calls libibumad: opening a port, registering agents, sending and receiving MADs.
// Everything it hands out is typed Swift; no pointer leaves this file.
import CIBUmad
import Foundation
import IBWire
import Synchronization

/// A real (or ibsim-simulated, under umad2sim) port reached through libibumad.
///
/// A dedicated thread receives MADs and matches them to waiting requests on the low 32 bits of the
/// transaction ID plus class and attribute (the kernel and umad2sim rewrite the upper 32 bits). Timeouts
/// are our own, because umad2sim ignores the kernel's: a MAD it drops is simply never answered.
public final class UMadTransport: MADTransport {
    /// The CA and port in use.
    public let caName: String
    public let portNumber: Int
    public let portGUID: GUID

    private struct Pending {
        let request: SMP
        let continuation: UnsafeContinuation<Result<(response: SMP, wire: [UInt8]), TransportError>, Never>
        let deadline: ContinuousClock.Instant
    }

    private let portID: Int32
    private let agentByClass: [UInt8: Int32]
    private let bufferSize: Int
    private let pending = Mutex<[SMP.MatchKey: Pending]>([:])
    private let sendLock = Mutex(())
    private let running = Atomic<Bool>(true)
    private let receiverDone = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let receiverFinished = Atomic<Bool>(false)
    /// Responses that matched no waiting request (late, duplicate or foreign); dropped.
    private let unmatched = Atomic<Int>(0)
    /// Responses that matched a request's transaction ID but not the rest of it; dropped.
    private let mismatched = Atomic<Int>(0)

    /// Opens the port whose GUID is `portGUID`, else `ca`/`port`, or the first port whose physical link
    /// is up when either is nil.
    public init(ca: String? = nil, port: Int? = nil, portGUID: GUID? = nil) throws(TransportError) {
        guard umad_init() == 0 else { throw .noPort("libibumad could not initialise (umad_init failed)") }
        let (caName, portNumber) = if let portGUID { try UMadTransport.findPort(portGUID) } else { try UMadTransport.choosePort(ca: ca, port: port) }
        let portID = umad_open_port(caName, Int32(portNumber))
        guard portID >= 0 else {
            throw .noPort("cannot open \(caName) port \(portNumber) (umad_open_port: \(String(cString: strerror(-portID))))")
        }
        var agents: [UInt8: Int32] = [:]
        // Every class we may receive must have an agent before anything is sent (umad2sim crashes otherwise).
        for managementClass in [ManagementClass.lidRoutedSMP, .directedRouteSMP] {
            let agent = umad_register(portID, Int32(managementClass.rawValue), 1, 0, nil)
            guard agent >= 0 else {
                umad_close_port(portID)
                throw .noPort("cannot register class 0x\(String(managementClass.rawValue, radix: 16)) on \(caName) port \(portNumber)")
            }
            agents[managementClass.rawValue] = agent
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
        self.portID = portID
        self.agentByClass = agents
        // umad_size() is only right after umad_open_port (libibumad changes its header size at open).
        self.bufferSize = umad_size() + SMP.madSize
        let thread = Thread { [self] in receiveLoop() }
        thread.name = "swiftsm-umad-recv"
        thread.start()
    }

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
        // Resumed exactly once: by whoever takes the request out of `pending`.
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<(response: SMP, wire: [UInt8]), TransportError>, Never>) in
            pending.withLock { $0[key] = Pending(request: request, continuation: continuation, deadline: .now + timeout) }
            if let failure = send(request, to: destination, timeout: timeout) {
                if let waiting = pending.withLock({ $0.removeValue(forKey: key) }) { waiting.continuation.resume(returning: .failure(failure)) }
            }
        }
        return try result.get()
    }

    public func close() async {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
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
        umad_close_port(portID)
        let waiting = pending.withLock { table in defer { table.removeAll() }; return Array(table.values) }
        for request in waiting { request.continuation.resume(returning: .failure(.closed)) }
    }

    // MARK: - Device I/O

    private func send(_ request: SMP, to lid: UInt16, timeout: Duration) -> TransportError? {
        // The MAD is encoded straight into the send buffer, behind libibumad's header.
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        request.encode(into: &buffer, at: bufferSize - SMP.madSize)
        let agent = agentByClass[request.managementClass.rawValue] ?? -1
        // The kernel only delivers a response while a send with a timeout waits for it.
        let timeoutMilliseconds = Int32(clamping: max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let rc: Int32 = buffer.withUnsafeMutableBytes { raw in
            umad_set_addr(raw.baseAddress, Int32(lid), 0, 0, 0)
            guard umad_get_mad(raw.baseAddress) == raw.baseAddress! + (bufferSize - SMP.madSize) else { return -EINVAL }
            return sendLock.withLock { _ in umad_send(portID, agent, raw.baseAddress, Int32(SMP.madSize), timeoutMilliseconds, 0) }
        }
        return rc < 0 ? .sendFailed(String(cString: strerror(-rc))) : nil
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        var nextExpiryCheck = ContinuousClock.now
        while running.load(ordering: .acquiring) {
            var length = Int32(SMP.madSize)
            let received: (status: Int32, mad: [UInt8], sourceLID: UInt16)? = buffer.withUnsafeMutableBytes { raw in
                guard umad_recv(portID, raw.baseAddress, &length, 5) >= 0, let payload = umad_get_mad(raw.baseAddress) else { return nil }
                let mad = [UInt8](UnsafeRawBufferPointer(start: payload, count: SMP.madSize))
                let source = raw.baseAddress!.assumingMemoryBound(to: ib_user_mad_t.self).pointee.addr.lid
                return (umad_status(raw.baseAddress), mad, UInt16(bigEndian: source))
            }
            if let received { deliver(received.mad, status: received.status, sourceLID: LID(received.sourceLID)) }
            // Deadlines are checked every millisecond or so, not after every MAD.
            let now = ContinuousClock.now
            if now >= nextExpiryCheck {
                expireOverdue(now)
                nextExpiryCheck = now + .milliseconds(1)
            }
        }
        receiverDone.withLock { slot in
            receiverFinished.store(true, ordering: .releasing)
            slot?.resume()
            slot = nil
        }
    }

    private func deliver(_ mad: [UInt8], status: Int32, sourceLID: LID) {
        guard let key = SMP.matchKey(of: mad), let waiting = pending.withLock({ $0.removeValue(forKey: key) }) else {
            unmatched.add(1, ordering: .relaxed)
            return
        }
        // A non-zero umad status (ETIMEDOUT) returns our own send: the MAD was not answered or not deliverable.
        guard status == 0 else {
            waiting.continuation.resume(returning: .failure(.timeout))
            return
        }
        let response: SMP
        do throws(WireError) {
            response = try SMP(decoding: mad, destination: sourceLID)
        } catch {
            waiting.continuation.resume(returning: .failure(.malformedResponse(error)))
            return
        }
        if response.validateAsResponse(to: waiting.request) != nil {
            // Not the answer to this request: drop it and keep waiting for the real one (or the timeout).
            mismatched.add(1, ordering: .relaxed)
            pending.withLock { $0[key] = waiting }
            return
        }
        waiting.continuation.resume(returning: .success((response, mad)))
    }

    private func expireOverdue(_ now: ContinuousClock.Instant) {
        let overdue = pending.withLock { table -> [Pending] in
            var keys: [SMP.MatchKey] = []
            for (key, request) in table where request.deadline <= now { keys.append(key) }
            return keys.compactMap { table.removeValue(forKey: $0) }
        }
        for request in overdue { request.continuation.resume(returning: .failure(.timeout)) }
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
