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
