import FabricModel
import IBWire
import Routing

/// A route as the switches' LFTs really forward a LID: what PathRecords report of it.
struct ForwardedPath: Hashable {
    /// Links crossed.
    var hops: Int
    /// Smallest MTU code along the links.
    var mtu: UInt8
    /// Slowest link, in 100 Mb/s units.
    var rate: UInt32
    /// Identifies the switch output ports taken (paths over different routes differ).
    var signature: UInt64
}

extension SASnapshot {
    /// Follows `dlid` from endport `source` through the LFTs, link by link, until it reaches
    /// `destination`; nil when it ends anywhere else, loops or runs past 64 hops. Reads only the
    /// snapshot's flat arrays: this is the PathRecord hot path.
    func forward(from source: PortAddress, to destination: PortAddress, dlid: LID) -> ForwardedPath? {
        let index = self.index
        var path = ForwardedPath(hops: 0, mtu: .max, rate: .max, signature: 0xcbf2_9ce4_8422_2325)
        if source == destination {
            if !index.isSwitch[source.node] {
                let slot = index.slot(source)
                return ForwardedPath(hops: 0, mtu: index.linkMTU[slot], rate: index.linkRate[slot], signature: path.signature)
            }
            return ForwardedPath(hops: 0, mtu: options.defaultMTU, rate: 25, signature: path.signature)
        }
        let destinationNode = Int32(destination.node), destinationPort = destination.port.rawValue
        guard Int(dlid.rawValue) < index.lidCount else { return nil }
        let lidRow = Int(dlid.rawValue) * index.switchCount
        // Locals, so the loop does no reference counting on the index's arrays.
        let entries = index.entries, nodes = index.walkNodes, links = index.walkLinks
        let unrouted = Int(LinearForwardingTableBlock.unrouted.rawValue)
        var node = source.node
        var out = nodes[node].slot >= 0 ? -1 : Int(source.port.rawValue)
        while path.hops <= 64 {
            if out < 0 {
                // At a switch: its LFT entry for the DLID.
                let slot = Int(nodes[node].slot)
                guard slot >= 0 else { return nil }
                out = Int(entries[lidRow + slot])
                if out == 0 {
                    return destinationNode == Int32(node) && destinationPort == 0 ? finish(path) : nil
                }
                guard out != unrouted else { return nil }
                path.signature = (path.signature ^ UInt64(node) << 8 ^ UInt64(out)) &* 0x100_0000_01b3
            }
            // Cross the link out of `out`.
            let slot = Int(nodes[node].portBase) + out
            guard slot < links.count else { return nil }
            let link = links[slot]
            guard link.remoteNode >= 0 else { return nil }
            path.mtu = min(path.mtu, link.mtu)
            path.rate = min(path.rate, link.rate)
            path.hops += 1
            if link.remoteNode == destinationNode && link.remotePort == destinationPort { return path }
            node = Int(link.remoteNode)
            guard nodes[node].slot >= 0 else { return nil }
            out = -1
        }
        return nil
    }

    private func finish(_ path: ForwardedPath) -> ForwardedPath {
        var path = path
        if path.mtu == .max { path.mtu = options.defaultMTU }
        if path.rate == .max { path.rate = 25 }
        return path
    }

    /// PacketLifeTime of a path of `hops` links: one hop's lifetime, doubled for every doubling of the hops.
    func packetLifeTime(hops: Int) -> UInt8 {
        var code = Int(options.hopLifeTime)
        var reach = 1
        while reach < hops {
            reach *= 2
            code += 1
        }
        return UInt8(min(code, 63))
    }

    /// The SL of traffic in the partition of `pKey` (partitions.conf `sl=`), 0 by default: routing is SL-blind.
    func serviceLevel(pKey: PKey) -> UInt8 { partitions.partitions.first { $0.pKey == pKey.base }?.sl ?? 0 }

    /// The P_Key two endports share: the source's key of the first partition both are in with one
    /// of them a full member. With `wanted`, only that partition.
    func commonPKey(source: Int, destination: Int, wanted: PKey?) -> PKey? {
        let sourceKeys = index.pKeyLists[Int(index.pKeyListOfEndport[source])]
        let destinationKeys = index.pKeyLists[Int(index.pKeyListOfEndport[destination])]
        for key in sourceKeys where wanted == nil || key.base == wanted!.base {
            if destinationKeys.contains(where: { key.canTalk(to: $0) }) { return key }
        }
        return nil
    }
}

