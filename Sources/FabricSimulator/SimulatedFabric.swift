import FabricModel
import IBTransport
import IBWire
import Synchronization

/// The state of one simulated node: its attributes as its subnet management agent holds them.
struct SimulatedNode {
    var type: NodeType
    var nodeInfo: NodeInfo
    var nodeDescription: NodeDescription
    /// Indexed by port number; port 0 exists on switches only.
    var ports: [SimulatedPort?]
    var switchInfo: SwitchInfo?
    /// The linear forwarding table, grown as blocks are written (255 = unrouted).
    var forwardingTable: [UInt8] = []
    /// The multicast forwarding table: 32 port masks per written block, by attribute modifier (block and
    /// port position, `MulticastForwardingTableBlock`). Blocks never written are empty.
    var multicastBlocks: [UInt32: [UInt16]] = [:]
    /// Does not answer at all (a hung agent), for fault tests.
    var isDead = false

    func port(_ number: Int) -> SimulatedPort? { number < ports.count ? ports[number] : nil }
}

struct SimulatedPort {
    var guid: GUID
    var info: PortInfo
    var remote: PortAddress?
    /// When a running M_Key lease timer runs out, on the fabric's clock (see `MKeyEnforcement.swift`).
    var mKeyLeaseDeadline: Duration?
    /// The P_Key table, as many entries as the node's PartitionCap (switch ports without enforcement
    /// hold just the default). A fresh port holds the default full key 0xFFFF in entry 0, as ibsim's do.
    var pKeys: [PKey] = [.defaultFull]
    /// SL2VL tables written, by input port (0 on a CA); unwritten ones hold ibsim's default.
    var slToVL: [UInt8: UInt64] = [:]
    /// VL arbitration blocks written (1-4), the port's capacity of entries each; unwritten: ibsim's default.
    var vlArbitration: [UInt8: [VLArbitrationEntry]] = [:]
}

/// An in-process fabric of switches and CAs whose agents answer SMPs as real ones do: directed-route
/// forwarding hop by hop, LID routing through the programmed forwarding tables, Get and Set of the
/// subnet management attributes with the port state machine. The SM attaches at `attachment`.
///
/// All state sits behind one lock; `SimulatorTransport` adds timing and faults on top.
public final class SimulatedFabric: Sendable {
    struct State {
        var nodes: [SimulatedNode]
        var indexByGUID: [GUID: Int]
        /// Peers of links taken down with `setLink`, so they can be brought back.
        var unplugged: [PortAddress: PortAddress] = [:]
        /// Other subnet managers running on ports of the fabric, answering SMInfo Gets there.
        var subnetManagers: [PortAddress: SMInfo] = [:]
    }

    let state: Mutex<State>
    /// The SMs' side of the fabric: who listens where, requests waiting for a listener's answer, trap
    /// faults and counters (`SimulatedInbound.swift`). Apart from `state`, so that the SMP path never
    /// takes it; whoever needs both takes `state` first and never holds the two at once.
    let inbound = Mutex(InboundState())
    /// The agents' threads of the transports with a service time, one per timing, so that the SMPs of
    /// several SMs queue at the same agents.
    let agentThreads = Mutex<[AgentTiming: SharedAgentThread]>([:])
    /// Where an SM's port is by default: a CA port, or port 0 of a switch.
    public let attachment: PortAddress
    /// What the agents' M_Key lease timers run on.
    public let clock: SimulatorClock

    /// Builds a fabric from a model. Attributes the model carries (read from a real fabric) are used as
    /// they are; the rest get the values ibsim gives a fresh fabric. `attachment` defaults to the first
    /// node: port 0 of a switch, or a CA's first linked port.
    public init(_ fabric: Fabric, attachment: PortAddress? = nil, clock: SimulatorClock = SimulatorClock()) throws(SimulatorError) {
        guard !fabric.nodes.isEmpty else { throw .emptyFabric }
        var nodes: [SimulatedNode] = []
        var indexByGUID: [GUID: Int] = [:]
        for (index, node) in fabric.nodes.enumerated() {
            nodes.append(SimulatedNode(model: node))
            indexByGUID[node.guid] = index
        }
        let chosen: PortAddress
        if let attachment { chosen = attachment } else { chosen = try Self.defaultAttachment(fabric) }
        guard chosen.node < nodes.count, nodes[chosen.node].port(chosen.port.index) != nil else {
            throw .badAttachment("port \(chosen.port) of node \(chosen.node) does not exist")
        }
        self.attachment = chosen
        self.clock = clock
        self.state = Mutex(State(nodes: nodes, indexByGUID: indexByGUID))
    }

    private static func defaultAttachment(_ fabric: Fabric) throws(SimulatorError) -> PortAddress {
        let first = fabric.nodes[0]
        if first.type == .switch { return PortAddress(node: 0, port: .management) }
        guard let port = first.knownPorts.first(where: { $0.remote != nil }) ?? first.knownPorts.first else {
            throw .badAttachment("\"\(first.description)\" has no port to attach to")
        }
        return PortAddress(node: 0, port: port.number)
    }

    /// The node index of a GUID.
    public func node(_ guid: GUID) -> Int? { state.withLock { $0.indexByGUID[guid] } }

