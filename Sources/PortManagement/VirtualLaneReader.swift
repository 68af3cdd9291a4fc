import FabricModel
import IBTransport
import IBWire

/// Reads back the SL2VL tables of every switch's pairs of linked ports (and port 0 as an input), for
/// verification by VL: the tables `VirtualLanePlan` would program, as the switches hold them.
public struct VirtualLaneReader: Sendable {
    public let client: SMPClient

    public init(client: SMPClient) { self.client = client }

    /// The tables by key, and one line per table that could not be read (an agent without SL2VL tables,
    /// status 0x0C, is not a failure: it has none).
    public func readSwitchTables(_ fabric: Fabric, routes: [DirectedRoute]) async -> (tables: [VirtualLanePlan.TableKey: SLToVLMappingTable], failures: [String]) {
        let keys = interleavedByNode(VirtualLanePlan.plan(for: fabric).slToVL.keys.filter { fabric[$0.port.node].type == .switch }.sorted(),
                                     node: \.port.node)
        let client = self.client
        let results = await mapConcurrently(keys, limit: client.runnerCount, executors: client.runnerExecutors) { key -> Result<SLToVLMappingTable?, SMPError> in
            do throws(SMPError) {
                let modifier = SLToVLMappingTable.modifier(input: key.input, output: key.port.port)
                return .success(try await client.get(SLToVLMappingTable.self, modifier: modifier, route: routes[key.port.node], node: fabric[key.port.node].guid))
            } catch {
                if case .status(.methodAttributeNotSupported, _, _) = error { return .success(nil) }
                return .failure(error)
            }
        }
        var tables: [VirtualLanePlan.TableKey: SLToVLMappingTable] = [:]
        var failures: [String] = []
        for (key, result) in zip(keys, results) {
            switch result {
            case .success(let table?): tables[key] = table
            case .success(nil): break
            case .failure(let error): failures.append("\(fabric.describe(key.port)) SL2VL (input \(key.input)): \(error)")
            }
        }
        return (tables, failures)
    }
}
