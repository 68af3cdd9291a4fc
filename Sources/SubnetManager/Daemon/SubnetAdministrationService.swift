import FabricModel
import IBTransport
import IBWire
import Logging
import Routing
import SubnetAdministration
import Synchronization

/// The SA of the running SM: the inbound task hands it class-0x03 MADs, a task of its own answers them from
/// the snapshot the last configuration pass published, and the loop publishes snapshots after its passes.
///
/// Answering never waits for a pass (the snapshot is immutable, `SubnetAdministrator` holds it behind a
/// lock taken only to read it). Requests wait in a bounded queue: past `DaemonOptions.saQueueLimit` the
/// inbound task answers BUSY at once. Only a MASTER answers; in any other state requests are dropped,
/// as OpenSM's SA is silent while it is not master.
public final class SubnetAdministrationService: Sendable {
    public let sa: SubnetAdministrator
    let transport: any MADTransport
    let logger: Logger
    let queueLimit: Int
    /// Requests admitted, in order (bounded by the shares below, not by the queue).
    private let queue = InboundQueue()
    /// Requests waiting, in all and by the LID they came from.
    private let waiting = Mutex(QueueShares())
    /// What one requester (a LID) may have waiting: a host that floods gets BUSY beyond it, the others' requests
    /// still find room and are answered in turn.
    let requesterLimit: Int
    private let counters = Mutex(SAServiceCounters())

    init(transport: any MADTransport, queueLimit: Int, requesterLimit: Int = 1024, logger: Logger) {
        self.sa = SubnetAdministrator()
        self.transport = transport
        self.queueLimit = max(1, queueLimit)
        self.requesterLimit = max(1, min(requesterLimit, queueLimit))
        self.logger = logger
    }

    /// What the SA has done so far.
    public var statistics: SAServiceCounters { counters.withLock { $0 } }

    /// The address an answer to `source` goes to: the requester's QP with the general services Q_Key and
    /// the P_Key index the request came with.
    static func replyAddress(to source: MADAddress) -> MADAddress {
        MADAddress(lid: source.lid, queuePair: source.queuePair, qKey: MADAddress.generalServicesQKey,
                   serviceLevel: source.serviceLevel, pKeyIndex: source.pKeyIndex)
    }

    /// From the inbound task: queues `mad`, or answers BUSY when the queue is full or its requester already has
    /// its share waiting. Never blocks on the SA.
    func accept(_ mad: InboundMAD, master: Bool) async {
        guard master else {
            counters.withLock { $0.droppedNotMaster += 1 }
            return
        }
        let (queueLimit, requesterLimit) = (self.queueLimit, self.requesterLimit)
        let admitted = waiting.withLock { shares -> Bool in
            guard shares.total < queueLimit, shares.byRequester[mad.source.lid, default: 0] < requesterLimit else { return false }
            shares.total += 1
            shares.byRequester[mad.source.lid, default: 0] += 1
            return true
        }
        if !admitted {
            let kind = SAAnswerKind(request: mad.header, status: .busy)
            counters.withLock { $0.busy += 1; $0.count(kind) }
            if let busy = sa.busyResponse(to: mad.bytes) {
                try? await transport.post(busy, to: Self.replyAddress(to: mad.source))
            }
            return
        }
        queue.yield(mad)
    }

    /// Answers queued requests until cancelled.
    func serve(isMaster: @Sendable () -> Bool) async {
        while let mad = await queue.next() {
            waiting.withLock { shares in
                shares.total -= 1
                let left = shares.byRequester[mad.source.lid, default: 1] - 1
                shares.byRequester[mad.source.lid] = left > 0 ? left : nil
            }
            if Task.isCancelled { break }
            // A request queued while we were MASTER is not answered once we are not.
            guard isMaster() else {
                counters.withLock { $0.droppedNotMaster += 1 }
                continue
            }
            let replies = sa.handle(mad.bytes, from: SARequester(lid: mad.source.lid, queuePair: mad.source.queuePair))
            // Requests are counted by how they were answered; RMPP ACKs and other responses only in `requests`.
            let kind = SAMethod(rawValue: mad.header.method).isResponse ? nil
                : SAAnswerKind(request: mad.header, status: replies.first.map(SAAnswerKind.status(of:)))
            counters.withLock { counters in
                counters.requests += 1
                counters.replies += replies.count
                if let kind { counters.count(kind) }
            }
            logger.debug("SA: method 0x\(String(mad.header.method, radix: 16)) attribute 0x\(String(mad.header.attributeID, radix: 16)) from \(mad.source): \(replies.count) answer(s)")
            let address = Self.replyAddress(to: mad.source)
            for reply in replies {
                do throws(TransportError) {
                    try await transport.post(reply, length: Self.wireLength(of: reply), to: address)
                } catch {
                    counters.withLock { $0.sendFailures += 1 }
                    logger.debug("SA answer to \(address) not sent: \(error)")
                }
            }
        }
    }

