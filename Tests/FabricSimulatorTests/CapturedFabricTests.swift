import FabricModel
import FabricSimulator
import IBCapture
import IBWire
import Testing

@Suite struct CapturedFabricTests {
    /// A Get along `route` and its answer carrying `payload`, as a sweep's capture holds them.
    private func exchange(
        _ attribute: AttributeID, modifier: UInt32 = 0, route: DirectedRoute = .local, transactionID: UInt64,
        payload: [UInt8]
    ) -> [CapturedMAD] {
        var request = SMP.get(attribute, modifier: modifier, route: route)
        request.transactionID = transactionID
        var response = request
        response.method = .getResponse
        response.payload = SMPBytes(payload)
        if case .directed(var header) = response.addressing {
            header.isReturning = true
            response.addressing = .directed(header)
        }
        return [
            CapturedMAD(timestamp: transactionID, direction: .sent, directedRouteMAD: request.encoded()),
            CapturedMAD(timestamp: transactionID, direction: .received, directedRouteMAD: response.encoded()),
        ]
    }

    /// A CA port known only from its PortInfo answer gets node GUID + port number as its GUID; that sum
    /// overflowed (a trap) for a node GUID near 2^64 in a capture. It wraps, as ibsim's does.
    @Test func portGUIDOfANodeGUIDNearTheTopWraps() throws {
        var info = NodeInfo()
        info.baseVersion = 1
        info.classVersion = 1
        info.nodeType = .channelAdapter
        info.portCount = 2
        info.nodeGUID = GUID(UInt64.max)
        info.portGUID = GUID(0x10)
        info.localPortNumber = PortNumber(1)
        let records = exchange(.nodeInfo, transactionID: 1, payload: info.bytes)
            + exchange(.portInfo, modifier: 2, transactionID: 2, payload: PortInfo().bytes)

        let (fabric, attachment) = try CapturedFabric.load(records, source: "near-top.pcap")

        #expect(fabric.nodes.count == 1)
        #expect(attachment == PortAddress(node: 0, port: PortNumber(1)))
        #expect(fabric[0].port(PortNumber(1))?.guid == GUID(0x10))
        #expect(fabric[0].port(PortNumber(2))?.guid == GUID(1))  // 0xffff_ffff_ffff_ffff + 2, wrapped
    }
}
