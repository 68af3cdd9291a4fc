import FabricModel
import IBWire

/// What `assignLIDs` needs besides the fabric.
public struct LIDAssignmentOptions: Sendable {
    /// LID mask control, 0...7: every CA and router port gets 2^lmc LIDs (switches only with an
    /// enhanced port 0).
    public var lmc: UInt8
    /// The SM's own port: it is given its LID before any other port.
    public var smPort: PortAddress?
    /// The guid2lid table of an earlier run, if any.
    public var persisted: GUID2LIDTable?
    /// Keep valid LIDs the ports already hold (true, the default). False ignores them, like
    /// OpenSM's `reassign_lids`: persisted entries, then fresh LIDs.
    public var keepCurrentLIDs: Bool

    public init(lmc: UInt8 = 0, smPort: PortAddress? = nil, persisted: GUID2LIDTable? = nil, keepCurrentLIDs: Bool = true) {
        self.lmc = lmc
        self.smPort = smPort
        self.persisted = persisted
        self.keepCurrentLIDs = keepCurrentLIDs
    }
}

/// Why LIDs could not be assigned. One line.
public enum LIDAssignmentError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidLMC(UInt8)
    /// The SM port given is not an endport (switch port 0 or a linked CA/router port).
    case smPortNotEndport(String)
    /// No free aligned block of `size` LIDs at or below `limit` for a port.
    case outOfLIDs(port: String, size: Int, limit: LID, endports: Int, needed: Int)

    public var description: String {
        switch self {
        case .invalidLMC(let lmc): "LMC \(lmc) is not in 0...7"
        case .smPortNotEndport(let port): "the SM port \(port) is neither a switch port 0 nor a linked CA or router port"
        case .outOfLIDs(let port, let size, let limit, let endports, let needed):
            "out of LIDs: no free block of \(size) for \(port) at or below LID \(limit) (\(endports) endports need at least \(needed) LIDs)"
        }
    }
}

/// The LIDs of every endport of a fabric.
///
/// Endports are every switch's port 0 and every CA or router port with a link. A CA or router port
/// holds an aligned block of 2^LMC LIDs (its base LID a multiple of 2^LMC); a switch holds one LID,
/// or 2^LMC when its port 0 is enhanced (`SwitchInfo.enhancedPort0`).
public struct LIDAssignment: Sendable {
    /// One endport and its LIDs.
    public struct Endport: Hashable, Sendable {
        public var address: PortAddress
        /// The port GUID (a switch: its port 0 GUID, which all its ports share).
        public var guid: GUID
        public var base: LID
        /// 1 or 2^LMC.
        public var count: Int
        public var range: LIDRange { LIDRange(first: base, last: LID(base.rawValue + UInt16(count - 1))) }
    }

    public let lmc: UInt8
    /// The highest LID that could be given (the smallest LinearFDBCap - 1, at most 0xBFFF).
    public let limit: LID
    /// Every endport that has LIDs, ordered by address (node index, then port).
    public let endports: [Endport]
    /// Base LID per endport.
    public let baseLIDs: [PortAddress: LID]
    /// Notes on what was not kept as found: invalid or clashing current LIDs, dropped persisted
    /// entries, reused LIDs remembered for absent ports.
    public let problems: [String]
    /// Persisted entries of ports not in this fabric that do not clash with it (kept for `table`).
    let remembered: [GUID: LIDRange]
    /// Endport index per LID, 0...maxLID (-1: nobody).
    let ownerIndex: [Int32]
    let indexByAddress: [PortAddress: Int]

    init(lmc: UInt8, limit: LID, endports: [Endport], problems: [String], remembered: [GUID: LIDRange]) {
        self.lmc = lmc
        self.limit = limit
        self.endports = endports.sorted { $0.address < $1.address }
        self.problems = problems
        self.remembered = remembered
        var bases: [PortAddress: LID] = [:]
        var indices: [PortAddress: Int] = [:]
        bases.reserveCapacity(endports.count)
        indices.reserveCapacity(endports.count)
        var top = 0
        for (index, endport) in self.endports.enumerated() {
            bases[endport.address] = endport.base
            indices[endport.address] = index
            top = max(top, Int(endport.base.rawValue) + endport.count - 1)
        }
        var owners = [Int32](repeating: -1, count: top + 1)
        for (index, endport) in self.endports.enumerated() {
            for lid in Int(endport.base.rawValue)..<(Int(endport.base.rawValue) + endport.count) { owners[lid] = Int32(index) }
        }
        baseLIDs = bases
        indexByAddress = indices
        ownerIndex = owners
    }

