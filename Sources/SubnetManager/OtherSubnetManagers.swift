import FabricModel
import IBTransport
import IBWire
import PortManagement

/// Another subnet manager found on the fabric: where it runs and what its SMInfo says.
struct FoundSubnetManager: CustomStringConvertible {
    var port: PortAddress
    var name: String
    var info: SMInfo

    /// Whether it wins the election against an SM of `priority` on port `guid`: higher priority, or equal
    /// priority and lower GUID.
    func outranks(priority: UInt8, guid: GUID) -> Bool {
        info.priority > priority || (info.priority == priority && info.guid < guid)
    }

    var description: String {
        "\(name), SM GUID \(info.guid), priority \(info.priority), \(info.state.map { "\($0)" } ?? "unknown state")"
    }
}

/// Looks for other SMs before configuring: every port (other than ours) whose PortInfo advertises the
/// IsSM capability is asked for its SMInfo.
enum OtherSubnetManagers {
    static func find(in fabric: Fabric, routes: [DirectedRoute], client: SMPClient) async -> (found: [FoundSubnetManager], warnings: [String]) {
        var candidates: [PortAddress] = []
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) where port.info?.isSubnetManager == true {
                let address = PortAddress(node: index, port: port.number)
                if address != fabric.origin { candidates.append(address) }
            }
        }
        let answers = await mapConcurrently(candidates, limit: client.runnerCount) { address -> Result<SMInfo, SMPError> in
            do throws(SMPError) {
                return .success(try await client.get(
                    SMInfo.self, route: fabric.route(toPort: address, nodeRoutes: routes), node: fabric[address.node].guid))
            } catch {
                return .failure(error)
            }
        }
        var found: [FoundSubnetManager] = []
        var warnings: [String] = []
        for (address, answer) in zip(candidates, answers) {
            switch answer {
            case .success(let info): found.append(FoundSubnetManager(port: address, name: fabric.describe(address), info: info))
            case .failure(let error): warnings.append("\(fabric.describe(address)) advertises an SM but its SMInfo could not be read: \(error)")
            }
        }
        return (found, warnings)
    }
}