    func finish() { queue.finish() }

    /// How many bytes of an answer go on the wire: a GetTable answer in one RMPP segment ends with its last
    /// record (the headers' 36 bytes before the SA header, plus PayloadLength, which counts the SA header),
    /// as OpenSM sends it; everything else is a whole MAD.
    static func wireLength(of reply: [UInt8]) -> Int {
        guard let mad = try? SAMAD(decoding: reply), mad.rmpp.isActive,
              mad.rmpp.flags & RMPPHeader.flagFirst != 0, mad.rmpp.flags & RMPPHeader.flagLast != 0 else { return SMP.madSize }
        return min(SMP.madSize, 36 + Int(mad.rmpp.data2))
    }

    /// Publishes what a configuration pass left and sends the Reports (traps 64/65) to subscribers.
    func publish(_ report: SweepReport, own: OwnSMInfo, partitions: PartitionConfiguration) async {
        guard let snapshot = Self.snapshot(of: report, own: own, partitions: partitions) else { return }
        let events = sa.publish(snapshot)
        let reports = sa.reports(for: events, nextTransactionID: { TransactionIDs.next() })
        for report in reports {
            let address = MADAddress(lid: report.destination.lid, queuePair: report.destination.queuePair, qKey: MADAddress.generalServicesQKey)
            try? await transport.post(report.mad, to: address)
        }
        counters.withLock { $0.snapshots += 1; $0.reports += reports.count }
    }

    /// The SA's view of a configured subnet, with us (MASTER) as its SM; nil when our own port is unknown.
    static func snapshot(of report: SweepReport, own: OwnSMInfo, partitions: PartitionConfiguration) -> SASnapshot? {
        let fabric = report.discovery.fabric
        guard let origin = fabric.origin, let port = fabric[origin], let lid = report.lids.lid(of: origin) else { return nil }
        let sm = SMIdentity(port: origin, guid: port.guid, lid: lid, priority: own.priority, state: .master, smKey: own.smKey,
                            activityCount: own.activityCount)
        return SASnapshot(fabric: fabric, lids: report.lids, tables: report.tables, sm: sm, partitions: partitions,
                          virtualLanes: report.virtualLanes)
    }
}

/// Counts of what the running SA did.
public struct SAServiceCounters: Sendable, Equatable {
    /// Requests handed to the SA library, and the MADs it answered with.
    public var requests = 0
    public var replies = 0
    /// Requests answered BUSY because the queue was full.
    public var busy = 0
    /// Requests (not responses or RMPP ACKs) by attribute, method and the status answered, BUSY included.
    /// Attribute and method come from the requester: past `kindLimit` kinds, new ones count as `.other`.
    public var answers: [SAAnswerKind: Int] = [:]
    public static let kindLimit = 256

    mutating func count(_ kind: SAAnswerKind) {
        if answers[kind] != nil || answers.count < Self.kindLimit {
            answers[kind, default: 0] += 1
        } else {
            answers[.other, default: 0] += 1
        }
    }
    /// Requests dropped because we were not MASTER.
    public var droppedNotMaster = 0
    public var sendFailures = 0
    public var snapshots = 0
    /// Report(Notice) MADs sent to subscribers.
    public var reports = 0
}

/// What an SA request asked for and how it was answered: the key of the SA's counters.
public struct SAAnswerKind: Hashable, Sendable, Comparable {
    public var attribute: SAAttributeID
    public var method: SAMethod
    /// The status of the answer; nil when nothing was answered (a request the SA ignores: not a 256-byte
    /// SA MAD, or no MASTER snapshot).
    public var status: MADStatus?

    public init(attribute: SAAttributeID, method: SAMethod, status: MADStatus?) {
        self.attribute = attribute
        self.method = method
        self.status = status
    }

    init(request header: MADHeader, status: MADStatus?) {
        self.init(attribute: SAAttributeID(rawValue: header.attributeID), method: SAMethod(rawValue: header.method), status: status)
    }

    /// The status field (bytes 4-5) of an answer MAD.
    static func status(of reply: [UInt8]) -> MADStatus {
        reply.count >= 6 ? MADStatus(rawValue: UInt16(reply[4]) << 8 | UInt16(reply[5])) : .ok
    }

    /// Where requests of kinds past `SAServiceCounters.kindLimit` are counted (a host sending every
    /// attribute and method there is must not grow the counters without bound).
    public static let other = SAAnswerKind(attribute: SAAttributeID(rawValue: 0xFFFF), method: SAMethod(rawValue: 0xFF), status: nil)

    public static func < (a: SAAnswerKind, b: SAAnswerKind) -> Bool {
        (a.attribute.rawValue, a.method.rawValue, a.status?.rawValue ?? .max) < (b.attribute.rawValue, b.method.rawValue, b.status?.rawValue ?? .max)
    }
}

/// The SA queue's occupancy, in all and by requester LID.
struct QueueShares {
    var total = 0
    var byRequester: [LID: Int] = [:]
}
