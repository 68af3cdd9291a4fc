import FabricModel
import IBWire

/// A multicast group: its parameters (an MCMemberRecord with no port) and its members.
public struct MulticastGroup: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var joinState: UInt8
        public var proxyJoin: Bool
    }

    /// MGID, MLID, Q_Key, P_Key, MTU, rate, lifetime, SL, flow label, TClass, hop limit, scope.
    public var record: MCMemberRecord
    /// By port GUID.
    public var members: [GUID: Member]
    /// Created by the SM (an IPoIB broadcast group): kept when its last member leaves.
    public var wellKnown: Bool

    public var mgid: GID { record.mgid }
    public var mlid: LID { record.mlid }
}

/// The MGID of a partition's IPoIB broadcast group: ff1S:401b:PPPP::ffff:ffff (S the scope, PPPP the full-member P_Key).
public func ipoibBroadcastMGID(pKey: UInt16, scope: UInt8 = 2) -> GID {
    GID(prefix: 0xFF10_0000_0000_0000 | UInt64(scope & 0xF) << 48 | 0x401B << 32 | UInt64(pKey | 0x8000) << 16,
        interfaceID: 0x0000_0000_FFFF_FFFF)
}

/// The IPoIB Q_Key OpenSM gives broadcast groups.
public let ipoibQKey: UInt32 = 0x0B1B
/// PacketLifeTime of groups whose creator did not ask for one (OpenSM's subnet timeout default).
let defaultGroupLifeTime: UInt8 = 0x12

/// Every group, and the rules for joining, creating and leaving them.
struct MulticastState {
    var groups: [GID: MulticastGroup] = [:]
    var mgidCounter: UInt64 = 0

    var usedMLIDs: Set<LID> { Set(groups.values.map(\.mlid)) }

    func freeMLID(cap: Int) -> LID? {
        let used = usedMLIDs
        for offset in 0..<max(0, cap) {
            let mlid = LID(MulticastForwardingTableBlock.firstMLID + UInt16(offset))
            if !used.contains(mlid) { return mlid }
        }
        return nil
    }

    /// Creates the IPoIB broadcast group of every IPoIB partition that has none yet (default partition first).
    mutating func ensureIPoIBGroups(_ snapshot: SASnapshot) {
        let ordered = snapshot.partitions.partitions.sorted { ($0.pKey == 0x7FFF ? 0 : 1, $0.pKey) < ($1.pKey == 0x7FFF ? 0 : 1, $1.pKey) }
        for partition in ordered where partition.ipoib {
            for scope in partition.scopes {
                let mgid = ipoibBroadcastMGID(pKey: partition.pKey, scope: scope)
                guard groups[mgid] == nil, let mlid = freeMLID(cap: snapshot.index.multicastCap) else { continue }
                var record = MCMemberRecord()
                record.mgid = mgid
                record.mlid = mlid
                record.qKey = ipoibQKey
                record.pKey = PKey(partition.pKey | 0x8000)
                record.mtuSelector = ValueSelector.exactly.rawValue
                record.mtu = partition.mtu
                record.rateSelector = ValueSelector.exactly.rawValue
                record.rate = partition.rate
                record.packetLifeTimeSelector = ValueSelector.exactly.rawValue
                record.packetLifeTime = defaultGroupLifeTime
                record.sl = partition.sl
                record.scope = scope
                groups[mgid] = MulticastGroup(record: record, members: [:], wellKnown: true)
            }
        }
    }

    /// Drops members whose ports left the fabric, and the non-well-known groups left empty.
    mutating func prune(_ snapshot: SASnapshot) {
        for (mgid, var group) in groups {
            group.members = group.members.filter { snapshot.index.endportByGUID[$0.key] != nil }
            if group.members.isEmpty && !group.wellKnown { groups[mgid] = nil } else { groups[mgid] = group }
        }
    }

