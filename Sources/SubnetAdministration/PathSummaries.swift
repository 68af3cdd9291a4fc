import FabricModel
import IBWire
import Routing

/// For every switch and LID, what following the LFTs from that switch to the LID's owner gives: links
/// crossed, smallest MTU, slowest link. Built once per snapshot (each entry once, like route
/// verification's walk), so a PathRecord reads one entry instead of walking the route switch by switch
/// (each step a cache miss in the tables). Routes these entries cannot describe (loops, dead ends, more
/// than 31 hops, more than 31 distinct link rates) are 0, and PathRecords walk them instead.
///
/// An entry is 16 bits: delivered (bit 15), hops (bits 10-14), MTU code (bits 7-9, 7: no link), rate level
/// (bits 2-6, an index into `rateLevels`, 31: no link).
struct PathSummaries: Sendable {
    /// LID-major, like the tables: `entries[lid * switchCount + slot]`.
    let entries: [UInt16]
    /// The distinct link rates of the fabric, ascending (100 Mb/s units).
    let rateLevels: [UInt32]
    /// Every switch's route to every assigned LID delivers: then any port on a switch reaches any LID, and
    /// a PathRecord's Reversible needs no second lookup.
    let deliversEverywhere: Bool

    static let noMTU: UInt16 = 7
    static let noRate: UInt16 = 31

    static func pack(hops: Int, mtu: UInt16, rate: UInt16) -> UInt16 {
        hops > 31 ? 0 : 0x8000 | UInt16(hops) << 10 | mtu << 7 | rate << 2
    }
    static func hops(_ entry: UInt16) -> Int { Int(entry >> 10 & 0x1F) }
    static func mtu(_ entry: UInt16) -> UInt16 { entry >> 7 & 0x7 }
    static func rate(_ entry: UInt16) -> UInt16 { entry >> 2 & 0x1F }

    /// One more link (of `mtu`, `rate`) in front of a summarized route.
    static func prepend(mtu: UInt16, rate: UInt16, to entry: UInt16) -> UInt16 {
        guard entry != 0 else { return 0 }
        return pack(hops: hops(entry) + 1, mtu: Swift.min(mtu, Self.mtu(entry)), rate: Swift.min(rate, Self.rate(entry)))
    }

    init(walkNodes: [SnapshotIndex.WalkNode], walkLinks: [SnapshotIndex.WalkLink], tableEntries: [UInt8], switches: [Int],
         lidCount: Int, lids: LIDAssignment) {
        let switchCount = switches.count
        let levels = Array(Set(walkLinks.filter { $0.remoteNode >= 0 }.map(\.rate))).sorted()
        rateLevels = levels
        guard levels.count < Int(Self.noRate), switchCount > 0 else {
            entries = []
            deliversEverywhere = false
            return
        }
        var levelOf: [UInt32: UInt16] = [:]
        for (level, rate) in levels.enumerated() { levelOf[rate] = UInt16(level) }
        let linkRate = walkLinks.map { levelOf[$0.rate] ?? Self.noRate }
        var summaries = [UInt16](repeating: 0, count: lidCount * switchCount)
        var doneStamp = [Int32](repeating: -1, count: switchCount)
        var pathStamp = [Int32](repeating: -1, count: switchCount)
        var path: [Int] = []
        var pathLinks: [Int] = []
        let unrouted = Int(LinearForwardingTableBlock.unrouted.rawValue)
        for lid in 1..<lidCount {
            guard let owner = lids.owner(of: LID(UInt16(lid))) else { continue }
            let row = lid * switchCount
            let stamp = Int32(lid)
            for start in 0..<switchCount where doneStamp[start] != stamp {
                path.removeAll(keepingCapacity: true)
                pathLinks.removeAll(keepingCapacity: true)
                var current = start
                var tail: UInt16 = 0
                while true {
                    if doneStamp[current] == stamp {
                        tail = summaries[row + current]
                        break
                    }
                    if pathStamp[current] == stamp {
                        tail = 0  // a loop
                        break
                    }
                    pathStamp[current] = stamp
                    let node = switches[current]
                    let out = Int(tableEntries[row + current])
                    if out == 0 {
                        // Ends here: delivered only if the LID is this switch's own.
                        doneStamp[current] = stamp
                        summaries[row + current] = owner == PortAddress(node: node, port: .management) ? Self.pack(hops: 0, mtu: Self.noMTU, rate: Self.noRate) : 0
                        tail = summaries[row + current]
                        break
                    }
                    let link = Int(walkNodes[node].portBase) + out
                    guard out != unrouted, link < walkLinks.count, walkLinks[link].remoteNode >= 0 else {
                        doneStamp[current] = stamp
                        summaries[row + current] = 0
                        tail = 0
                        break
                    }
                    let remote = walkLinks[link]
                    if Int(remote.remoteNode) == owner.node && remote.remotePort == owner.port.rawValue {
                        doneStamp[current] = stamp
                        summaries[row + current] = Self.pack(hops: 1, mtu: UInt16(remote.mtu), rate: linkRate[link])
                        tail = summaries[row + current]
                        break
                    }
                    let next = Int(walkNodes[Int(remote.remoteNode)].slot)
                    guard next >= 0 else {
                        doneStamp[current] = stamp
                        summaries[row + current] = 0
                        tail = 0
                        break
                    }
                    path.append(current)
                    pathLinks.append(link)
                    current = next
                }
                // The switches walked take the tail with their own link in front, last first.
                for position in stride(from: path.count - 1, through: 0, by: -1) {
                    let slot = path[position], link = pathLinks[position]
                    tail = Self.prepend(mtu: UInt16(walkLinks[link].mtu), rate: linkRate[link], to: tail)
                    summaries[row + slot] = tail
                    doneStamp[slot] = stamp
                }
            }
        }
        entries = summaries
        var delivers = true
        for lid in 1..<max(1, lidCount) where lids.owner(of: LID(UInt16(lid))) != nil {
            let row = lid * switchCount
            if summaries[row..<(row + switchCount)].contains(0) {
                delivers = false
                break
            }
        }
        deliversEverywhere = delivers
    }
}

