import FabricModel
import IBCapture
import IBWire

/// Rebuilds a fabric from a capture of a sweep (ours, recorded with `--record`, on ibsim or real hardware):
/// each node gets the attributes its agent really answered with (vendor, capabilities, speeds,
/// descriptions, states), and links come from the directed routes the answers travelled.
public enum CapturedFabric {
    /// The fabric and the port the recording SM was attached at.
    public static func load(_ records: [CapturedMAD], source: String) throws(ReplayError) -> (fabric: Fabric, attachment: PortAddress) {
        var requests: [SMP.MatchKey: SMP] = [:]
        var answered: [(request: SMP, response: SMP)] = []
        for (index, record) in records.enumerated() {
            let smp: SMP
            do { smp = try record.smp() } catch {
                throw ReplayError(source: source, record: index + 1, message: "not an SMP: \(error)")
            }
            switch record.direction {
            case .sent:
                requests[smp.matchKey] = smp
            case .received:
                guard smp.method == .getResponse, smp.status.isOK, let request = requests.removeValue(forKey: smp.matchKey),
                      case .directed = request.addressing
                else { continue }
                answered.append((request, smp))
            }
        }
        var replay = Replay()
        // NodeInfo first: it says which node each route reaches.
        for (request, response) in answered where request.attribute == .nodeInfo {
            try replay.absorbNodeInfo(response.decode(NodeInfo.self), route: request.directedRoute!, source: source)
        }
        for (request, response) in answered where request.attribute != .nodeInfo {
            replay.absorb(request, response)
        }
        return try replay.build(source: source)
    }
}

/// Why a capture cannot seed the simulator.
public struct ReplayError: Error, Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var record: Int?
    public var message: String

    public var description: String {
        if let record { return "\(source): record \(record): \(message)" }
        return "\(source): \(message)"
    }
}

private struct Replay {
    struct NodeRecord {
        var info: NodeInfo
        var description: String?
        var switchInfo: SwitchInfo?
        var ports: [Int: PortInfo] = [:]
        var portGUIDs: [Int: GUID] = [:]
    }

    var nodes: [GUID: NodeRecord] = [:]
    var order: [GUID] = []
    var nodeAtRoute: [DirectedRoute: (guid: GUID, entry: Int)] = [:]

    mutating func absorbNodeInfo(_ info: NodeInfo, route: DirectedRoute, source: String) throws(ReplayError) {
        let guid = info.nodeGUID
        guard info.nodeType != nil else { throw ReplayError(source: source, message: "NodeInfo at DR path \(route) has an invalid node type") }
        if nodes[guid] == nil {
            nodes[guid] = NodeRecord(info: info)
            order.append(guid)
        }
        nodes[guid]?.portGUIDs[info.localPortNumber.index] = info.portGUID
        nodeAtRoute[route] = (guid, info.localPortNumber.index)
    }

    mutating func absorb(_ request: SMP, _ response: SMP) {
        guard let route = request.directedRoute, let (guid, entry) = nodeAtRoute[route] else { return }
        switch request.attribute {
        case .nodeDescription: nodes[guid]?.description = response.decode(NodeDescription.self).text
        case .switchInfo: nodes[guid]?.switchInfo = response.decode(SwitchInfo.self)
        case .portInfo:
            let isSwitch = nodes[guid]?.info.nodeType == .switch
            let port = !isSwitch && request.attributeModifier == 0 ? entry : Int(request.attributeModifier)
            nodes[guid]?.ports[port] = response.decode(PortInfo.self)
        default: break
        }
    }

    func build(source: String) throws(ReplayError) -> (fabric: Fabric, attachment: PortAddress) {
        guard let (originGUID, originPort) = nodeAtRoute[.local] else {
            throw ReplayError(source: source, message: "no NodeInfo answer for the SM's own node: not a capture of a sweep")
        }
        var fabric = Fabric()
        for guid in order {
            let record = nodes[guid]!
            let info = record.info
            var node = FabricNode(
                type: info.nodeType!, guid: guid, systemImageGUID: info.systemImageGUID,
                description: record.description ?? "", portCount: info.portCount,
                vendorID: info.vendorID, deviceID: info.deviceID, revision: info.revision)
            node.nodeInfo = info
            node.switchInfo = record.switchInfo
            let numbers = Set(record.ports.keys).union(record.portGUIDs.keys).filter { $0 <= info.portCount }
            for number in numbers.sorted() {
                // A CA port no NodeInfo arrived through: node GUID + port number (ibsim's rule), wrapping like
                // ibsim's unsigned sum so that a GUID near 2^64 in a capture cannot trap.
                let portGUID = info.nodeType == .switch
                    ? info.portGUID : (record.portGUIDs[number] ?? GUID(guid.rawValue &+ UInt64(number)))
                var port = FabricPort(number: PortNumber(UInt8(number)), guid: portGUID)
                if let portInfo = record.ports[number] {
                    port.info = portInfo
                    port.lid = portInfo.lid
                    port.state = portInfo.state ?? .down
                    port.physicalState = portInfo.physicalState ?? .disabled
                }
                node.ports[number] = port
            }
            do { try fabric.add(node) } catch { throw ReplayError(source: source, message: error.description) }
        }
        for (route, far) in nodeAtRoute where route.hopCount > 0 {
            let parent = try! DirectedRoute(Array(route.hops.dropLast()))
            guard let near = nodeAtRoute[parent], let nearIndex = fabric.index(of: near.guid), let farIndex = fabric.index(of: far.guid) else { continue }
            let exit = route.hops.last!
            let a = PortAddress(node: nearIndex, port: exit), b = PortAddress(node: farIndex, port: PortNumber(UInt8(far.entry)))
            // The origin CA's first hop leaves by its own port.
            if fabric[a] == nil { try? fabric.setPort(FabricPort(number: exit, guid: fabric[nearIndex].guid), of: nearIndex) }
            do { try fabric.connect(a, b) } catch {
                throw ReplayError(source: source, message: "inconsistent links at DR path \(route): \(error)")
            }
        }
        return (fabric, PortAddress(node: fabric.index(of: originGUID)!, port: PortNumber(UInt8(originPort))))
    }
}
