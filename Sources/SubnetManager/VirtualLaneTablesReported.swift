import FabricModel
import IBWire
import PortManagement
import Routing

extension VirtualLaneOutcome {
    /// The tables the ports answered with, keyed as verification and the SA look them up.
    public func tables(in fabric: Fabric) -> VirtualLaneTables {
        var result = VirtualLaneTables()
        for (key, table) in slToVL {
            let isSwitch = fabric[key.port.node].type == .switch
            result.slToVL[VirtualLaneTables.Key(node: key.port.node, input: isSwitch ? key.input : .management, output: key.port.port)] = table
        }
        for (key, block) in arbitration { result.arbitration[key.port, default: [:]][key.block] = block }
        return result
    }
}

/// The SL2VL and arbitration tables a running SM last saw its ports hold, by node GUID (node indices change
/// between discoveries): what its next heavy pass compares against instead of reading every table again.
public struct HeldVirtualLanes: Sendable, Hashable {
    /// By node GUID, then `input << 8 | output` (a CA's tables: input 0, output its port).
    var slToVL: [GUID: [UInt16: SLToVLMappingTable]] = [:]
    var arbitration: [GUID: [PortNumber: [VLArbitrationTableBlock.Block: VLArbitrationTableBlock]]] = [:]

    public init(_ report: SweepReport) {
        let fabric = report.discovery.fabric
        for (key, table) in report.virtualLanes.slToVL where key.node < fabric.nodes.count {
            slToVL[fabric[key.node].guid, default: [:]][UInt16(key.input.rawValue) << 8 | UInt16(key.output.rawValue)] = table
        }
        for (port, blocks) in report.virtualLanes.arbitration where port.node < fabric.nodes.count {
            arbitration[fabric[port.node].guid, default: [:]][port.port] = blocks
        }
    }

    /// The tables to trust in `fabric`: those of nodes found again whose ports did not go through a reset
    /// (a CA port still ACTIVE; a switch with every linked port ACTIVE), since a reset restores vendor tables.
    func known(in fabric: Fabric) -> VirtualLaneOutcome {
        var known = VirtualLaneOutcome()
        for (index, node) in fabric.nodes.enumerated() {
            let linked = node.knownPorts.filter { $0.remote != nil }
            if node.type == .switch {
                guard linked.allSatisfy({ $0.state == .active }) else { continue }
            }
            for (pair, table) in slToVL[node.guid] ?? [:] {
                let output = PortNumber(UInt8(pair & 0xFF))
                if node.type != .switch, node.port(output)?.state != .active { continue }
                known.slToVL[VirtualLanePlan.TableKey(port: PortAddress(node: index, port: output), input: PortNumber(UInt8(pair >> 8)))] = table
            }
            for (port, blocks) in arbitration[node.guid] ?? [:] {
                if node.type != .switch, node.port(port)?.state != .active { continue }
                for (block, held) in blocks { known.arbitration[VirtualLanePlan.ArbitrationKey(port: PortAddress(node: index, port: port), block: block)] = held }
            }
        }
        return known
    }
}
