import FabricModel
import Foundation
import IBWire
import Routing

/// A committed fixture file's text (Tests/RoutingTests/Fixtures).
func fixture(_ name: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return try String(contentsOf: url, encoding: .utf8)
}

func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// A fresh empty directory under the temp dir.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("routing-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Small instances of every generated kind, with and without removed links.
let smallFabrics: [(name: String, kind: FabricKind, options: GeneratorOptions)] = [
    ("fat-tree-2", .fatTree2, GeneratorOptions(radix: 8)),
    ("fat-tree-3", .fatTree3, GeneratorOptions(radix: 6)),
    ("torus-2d", .torus2D, GeneratorOptions(dimensions: [4, 3])),
    ("torus-3d", .torus3D, GeneratorOptions(dimensions: [3, 3, 3])),
    ("mesh-2d", .mesh2D, GeneratorOptions(hostsPerSwitch: 2, dimensions: [4, 4])),
    ("mesh-3d", .mesh3D, GeneratorOptions(dimensions: [2, 3, 2])),
    ("dragonfly", .dragonfly, GeneratorOptions()),
    ("random", .random, GeneratorOptions(switches: 12, hosts: 20, seed: 7)),
    ("dual-rail", .dualRail, GeneratorOptions(radix: 8)),
    ("fat-tree-2 minus 5 links", .fatTree2, GeneratorOptions(radix: 8, removeLinks: 5)),
    ("torus-2d minus 4 links", .torus2D, GeneratorOptions(dimensions: [4, 4], seed: 3, removeLinks: 4)),
    ("dragonfly minus 6 links", .dragonfly, GeneratorOptions(seed: 5, removeLinks: 6)),
    ("random minus 3 links", .random, GeneratorOptions(switches: 10, hosts: 10, seed: 11, removeLinks: 3)),
]

func smallFabric(_ name: String) throws -> Fabric {
    let entry = smallFabrics.first { $0.name == name }!
    return try generateFabric(entry.kind, options: entry.options)
}

extension Fabric {
    /// The node index of the node described `name`.
    func named(_ name: String) -> Int { nodes.firstIndex { $0.description == name }! }
}