    /// Throws unless `port` is a port an SM can attach at: a CA port, or port 0 of a switch (or the port
    /// the fabric was built with, which a capture may name otherwise).
    public func validateAttachment(_ port: PortAddress) throws(SimulatorError) {
        guard port != attachment else { return }
        let usable = state.withLock { state in
            port.node >= 0 && port.node < state.nodes.count && state.nodes[port.node].port(port.port.index) != nil
                && (state.nodes[port.node].type != .switch || port.port.index == 0)
        }
        guard usable else { throw .badAttachment("port \(port.port) of node \(port.node) is not a CA port or a switch's port 0") }
    }

    /// Makes a node stop answering (or answer again).
    public func setDead(_ node: Int, _ dead: Bool = true) { state.withLock { $0.nodes[node].isDead = dead } }

    /// Takes the link at `port` down (both ends go to Down/Polling and lose their peer), or brings a
    /// previously cabled link back up to Initialize. Each switch whose port changed state sets
    /// SwitchInfo.PortStateChange and sends one Trap 128 to its MasterSMLID (`SimulatedTraps.swift`);
    /// a call that changes nothing sends nothing.
    public func setLink(_ port: PortAddress, up: Bool) {
        let traps = state.withLock { state -> [OutgoingTrap] in
            let current = state.nodes[port.node].port(port.port.index)?.remote
            guard let remote = up ? (current == nil ? state.unplugged[port] : nil) : current else { return [] }
            for (end, peer) in [(port, remote), (remote, port)] {
                state.cable(end, to: up ? peer : nil)
                state.unplugged[end] = up ? nil : peer
            }
            return [port.node, remote.node].compactMap { state.portStateChanged(onSwitch: $0) }
        }
        send(traps)
    }

    /// Moves two cables: `first` and `second` exchange their peers, as when someone re-cables the fabric.
    /// The four ports retrain, so they come up in Initialize, and their switches send Trap 128.
    public func swapCables(_ first: PortAddress, _ second: PortAddress) {
        let traps = state.withLock { state -> [OutgoingTrap] in
            guard let firstPeer = state.nodes[first.node].port(first.port.index)?.remote,
                  let secondPeer = state.nodes[second.node].port(second.port.index)?.remote
            else { return [] }
            for (end, peer) in [(first, secondPeer), (secondPeer, first), (second, firstPeer), (firstPeer, second)] {
                state.cable(end, to: peer)
            }
            return [first.node, secondPeer.node, second.node, firstPeer.node].compactMap { state.portStateChanged(onSwitch: $0) }
        }
        send(traps)
    }

    /// Runs another subnet manager on `port` (a CA port or switch port 0): the port advertises the IsSM
    /// capability and answers SMInfo Gets with `info`, as an agent would (a static stand-in: a transport
    /// opened there with the `.subnetManager` role, which receives SMInfo itself, takes precedence).
    public func runSubnetManager(at port: PortAddress, info: SMInfo) {
        state.withLock { state in
            state.subnetManagers[port] = info
            state.nodes[port.node].ports[port.port.index]?.info.capabilityMask |= 0x2
        }
    }

    /// Changes what a port's agent says it can do (PortInfo.CapabilityMask), as a different HCA would.
    public func setCapabilityMask(_ port: PortAddress, _ change: @Sendable (inout UInt32) -> Void) {
        state.withLock { state in
            guard var info = state.nodes[port.node].port(port.port.index)?.info else { return }
            change(&info.capabilityMask)
            state.nodes[port.node].ports[port.port.index]?.info = info
        }
    }

    /// Clears a port's ClientReregister bit, as a host does once its clients have registered again.
    public func acknowledgeClientReregistration(_ port: PortAddress) {
        state.withLock { $0.nodes[port.node].ports[port.port.index]?.info.clientReregister = false }
    }

    /// A snapshot of one port's PortInfo, for tests.
    public func portInfo(_ port: PortAddress) -> PortInfo? {
        state.withLock { $0.nodes[port.node].port(port.port.index)?.info }
    }

    /// A snapshot of a switch's forwarding table entry for `lid` (255 when unrouted), for tests.
    public func forwardingEntry(node: Int, lid: LID) -> PortNumber {
        state.withLock { state in
            let table = state.nodes[node].forwardingTable
            return PortNumber(Int(lid.rawValue) < table.count ? table[Int(lid.rawValue)] : 255)
        }
    }
}

extension SimulatedFabric.State {
    /// Plugs `end` into `peer` (the link trains to Initialize) or, with nil, unplugs it (Down, Polling).
    mutating func cable(_ end: PortAddress, to peer: PortAddress?) {
        guard var port = nodes[end.node].ports[end.port.index] else { return }
        port.info.physicalState = peer == nil ? .polling : .linkUp
        port.info.state = peer == nil ? .down : .initialize
        port.remote = peer
        nodes[end.node].ports[end.port.index] = port
    }
}

/// Why a simulated fabric could not be built.
public enum SimulatorError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyFabric
    case badAttachment(String)

    public var description: String {
        switch self {
        case .emptyFabric: "the fabric has no nodes"
        case .badAttachment(let why): "cannot attach the SM: \(why)"
        }
    }
}
