import IBWire

/// Where an SA request came from (the daemon reads it from the received MAD's address).
public struct SARequester: Hashable, Sendable {
    public var lid: LID
    public var queuePair: UInt32
    public init(lid: LID, queuePair: UInt32 = 1) {
        self.lid = lid
        self.queuePair = queuePair
    }
}

/// A MAD the daemon should send: a Report to a subscriber.
public struct OutboundMAD: Hashable, Sendable {
    public var destination: SARequester
    public var mad: [UInt8]
}

/// What changed between two published snapshots, as SA traps describe it.
public enum SubnetEvent: Hashable, Sendable {
    /// Trap 64: a port's GID came into service.
    case gidInService(GID)
    /// Trap 65: a port's GID went out of service.
    case gidOutOfService(GID)

    public var trapNumber: UInt16 {
        switch self {
        case .gidInService: 64
        case .gidOutOfService: 65
        }
    }
    public var gid: GID {
        switch self {
        case .gidInService(let gid), .gidOutOfService(let gid): gid
        }
    }
}

/// One InformInfo subscription.
struct Subscription: Hashable {
    var subscriber: SARequester
    var info: InformInfo

    /// True when a generic notice of `trap` about `lid` concerns this subscription.
    func wants(trap: UInt16, type: UInt16, producer: UInt32, lid: LID?) -> Bool {
        guard info.isGeneric else { return false }
        if info.trapNumber != 0xFFFF && info.trapNumber != trap { return false }
        if info.type != 0xFFFF && info.type != type { return false }
        if info.producerType != 0xFF_FFFF && info.producerType != producer { return false }
        // LID range filter (0xFFFF: every LID).
        if info.lidRangeBegin != LID(0xFFFF), let lid {
            let end = info.lidRangeEnd == .unassigned ? info.lidRangeBegin : info.lidRangeEnd
            if lid < info.lidRangeBegin || lid > end { return false }
        }
        return true
    }

    /// Same subscription (what an unsubscribe names): subscriber, trap, type, producer and range.
    func sameTarget(_ other: InformInfo) -> Bool {
        info.trapNumber == other.trapNumber && info.type == other.type && info.producerType == other.producerType
            && info.isGeneric == other.isGeneric && info.lidRangeBegin == other.lidRangeBegin && info.lidRangeEnd == other.lidRangeEnd
            && info.gid == other.gid
    }
}

/// Notice type and producer of traps 64/65: informational (4), produced by a class manager (the SM, 4).
let smNoticeType: UInt16 = 4
let smProducerType: UInt32 = 4

extension SASnapshot {
    /// Trap 64 for every endport that is new, 65 for every one that is gone, comparing with `previous`.
    func events(since previous: SASnapshot?) -> [SubnetEvent] {
        guard let previous else { return [] }
        let before = Set(previous.lids.endports.map(\.guid))
        let now = Set(lids.endports.map(\.guid))
        let gone = before.subtracting(now).sorted().map { SubnetEvent.gidOutOfService(GID(port: $0, prefix: subnetPrefix)) }
        let new = now.subtracting(before).sorted().map { SubnetEvent.gidInService(GID(port: $0, prefix: subnetPrefix)) }
        return gone + new
    }

    /// The Notice of an event, issued by this SM.
    func notice(for event: SubnetEvent) -> SANotice {
        var notice = SANotice()
        notice.isGeneric = true
        notice.type = UInt8(smNoticeType)
        notice.producerType = smProducerType
        notice.trapNumber = event.trapNumber
        notice.issuerLID = sm.lid
        notice.detailsGID = event.gid
        notice.issuerGID = GID(port: sm.guid, prefix: subnetPrefix)
        return notice
    }
}
