import FabricModel
import IBWire

/// The outcome of putting an SMP on the simulated wire.
enum Delivery {
    /// It reached an agent that will answer.
    case arrived(Arrival)
    /// A hop failed (absent or down port, unrouted LID): like ibsim, reported at once as a timeout.
    case undeliverable
    /// It reached an agent that never answers.
    case unanswered(node: Int)
}

extension SimulatedFabric {
    /// Forwards `request` from the sender's port (`attachment`: a CA port or switch port 0) to the agent
    /// it addresses.
    func deliver(_ request: SMP, from attachment: PortAddress) -> Delivery {
        state.withLock { state in
            let arrival: Arrival?
            switch request.addressing {
            case .directed(let header):
                arrival = state.forwardDirected(header, from: attachment)
            case .lidRouted(let lid):
                let start = Arrival(node: attachment.node, port: attachment.port.index)
                arrival = state.forwardLIDRouted(to: lid, from: start, leavingBy: attachment.port.index)
            }
            guard let arrival else { return .undeliverable }
            return state.nodes[arrival.node].isDead ? .unanswered(node: arrival.node) : .arrived(arrival)
        }
    }

    /// What an agent sent back.
    enum Reply {
        case answered(SMP)
        /// The M_Key check failed: the agent acted on nothing and stays silent.
        case refusedByMKey
        /// A LID-routed response found no way back to the sender's port.
        case lost
    }

    /// Lets the agent at `arrival` act on `request`, sent from `attachment`, and builds its response.
    func respond(to request: SMP, at arrival: Arrival, sentFrom attachment: PortAddress) -> Reply {
        state.withLock { state in
            guard state.passesMKeyCheck(request, at: arrival, clock: clock) else { return .refusedByMKey }
            let (status, payload) = state.answer(request, at: arrival)
            var response = request
            response.method = .getResponse
            response.status = status
            response.payload = payload
            switch request.addressing {
            case .directed(var header):
                header.isReturning = true
                header.returnPath = arrival.returnPath
                header.hopPointer = header.hopCount
                response.addressing = .directed(header)
            case .lidRouted:
                guard let smPort = state.nodes[attachment.node].port(attachment.port.index),
                      let back = state.forwardLIDRouted(to: smPort.info.lid, from: arrival, leavingBy: arrival.port),
                      back.node == attachment.node,
                      let responder = state.nodes[arrival.node].port(state.nodes[arrival.node].type == .switch ? 0 : arrival.port)
                else { return .lost }
                response.addressing = .lidRouted(responder.info.lid)
            }
            return .answered(response)
        }
    }
}