/// The PathRecords that answer a query, or the SA status that refuses it.
extension SASnapshot {
    func pathRecords(query: PathRecord, mask: UInt64, requester: Int?, isTable: Bool) -> Result<[PathRecord], SAError> {
        typealias C = PathRecordComponent
        // Sources and destinations: by GID, by LID, or (source only) the requester's own port.
        func endports(gidBit: UInt64, lidBit: UInt64, gid: GID, lid: LID) -> Result<(endports: [Int], lid: LID?)?, SAError> {
            var chosen: Int?
            if mask & gidBit != 0 {
                if gid.isMulticast { return .failure(.status(.saNoRecords)) }
                guard let found = endport(of: gid) else { return .failure(.status(.saInvalidGID)) }
                chosen = found
            }
            if mask & lidBit != 0 {
                guard let owner = lids.endportIndex(of: lid) else { return .failure(.status(.saNoRecords)) }
                if let chosen, chosen != owner { return .failure(.status(.saNoRecords)) }
                return .success(([owner], lid))
            }
            return .success(chosen.map { ([$0], nil) })
        }
        let sourceChoice: (endports: [Int], lid: LID?)
        switch endports(gidBit: C.sgid, lidBit: C.slid, gid: query.sgid, lid: query.slid) {
        case .failure(let error): return .failure(error)
        case .success(let found?): sourceChoice = found
        case .success(nil):
            guard let requester else { return .failure(.status(.saRequestInvalid)) }
            sourceChoice = ([requester], nil)
        }
        let destinationChoice: (endports: [Int], lid: LID?)
        switch endports(gidBit: C.dgid, lidBit: C.dlid, gid: query.dgid, lid: query.dlid) {
        case .failure(let error): return .failure(error)
        case .success(let found?): destinationChoice = found
        case .success(nil):
            guard isTable else { return .failure(.status(.saInsufficientComponents)) }
            destinationChoice = (Array(lids.endports.indices), nil)
        }
        let limit: Int = if mask & C.numbPath != 0 && query.numbPath > 0 { Int(query.numbPath) } else { isTable ? 127 : 1 }
        let wantedKey: PKey? = mask & C.pKey != 0 ? query.pKey : nil

        var records: [PathRecord] = []
        for source in sourceChoice.endports {
            for destination in destinationChoice.endports {
                guard let key = commonPKey(source: source, destination: destination, wanted: wantedKey) else { continue }
                let sl = serviceLevel(pKey: key)
                if mask & C.sl != 0 && query.sl != sl { continue }
                let sourceEndport = lids.endports[source], destinationEndport = lids.endports[destination]
                if limit == 1 && (sourceEndport.count == 1 || sourceChoice.lid != nil) && (destinationEndport.count == 1 || destinationChoice.lid != nil) {
                    // One LID pair (no LMC, or LIDs named): the common case of RDMA-CM and IPoIB, without the pair lists.
                    let slid = sourceChoice.lid ?? sourceEndport.base, dlid = destinationChoice.lid ?? destinationEndport.base
                    guard let path = quickForward(from: sourceEndport.address, to: destinationEndport.address, dlid: dlid),
                          var record = describe(path, query: query, mask: mask) else { continue }
                    record.dgid = gid(ofEndport: destination)
                    record.sgid = gid(ofEndport: source)
                    record.dlid = dlid
                    record.slid = slid
                    record.pKey = key
                    record.sl = sl
                    record.reversible = reaches(from: destinationEndport.address, to: sourceEndport.address, lid: slid)
                    if mask & C.reversible != 0 && query.reversible && !record.reversible { continue }
                    records.append(record)
                    if !isTable { return .success(records) }
                    continue
                }
                let sourceLIDs = sourceChoice.lid.map { [$0] } ?? (0..<sourceEndport.count).map { LID(sourceEndport.base.rawValue + UInt16($0)) }
                let destinationLIDs = destinationChoice.lid.map { [$0] } ?? (0..<destinationEndport.count).map { LID(destinationEndport.base.rawValue + UInt16($0)) }
                // Pairs of LIDs: same offsets first (with LMC they take different routes), then the rest;
                // routes not taken yet before repeated ones.
                var pairs: [(LID, LID)] = []
                for (i, s) in sourceLIDs.enumerated() where i < destinationLIDs.count { pairs.append((s, destinationLIDs[i])) }
                for (i, s) in sourceLIDs.enumerated() { for (j, d) in destinationLIDs.enumerated() where i != j { pairs.append((s, d)) } }
                var fresh: [PathRecord] = [], repeated: [PathRecord] = []
                var seen: Set<UInt64> = []
                for (slid, dlid) in pairs {
                    if fresh.count >= limit { break }
                    guard let path = forward(from: sourceEndport.address, to: destinationEndport.address, dlid: dlid),
                          var record = describe(path, query: query, mask: mask) else { continue }
                    record.dgid = gid(ofEndport: destination)
                    record.sgid = gid(ofEndport: source)
                    record.dlid = dlid
                    record.slid = slid
                    record.pKey = key
                    record.sl = sl
                    record.reversible = forward(from: destinationEndport.address, to: sourceEndport.address, dlid: slid) != nil
                    if mask & C.reversible != 0 && query.reversible && !record.reversible { continue }
                    if seen.insert(path.signature).inserted { fresh.append(record) } else { repeated.append(record) }
                }
                let chosen = (fresh + repeated).prefix(limit)
                for (position, var record) in chosen.enumerated() {
                    record.preference = UInt8(min(position, 255))
                    records.append(record)
                }
                if !isTable && !records.isEmpty { return .success(records) }
            }
        }
        return .success(records)
    }

