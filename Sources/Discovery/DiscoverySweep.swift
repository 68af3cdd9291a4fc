import FabricModel
import IBTransport
import IBWire

/// The model under construction. Every answer is folded in here, one at a time, and yields the
/// queries it makes possible.
struct DiscoverySweep {
    var fabric = Fabric()
    var routes: [DirectedRoute] = []
    var problems: [DiscoveryProblem] = []

    mutating func absorb(_ answer: DiscoveryAnswer) -> [DiscoveryQuery] {
        switch answer {
        case .nodeInfo(let route, let via, .success(let info)):
            return absorbNodeInfo(info, route: route, via: via)
        case .nodeInfo(let route, let via, .failure(let error)):
            let place = via.map { "through \(fabric.describe($0))" } ?? "of the SM's own node"
            var message = "NodeInfo \(place) (DR path \(route)): \(error)"
            // Besides a broken port, an M_Key silences one's own agent: worth naming, since nothing else will.
            if via == nil, case .noResponse = error {
                message += " (an agent whose M_Key has protect bits 2 or 3 answers no SMP without that key: check --mkey)"
            }
            problems.append(DiscoveryProblem(.unreachable, message))
        case .nodeDescription(let node, .success(let description)):
            fabric[node].description = description.text
        case .switchInfo(let node, .success(let info)):
            fabric[node].switchInfo = info
        case .portInfo(let node, let port, .success(let info)):
            return absorbPortInfo(info, node: node, port: port)
        case .nodeDescription(let node, .failure(let error)), .switchInfo(let node, .failure(let error)),
             .portInfo(let node, _, .failure(let error)):
            problems.append(DiscoveryProblem(.unreachable, "node \(fabric[node].guid) (\"\(fabric[node].description)\", DR path \(routes[node])): \(error)"))
        }
        return []
    }

    private mutating func absorbNodeInfo(_ info: NodeInfo, route: DirectedRoute, via: PortAddress?) -> [DiscoveryQuery] {
        guard let type = info.nodeType, info.portCount >= 1, info.portCount <= 254 else {
            problems.append(DiscoveryProblem(.badAnswer, "NodeInfo at DR path \(route): invalid node type or port count (\(info.portCount))"))
            return []
        }
        let entry = info.localPortNumber
        var queries: [DiscoveryQuery] = []
        let index: Int
        if let known = fabric.index(of: info.nodeGUID) {
            let node = fabric[known]
            guard node.type == type, node.portCount == info.portCount, entry.index <= node.portCount else {
                problems.append(DiscoveryProblem(.duplicateGUID,
                    "GUID \(info.nodeGUID) answers as a \(type) with \(info.portCount) ports at DR path \(route) and as a \(node.type) with \(node.portCount) ports at DR path \(routes[known])"))
                return []
            }
            index = known
            // A multi-port CA reached again, through another of its ports.
            if type != .switch, node.port(entry) == nil {
                try? fabric.setPort(FabricPort(number: entry, guid: info.portGUID), of: index)
                queries.append(.portInfo(node: index, guid: info.nodeGUID, port: entry, route: route))
            }
        } else {
            var node = FabricNode(
                type: type, guid: info.nodeGUID, systemImageGUID: info.systemImageGUID, description: "",
                portCount: info.portCount, vendorID: info.vendorID, deviceID: info.deviceID, revision: info.revision)
            node.nodeInfo = info
            do { index = try fabric.add(node) } catch { return [] }
            routes.append(route)
            queries.append(.nodeDescription(node: index, guid: info.nodeGUID, route: route))
            if type == .switch {
                queries.append(.switchInfo(node: index, guid: info.nodeGUID, route: route))
                for port in 0...info.portCount {
                    try? fabric.setPort(FabricPort(number: PortNumber(UInt8(port)), guid: info.portGUID), of: index)
                    queries.append(.portInfo(node: index, guid: info.nodeGUID, port: PortNumber(UInt8(port)), route: route))
                }
            } else {
                try? fabric.setPort(FabricPort(number: entry, guid: info.portGUID), of: index)
                queries.append(.portInfo(node: index, guid: info.nodeGUID, port: entry, route: route))
            }
        }
        if let via {
            link(via, PortAddress(node: index, port: entry), route: route)
        } else {
            fabric.origin = PortAddress(node: index, port: entry)
        }
        return queries
    }

    private mutating func link(_ near: PortAddress, _ far: PortAddress, route: DirectedRoute) {
        if let peer = fabric[far]?.remote, peer != near {
            // The far port already has another neighbour: two nodes share a GUID, or the cabling changed.
            problems.append(DiscoveryProblem(.duplicateGUID,
                "\(fabric.describe(far)) (GUID \(fabric[far.node].guid)) is reached through \(fabric.describe(near)) at DR path \(route) but is already linked to \(fabric.describe(peer)): duplicate GUID or inconsistent link"))
            return
        }
        do { try fabric.connect(near, far) } catch {
            problems.append(DiscoveryProblem(.inconsistentLink, "at DR path \(route): \(error)"))
        }
    }

    private mutating func absorbPortInfo(_ info: PortInfo, node: Int, port number: PortNumber) -> [DiscoveryQuery] {
        guard var port = fabric[node].port(number) else { return [] }
        port.lid = info.lid
        port.lmc = info.lmc
        port.state = info.state ?? .down
        port.physicalState = info.physicalState ?? .disabled
        port.width = info.linkWidthActive
        port.speed = info.activeSpeed
        port.info = info
        try? fabric.setPort(port, of: node)

        // Probe the far end of every live link a switch has, and the SM's own CA port.
        let isOrigin = fabric.origin?.node == node
        guard number != .management, info.physicalState == .linkUp, port.remote == nil,
              fabric[node].type == .switch || isOrigin
        else { return [] }
        guard let route = try? routes[node].appending(number) else {
            problems.append(DiscoveryProblem(.badAnswer, "\(fabric.describe(PortAddress(node: node, port: number))) is more than 63 hops away"))
            return []
        }
        return [.nodeInfo(route: route, via: PortAddress(node: node, port: number))]
    }
}