    /// Members by endport address, per MLID (what the trees are built from).
    func memberAddresses(_ snapshot: SASnapshot) -> [(mlid: LID, members: [PortAddress])] {
        groups.values.map { group in
            (group.mlid, group.members.keys.compactMap { guid in snapshot.index.endportByGUID[guid].map { snapshot.lids.endports[$0].address } }.sorted())
        }
    }

    // MARK: Join (SubnAdmSet)

    mutating func join(_ query: MCMemberRecord, mask: UInt64, requester: Int?, trusted: Bool, snapshot: SASnapshot) -> Result<MCMemberRecord, SAError> {
        typealias C = MCMemberComponent
        let required = C.mgid | C.portGID | C.joinState
        guard mask & required == required else { return .failure(.status(.saInsufficientComponents)) }
        guard query.joinState != 0 else { return .failure(.status(.saRequestInvalid)) }
        guard let endport = snapshot.endport(of: query.portGID) else { return .failure(.status(.saInvalidGID)) }
        // A host joins only for its own port; only a trusted requester (SM_Key) may join for others.
        guard trusted || requester == endport else { return .failure(.status(.saRequestInvalid)) }
        let guid = snapshot.lids.endports[endport].guid
        let portSlot = snapshot.index.slot(snapshot.lids.endports[endport].address)
        let portMTU = snapshot.fabric[snapshot.lids.endports[endport].address.node].type == .switch
            ? snapshot.options.defaultMTU : snapshot.index.linkMTU[portSlot]
        let portRate = snapshot.fabric[snapshot.lids.endports[endport].address.node].type == .switch
            ? UInt32.max : snapshot.index.linkRate[portSlot]
        let portKeys = snapshot.index.pKeys[endport]

        if !query.mgid.isZero, var group = groups[query.mgid] {
            // Join: every component given must agree with the group.
            let group0 = group.record
            if mask & C.qKey != 0 && query.qKey != group0.qKey { return .failure(.status(.saRequestInvalid)) }
            if mask & C.pKey != 0 && query.pKey.base != group0.pKey.base { return .failure(.status(.saRequestInvalid)) }
            if mask & C.mlid != 0 && query.mlid != .unassigned && query.mlid != group0.mlid { return .failure(.status(.saRequestInvalid)) }
            if mask & C.sl != 0 && query.sl != group0.sl { return .failure(.status(.saRequestInvalid)) }
            if mask & C.flowLabel != 0 && query.flowLabel != group0.flowLabel { return .failure(.status(.saRequestInvalid)) }
            if mask & C.tClass != 0 && query.tClass != group0.tClass { return .failure(.status(.saRequestInvalid)) }
            if mask & C.hopLimit != 0 && query.hopLimit != group0.hopLimit { return .failure(.status(.saRequestInvalid)) }
            if mask & C.mtu != 0 && !satisfies(group0.mtu, wanted: query.mtu, selector: mask & C.mtuSelector != 0 ? query.mtuSelector : 2, order: { UInt32($0) }) {
                return .failure(.status(.saRequestInvalid))
            }
            if mask & C.rate != 0 && !satisfies(group0.rate, wanted: query.rate, selector: mask & C.rateSelector != 0 ? query.rateSelector : 2, order: rate(ofCode:)) {
                return .failure(.status(.saRequestInvalid))
            }
            if mask & C.packetLifeTime != 0 && !satisfies(group0.packetLifeTime, wanted: query.packetLifeTime,
                                                          selector: mask & C.packetLifeTimeSelector != 0 ? query.packetLifeTimeSelector : 2, order: { UInt32($0) }) {
                return .failure(.status(.saRequestInvalid))
            }
            // The port must be in the group's partition and its link must carry the group's MTU and rate.
            guard portKeys.contains(where: { $0.base == group0.pKey.base }) else { return .failure(.status(.saRequestInvalid)) }
            guard portMTU >= group0.mtu, portRate >= rate(ofCode: group0.rate) else { return .failure(.status(.saRequestInvalid)) }
            var member = group.members[guid] ?? MulticastGroup.Member(joinState: 0, proxyJoin: false)
            member.joinState |= query.joinState
            member.proxyJoin = member.proxyJoin || (mask & C.proxyJoin != 0 && query.proxyJoin)
            // Out of the table first, so the members change in place: a copy per join made a burst of
            // joins to one group quadratic.
            groups[query.mgid] = nil
            group.members[guid] = member
            groups[query.mgid] = group
            return .success(answer(group, portGID: query.portGID, member: member))
        }

        // Create.
        let create = required | C.qKey | C.pKey | C.sl | C.flowLabel | C.tClass
        guard mask & create == create else { return .failure(.status(.saInsufficientComponents)) }
        guard query.joinState & 0x1 != 0 else { return .failure(.status(.saRequestInvalid)) }
        guard query.pKey.isValid, portKeys.contains(where: { $0.base == query.pKey.base }) else { return .failure(.status(.saRequestInvalid)) }
        var mgid = query.mgid
        if mgid.isZero {
            // An SA-assigned MGID: ff1S:a01b:PPPP::counter.
            mgidCounter += 1
            let scope = UInt64(mask & C.scope != 0 && query.scope != 0 ? query.scope : 2)
            mgid = GID(prefix: 0xFF10_0000_0000_0000 | scope << 48 | 0xA01B << 32 | UInt64(query.pKey.rawValue | 0x8000) << 16, interfaceID: mgidCounter)
        } else {
            guard mgid.isMulticast else { return .failure(.status(.saInvalidGID)) }
            let signature = UInt16(truncatingIfNeeded: mgid.prefix >> 32)
            // The SA-assigned signature is the SA's to give; IPoIB groups carry the IPoIB Q_Key.
            if signature == 0xA01B { return .failure(.status(.saRequestInvalid)) }
            if signature == 0x401B && query.qKey != ipoibQKey { return .failure(.status(.saRequestInvalid)) }
            guard mgid.multicastScope != 0, mgid.multicastFlags & 0x1 != 0 || mgid.multicastFlags == 0 else {
                return .failure(.status(.saRequestInvalid))
            }
        }
        guard let mtu = choose(portMTU, wanted: query.mtu, selector: query.mtuSelector, given: mask & C.mtu != 0,
                               hasSelector: mask & C.mtuSelector != 0, order: { UInt32($0) }),
              let rateCodeValue = choose(rateCode(for: portRate == .max ? 1000 : portRate), wanted: query.rate, selector: query.rateSelector,
                                         given: mask & C.rate != 0, hasSelector: mask & C.rateSelector != 0, order: rate(ofCode:))
        else { return .failure(.status(.saRequestInvalid)) }
        guard let mlid = freeMLID(cap: snapshot.index.multicastCap) else { return .failure(.status(.saNoResources)) }
        var record = MCMemberRecord()
        record.mgid = mgid
        record.mlid = mlid
        record.qKey = query.qKey
        record.pKey = PKey(query.pKey.rawValue | 0x8000)
        record.mtuSelector = ValueSelector.exactly.rawValue
        record.mtu = mtu
        record.rateSelector = ValueSelector.exactly.rawValue
        record.rate = rateCodeValue
        record.packetLifeTimeSelector = ValueSelector.exactly.rawValue
        record.packetLifeTime = mask & C.packetLifeTime != 0 ? query.packetLifeTime : defaultGroupLifeTime
        record.sl = query.sl
        record.flowLabel = query.flowLabel
        record.tClass = query.tClass
        record.hopLimit = mask & C.hopLimit != 0 ? query.hopLimit : 0
        record.scope = mgid.multicastScope
        let member = MulticastGroup.Member(joinState: query.joinState, proxyJoin: mask & C.proxyJoin != 0 && query.proxyJoin)
        let group = MulticastGroup(record: record, members: [guid: member], wellKnown: false)
        groups[mgid] = group
        return .success(answer(group, portGID: query.portGID, member: member))
    }

