import IBWire

/// Where an SMP was going, for messages: a directed route or a LID.
public enum SMPTarget: Hashable, Sendable, CustomStringConvertible {
    case route(DirectedRoute)
    case lid(LID)

    public init(_ smp: SMP) {
        switch smp.addressing {
        case .directed(let header): self = .route(header.route)
        case .lidRouted(let lid): self = .lid(lid)
        }
    }

    public var description: String {
        switch self {
        case .route(let route): "DR path \(route)"
        case .lid(let lid): "LID \(lid)"
        }
    }
}

/// Why an SMP exchange did not give a usable answer.
public enum SMPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No response after every retry.
    case noResponse(attribute: AttributeID, target: SMPTarget, attempts: Int)
    /// The agent answered with a non-success status.
    case status(MADStatus, attribute: AttributeID, target: SMPTarget)
    /// The transport failed for a reason retrying cannot fix.
    case transport(TransportError)
    /// The sending task was cancelled (while it waited for a window slot or to retry).
    case cancelled

    public var description: String {
        switch self {
        case .noResponse(let attribute, let target, let attempts):
            "no response to \(attribute) at \(target) after \(attempts) attempts"
        case .status(let status, let attribute, let target): "\(attribute) at \(target): \(status)"
        case .transport(let error): error.description
        case .cancelled: "cancelled"
        }
    }
}
