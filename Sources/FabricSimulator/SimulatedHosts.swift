import FabricModel
import IBTransport
import IBWire
import Synchronization

/// A host's SA client on the in-process fabric: it asks the SA at its port's MasterSMLID over QP1, as
/// the kernel's sa_query does, retrying what times out or comes back BUSY, and counts both.
public final class SimulatedSAClient: Sendable {
    public let fabric: SimulatedFabric
    public let port: PortAddress
    public let transport: SimulatorTransport
    public let timeout: Duration
    public let attempts: Int
    private let counters = Mutex<SAClientCounters>(SAClientCounters())

    public init(fabric: SimulatedFabric, port: PortAddress, timeout: Duration = .seconds(2), attempts: Int = 4) {
        self.fabric = fabric
        self.port = port
        self.transport = SimulatorTransport(fabric: fabric, attachment: port)
        self.timeout = timeout
        self.attempts = attempts
    }

    public var statistics: SAClientCounters { counters.withLock { $0 } }

    /// The port's GID: the subnet prefix the SM wrote and the port GUID (GID table entry 0).
    public var portGID: GID? {
        guard let info = fabric.portInfo(port), let guid = fabric.portGUID(port) else { return nil }
        return GID(port: guid, prefix: info.gidPrefix)
    }

    /// One SA request and its answer: the answer's SA header and its data, every record of a GetTable
    /// (reassembled from RMPP by the fabric, as the kernel does); nil when no answer came in any attempt.
    /// A BUSY answer is retried like a timeout.
    public func ask(_ method: SAMethod, _ attribute: SAAttributeID, mask: UInt64 = 0, record: [UInt8] = [], smKey: UInt64 = 0)
        async -> SAAnswer?
    {
        for attempt in 0..<attempts {
            guard let sm = fabric.portInfo(port)?.masterSMLID, sm != .unassigned else { return nil }
            let request = SAMAD(method: method, attribute: attribute, transactionID: TransactionIDs.next(), smKey: smKey,
                                componentMask: mask, data: record)
            counters.withLock { $0.requests += 1 }
            guard let arrived = try? await transport.exchangeMAD(request.encoded(), to: .generalServices(sm), timeout: timeout),
                  arrived.bytes.count >= SAMAD.madSize, let header = try? SAMAD(decoding: Array(arrived.bytes.prefix(SAMAD.madSize)))
            else {
                counters.withLock { $0.timeouts += 1 }
                continue
            }
            if header.status == .busy {
                counters.withLock { $0.busy += 1 }
                // Backing off, as IPoIB's join task does before it tries again.
                try? await Task.sleep(for: .milliseconds(20 * (attempt + 1)))
                continue
            }
            let data = Array(arrived.bytes.dropFirst(SAMAD.madSize - SAMAD.dataSize))
            return SAAnswer(header: header, data: data)
        }
        return nil
    }

    public func close() async { await transport.close() }
}

public struct SAClientCounters: Sendable, Equatable {
    public var requests = 0
    public var timeouts = 0
    public var busy = 0
}

/// An SA answer: the SA header as received and the data after it (one record, or all of a GetTable's).
public struct SAAnswer: Sendable {
    public var header: SAMAD
    public var data: [UInt8]
    public var status: MADStatus { header.status }

    /// The records of a GetTable answer, cut at AttributeOffset (8-byte words).
    public func records<R: SARecord>(_ type: R.Type) -> [R] {
        let size = Int(header.attributeOffset) * 8
        guard size > 0 else { return [] }
        return stride(from: 0, to: data.count - size + 1, by: size).map { R(data: Array(data[$0..<($0 + size)])) }
    }

    public func record<R: SARecord>(_ type: R.Type) -> R { R(data: Array(data.prefix(SAMAD.dataSize))) }
}

/// What Linux IPoIB does to bring an interface up, on a simulated host: the port must be ACTIVE and the
/// interface's P_Key in the port's table; sa_query reads the SA's ClassPortInfo; IPoIB joins the
/// partition's broadcast group with only MGID, PortGID, P_Key and JoinState (it cannot create it) and
/// has carrier once that join succeeds. Unicast peers are found with PathRecord Gets of DGID, SGID,
/// NumbPath, TClass and P_Key (ipoib_main.c, path_rec_start).
public final class IPoIBInterface: Sendable {
    public let sa: SimulatedSAClient
    /// The interface's P_Key with the full-member bit (nil: the parent interface, table entry 0's).
    public let configuredPKey: PKey?

    public init(_ sa: SimulatedSAClient, pKey: PKey? = nil) {
        self.sa = sa
        self.configuredPKey = pKey
    }