extension SASnapshot {
    /// Whether a packet for `lid` (owned by `destination`) sent from `source` arrives: with every route
    /// delivering, at once for a port on a switch; else as `quickForward` finds.
    func reaches(from source: PortAddress, to destination: PortAddress, lid: LID) -> Bool {
        let summaries = index.summaries
        if summaries.deliversEverywhere, source != destination, Int(lid.rawValue) < index.lidCount, index.lids.owner(of: lid) == destination {
            let nodes = index.walkNodes
            if nodes[source.node].slot >= 0 { return true }
            let link = Int(nodes[source.node].portBase) + Int(source.port.rawValue)
            if link < index.walkLinks.count {
                let first = index.walkLinks[link]
                if first.remoteNode >= 0, nodes[Int(first.remoteNode)].slot >= 0 { return true }
            }
        }
        return quickForward(from: source, to: destination, dlid: lid) != nil
    }

    /// `forward` from the summaries: one table read instead of a walk; the walk when the summary has
    /// no answer. No route signature (callers that compare routes walk).
    func quickForward(from source: PortAddress, to destination: PortAddress, dlid: LID) -> ForwardedPath? {
        let summaries = index.summaries
        guard !summaries.entries.isEmpty, source != destination, Int(dlid.rawValue) < index.lidCount,
              index.lids.owner(of: dlid) == destination
        else { return forward(from: source, to: destination, dlid: dlid) }
        let row = Int(dlid.rawValue) * index.switchCount
        let nodes = index.walkNodes
        var entry: UInt16
        if nodes[source.node].slot >= 0 {
            entry = summaries.entries[row + Int(nodes[source.node].slot)]
        } else {
            let link = Int(nodes[source.node].portBase) + Int(source.port.rawValue)
            guard link < index.walkLinks.count else { return nil }
            let first = index.walkLinks[link]
            guard first.remoteNode >= 0, nodes[Int(first.remoteNode)].slot >= 0 else { return forward(from: source, to: destination, dlid: dlid) }
            let level = summaries.rateLevels.firstIndex(of: first.rate).map { UInt16($0) } ?? PathSummaries.noRate
            entry = PathSummaries.prepend(mtu: UInt16(first.mtu), rate: level,
                                          to: summaries.entries[row + Int(nodes[Int(first.remoteNode)].slot)])
        }
        guard entry != 0 else { return forward(from: source, to: destination, dlid: dlid) }
        let mtu = PathSummaries.mtu(entry), rate = PathSummaries.rate(entry)
        return ForwardedPath(hops: PathSummaries.hops(entry), mtu: mtu == PathSummaries.noMTU ? options.defaultMTU : UInt8(mtu),
                             rate: rate == PathSummaries.noRate ? 25 : summaries.rateLevels[Int(rate)], signature: 0)
    }
}
