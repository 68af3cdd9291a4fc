import FabricModel
import IBWire
import Routing
import Synchronization

/// Limits that turn overload into BUSY or NO_RESOURCES instead of unbounded memory.
public struct SAOptions: Sendable {
    /// GetTable answers being sent by RMPP at once; a new one past this gets BUSY.
    public var maxOpenTransfers: Int
    public var maxServices: Int
    public var maxSubscriptions: Int
    /// Segments sent before the receiver's first ACK (RMPP starts with a window of 1).
    public var initialWindow: Int
    /// The largest GetTable answer, in bytes of records: every LFT block of a large fabric is tens of
    /// megabytes, and open transfers hold their segments. Larger answers get NO_RESOURCES.
    public var maxTableBytes: Int

    public init(maxOpenTransfers: Int = 64, maxServices: Int = 4096, maxSubscriptions: Int = 4096, initialWindow: Int = 1,
                maxTableBytes: Int = 4 << 20) {
        self.maxOpenTransfers = maxOpenTransfers
        self.maxServices = maxServices
        self.maxSubscriptions = maxSubscriptions
        self.initialWindow = initialWindow
        self.maxTableBytes = maxTableBytes
    }
}

/// The Subnet Administration agent: answers SA MADs (class 0x03) from the latest published snapshot and
/// keeps the state hosts change (multicast groups, services, event subscriptions).
///
/// The daemon calls `publish` after each sweep and `handle` for each SA MAD it receives; every call
/// returns at once (no call waits for a sweep), and bad input gets an SA status, never a crash.
public final class SubnetAdministrator: Sendable {
    final class SnapshotBox: Sendable {
        let snapshot: SASnapshot
        init(_ snapshot: SASnapshot) { self.snapshot = snapshot }
    }

    struct State {
        var box: SnapshotBox?
        var multicast = MulticastState()
        var services: [ServiceRecord] = []
        var subscriptions: [Subscription] = []
        var transfers: [TransferKey: RMPPTransfer] = [:]
        var nextTransferSerial = 0
        /// Bumped whenever the groups or the snapshot change (the trees may then differ).
        var multicastGeneration = 0
    }

    private let state = Mutex(State())
    public let options: SAOptions

    public init(options: SAOptions = SAOptions()) { self.options = options }

    // MARK: Seam for the daemon

    /// Makes `snapshot` the one queries are answered from. Creates the IPoIB broadcast groups of the
    /// partitions, drops members, services and subscriptions of ports that left, and returns traps 64/65
    /// for ports that came or went since the previous snapshot (send them with `reports(for:)`).
    @discardableResult
    public func publish(_ snapshot: SASnapshot) -> [SubnetEvent] {
        state.withLock { state in
            let events = snapshot.events(since: state.box?.snapshot)
            state.box = SnapshotBox(snapshot)
            state.multicast.prune(snapshot)
            state.multicast.ensureIPoIBGroups(snapshot)
            state.multicastGeneration += 1
            state.services.removeAll { snapshot.endport(of: $0.serviceGID) == nil }
            state.subscriptions.removeAll { snapshot.lids.endportIndex(of: $0.subscriber.lid) == nil }
            return events
        }
    }

    /// The latest snapshot, if any.
    public var snapshot: SASnapshot? { state.withLock { $0.box?.snapshot } }

    /// Answers one SA MAD: zero MADs (nothing to answer: a response, a MAD that is not a 256-byte SA MAD,
    /// or this SM is not MASTER), one, or the first RMPP segments of a GetTable answer (the rest follow
    /// the receiver's ACKs, which arrive here too).
    public func handle(_ mad: [UInt8], from requester: SARequester) -> [[UInt8]] {
        guard let request = try? SAMAD(decoding: mad) else { return [] }
        // A receiver's ACK, STOP or ABORT: Linux sends them with the request's method (the DATA
        // segment's with the response bit flipped), other stacks with the response's.
        let kind = request.rmpp.kind
        if request.method.isResponse || request.rmpp.isActive && (kind == .ack || kind == .stop || kind == .abort) {
            return acknowledge(request, from: requester)
        }
        guard let box = state.withLock({ $0.box }) else { return [reply(request, status: .busy).encoded()] }
        let snapshot = box.snapshot
        guard snapshot.sm.state == .master else { return [] }
        guard request.classVersion == SAMAD.classVersion else { return [reply(request, status: .badClassVersion).encoded()] }
        switch request.method {
        case .get, .getTable, .set, .delete: break
        default: return [reply(request, status: .methodNotSupported).encoded()]
        }
        let context = Context(request: request, requester: requester, snapshot: snapshot,
                              requesterEndport: snapshot.lids.endportIndex(of: requester.lid),
                              trusted: request.smKey == snapshot.sm.smKey)
        return answer(context)
    }

