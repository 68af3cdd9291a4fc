import FabricModel
import IBWire

/// One switch's part of a multicast tree: the ports a packet of the group leaves by.
public struct MulticastTreeAtSwitch: Hashable, Sendable {
    public var node: Int
    public var ports: [PortNumber]

    public init(node: Int, ports: [PortNumber]) {
        self.node = node
        self.ports = ports
    }
}

/// The channel dependencies multicast trees add, as `extraPaths` for the credit-loop check: a packet that
/// reaches switch S from a neighbouring switch leaves by every other port of S's tree, so each pair (the
/// neighbour's port into S, another tree port of S) is a two-hop path. Inputs from CAs are left out: a CA
/// forwards nothing, so no cycle runs through its channel.
public func multicastTreePaths(_ fabric: Fabric, trees: some Sequence<MulticastTreeAtSwitch>) -> [[PortAddress]] {
    var paths: [[PortAddress]] = []
    for tree in trees {
        for input in tree.ports where input != .management {
            guard let far = fabric[PortAddress(node: tree.node, port: input)]?.remote, fabric[far.node].type == .switch else { continue }
            for output in tree.ports where output != input && output != .management {
                paths.append([far, PortAddress(node: tree.node, port: output)])
            }
        }
    }
    return paths
}
