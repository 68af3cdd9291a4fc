import IBTransport
import IBWire

/// libFuzzer entry point: the input is one MAD, or two MADs back to back (a response, then the request it is
/// checked against). `SMP(decoding:)` must decode or throw `WireError`; a decoded SMP must survive
/// re-encoding unchanged, and every attribute view of its payload must read without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMAD(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Any length: exercises the size check too.
    _ = try? SMP(decoding: bytes)
    guard bytes.count >= SMP.madSize else { return 0 }

    // The destination LID travels outside the MAD; take it from the bytes after the first MAD, if any.
    let destination = bytes.count >= SMP.madSize + 2
        ? LID(UInt16(bytes[SMP.madSize]) << 8 | UInt16(bytes[SMP.madSize + 1])) : LID.permissive
    guard let response = try? SMP(decoding: Array(bytes[0..<SMP.madSize]), destination: destination) else { return 0 }
    checkRoundTrip(response, destination: destination)
    readAttributes(of: response)
    _ = SMP.matchKey(of: bytes)
    _ = response.directedRoute?.description

    if bytes.count >= 2 * SMP.madSize,
       let request = try? SMP(decoding: Array(bytes[SMP.madSize..<(2 * SMP.madSize)]), destination: destination)
    {
        _ = response.validateAsResponse(to: request)?.description
        _ = request.validateAsResponse(to: response)?.description
    }
    return 0
}

/// Encoding what was decoded and decoding it again must give the same SMP (the encoder drops only
/// reserved bits the decoder never kept).
private func checkRoundTrip(_ smp: SMP, destination: LID) {
    let encoded = smp.encoded()
    guard encoded.count == SMP.madSize else { fatalError("encoded SMP is \(encoded.count) bytes") }
    let again: SMP
    do { again = try SMP(decoding: encoded, destination: destination) } catch {
        fatalError("re-encoded SMP no longer decodes: \(error)")
    }
    guard again == smp else { fatalError("SMP changed across encode/decode:\n\(smp)\n\(again)") }
    guard SMP.matchKey(of: encoded) == smp.matchKey else { fatalError("match key of the encoded SMP differs") }
}

/// Reads every field of every attribute the SM decodes, whatever the attribute ID says.
private func readAttributes(of smp: SMP) {
    _ = "\(smp.method) \(smp.attribute) \(smp.status)"

    let node = smp.decode(NodeInfo.self)
    _ = (node.baseVersion, node.classVersion, node.nodeType?.description, node.portCount, node.systemImageGUID)
    _ = (node.nodeGUID.description, node.portGUID, node.partitionCap, node.deviceID, node.revision)
    _ = (node.localPortNumber.description, node.vendorID)

    _ = smp.decode(NodeDescription.self).text

    let port = smp.decode(PortInfo.self)
    _ = (port.mKey, port.gidPrefix, port.lid, port.masterSMLID, port.capabilityMask, port.isSubnetManager)
    _ = (port.mKeyLeasePeriod, port.localPortNumber, port.linkWidthEnabled, port.linkWidthSupported)
    _ = (port.linkWidthActive.description, port.linkSpeedSupported, port.state?.description)
    _ = (port.physicalState?.description, port.mKeyProtectBits, port.lmc, port.linkSpeedActive)
    _ = (port.linkSpeedEnabled, port.linkSpeedExtendedActive, port.linkSpeedExtendedSupported, port.neighborMTU)
    _ = (port.masterSMSL, port.vlCap, port.mtuCap, port.operationalVLs, port.clientReregister)
    _ = (port.subnetTimeout, port.mKeyViolations, port.activeSpeed.encoding)

    let switchInfo = smp.decode(SwitchInfo.self)
    _ = (switchInfo.linearFDBCap, switchInfo.randomFDBCap, switchInfo.multicastFDBCap, switchInfo.linearFDBTop)
    _ = (switchInfo.defaultPort, switchInfo.lifeTime, switchInfo.portStateChange, switchInfo.lidsPerPort)
    _ = (switchInfo.partitionEnforcementCap, switchInfo.enhancedPort0)

    let block = smp.decode(LinearForwardingTableBlock.self).ports
    guard block.count == LinearForwardingTableBlock.entriesPerBlock else { fatalError("LFT block of \(block.count)") }

    let smInfo = smp.decode(SMInfo.self)
    _ = (smInfo.guid, smInfo.smKey, smInfo.activityCount, smInfo.priority, smInfo.state?.description)
}