    /// Why an interface has no carrier.
    public enum NoCarrier: Error, Equatable, Sendable {
        case portNotActive
        /// ipoib_pkey_dev_check_presence: the P_Key is not in the port's table.
        case pKeyNotInTable(PKey)
        case noClassPortInfo
        case joinFailed(MADStatus?)
    }

    /// The interface's P_Key: as configured, or table entry 0 with the full-member bit (IPoIB sets it so
    /// that a limited member joins the same broadcast group).
    public var pKey: PKey? {
        if let configuredPKey { return PKey(configuredPKey.rawValue | 0x8000) }
        guard let first = sa.fabric.pKeys(sa.port).first, first.isValid else { return nil }
        return PKey(first.rawValue | 0x8000)
    }

    /// The broadcast MGID of the interface's partition: ff12:401b:PPPP::ffff:ffff (IPoIB's broadcast
    /// hardware address without its QPN).
    public static func broadcastMGID(pKey: PKey) -> GID {
        GID(prefix: 0xFF12_401B_0000_0000 | UInt64(pKey.rawValue) << 16, interfaceID: 0xFFFF_FFFF)
    }

    /// Brings the interface up: the broadcast group's record (MLID, Q_Key, MTU, rate, SL) once it has
    /// carrier.
    public func bringUp() async throws(NoCarrier) -> MCMemberRecord {
        guard sa.fabric.portInfo(sa.port)?.state == .active else { throw .portNotActive }
        guard let pKey else { throw .pKeyNotInTable(configuredPKey ?? .invalid) }
        // ib_find_pkey: the key's base in the table, full membership preferred but not required.
        guard sa.fabric.pKeys(sa.port).contains(where: { $0.isValid && $0.base == pKey.base }) else { throw .pKeyNotInTable(pKey) }
        guard let info = await sa.ask(.get, .classPortInfo), info.status == .ok else { throw .noClassPortInfo }
        guard let portGID = sa.portGID else { throw .portNotActive }
        var join = MCMemberRecord()
        join.mgid = Self.broadcastMGID(pKey: pKey)
        join.portGID = portGID
        join.pKey = pKey
        join.joinState = 1
        typealias C = MCMemberComponent
        guard let answer = await sa.ask(.set, .mcMemberRecord, mask: C.mgid | C.portGID | C.pKey | C.joinState, record: join.bytes)
        else { throw .joinFailed(nil) }
        guard answer.status == .ok else { throw .joinFailed(answer.status) }
        // ipoib_mcast_carrier_on_task: carrier only while the port is still ACTIVE.
        guard sa.fabric.portInfo(sa.port)?.state == .active else { throw .portNotActive }
        return answer.record(MCMemberRecord.self)
    }

    /// The PathRecord IPoIB asks for to reach `destination`, with the broadcast group's TClass.
    public func path(to destination: GID, tClass: UInt8 = 0) async -> SAAnswer? {
        guard let source = sa.portGID, let pKey else { return nil }
        var query = PathRecord()
        query.dgid = destination
        query.sgid = source
        query.numbPath = 1
        query.tClass = tClass
        query.pKey = pKey
        typealias C = PathRecordComponent
        return await sa.ask(.get, .pathRecord, mask: C.dgid | C.sgid | C.numbPath | C.tClass | C.pKey, record: query.bytes)
    }
}

/// What RDMA-CM asks the SA to resolve a route (cma.c, cma_query_ib_route, for an AF_INET id): DGID,
/// SGID, P_Key, NumbPath 1, Reversible, the ServiceID of the port space and port, and the QoS class
/// from the ToS.
public struct RDMACMResolver: Sendable {
    public let sa: SimulatedSAClient
    public init(_ sa: SimulatedSAClient) { self.sa = sa }

    /// RDMA_PS_TCP's ServiceID for `port`: 0x0000000001060000 | port.
    public static func serviceID(tcpPort: UInt16) -> UInt64 { 0x0106 << 16 | UInt64(tcpPort) }

    /// `rdma_resolve_route` to `destination` over the partition of `pKey` (the IPoIB device's).
    public func resolveRoute(to destination: GID, pKey: PKey = .defaultFull, tcpPort: UInt16 = 18515, typeOfService: UInt8 = 0) async -> SAAnswer? {
        guard let source = sa.portGID else { return nil }
        var query = PathRecord()
        query.dgid = destination
        query.sgid = source
        query.pKey = pKey
        query.numbPath = 1
        query.reversible = true
        query.serviceID = Self.serviceID(tcpPort: tcpPort)
        query.qosClass = UInt16(typeOfService)
        typealias C = PathRecordComponent
        let serviceIDBits: UInt64 = 1 << 0 | 1 << 1
        return await sa.ask(.get, .pathRecord, mask: C.dgid | C.sgid | C.pKey | C.numbPath | C.reversible | serviceIDBits | C.qosClass,
                            record: query.bytes)
    }
}