    /// The base LID of an endport, nil if it has none.
    public func lid(of address: PortAddress) -> LID? { baseLIDs[address] }

    /// All LIDs of an endport (one, or 2^LMC), empty if it has none.
    public func lids(of address: PortAddress) -> [LID] {
        guard let index = indexByAddress[address] else { return [] }
        let endport = endports[index]
        return (0..<endport.count).map { LID(endport.base.rawValue + UInt16($0)) }
    }

    /// The endport that answers to `lid` (any LID of its LMC range).
    public func owner(of lid: LID) -> PortAddress? {
        guard let index = endportIndex(of: lid) else { return nil }
        return endports[index].address
    }

    /// Index into `endports` of the owner of `lid`.
    public func endportIndex(of lid: LID) -> Int? {
        let value = Int(lid.rawValue)
        guard value < ownerIndex.count, ownerIndex[value] >= 0 else { return nil }
        return Int(ownerIndex[value])
    }

    /// The highest LID assigned (0 if none).
    public var maxLID: LID { LID(UInt16(ownerIndex.count - 1)) }

    /// Every assigned LID, ascending.
    public var allLIDs: [LID] { ownerIndex.indices.filter { ownerIndex[$0] >= 0 }.map { LID(UInt16($0)) } }

    /// How many LIDs are assigned.
    public var lidCount: Int { endports.reduce(0) { $0 + $1.count } }

    /// The assignment as a guid2lid table to persist: every endport, plus the persisted entries of
    /// ports not in this fabric that clash with nothing here (as OpenSM keeps them).
    public var table: GUID2LIDTable {
        var entries = remembered
        for endport in endports { entries[endport.guid] = endport.range }
        return GUID2LIDTable(entries: entries)
    }
}

extension LIDAssignment {
    /// The LIDs the endports of `fabric` already hold (`FabricPort.lid`), e.g. a fabric parsed from
    /// `ibnetdiscover` output after another SM configured it. With `lmc` nil each port's own LMC
    /// field gives its LID count; otherwise CA/router ports get 2^lmc and switches 1 (2^lmc with an
    /// enhanced port 0). Ports without a LID are left out; a LID range overlapping an earlier one
    /// (by address) is left out and noted in `problems`.
    public init(observedIn fabric: Fabric, lmc: UInt8? = nil) {
        var endports: [Endport] = []
        var problems: [String] = []
        var taken: [Int: PortAddress] = [:]
        for candidate in fabricEndports(fabric) {
            guard let port = fabric[candidate.address], port.lid.isUnicast else { continue }
            let bits = lmc.map { candidate.lmcCapable ? $0 : 0 } ?? min(port.lmc, 7)
            let count = 1 << Int(bits)
            let base = Int(port.lid.rawValue)
            guard base + count - 1 <= Int(LID.maxUnicast.rawValue) else {
                problems.append("\(fabric.describe(candidate.address)): LIDs \(base)-\(base + count - 1) run past 0xBFFF, left out")
                continue
            }
            if let clash = (base..<(base + count)).first(where: { taken[$0] != nil }) {
                problems.append("\(fabric.describe(candidate.address)): LID \(clash) is also held by \(fabric.describe(taken[clash]!)), left out")
                continue
            }
            for lid in base..<(base + count) { taken[lid] = candidate.address }
            endports.append(Endport(address: candidate.address, guid: candidate.guid, base: port.lid, count: count))
        }
        self.init(lmc: lmc ?? 0, limit: fabric.lidLimit, endports: endports, problems: problems, remembered: [:])
    }
}

/// An endport as the fabric shows it, before it has LIDs.
struct EndportCandidate {
    var address: PortAddress
    var guid: GUID
    /// Takes 2^LMC LIDs (CA and router ports, switches with an enhanced port 0).
    var lmcCapable: Bool
}