    /// A BUSY answer to a request, for a daemon whose inbound queue is full.
    public func busyResponse(to mad: [UInt8]) -> [UInt8]? {
        guard let request = try? SAMAD(decoding: mad), !request.method.isResponse else { return nil }
        return reply(request, status: .busy).encoded()
    }

    /// Report(Notice) MADs of `events` to every subscriber that asked for them. The daemon gives each a
    /// transaction ID from its own allocator.
    public func reports(for events: [SubnetEvent], nextTransactionID: () -> UInt64) -> [OutboundMAD] {
        let (snapshot, subscriptions) = state.withLock { ($0.box?.snapshot, $0.subscriptions) }
        guard let snapshot else { return [] }
        var result: [OutboundMAD] = []
        for event in events {
            let notice = snapshot.notice(for: event)
            let lid = snapshot.endport(of: event.gid).map { snapshot.lids.endports[$0].base }
            for subscription in subscriptions where subscription.wants(trap: event.trapNumber, type: smNoticeType, producer: smProducerType, lid: lid) {
                let mad = SAMAD(method: .report, attribute: .notice, transactionID: nextTransactionID(), data: notice.bytes)
                result.append(OutboundMAD(destination: subscription.subscriber, mad: mad.encoded()))
            }
        }
        return result
    }

    /// The multicast forwarding every switch should have for the current groups (compute the MFT
    /// blocks with `MulticastProgram.blocks(switch:portCount:)`).
    public var multicastProgram: MulticastProgram {
        let (snapshot, groups) = state.withLock { ($0.box?.snapshot, $0.multicast) }
        guard let snapshot else { return MulticastProgram() }
        return snapshot.multicastProgram(groups: groups.memberAddresses(snapshot))
    }

    /// Changes whenever `multicastProgram` may have changed (a join, a leave, a new snapshot): the daemon
    /// recomputes the program and writes the MFT blocks that differ when it sees a new value.
    public var multicastGeneration: Int { state.withLock { $0.multicastGeneration } }

    /// The P_Key table every endport should hold, from the partitions.
    public var pKeyProgram: [PortAddress: [PKey]] { snapshot?.pKeyTables ?? [:] }

    /// The multicast groups, by MLID.
    public var multicastGroups: [MulticastGroup] {
        state.withLock { $0.multicast.groups.values.sorted { $0.mlid < $1.mlid } }
    }

    /// RMPP transfers still waiting for ACKs.
    public var openTransfers: Int { state.withLock { $0.transfers.count } }

    /// Drops transfers that made no progress since the previous call (call it every few seconds);
    /// returns how many were dropped.
    @discardableResult
    public func dropStalledTransfers() -> Int {
        state.withLock { state in
            var dropped = 0
            for (key, var transfer) in state.transfers {
                if transfer.lastChecked == transfer.progress {
                    state.transfers[key] = nil
                    dropped += 1
                } else {
                    transfer.lastChecked = transfer.progress
                    state.transfers[key] = transfer
                }
            }
            return dropped
        }
    }

    // MARK: Answers

    struct Context {
        var request: SAMAD
        var requester: SARequester
        var snapshot: SASnapshot
        var requesterEndport: Int?
        var trusted: Bool
        var mask: UInt64 { request.componentMask }
        var isTable: Bool { request.method == .getTable }
    }

