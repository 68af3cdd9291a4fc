import FabricModel
import IBWire
import Routing
import SubnetAdministration
import Synchronization

/// One SA agent over a small fat tree (16 hosts), kept across inputs so groups, services, subscriptions and
/// RMPP transfers build up as a hostile host's requests would make them.
let administrator: SubnetAdministrator = {
    let fabric = try! generateFabric(.fatTree2, options: GeneratorOptions(radix: 4))
    let sm = PortAddress(node: fabric.channelAdapters[0], port: 1)
    let lids = try! assignLIDs(fabric, options: LIDAssignmentOptions(lmc: 1, smPort: sm))
    let tables = computeMinHopRoutes(fabric, lids: lids)
    let partitions = try! PartitionConfiguration.parse("Default=0x7fff,ipoib:ALL=full; lab=0x2,ipoib:ALL_CAS=limited,SELF=full;", source: "fuzz")
    let sa = SubnetAdministrator(options: SAOptions(maxOpenTransfers: 8, maxServices: 64, maxSubscriptions: 64))
    // 64 MLIDs, not the default 1024: a fuzzer creates groups until the MLIDs run out, and rebuilding a
    // thousand trees every 64th input was most of its time (212 inputs/s); this way NO_RESOURCES is reached too.
    sa.publish(SASnapshot(fabric: fabric, lids: lids, tables: tables,
                          sm: SMIdentity(port: sm, guid: fabric[sm]!.guid, lid: lids.lid(of: sm)!), partitions: partitions,
                          options: PathOptions(defaultMulticastFDBCap: 64)))
    return sa
}()

/// Inputs run so far: the multicast trees (all groups' BFS) are rebuilt every 64th input, not every one.
let inputCount = Atomic<Int>(0)

/// libFuzzer entry point: two bytes of requester LID, then up to three MADs handled in order (a request,
/// then perhaps RMPP ACKs or more requests). `SAMAD(decoding:)` must decode or throw `WireError`, a decoded
/// MAD must re-encode to itself, and `handle` must answer every MAD with zero or more 256-byte SA MADs that
/// carry the request's transaction ID, without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSA(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SAMAD(decoding: bytes)
    guard bytes.count >= 2 else { return 0 }
    let requester = SARequester(lid: LID(UInt16(bytes[0]) << 8 | UInt16(bytes[1])), queuePair: 1)
    var offset = 2
    while offset < bytes.count {
        let mad = Array(bytes[offset..<min(offset + SAMAD.madSize, bytes.count)])
        offset += SAMAD.madSize
        if let decoded = try? SAMAD(decoding: mad) {
            checkRoundTrip(decoded)
            readRecords(decoded.data)
        }
        let answers = administrator.handle(mad, from: requester)
        var segments: [SAMAD] = []
        for answer in answers {
            guard answer.count == SAMAD.madSize, let reply = try? SAMAD(decoding: answer) else { fatalError("answer is not an SA MAD") }
            guard reply.method.isResponse else { fatalError("answer \(reply.method) is not a response") }
            if let request = try? SAMAD(decoding: mad), reply.transactionID != request.transactionID {
                fatalError("answer carries another transaction ID")
            }
            readRecords(reply.data)
            segments.append(reply)
        }
        if segments.count > 1 || segments.first?.rmpp.isActive == true { _ = RMPP.reassemble(segments) }
        _ = administrator.busyResponse(to: mad)
    }
    // Keep state bounded the way the daemon would: stalled transfers go, the programs stay computable.
    administrator.dropStalledTransfers()
    if inputCount.add(1, ordering: .relaxed).newValue % 64 == 0 { _ = administrator.multicastProgram.mlids.count }
    return 0
}

private func checkRoundTrip(_ mad: SAMAD) {
    let again: SAMAD
    do { again = try SAMAD(decoding: mad.encoded()) } catch { fatalError("re-encoded SA MAD no longer decodes: \(error)") }
    guard again == mad else { fatalError("SA MAD changed across encode/decode") }
}

/// Every typed view of 200 bytes of SA data reads without trapping.
private func readRecords(_ data: [UInt8]) {
    let path = PathRecord(data: data)
    _ = (path.dgid, path.sgid, path.dlid, path.slid, path.numbPath, path.pKey, path.sl, path.mtu, path.rate, path.packetLifeTime, path.reversible)
    let member = MCMemberRecord(data: data)
    _ = (member.mgid.description, member.portGID, member.qKey, member.mlid, member.joinState, member.scope, member.flowLabel)
    let node = NodeRecord(data: data)
    _ = (node.lid, node.nodeInfo.nodeType, node.nodeDescription.text)
    let port = PortInfoRecord(data: data)
    _ = (port.endportLID, port.portNumber, port.portInfo.state)
    let service = ServiceRecord(data: data)
    _ = (service.serviceID, service.serviceGID, service.name, service.lease)
    let inform = InformInfo(data: data)
    _ = (inform.gid, inform.trapNumber, inform.subscribe, inform.lidRangeBegin, inform.producerType)
    let notice = SANotice(data: data)
    _ = (notice.trapNumber, notice.detailsGID, notice.issuerGID)
    _ = (LinkRecord(data: data).toLID, SMInfoRecord(data: data).state, GUIDInfoRecord(data: data).guid(7))
    _ = (PKeyTableRecord(data: data).block.keys, LinearForwardingTableRecord(data: data).block.ports, SwitchInfoRecord(data: data).switchInfo.linearFDBCap)
    _ = ClassPortInfo(data: data).responseTimeValue
}
