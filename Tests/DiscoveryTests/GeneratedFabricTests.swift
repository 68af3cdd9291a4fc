import Discovery
import FabricModel
import FabricSimulator
import IBTransport
import IBWire
import TestSupport
import Testing

/// Discovery of every generated fabric kind in the simulator gives back exactly the generated graph:
/// every node with its type, GUID, description and port GUIDs, every link with both port numbers.
@Suite struct GeneratedFabricTests {
    static let cases: [(FabricKind, GeneratorOptions)] = [
        (.fatTree2, GeneratorOptions(radix: 12)),
        (.fatTree3, GeneratorOptions(radix: 8)),
        (.fatTree3, GeneratorOptions(radix: 8, seed: 11, removeLinks: 6)),
        (.torus2D, GeneratorOptions(hostsPerSwitch: 2, dimensions: [5, 4])),
        (.torus3D, GeneratorOptions(dimensions: [3, 3, 3])),
        (.mesh2D, GeneratorOptions(dimensions: [4, 6], seed: 5, removeLinks: 4)),
        (.mesh3D, GeneratorOptions(dimensions: [2, 3, 4])),
        (.dragonfly, GeneratorOptions()),
        (.random, GeneratorOptions(switches: 20, hosts: 30, seed: 9, removeLinks: 5)),
        (.dualRail, GeneratorOptions(radix: 8)),
    ]

    @Test(arguments: cases.indices)
    func discoveryReproducesTheGeneratedGraph(index: Int) async throws {
        let (kind, options) = Self.cases[index]
        let generated = try generateFabric(kind, options: options)
        let transport = SimulatorTransport(fabric: try SimulatedFabric(generated))
        let result = await FabricDiscoverer(client: SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 32))).discover()
        #expect(result.problems.isEmpty, "\(kind): \(result.problems)")
        #expect(result.fabric.differences(from: generated, options: [.descriptions, .lids, .widthAndSpeed, .portStates]) == [])
        #expect(result.fabric.nodes.count == generated.nodes.count)
        #expect(result.fabric.links.count == generated.links.count)
        #expect(FabricShape(result.fabric) == FabricShape(generated))
    }

    @Test func theSameFabricGivesTheSameModelEveryTime() async throws {
        let generated = try generateFabric(.random, options: GeneratorOptions(switches: 16, hosts: 24, seed: 4))
        var texts: Set<String> = []
        for seed in 1...3 {
            // Loss reorders the answers; the result must not change.
            let transport = SimulatorTransport(fabric: try SimulatedFabric(generated), options: SimulatorOptions(dropProbability: 0.1, seed: UInt64(seed)))
            let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 16, timeout: .milliseconds(2), retries: 10))
            texts.insert(await FabricDiscoverer(client: client).discover().fabric.ibnetdiscoverText())
        }
        #expect(texts.count == 1)
    }

    @Test func hostAttachmentFindsTheWholeDualRailFabric() async throws {
        let generated = try generateFabric(.dualRail, options: GeneratorOptions(radix: 8))
        let host = try #require(generated.nodes.firstIndex { $0.description == "host-0" })
        let transport = SimulatorTransport(fabric: try SimulatedFabric(generated, attachment: PortAddress(node: host, port: 2)))
        let result = await FabricDiscoverer(client: SMPClient(transport: transport)).discover()
        #expect(result.problems.isEmpty)
        #expect(FabricShape(result.fabric) == FabricShape(generated))
        #expect(result.fabric.origin.map { result.fabric[$0.node].description } == "host-0")
    }
}