    // MARK: Leave (SubnAdmDelete)

    mutating func leave(_ query: MCMemberRecord, mask: UInt64, requester: Int?, trusted: Bool, snapshot: SASnapshot) -> Result<MCMemberRecord, SAError> {
        typealias C = MCMemberComponent
        let required = C.mgid | C.portGID | C.joinState
        guard mask & required == required else { return .failure(.status(.saInsufficientComponents)) }
        guard var group = groups[query.mgid] else { return .failure(.status(.saRequestInvalid)) }
        let guid = query.portGID.guid
        if !trusted {
            guard let requester, snapshot.lids.endports[requester].guid == guid else { return .failure(.status(.saRequestInvalid)) }
        }
        guard var member = group.members[guid] else { return .failure(.status(.saRequestInvalid)) }
        member.joinState &= ~query.joinState
        if member.joinState == 0 { group.members[guid] = nil } else { group.members[guid] = member }
        if group.members.isEmpty && !group.wellKnown { groups[query.mgid] = nil } else { groups[query.mgid] = group }
        return .success(answer(group, portGID: query.portGID, member: member))
    }

    // MARK: Query (SubnAdmGet, SubnAdmGetTable)

    /// Trusted requesters see one record per member; others see each group once with no port in it,
    /// plus their own memberships.
    func records(matching query: MCMemberRecord, mask: UInt64, requester: Int?, trusted: Bool, snapshot: SASnapshot) -> [MCMemberRecord] {
        var result: [MCMemberRecord] = []
        let ownGUID = requester.map { snapshot.lids.endports[$0].guid }
        for group in groups.values.sorted(by: { $0.mlid < $1.mlid }) {
            var candidates: [MCMemberRecord] = []
            for (guid, member) in group.members.sorted(by: { $0.key < $1.key }) where trusted || guid == ownGUID {
                candidates.append(answer(group, portGID: GID(port: guid, prefix: snapshot.subnetPrefix), member: member))
            }
            // One record per group for an untrusted requester, as OpenSM answers: its own membership, or the
            // group with no port GID (osmtest -f m checks that MGIDs do not repeat).
            let ownMembership = ownGUID.map { group.members[$0] != nil } ?? false
            if (!trusted && !ownMembership) || group.members.isEmpty { candidates.append(group.record) }
            result += candidates.filter { $0.matches(query, mask: mask) }
        }
        return result
    }

