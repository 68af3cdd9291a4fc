import CIBMad
import IBWire
import Testing

/// Our SMP encoding checked against libibmad's own MAD encoder, and round trips of every header field.
@Suite struct SMPCodecTests {
    /// Builds the same directed-route Get with libibmad's `mad_encode`.
    private func libibmadEncoding(route: [UInt8], attribute: UInt32, modifier: UInt32, tid: UInt64, mKey: UInt64) -> [UInt8] {
        var rpc = ib_rpc_t()
        rpc.mgtclass = Int32(IB_SMI_DIRECT_CLASS.rawValue)
        rpc.method = Int32(IB_MAD_METHOD_GET.rawValue)
        rpc.attr.id = attribute
        rpc.attr.mod = modifier
        rpc.trid = tid
        rpc.mkey = mKey
        rpc.dataoffs = 64
        rpc.datasz = 64
        var path = ib_dr_path_t()
        path.cnt = Int32(route.count)
        path.drslid = 0xFFFF
        path.drdlid = 0xFFFF
        withUnsafeMutableBytes(of: &path.p) { bytes in
            for (index, port) in route.enumerated() { bytes[index + 1] = port }
        }
        var mad = [UInt8](repeating: 0, count: 256)
        var data = [UInt8](repeating: 0, count: 64)
        mad.withUnsafeMutableBytes { buffer in
            data.withUnsafeMutableBytes { _ = mad_encode(buffer.baseAddress, &rpc, &path, $0.baseAddress) }
        }
        return mad
    }

    @Test(arguments: [[], [1], [1, 3, 5], Array(repeating: UInt8(2), count: 40)])
    func directedRouteGetMatchesLibibmad(route: [UInt8]) throws {
        let ours = SMP(
            method: .get, attribute: .portInfo, attributeModifier: 7, transactionID: 0x1234_5678_9ABC, mKey: 0xDEAD_BEEF,
            addressing: .directed(DirectedRouteHeader(route: try DirectedRoute(route.map(PortNumber.init(rawValue:))))))
        let theirs = libibmadEncoding(route: route, attribute: 0x15, modifier: 7, tid: 0x1234_5678_9ABC, mKey: 0xDEAD_BEEF)
        #expect(ours.encoded() == theirs)
    }

    @Test func directedRouteRoundTrip() throws {
        var header = DirectedRouteHeader(route: try DirectedRoute([4, 2, 9]))
        header.isReturning = true
        header.hopPointer = 3
        header.returnPath[1] = 7
        header.returnPath[3] = 1
        var smp = SMP(method: .getResponse, attribute: .nodeInfo, attributeModifier: 0, transactionID: 0xFFFF_0000_0000_0042,
                      status: .invalidAttributeValue, addressing: .directed(header))
        smp.payload[0] = 0x01
        smp.payload[63] = 0xAB
        let decoded = try SMP(decoding: smp.encoded())
        #expect(decoded == smp)
        #expect(decoded.directedRoute?.hops == [4, 2, 9])
    }

    @Test func lidRoutedRoundTripKeepsStatusAndDestination() throws {
        let smp = SMP(method: .set, attribute: .linearForwardingTable, attributeModifier: 3, transactionID: 9,
                      status: MADStatus(rawValue: 0x8001), addressing: .lidRouted(LID(17)))
        let bytes = smp.encoded()
        #expect(bytes[1] == 0x01) // management class
        #expect(bytes[3] == 0x02) // method
        let decoded = try SMP(decoding: bytes, destination: LID(17))
        #expect(decoded == smp)
    }

    @Test func directionBitIsNotPartOfTheStatus() throws {
        var header = DirectedRouteHeader(route: .local)
        header.isReturning = true
        let smp = SMP(method: .getResponse, attribute: .nodeInfo, addressing: .directed(header))
        let bytes = smp.encoded()
        #expect(bytes[4] & 0x80 == 0x80)
        #expect(try SMP(decoding: bytes).status == .ok)
    }

    @Test func matchKeyUsesLow32BitsOfTheTransactionID() throws {
        let smp = SMP.get(.switchInfo, route: try DirectedRoute([1]))
        var sent = smp
        sent.transactionID = 0x0000_0001_0000_0005
        var received = sent.encoded()
        received[8] = 0x7F // the kernel rewrites the upper 32 bits
        #expect(SMP.matchKey(of: received) == sent.matchKey)
    }

    @Test func rejectsMalformedMADs() {
        #expect(throws: WireError.wrongMADSize(100)) { try SMP(decoding: [UInt8](repeating: 0, count: 100)) }
        var bytes = SMP.get(.nodeInfo, route: .local).encoded()
        bytes[1] = 0x04
        #expect(throws: WireError.notAnSMP(managementClass: 0x04)) { try SMP(decoding: bytes) }
        bytes[1] = 0x81
        bytes[3] = 0x7E
        #expect(throws: WireError.unknownMethod(0x7E)) { try SMP(decoding: bytes) }
        bytes[3] = 0x01
        bytes[0] = 2
        #expect(throws: WireError.unsupportedBaseVersion(2)) { try SMP(decoding: bytes) }
    }

    @Test func routesLongerThan63HopsAreRefused() {
        #expect(throws: WireError.routeTooLong(64)) { try DirectedRoute(Array(repeating: PortNumber(1), count: 64)) }
        #expect(DirectedRoute(parsing: "0,1,3")?.hops == [1, 3])
        #expect(DirectedRoute(parsing: "0,1,x") == nil)
    }
}