/// Every switch's port 0 and every linked CA/router port, by address.
func fabricEndports(_ fabric: Fabric) -> [EndportCandidate] {
    var result: [EndportCandidate] = []
    for (index, node) in fabric.nodes.enumerated() {
        if node.type == .switch {
            guard let port0 = node.ports.first ?? nil else { continue }
            result.append(EndportCandidate(
                address: PortAddress(node: index, port: .management), guid: port0.guid,
                lmcCapable: node.switchInfo?.enhancedPort0 == true))
        } else {
            for port in node.knownPorts where port.remote != nil {
                result.append(EndportCandidate(address: PortAddress(node: index, port: port.number), guid: port.guid, lmcCapable: true))
            }
        }
    }
    return result
}

extension Fabric {
    /// The highest LID every switch can route: the smallest LinearFDBCap - 1 over the switches
    /// whose SwitchInfo is known (49151 when unknown), at most 0xBFFF.
    public var lidLimit: LID {
        var limit = Int(LID.maxUnicast.rawValue)
        for node in nodes where node.type == .switch {
            if let cap = node.switchInfo?.linearFDBCap, cap > 0 { limit = min(limit, cap - 1) }
        }
        return LID(UInt16(max(0, limit)))
    }
}

/// Gives every endport of `fabric` its LIDs.
///
/// Rules, in order (a port keeps the first of these that is valid for it):
/// 1. The SM's own port (`options.smPort`) goes first: its current LID, else its persisted entry,
///    else the lowest free block.
/// 2. Current LIDs (`FabricPort.lid`, as read from the fabric) are kept when valid: unicast, base a
///    multiple of the port's LID count, the whole block at or below the limit and not already
///    taken. Ports claim them in port GUID order, so when two ports hold the same LID **the lower
///    GUID keeps it** and the other is reassigned. (Unlike OpenSM, which lets guid2lid override
///    the LIDs it finds, current LIDs win: they are what the fabric is routing with right now, so
///    keeping them disturbs no traffic; the guid2lid file then learns them.)
/// 3. Ports still without LIDs take their persisted guid2lid entry when its first LID is valid for
///    them as above (a range persisted for another LMC is re-sized from its first LID).
/// 4. The rest, in port GUID order, take the lowest free aligned block, avoiding the LIDs persisted
///    for ports absent from the fabric while any other block is free (so a port that comes back
///    finds its LIDs), and reusing them only when nothing else is left (noted in `problems`).
/// Never above `fabric.lidLimit` (the smallest LinearFDBCap - 1, at most 0xBFFF); when a block does
/// not fit, `LIDAssignmentError.outOfLIDs`. Deterministic: the same fabric and options give the
/// same LIDs, whatever the node order.
public func assignLIDs(_ fabric: Fabric, options: LIDAssignmentOptions = LIDAssignmentOptions()) throws(LIDAssignmentError) -> LIDAssignment {
    guard options.lmc <= 7 else { throw .invalidLMC(options.lmc) }
    let candidates = fabricEndports(fabric)
    let limit = Int(fabric.lidLimit.rawValue)
    let lmcSize = 1 << Int(options.lmc)
    func size(_ c: EndportCandidate) -> Int { c.lmcCapable ? lmcSize : 1 }

    // Claim order: the SM port first, then port GUID order (address breaks ties).
    var order = Array(candidates.indices)
    order.sort { (candidates[$0].guid, candidates[$0].address) < (candidates[$1].guid, candidates[$1].address) }
    if let smPort = options.smPort {
        guard let at = order.firstIndex(where: { candidates[$0].address == smPort }) else {
            throw .smPortNotEndport(smPort.node < fabric.nodes.count ? fabric.describe(smPort) : "\(smPort.node)[\(smPort.port)]")
        }
        order.insert(order.remove(at: at), at: 0)
    }

    var owner = [Int32](repeating: -1, count: limit + 1)
    var base = [Int](repeating: 0, count: candidates.count)
    var problems: [String] = []
    let persisted = options.persisted?.entries ?? [:]
    func name(_ i: Int) -> String { fabric.describe(candidates[i].address) }

    /// Why `first` cannot be the base LID of candidate `i`, nil if it can.
    func reject(_ i: Int, _ first: Int) -> String? {
        let count = size(candidates[i])
        if first < 1 || first > Int(LID.maxUnicast.rawValue) { return "LID \(first) is not unicast" }
        if first % count != 0 { return "LID \(first) is not a multiple of \(count) (LMC \(options.lmc))" }
        if first + count - 1 > limit { return "LIDs \(first)-\(first + count - 1) exceed the limit \(limit)" }
        for lid in first..<(first + count) where owner[lid] >= 0 {
            return "LID \(lid) is taken by \(name(Int(owner[lid])))"
        }
        return nil
    }
    func take(_ i: Int, _ first: Int) {
        base[i] = first
        for lid in first..<(first + size(candidates[i])) { owner[lid] = Int32(i) }
    }
    func claimCurrent(_ i: Int) -> Bool {
        guard options.keepCurrentLIDs, let lid = fabric[candidates[i].address]?.lid, lid != .unassigned else { return false }
        if let why = reject(i, Int(lid.rawValue)) {
            problems.append("\(name(i)): current \(why), reassigned")
            return false
        }
        take(i, Int(lid.rawValue))
        return true
    }
    func claimPersisted(_ i: Int) -> Bool {
        guard let range = persisted[candidates[i].guid] else { return false }
        if let why = reject(i, Int(range.first.rawValue)) {
            problems.append("\(name(i)): persisted \(why), not used")
            return false
        }
        take(i, Int(range.first.rawValue))
        return true
    }

    // LIDs persisted for ports that are not here (kept free while possible).
    var reserved = [Bool](repeating: false, count: limit + 1)
    let present = Set(candidates.map(\.guid))
    var remembered: [GUID: LIDRange] = [:]
    for (guid, range) in persisted where !present.contains(guid) {
        remembered[guid] = range
        for lid in Int(range.first.rawValue)...Int(range.last.rawValue) where lid <= limit { reserved[lid] = true }
    }
    var cursors: [Int: Int] = [:]  // per block size: no free unreserved block below this
    var fallbackCursors: [Int: Int] = [:]  // per block size: no free block at all below this

    func assignFresh(_ i: Int) throws(LIDAssignmentError) {
        let count = size(candidates[i])
        func free(_ first: Int, avoidingReserved: Bool) -> Bool {
            for lid in first..<(first + count) where owner[lid] >= 0 || (avoidingReserved && reserved[lid]) { return false }
            return true
        }
        var first = cursors[count] ?? count
        while first + count - 1 <= limit, !free(first, avoidingReserved: true) { first += count }
        cursors[count] = first
        if first + count - 1 > limit {
            first = fallbackCursors[count] ?? count
            while first + count - 1 <= limit, !free(first, avoidingReserved: false) { first += count }
            fallbackCursors[count] = first
            guard first + count - 1 <= limit else {
                let needed = candidates.reduce(0) { $0 + size($1) }
                throw .outOfLIDs(port: name(i), size: count, limit: LID(UInt16(limit)), endports: candidates.count, needed: needed)
            }
            problems.append("\(name(i)): LIDs \(first)-\(first + count - 1) were persisted for a port not in the fabric, reused")
        }
        take(i, first)
    }
    // The SM port, then current LIDs, then persisted entries, then fresh blocks.
    var rest = order[...]
    if options.smPort != nil, let sm = rest.popFirst() {
        if !claimCurrent(sm) && !claimPersisted(sm) { try assignFresh(sm) }
    }
    var pending: [Int] = []
    for i in rest where !claimCurrent(i) { pending.append(i) }
    var fresh: [Int] = []
    for i in pending where !claimPersisted(i) { fresh.append(i) }
    for i in fresh { try assignFresh(i) }

    // Remembered entries that now clash with a port here are forgotten.
    for (guid, range) in remembered {
        let clashes = (Int(range.first.rawValue)...Int(range.last.rawValue)).contains { $0 > limit || owner[$0] >= 0 }
        if clashes { remembered[guid] = nil }
    }
    let endports = candidates.indices.map { i in
        LIDAssignment.Endport(address: candidates[i].address, guid: candidates[i].guid, base: LID(UInt16(base[i])), count: size(candidates[i]))
    }
    return LIDAssignment(lmc: options.lmc, limit: LID(UInt16(limit)), endports: endports, problems: problems, remembered: remembered)
}