    /// A record of a path, with MTU, rate and lifetime as the selectors ask; nil when the path cannot give them.
    private func describe(_ path: ForwardedPath, query: PathRecord, mask: UInt64) -> PathRecord? {
        typealias C = PathRecordComponent
        var record = PathRecord()
        guard let mtu = select(path.mtu, wanted: query.mtu, selector: query.mtuSelector,
                               hasValue: mask & C.mtu != 0, hasSelector: mask & C.mtuSelector != 0, order: { UInt32($0) }),
              let rateValue = select(rateCode(for: path.rate), wanted: query.rate, selector: query.rateSelector,
                                     hasValue: mask & C.rate != 0, hasSelector: mask & C.rateSelector != 0, order: rate(ofCode:)),
              let life = selectLifeTime(packetLifeTime(hops: path.hops), query: query, mask: mask)
        else { return nil }
        record.mtuSelector = ValueSelector.exactly.rawValue
        record.mtu = mtu
        record.rateSelector = ValueSelector.exactly.rawValue
        record.rate = rateValue
        record.packetLifeTimeSelector = ValueSelector.exactly.rawValue
        record.packetLifeTime = life
        if mask & C.flowLabel != 0 { record.flowLabel = query.flowLabel }
        if mask & C.tClass != 0 { record.tClass = query.tClass }
        if mask & C.hopLimit != 0 { record.hopLimit = query.hopLimit }
        if mask & C.qosClass != 0 { record.qosClass = query.qosClass }
        return record
    }

    /// What the path offers (`available`) under a selector: the value to answer, nil when impossible.
    /// A value without a selector means exactly.
    private func select(_ available: UInt8, wanted: UInt8, selector: UInt8, hasValue: Bool, hasSelector: Bool,
                        order: (UInt8) -> UInt32) -> UInt8? {
        guard hasValue else { return available }
        let kind = hasSelector ? ValueSelector(rawValue: selector) ?? .exactly : .exactly
        switch kind {
        case .exactly: return order(wanted) != 0 && order(wanted) <= order(available) ? wanted : nil
        case .greaterThan: return order(available) > order(wanted) ? available : nil
        case .lessThan:
            if order(available) < order(wanted) { return available }
            // A slower setting the path can carry: the largest code below the wanted one.
            return nil
        case .largestAvailable: return available
        }
    }

    private func selectLifeTime(_ computed: UInt8, query: PathRecord, mask: UInt64) -> UInt8? {
        typealias C = PathRecordComponent
        guard mask & C.packetLifeTime != 0 else { return computed }
        let kind = mask & C.packetLifeTimeSelector != 0 ? ValueSelector(rawValue: query.packetLifeTimeSelector) ?? .exactly : .exactly
        let wanted = query.packetLifeTime
        switch kind {
        case .exactly: return computed <= wanted ? wanted : nil
        case .greaterThan: return max(computed, wanted &+ 1) <= 63 ? max(computed, wanted + 1) : nil
        case .lessThan: return computed < wanted ? computed : nil
        case .largestAvailable: return computed
        }
    }
}

/// Why a request is refused: an SA status.
enum SAError: Error, Equatable {
    case status(MADStatus)
}
