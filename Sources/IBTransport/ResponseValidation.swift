import IBWire

/// Why a MAD that arrived is not the response to the request it was matched with.
public enum ResponseMismatch: Error, Equatable, Sendable, CustomStringConvertible {
    case notAResponse(MADMethod)
    case attributeModifier(expected: UInt32, got: UInt32)
    case addressing
    case directedRoute(expected: DirectedRoute, got: DirectedRoute)
    case notReturning

    public var description: String {
        switch self {
        case .notAResponse(let method): "method \(method) is not a response"
        case .attributeModifier(let expected, let got): "attribute modifier \(got), expected \(expected)"
        case .addressing: "LID-routed and directed-route mixed up"
        case .directedRoute(let expected, let got): "directed route \(got), expected \(expected)"
        case .notReturning: "directed-route response without the direction bit"
        }
    }
}

extension SMP {
    /// Checks a response that matched `request` by transaction ID, class and attribute against the rest
    /// of the request: method, attribute modifier and directed route. A response that fails is dropped
    /// (late, duplicate or foreign), never applied.
    public func validateAsResponse(to request: SMP) -> ResponseMismatch? {
        guard method == .getResponse else { return .notAResponse(method) }
        guard attributeModifier == request.attributeModifier else {
            return .attributeModifier(expected: request.attributeModifier, got: attributeModifier)
        }
        switch (request.addressing, addressing) {
        case (.lidRouted, .lidRouted):
            return nil
        case (.directed(let sent), .directed(let received)):
            guard received.isReturning else { return .notReturning }
            // umad2sim garbles bytes 224-255 (return path entries 32-63): only the initial path is compared.
            let hops = 1..<(1 + Int(min(sent.hopCount, 63)))
            guard sent.hopCount == received.hopCount, sent.initialPath[hops].elementsEqual(received.initialPath[hops])
            else { return .directedRoute(expected: sent.route, got: received.route) }
            return nil
        default:
            return .addressing
        }
    }
}
