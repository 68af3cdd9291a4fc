import IBTransport
import IBWire
import Testing

@Suite struct ResponseValidationTests {
    private func response(to request: SMP) -> SMP {
        var response = request
        response.method = .getResponse
        if case .directed(var header) = request.addressing {
            header.isReturning = true
            response.addressing = .directed(header)
        }
        return response
    }

    @Test func theRealResponseIsAccepted() throws {
        let request = SMP.get(.portInfo, modifier: 5, route: try DirectedRoute([1, 4]))
        #expect(response(to: request).validateAsResponse(to: request) == nil)
        let local = SMP.get(.nodeInfo, route: .local)
        #expect(response(to: local).validateAsResponse(to: local) == nil)
        let lidRouted = SMP.get(.nodeInfo, lid: LID(9))
        #expect(response(to: lidRouted).validateAsResponse(to: lidRouted) == nil)
    }

    @Test func mismatchesAreCaught() throws {
        let request = SMP.get(.portInfo, modifier: 5, route: try DirectedRoute([1, 4]))
        var other = response(to: request)
        other.attributeModifier = 6
        #expect(other.validateAsResponse(to: request) == .attributeModifier(expected: 5, got: 6))
        #expect(request.validateAsResponse(to: request) == .notAResponse(.get))
        let elsewhere = response(to: SMP.get(.portInfo, modifier: 5, route: try DirectedRoute([1, 3])))
        #expect(elsewhere.validateAsResponse(to: request) == .directedRoute(expected: try DirectedRoute([1, 4]), got: try DirectedRoute([1, 3])))
        var outgoing = response(to: request)
        outgoing.addressing = request.addressing
        #expect(outgoing.validateAsResponse(to: request) == .notReturning)
        #expect(response(to: SMP.get(.portInfo, modifier: 5, lid: LID(3))).validateAsResponse(to: request) == .addressing)
    }
}
