import FabricModel
import IBWire
import Testing

/// Degree of each node by description prefix, checked against a rule.
private func degrees(_ fabric: Fabric, prefix: String) -> [Int] {
    let counts = fabric.linkCounts
    return fabric.nodes.indices.filter { fabric.nodes[$0].description.hasPrefix(prefix) }.map { counts[$0] }
}

private func neighborNames(_ fabric: Fabric, _ index: Int) -> [String] {
    fabric.neighbors(of: index).map { fabric.nodes[$0].description }
}

private func index(_ fabric: Fabric, _ description: String) throws -> Int {
    try #require(fabric.nodes.firstIndex { $0.description == description }, "no node \(description)")
}

@Suite struct GeneratorTests {
    @Test func twoLevelFatTreeFromRadix() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 8))
        #expect(fabric.switches.count == 12)  // 8 leaves + 4 spines
        #expect(fabric.channelAdapters.count == 32)
        #expect(fabric.links.count == 8 * 4 + 32)
        #expect(degrees(fabric, prefix: "leaf-") == Array(repeating: 8, count: 8))
        #expect(degrees(fabric, prefix: "spine-") == Array(repeating: 8, count: 4))
        #expect(degrees(fabric, prefix: "host-") == Array(repeating: 1, count: 32))
        // Every leaf reaches every spine once.
        for leaf in 0..<8 {
            let names = neighborNames(fabric, try index(fabric, "leaf-\(leaf)")).filter { $0.hasPrefix("spine-") }
            #expect(names.sorted() == (0..<4).map { "spine-\($0)" })
        }
        #expect(fabric.isConnected)
        #expect(Set(fabric.nodes.map(\.description)).count == fabric.nodes.count)
    }

    @Test func twoLevelFatTreeWithExplicitCounts() throws {
        let fabric = try generateFabric(.fatTree2, options: GeneratorOptions(radix: 12, leaves: 5, spines: 3, hostsPerSwitch: 7))
        #expect(fabric.switches.count == 8)
        #expect(fabric.channelAdapters.count == 35)
        #expect(degrees(fabric, prefix: "leaf-") == Array(repeating: 10, count: 5))
        #expect(degrees(fabric, prefix: "spine-") == Array(repeating: 5, count: 3))
        #expect(fabric.nodes.allSatisfy { $0.type != .switch || $0.portCount == 12 })
        #expect(fabric.isConnected)
    }

    @Test(arguments: [4, 6, 8])
    func threeLevelFatTree(k: Int) throws {
        let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: k))
        let half = k / 2
        #expect(fabric.channelAdapters.count == k * k * k / 4)
        #expect(fabric.switches.count == k * k + half * half)
        #expect(degrees(fabric, prefix: "edge-") == Array(repeating: k, count: k * half))
        #expect(degrees(fabric, prefix: "agg-") == Array(repeating: k, count: k * half))
        #expect(degrees(fabric, prefix: "core-") == Array(repeating: k, count: half * half))
        // Each core reaches exactly one aggregation switch in every pod.
        let core = try index(fabric, "core-\(half * half - 1)")
        let pods = neighborNames(fabric, core).map { $0.split(separator: "-")[1] }
        #expect(Set(pods).count == k)
        #expect(fabric.links.count == k * half * half * 2 + k * k * k / 4)
        #expect(fabric.isConnected)
    }

    @Test func threeLevelFatTreeSizesForLargeK() throws {
        // Counted from the text alone for k=24 (k=36 is exercised by the parse-speed test).
        let text = try generateTopology(.fatTree3, options: GeneratorOptions(radix: 24))
        let hosts = text.split(separator: "\n").filter { $0.hasPrefix("Hca") }.count
        let switches = text.split(separator: "\n").filter { $0.hasPrefix("Switch") }.count
        #expect(hosts == 3456)
        #expect(switches == 24 * 24 + 144)
    }

    @Test func torusAndMesh() throws {
        let torus = try generateFabric(.torus2D, options: GeneratorOptions(hostsPerSwitch: 2, dimensions: [4, 3]))
        #expect(torus.switches.count == 12 && torus.channelAdapters.count == 24)
        #expect(degrees(torus, prefix: "sw-") == Array(repeating: 6, count: 12))  // 2 hosts + 4 neighbors
        #expect(Set(neighborNames(torus, try index(torus, "sw-0-0"))) == ["sw-1-0", "sw-3-0", "sw-0-1", "sw-0-2", "host-0", "host-1"])
        #expect(torus.isConnected)

        let torus3 = try generateFabric(.torus3D, options: GeneratorOptions(dimensions: [3, 3, 3]))
        #expect(torus3.switches.count == 27)
        #expect(degrees(torus3, prefix: "sw-") == Array(repeating: 7, count: 27))
        #expect(torus3.links.count == 27 * 3 + 27)

        let mesh = try generateFabric(.mesh2D, options: GeneratorOptions(dimensions: [5, 3]))
        #expect(mesh.switches.count == 15)
        #expect(mesh.links.count == (4 * 3 + 5 * 2) + 15)
        #expect(neighborNames(mesh, try index(mesh, "sw-0-0")).sorted() == ["host-0", "sw-0-1", "sw-1-0"])
        #expect(neighborNames(mesh, try index(mesh, "sw-2-1")).count == 5)

        let mesh3 = try generateFabric(.mesh3D, options: GeneratorOptions(hostsPerSwitch: 0, dimensions: [2, 2, 2]))
        #expect(mesh3.channelAdapters.isEmpty)
        #expect(mesh3.links.count == 12)  // a cube's edges
        #expect(mesh3.isConnected)
    }

    @Test func dragonflyConnectsEveryPairOfGroupsOnce() throws {
        let fabric = try generateFabric(.dragonfly, options: GeneratorOptions(routersPerGroup: 4, globalLinksPerRouter: 2))
        #expect(fabric.switches.count == 9 * 4)
        #expect(fabric.channelAdapters.count == 9 * 4 * 2)
        #expect(degrees(fabric, prefix: "group-") == Array(repeating: 2 + 3 + 2, count: 36))
        var pairs: [String: Int] = [:]
        for link in fabric.links {
            let a = fabric.nodes[link.a.node].description.split(separator: "-")
            let b = fabric.nodes[link.b.node].description.split(separator: "-")
            guard a[0] == "group", b[0] == "group", a[1] != b[1] else { continue }
            pairs[[String(a[1]), String(b[1])].sorted().joined(separator: "/"), default: 0] += 1
        }
        #expect(pairs.count == 9 * 8 / 2)
        #expect(pairs.values.allSatisfy { $0 == 1 })
        #expect(fabric.isConnected)
    }

    @Test func randomIsDeterministicConnectedAndRespectsCounts() throws {
        let options = GeneratorOptions(radix: 6, switches: 20, hosts: 30, seed: 99)
        let text = try generateTopology(.random, options: options)
        #expect(try generateTopology(.random, options: options) == text)
        var other = options
        other.seed = 100
        #expect(try generateTopology(.random, options: other) != text)
        for seed: UInt64 in 0..<20 {
            var o = options
            o.seed = seed
            let fabric = try generateFabric(.random, options: o)
            #expect(fabric.switches.count == 20 && fabric.channelAdapters.count == 30)
            #expect(fabric.isConnected, "seed \(seed)")
            #expect(fabric.linkCounts.allSatisfy { $0 <= 6 })
        }
        let sparse = try generateFabric(.random, options: GeneratorOptions(radix: 8, switches: 10, hosts: 5, extraLinks: 3))
        let switchLinks = sparse.links.filter { sparse.nodes[$0.a.node].type == .switch && sparse.nodes[$0.b.node].type == .switch }
        #expect(switchLinks.count == 9 + 3)
    }

    @Test func dualRailHostsSpanBothRailsAndShareSpines() throws {
        let fabric = try generateFabric(.dualRail, options: GeneratorOptions(radix: 8))
        #expect(fabric.channelAdapters.count == 16)
        #expect(fabric.switches.count == 4 + 4 + 4)
        for host in fabric.channelAdapters {
            let node = fabric.nodes[host]
            #expect(node.portCount == 2)
            let a = try #require(node.port(1)?.remote)
            let b = try #require(node.port(2)?.remote)
            #expect(fabric.nodes[a.node].description.hasPrefix("rail-a-leaf-"))
            #expect(fabric.nodes[b.node].description.hasPrefix("rail-b-leaf-"))
        }
        let spine = try index(fabric, "spine-0")
        let names = neighborNames(fabric, spine)
        #expect(names.filter { $0.hasPrefix("rail-a-") }.count == 4)
        #expect(names.filter { $0.hasPrefix("rail-b-") }.count == 4)
        #expect(fabric.isConnected)
    }

    @Test(arguments: FabricKind.allCases)
    func removingLinksKeepsTheFabricConnected(kind: FabricKind) throws {
        let full = try generateFabric(kind, options: GeneratorOptions(seed: 5))
        let options = GeneratorOptions(seed: 5, removeLinks: 3)
        let reduced = try generateFabric(kind, options: options)
        #expect(reduced.links.count == full.links.count - 3)
        #expect(reduced.isConnected)
        #expect(reduced.nodes.count == full.nodes.count)
        // Only switch-to-switch links went away.
        let lost = full.differences(from: reduced)
        #expect(lost.count == 3)
        #expect(lost.allSatisfy { $0.hasSuffix("only on the left") })
        for line in lost {
            #expect(!line.contains("0x00000000001"), "a host link was removed: \(line)")
        }
        #expect(try generateTopology(kind, options: options) == generateTopology(kind, options: options))
    }

    @Test func removingTooManyLinksIsAnError() throws {
        // A 3-switch mesh line has 2 switch links; neither can go.
        #expect(throws: GeneratorError.self) {
            try generateTopology(.mesh2D, options: GeneratorOptions(dimensions: [3, 1], removeLinks: 1))
        }
        // fat-tree-2 with radix 4: 4 leaves x 2 spines = 8 links; 6 switches need 5 of them, so 3 can go.
        let error = #expect(throws: GeneratorError.self) {
            try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4, removeLinks: 4))
        }
        #expect(error?.description.contains("cannot remove 4") == true)
        _ = try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4, removeLinks: 3))
    }

    @Test func parameterErrorsAreOneClearLine() throws {
        let cases: [(FabricKind, GeneratorOptions, String)] = [
            (.fatTree2, GeneratorOptions(radix: 8, spines: 6), "6 spines need 10 leaf ports"),
            (.fatTree2, GeneratorOptions(radix: 8, leaves: 9), "9 leaves need 9 spine ports"),
            (.fatTree3, GeneratorOptions(radix: 7), "radix must be even"),
            (.fatTree3, GeneratorOptions(radix: 300), "radix must be in 1...254"),
            (.torus2D, GeneratorOptions(dimensions: [4, 4, 4]), "needs 2 dimensions"),
            (.torus3D, GeneratorOptions(radix: 4, dimensions: [2, 2, 2]), "need radix 7"),
            (.mesh2D, GeneratorOptions(dimensions: [0, 3]), "dimension sizes must be in 1...1000"),
            (.dragonfly, GeneratorOptions(groups: 5, routersPerGroup: 1, globalLinksPerRouter: 1), "at least 2 global links"),
            (.random, GeneratorOptions(radix: 2, switches: 4, hosts: 3), "3 hosts do not fit"),
            (.random, GeneratorOptions(radix: 3, switches: 2, hosts: 0, extraLinks: 5), "only 2 of 5 extra links"),
            (.dualRail, GeneratorOptions(radix: 8, leaves: 5), "2 rails x 5 leaves need 10 spine ports"),
            (.fatTree2, GeneratorOptions(removeLinks: -1), "must not be negative"),
        ]
        for (kind, options, expected) in cases {
            let error = #expect(throws: GeneratorError.self, "\(kind) \(options)") { try generateTopology(kind, options: options) }
            let text = error?.description ?? ""
            #expect(text.contains(expected), "\(text)")
            #expect(text.hasPrefix(kind.rawValue + ":"), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test func generatedTextIsPlainIbsimFormat() throws {
        let text = try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(
                line.isEmpty || line.hasPrefix("#") || line.hasPrefix("Switch\t") || line.hasPrefix("Hca\t")
                    || line.hasPrefix("["), "\(line)")
        }
        let parsed = try TopologyFile.parseDetailed(text)
        #expect(parsed.nodeIDs == parsed.fabric.nodes.map(\.description))
        #expect(parsed.fabric.ibsimLimits == IbsimLimits(nodes: 14, switches: 6, ports: 6 * 5 + 8))
    }

    @Test func dimensionsAndKindsFromCommandLineText() throws {
        #expect(try GeneratorOptions.parseDimensions("4x3") == [4, 3])
        #expect(try GeneratorOptions.parseDimensions("2,3,4") == [2, 3, 4])
        #expect(throws: GeneratorError.self) { try GeneratorOptions.parseDimensions("4xy") }
        #expect(throws: GeneratorError.self) { try GeneratorOptions.parseDimensions("0x4") }
        #expect(FabricKind(rawValue: "fat-tree-3") == .fatTree3)
        #expect(FabricKind.allCases.map(\.rawValue) == [
            "fat-tree-2", "fat-tree-3", "torus-2d", "torus-3d", "mesh-2d", "mesh-3d", "dragonfly", "random", "dual-rail",
        ])
    }
}