    private func answer(_ context: Context) -> [[UInt8]] {
        let request = context.request
        let snapshot = context.snapshot
        let method = request.method
        let isQuery = method == .get || method == .getTable
        switch request.attribute {
        case .classPortInfo:
            guard method == .get else { return unsupported(request) }
            return [reply(request, status: .ok, data: snapshot.classPortInfo().bytes).encoded()]
        case .pathRecord:
            guard isQuery else { return unsupported(request) }
            guard !PathRecord.layout.hasUnknownComponents(context.mask) else { return [reply(request, status: .saRequestInvalid).encoded()] }
            switch snapshot.pathRecords(query: PathRecord(data: request.data), mask: context.mask,
                                        requester: context.requesterEndport, isTable: context.isTable) {
            case .failure(.status(let status)): return [reply(request, status: status).encoded()]
            case .success(let records): return respond(records, context)
            }
        case .nodeRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.nodeRecords(), context)
        case .portInfoRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.portInfoRecords(trusted: context.trusted), context)
        case .switchInfoRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.switchInfoRecords(), context)
        case .linearForwardingTableRecord:
            guard isQuery else { return unsupported(request) }
            let asked = LinearForwardingTableRecord(data: request.data)
            return query(snapshot.linearForwardingTableRecords(
                lid: context.mask & 1 != 0 ? asked.lid : nil, block: context.mask & 2 != 0 ? asked.blockNumber : nil), context)
        case .smInfoRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.smInfoRecords(trusted: context.trusted), context)
        case .linkRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.linkRecords(), context)
        case .guidInfoRecord:
            guard isQuery else { return unsupported(request) }
            return query(snapshot.guidInfoRecords(), context)
        case .pKeyTableRecord:
            guard isQuery else { return unsupported(request) }
            // P_Key tables say who may talk to whom: only for the trusted (SM_Key).
            guard context.trusted else { return [reply(request, status: .saDenied).encoded()] }
            return query(snapshot.pKeyTableRecords(), context)
        case .slToVLMappingTableRecord:
            guard isQuery else { return unsupported(request) }
            guard !SLToVLMappingTableRecord.layout.hasUnknownComponents(context.mask) else { return [reply(request, status: .saRequestInvalid).encoded()] }
            // LID, InputPortNum and OutputPortNum select; the other components are not compared (as OpenSM).
            let asked = SLToVLMappingTableRecord(data: request.data), mask = context.mask
            return respond(snapshot.slToVLRecords(lid: mask & 1 != 0 ? asked.lid : nil, input: mask & 2 != 0 ? asked.inputPort : nil,
                                                  output: mask & 4 != 0 ? asked.outputPort : nil, requester: context.requesterEndport), context)
        case .vlArbitrationTableRecord:
            guard isQuery else { return unsupported(request) }
            guard !VLArbitrationTableRecord.layout.hasUnknownComponents(context.mask) else { return [reply(request, status: .saRequestInvalid).encoded()] }
            let asked = VLArbitrationTableRecord(data: request.data), mask = context.mask
            return respond(snapshot.vlArbitrationRecords(lid: mask & 1 != 0 ? asked.lid : nil, output: mask & 2 != 0 ? asked.outputPort : nil,
                                                         block: mask & 4 != 0 ? asked.blockNumber : nil, requester: context.requesterEndport), context)
        case .mcMemberRecord:
            return multicast(context)
        case .serviceRecord:
            return service(context)
        case .informInfo:
            guard method == .set else { return unsupported(request) }
            return inform(context)
        default:
            return [reply(request, status: .methodAttributeNotSupported).encoded()]
        }
    }

    private func unsupported(_ request: SAMAD) -> [[UInt8]] { [reply(request, status: .methodAttributeNotSupported).encoded()] }

    /// Records of `all` matching the request's component mask, as a Get or GetTable answer.
    private func query<R: SARecord>(_ all: [R], _ context: Context) -> [[UInt8]] {
        guard !R.layout.hasUnknownComponents(context.mask) else { return [reply(context.request, status: .saRequestInvalid).encoded()] }
        let asked = R(data: context.request.data)
        let mask = context.mask
        return respond(mask == 0 ? all : all.filter { $0.matches(asked, mask: mask) }, context)
    }

    /// Get: exactly one record; GetTable: any number, by RMPP.
    private func respond<R: SARecord>(_ records: [R], _ context: Context) -> [[UInt8]] {
        let request = context.request
        guard context.isTable else {
            guard let record = records.first else { return [reply(request, status: .saNoRecords).encoded()] }
            guard records.count == 1 else { return [reply(request, status: .saTooManyRecords).encoded()] }
            return [reply(request, status: .ok, data: record.bytes).encoded()]
        }
        let stride = Int(R.layout.attributeOffset) * 8
        guard records.count * stride <= options.maxTableBytes else { return [reply(request, status: .saNoResources).encoded()] }
        var data = [UInt8](repeating: 0, count: records.count * stride)
        for (index, record) in records.enumerated() { data.replaceSubrange((index * stride)..<(index * stride + R.layout.size), with: record.bytes) }
        var response = reply(request, status: .ok)
        response.attributeOffset = R.layout.attributeOffset
        let segments = RMPP.segments(of: response, data: data).map { $0.encoded() }
        guard segments.count > options.initialWindow else { return segments }
        let key = TransferKey(lid: context.requester.lid, queuePair: context.requester.queuePair, transactionID: request.transactionID)
        let admitted = state.withLock { state -> Bool in
            if state.transfers[key] == nil, state.transfers.count >= options.maxOpenTransfers {
                // A requester asking again without ever acknowledging an earlier answer has given it up (or
                // does no RMPP, as under umad2sim): its oldest such transfer makes room. Otherwise BUSY.
                guard let abandoned = state.transfers.filter({ $0.key.lid == key.lid && $0.key.queuePair == key.queuePair && $0.value.progress == 0 })
                    .min(by: { $0.value.serial < $1.value.serial })?.key else { return false }
                state.transfers[abandoned] = nil
            }
            state.nextTransferSerial += 1
            state.transfers[key] = RMPPTransfer(segments: segments, sentThrough: options.initialWindow, progress: 0, lastChecked: -1,
                                                serial: state.nextTransferSerial)
            return true
        }
        guard admitted else { return [reply(request, status: .busy).encoded()] }
        return Array(segments.prefix(options.initialWindow))
    }

    /// An RMPP ACK, STOP or ABORT from a receiver of a GetTable answer: the next window of segments.
    private func acknowledge(_ mad: SAMAD, from requester: SARequester) -> [[UInt8]] {
        guard mad.rmpp.isActive, let kind = mad.rmpp.kind, kind != .data, kind != .none else { return [] }
        let key = TransferKey(lid: requester.lid, queuePair: requester.queuePair, transactionID: mad.transactionID)
        return state.withLock { state in
            guard var transfer = state.transfers[key] else { return [] }
            guard kind == .ack else {
                state.transfers[key] = nil
                return []
            }
            let acknowledged = Int(mad.rmpp.data1)
            if acknowledged >= transfer.segments.count {
                state.transfers[key] = nil
                return []
            }
            let windowLast = min(max(Int(mad.rmpp.data2), acknowledged + 1), transfer.segments.count)
            // Resend from the first unacknowledged segment (a gap means the receiver lost some).
            let first = acknowledged + 1
            guard first <= windowLast else { return [] }
            transfer.sentThrough = max(transfer.sentThrough, windowLast)
            transfer.progress += 1
            state.transfers[key] = transfer
            return Array(transfer.segments[(first - 1)..<windowLast])
        }
    }

    /// A response to `request` with `status`: the same TID, attribute and modifier; on an error the
    /// request's own data, as OpenSM does.
    func reply(_ request: SAMAD, status: MADStatus, data: [UInt8]? = nil) -> SAMAD {
        SAMAD(method: request.method.response, attribute: request.attribute, attributeModifier: request.attributeModifier,
              transactionID: request.transactionID, status: status, smKey: 0, componentMask: request.componentMask,
              data: data ?? (status.isOK ? [] : request.data))
    }

    // MARK: Multicast, services, subscriptions

    private func multicast(_ context: Context) -> [[UInt8]] {
        let request = context.request
        guard !MCMemberRecord.layout.hasUnknownComponents(context.mask) else { return [reply(request, status: .saRequestInvalid).encoded()] }
        let asked = MCMemberRecord(data: request.data)
        switch request.method {
        case .set, .delete:
            let result = state.withLock { state in
                let result = request.method == .set
                    ? state.multicast.join(asked, mask: context.mask, requester: context.requesterEndport, trusted: context.trusted, snapshot: context.snapshot)
                    : state.multicast.leave(asked, mask: context.mask, requester: context.requesterEndport, trusted: context.trusted, snapshot: context.snapshot)
                if case .success = result { state.multicastGeneration += 1 }
                return result
            }
            switch result {
            case .success(let record): return [reply(request, status: .ok, data: record.bytes).encoded()]
            case .failure(.status(let status)): return [reply(request, status: status).encoded()]
            }
        default:
            let records = state.withLock {
                $0.multicast.records(matching: asked, mask: context.mask, requester: context.requesterEndport, trusted: context.trusted, snapshot: context.snapshot)
            }
            return respond(records, context)
        }
    }

    private func service(_ context: Context) -> [[UInt8]] {
        let request = context.request
        guard !ServiceRecord.layout.hasUnknownComponents(context.mask) else { return [reply(request, status: .saRequestInvalid).encoded()] }
        let asked = ServiceRecord(data: request.data)
        let mask = context.mask
        let ownGUID = context.requesterEndport.map { context.snapshot.lids.endports[$0].guid }
        switch request.method {
        case .set:
            // ServiceID and ServiceGID name a service; a host registers only for its own port.
            guard mask & 0x3 == 0x3 else { return [reply(request, status: .saInsufficientComponents).encoded()] }
            guard context.snapshot.endport(of: asked.serviceGID) != nil else { return [reply(request, status: .saInvalidGID).encoded()] }
            guard context.trusted || asked.serviceGID.guid == ownGUID else { return [reply(request, status: .saDenied).encoded()] }
            let status: MADStatus = state.withLock { state in
                state.services.removeAll { $0.serviceID == asked.serviceID && $0.serviceGID == asked.serviceGID && $0.serviceKey == asked.serviceKey }
                guard state.services.count < options.maxServices else { return .saNoResources }
                state.services.append(asked)
                return .ok
            }
            return [reply(request, status: status, data: status.isOK ? asked.bytes : nil).encoded()]
        case .delete:
            let removed: [ServiceRecord] = state.withLock { state in
                let doomed = state.services.filter { $0.matches(asked, mask: mask) && (context.trusted || $0.serviceGID.guid == ownGUID) }
                state.services.removeAll { record in doomed.contains(record) }
                return doomed
            }
            guard let first = removed.first else { return [reply(request, status: .saNoRecords).encoded()] }
            return [reply(request, status: .ok, data: first.bytes).encoded()]
        default:
            let records = state.withLock { $0.services.filter { $0.matches(asked, mask: mask) } }
            return respond(records, context)
        }
    }

    private func inform(_ context: Context) -> [[UInt8]] {
        let request = context.request
        let info = InformInfo(data: request.data)
        // Subscriptions are the requester's own: Reports go back to where the request came from.
        guard context.requesterEndport != nil || context.trusted else { return [reply(request, status: .saRequestInvalid).encoded()] }
        let status: MADStatus = state.withLock { state in
            if info.subscribe {
                guard !state.subscriptions.contains(where: { $0.subscriber == context.requester && $0.sameTarget(info) }) else { return .ok }
                guard state.subscriptions.count < options.maxSubscriptions else { return .saNoResources }
                state.subscriptions.append(Subscription(subscriber: context.requester, info: info))
                return .ok
            }
            let before = state.subscriptions.count
            state.subscriptions.removeAll { $0.subscriber == context.requester && $0.sameTarget(info) }
            return state.subscriptions.count < before ? .ok : .saRequestInvalid
        }
        return [reply(request, status: status, data: request.data).encoded()]
    }
}
