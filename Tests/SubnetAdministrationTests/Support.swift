import FabricModel
import IBWire
import Routing
import SubnetAdministration
import TestSupport

/// A fabric with LIDs, min-hop tables and an SM at its first host, published to a fresh SA.
struct SAHarness {
    var fabric: Fabric
    var lids: LIDAssignment
    var tables: ForwardingTables
    var snapshot: SASnapshot
    let sa: SubnetAdministrator
    static let smKey: UInt64 = 0x5EC2E7

    init(_ fabric: Fabric, lmc: UInt8 = 0, partitions: PartitionConfiguration = .openSMDefault, state: SMState = .master,
         options: SAOptions = SAOptions(), pathOptions: PathOptions = PathOptions()) throws {
        let smNode = fabric.channelAdapters.first!
        let smPort = PortAddress(node: smNode, port: fabric[smNode].knownPorts.first { $0.remote != nil }!.number)
        self.fabric = fabric
        lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc, smPort: smPort))
        tables = computeMinHopRoutes(fabric, lids: lids)
        let sm = SMIdentity(port: smPort, guid: fabric[smPort]!.guid, lid: lids.lid(of: smPort)!, priority: 5, state: state, smKey: Self.smKey)
        snapshot = SASnapshot(fabric: fabric, lids: lids, tables: tables, sm: sm, partitions: partitions, options: pathOptions)
        sa = SubnetAdministrator(options: options)
        sa.publish(snapshot)
    }

    init(_ kind: FabricKind, _ options: GeneratorOptions, lmc: UInt8 = 0, partitions: PartitionConfiguration = .openSMDefault) throws {
        try self.init(try generateFabric(kind, options: options), lmc: lmc, partitions: partitions)
    }

    /// The first linked port of the node described `name`.
    func port(_ name: String) -> PortAddress {
        let node = fabric.nodes.firstIndex { $0.description == name }!
        if fabric[node].type == .switch { return PortAddress(node: node, port: .management) }
        return PortAddress(node: node, port: fabric[node].knownPorts.first { $0.remote != nil }!.number)
    }
    func lid(_ name: String) -> LID { lids.lid(of: port(name))! }
    func gid(_ name: String) -> GID { GID(port: fabric[port(name)]!.guid) }
    func requester(_ name: String) -> SARequester { SARequester(lid: lid(name), queuePair: 1) }

    /// Sends one request; returns the decoded answers.
    @discardableResult
    func ask(_ method: SAMethod, _ attribute: SAAttributeID, mask: UInt64 = 0, data: [UInt8] = [], from: String, trusted: Bool = false,
             transactionID: UInt64 = 0x42) -> [SAMAD] {
        let request = SAMAD(method: method, attribute: attribute, transactionID: transactionID, smKey: trusted ? Self.smKey : 0,
                            componentMask: mask, data: data)
        return sa.handle(request.encoded(), from: requester(from)).map { try! SAMAD(decoding: $0) }
    }

    /// A GetTable carried to the end: the receiver ACKs with window `window`, like a kernel RMPP receiver.
    /// Returns the status and the reassembled records, split at AttributeOffset.
    func table<R: SARecord>(_ type: R.Type, mask: UInt64 = 0, query: R? = nil, from: String, trusted: Bool = false, window: UInt32 = 16,
                            transactionID: UInt64 = 0x77) -> (status: MADStatus, records: [R], segments: Int) {
        let request = SAMAD(method: .getTable, attribute: R.attribute, transactionID: transactionID, smKey: trusted ? Self.smKey : 0,
                            componentMask: mask, data: query?.bytes ?? [])
        var received: [SAMAD] = []
        var pending = sa.handle(request.encoded(), from: requester(from)).map { try! SAMAD(decoding: $0) }
        var rounds = 0
        while let last = pending.last, rounds < 10_000 {
            rounds += 1
            received += pending
            guard last.status.isOK, last.rmpp.isActive else { break }
            if last.rmpp.flags & RMPPHeader.flagLast != 0 {
                _ = sa.handle(RMPP.ack(for: last, received: last.rmpp.data1, windowLast: last.rmpp.data1).encoded(), from: requester(from))
                break
            }
            let ack = RMPP.ack(for: last, received: last.rmpp.data1, windowLast: last.rmpp.data1 + window)
            pending = sa.handle(ack.encoded(), from: requester(from)).map { try! SAMAD(decoding: $0) }
        }
        guard let first = received.first else { return (MADStatus(rawValue: 0xFFFF), [], 0) }
        guard first.status.isOK else { return (first.status, [], received.count) }
        let data = RMPP.reassemble(received)!
        let stride = Int(first.attributeOffset) * 8
        let records = stride == 0 ? [] : stride.multiplesUpTo(data.count).map { R(data: data[$0..<($0 + stride)]) }
        return (first.status, records, received.count)
    }
}

extension Int {
    func multiplesUpTo(_ limit: Int) -> [Int] { Swift.stride(from: 0, to: limit, by: self).map { $0 } }
}

extension SAMAD {
    func record<R: SARecord>(_ type: R.Type) -> R { R(data: data) }
}

/// A walk of the LFTs written independently of the SA: the (switch, output port) pairs from `source`
/// to `destination` for `dlid`, or nil.
func walkLFTs(_ fabric: Fabric, _ tables: ForwardingTables, from source: PortAddress, to destination: PortAddress, dlid: LID) -> [PortAddress]? {
    var hops: [PortAddress] = []
    var here = source
    if fabric[source.node].type != .switch {
        hops.append(source)
        guard let remote = fabric[source]?.remote else { return nil }
        if remote == destination { return hops }
        here = remote
    }
    for _ in 0..<64 {
        let node = here.node
        guard fabric[node].type == .switch else { return nil }
        let out = tables.port(switch: node, lid: dlid)
        if out == .management { return PortAddress(node: node, port: .management) == destination ? hops : nil }
        let exit = PortAddress(node: node, port: out)
        hops.append(exit)
        guard let remote = fabric[exit]?.remote else { return nil }
        if remote == destination { return hops }
        here = remote
    }
    return nil
}