extension IPoIBInterface {
    /// Joins a multicast group other than the broadcast one, as IPoIB does for the addresses the stack
    /// listens on: the broadcast group's Q_Key, MTU and rate (selector exactly), TClass, SL, FlowLabel and
    /// HopLimit, so the SA may create the group (RFC 4391; ipoib_multicast.c, ipoib_mcast_join).
    public func join(_ mgid: GID, like broadcast: MCMemberRecord) async -> SAAnswer? {
        guard let portGID = sa.portGID, let pKey else { return nil }
        var join = MCMemberRecord()
        join.mgid = mgid
        join.portGID = portGID
        join.pKey = pKey
        join.joinState = 1
        join.qKey = broadcast.qKey
        join.mtuSelector = ValueSelector.exactly.rawValue
        join.mtu = broadcast.mtu
        join.tClass = broadcast.tClass
        join.rateSelector = ValueSelector.exactly.rawValue
        join.rate = broadcast.rate
        join.sl = broadcast.sl
        join.flowLabel = broadcast.flowLabel
        join.hopLimit = broadcast.hopLimit
        typealias C = MCMemberComponent
        let mask = C.mgid | C.portGID | C.pKey | C.joinState | C.qKey | C.mtuSelector | C.mtu | C.tClass | C.rateSelector | C.rate
            | C.sl | C.flowLabel | C.hopLimit
        return await sa.ask(.set, .mcMemberRecord, mask: mask, record: join.bytes)
    }

    /// The IPv6 all-nodes group of the interface's partition as IPoIB maps it: ff12:601b:PPPP::1.
    public static func allNodesMGID(pKey: PKey) -> GID {
        GID(prefix: 0xFF12_601B_0000_0000 | UInt64(pKey.rawValue) << 16, interfaceID: 1)
    }
}

/// A simulated Linux host running IPoIB on one port: it brings the interface up and, on even-numbered
/// hosts, joins the IPv6 all-nodes group too; after a ClientReregister it does it all again (the kernel's
/// IB_EVENT_CLIENT_REREGISTER flushes IPoIB's groups and restarts the joins).
public struct IPoIBHost: Sendable {
    public let interface: IPoIBInterface
    public init(_ sa: SimulatedSAClient) { interface = IPoIBInterface(sa) }

    /// What a round of joins gave: per MLID its members, and what went wrong.
    public struct Joins: Sendable {
        public var groups: [LID: [PortAddress]] = [:]
        public var failures: [String] = []
    }

    /// Brings every host up at once (index parity chooses who joins all-nodes). With `onlyIfAsked`, a host
    /// first waits (up to 30 s) for its port's ClientReregister and clears it once it has joined again.
    public static func joinAll(_ hosts: [IPoIBHost], onlyIfAsked: Bool = false) async -> Joins {
        await withTaskGroup(of: (PortAddress, [LID], String?).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    let sa = host.interface.sa
                    if onlyIfAsked {
                        let clock = ContinuousClock(), deadline = clock.now + .seconds(30)
                        while sa.fabric.portInfo(sa.port)?.clientReregister != true, clock.now < deadline {
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                        guard sa.fabric.portInfo(sa.port)?.clientReregister == true else { return (sa.port, [], "no ClientReregister") }
                    }
                    let broadcast: MCMemberRecord
                    do { broadcast = try await host.interface.bringUp() } catch { return (sa.port, [], "no carrier: \(error)") }
                    var mlids = [broadcast.mlid]
                    if index % 2 == 0, let pKey = host.interface.pKey {
                        guard let answer = await host.interface.join(IPoIBInterface.allNodesMGID(pKey: pKey), like: broadcast), answer.status == .ok
                        else { return (sa.port, mlids, "all-nodes join failed") }
                        mlids.append(answer.record(MCMemberRecord.self).mlid)
                    }
                    if onlyIfAsked { sa.fabric.acknowledgeClientReregistration(sa.port) }
                    return (sa.port, mlids, nil)
                }
            }
            var joins = Joins()
            for await (port, mlids, failure) in group {
                if let failure { joins.failures.append("node \(port.node) port \(port.port): \(failure)") }
                for mlid in mlids { joins.groups[mlid, default: []].append(port) }
            }
            return joins
        }
    }
}
