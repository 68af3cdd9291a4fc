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

extension Fabric {
    /// Sets the LID a port holds (as if read from the fabric).
    mutating func setLID(_ lid: UInt16, _ address: PortAddress) {
        var node = self[address.node]
        node.ports[address.port.index]!.lid = LID(lid)
        self[address.node] = node
    }

    /// Gives a switch a SwitchInfo with `cap` LinearFDBCap (and enhanced port 0 if asked).
    mutating func setSwitchInfo(_ index: Int, cap: Int = 49152, enhancedPort0: Bool = false) {
        var node = self[index]
        var info = node.switchInfo ?? SwitchInfo()
        info.linearFDBCap = cap
        info.enhancedPort0 = enhancedPort0
        node.switchInfo = info
        self[index] = node
    }

    /// Port 1 of the node described `name`.
    func port1(_ name: String) -> PortAddress { PortAddress(node: named(name), port: 1) }
    func port0(_ name: String) -> PortAddress { PortAddress(node: named(name), port: 0) }
}

/// Checks the invariants every assignment must hold; returns the issues found (empty: fine).
func assignmentIssues(_ fabric: Fabric, _ lids: LIDAssignment, lmc: UInt8) -> [String] {
    var issues: [String] = []
    var expected = 0
    for node in fabric.nodes {
        expected += node.type == .switch ? 1 : node.knownPorts.filter { $0.remote != nil }.count
    }
    if lids.endports.count != expected { issues.append("\(lids.endports.count) endports, expected \(expected)") }
    var seen = Set<UInt16>()
    for endport in lids.endports {
        let node = fabric[endport.address.node]
        let enhanced = node.switchInfo?.enhancedPort0 == true
        let count = node.type == .switch && !enhanced ? 1 : 1 << Int(lmc)
        if endport.count != count { issues.append("\(fabric.describe(endport.address)) has \(endport.count) LIDs, expected \(count)") }
        if Int(endport.base.rawValue) % count != 0 { issues.append("\(fabric.describe(endport.address)) base \(endport.base) unaligned") }
        if endport.base.rawValue == 0 || endport.range.last > lids.limit { issues.append("\(fabric.describe(endport.address)) LIDs \(endport.range) out of range") }
        for lid in endport.base.rawValue...endport.range.last.rawValue {
            if !seen.insert(lid).inserted { issues.append("LID \(lid) given twice") }
            if lids.owner(of: LID(lid)) != endport.address { issues.append("owner(of: \(lid)) is wrong") }
        }
        if lids.lid(of: endport.address) != endport.base { issues.append("lid(of:) is wrong") }
        if endport.guid != fabric[endport.address]?.guid { issues.append("GUID of \(fabric.describe(endport.address)) is wrong") }
    }
    if lids.maxLID.rawValue != seen.max() ?? 0 { issues.append("maxLID \(lids.maxLID), highest given \(seen.max() ?? 0)") }
    if lids.owner(of: LID(0)) != nil { issues.append("LID 0 has an owner") }
    if lids.owner(of: LID(UInt16(lids.maxLID.rawValue + 1))) != nil { issues.append("LID above max has an owner") }
    let table = lids.table
    for endport in lids.endports where table[endport.guid] != endport.range {
        issues.append("table entry of \(endport.guid) is \(String(describing: table[endport.guid])), not \(endport.range)")
    }
    return issues
}