    private func answer(_ group: MulticastGroup, portGID: GID, member: MulticastGroup.Member) -> MCMemberRecord {
        var record = group.record
        record.portGID = portGID
        record.joinState = member.joinState
        record.proxyJoin = member.proxyJoin
        return record
    }

    /// Whether a group's value meets a join's selector.
    private func satisfies(_ value: UInt8, wanted: UInt8, selector: UInt8, order: (UInt8) -> UInt32) -> Bool {
        switch ValueSelector(rawValue: selector) ?? .exactly {
        case .exactly: order(value) == order(wanted)
        case .greaterThan: order(value) > order(wanted)
        case .lessThan: order(value) < order(wanted)
        case .largestAvailable: true
        }
    }

    /// A new group's value: what the creator asks for, within what its port can carry.
    private func choose(_ available: UInt8, wanted: UInt8, selector: UInt8, given: Bool, hasSelector: Bool, order: (UInt8) -> UInt32) -> UInt8? {
        guard given else { return available }
        switch hasSelector ? ValueSelector(rawValue: selector) ?? .exactly : .exactly {
        case .exactly: return order(wanted) != 0 && order(wanted) <= order(available) ? wanted : nil
        case .greaterThan: return order(available) > order(wanted) ? available : nil
        case .lessThan: return order(available) < order(wanted) ? available : nil
        case .largestAvailable: return available
        }
    }
}
