import IBWire

/// The shapes `generateTopology(_:options:)` can build. The raw values are the names a command line
/// uses (`swiftsm fabric generate fat-tree-2 --radix 8`).
public enum FabricKind: String, CaseIterable, Sendable {
    /// Two-level fat tree (leaf/spine). Defaults from `radix` k: k leaves with k/2 hosts each and
    /// k/2 spines; every leaf has one link to every spine. Leaf ports: hosts first, then spines.
    case fatTree2 = "fat-tree-2"
    /// Three-level k-ary fat tree: k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 cores,
    /// k^3/4 hosts (k=24: 3,456 hosts; k=36: 11,664 hosts and 1,620 switches). All switches have k ports.
    case fatTree3 = "fat-tree-3"
    /// 2D torus of `dimensions` (e.g. [4, 4]) with `hostsPerSwitch` hosts on each switch.
    case torus2D = "torus-2d"
    /// 3D torus of `dimensions` (e.g. [4, 4, 4]).
    case torus3D = "torus-3d"
    /// 2D mesh (a torus without wrap-around links).
    case mesh2D = "mesh-2d"
    /// 3D mesh.
    case mesh3D = "mesh-3d"
    /// Dragonfly: `groups` groups of `routersPerGroup` switches, all-to-all inside a group,
    /// `hostsPerSwitch` hosts and `globalLinksPerRouter` global links per switch, spread evenly over
    /// group pairs (with groups = routers × global links + 1, every pair of groups gets one link).
    case dragonfly
    /// `switches` switches of `radix` ports and `hosts` hosts, connected at random from `seed`
    /// (a random spanning tree first, so always connected), then `extraLinks` more switch links
    /// (default: until the free ports run out).
    case random
    /// Two-rail leaf/spine: rails A and B each have `leaves` leaves with `hostsPerSwitch` host ports;
    /// every host is an `Hca 2` with port 1 on a rail-A leaf and port 2 on a rail-B leaf; one shared
    /// layer of `spines` spines links to every leaf of both rails, so the subnet is one fabric.
    case dualRail = "dual-rail"
}

/// Parameters for `generateTopology(_:options:)`. Every field is optional: unset fields get the
/// per-kind defaults documented on `FabricKind`; fields a kind does not use are ignored.
/// Meant to be filled straight from command-line options.
public struct GeneratorOptions: Sendable, Equatable {
    /// Switch port count k (fat trees, dual rail, random). Default 8. For torus/mesh/dragonfly the
    /// default is the ports needed; a larger value leaves spare ports.
    public var radix: Int?
    /// fat-tree-2: number of leaves (default k); dual-rail: leaves per rail (default k/2).
    public var leaves: Int?
    /// fat-tree-2 and dual-rail: number of spines (default k/2).
    public var spines: Int?
    /// Hosts on each leaf/edge/torus switch/dragonfly router (defaults: k/2 for fat trees and dual
    /// rail, 1 for torus/mesh, 2 for dragonfly).
    public var hostsPerSwitch: Int?
    /// Torus/mesh sizes, 2 or 3 values matching the kind (default [4, 4] or [3, 3, 3]).
    public var dimensions: [Int]?
    /// Dragonfly: number of groups (default routersPerGroup × globalLinksPerRouter + 1).
    public var groups: Int?
    /// Dragonfly: switches per group (default 4).
    public var routersPerGroup: Int?
    /// Dragonfly: global links per switch (default 2).
    public var globalLinksPerRouter: Int?
    /// Random: number of switches (default 8).
    public var switches: Int?
    /// Random: number of hosts (default = switches).
    public var hosts: Int?
    /// Random: switch-to-switch links beyond the spanning tree (default: as many as the ports allow).
    public var extraLinks: Int?
    /// Seed for everything random (the random kind and link removal). Same seed, same text.
    public var seed: UInt64
    /// Remove this many random switch-to-switch links, keeping the fabric connected (any kind).
    public var removeLinks: Int

    public init(
        radix: Int? = nil, leaves: Int? = nil, spines: Int? = nil, hostsPerSwitch: Int? = nil,
        dimensions: [Int]? = nil, groups: Int? = nil, routersPerGroup: Int? = nil,
        globalLinksPerRouter: Int? = nil, switches: Int? = nil, hosts: Int? = nil, extraLinks: Int? = nil,
        seed: UInt64 = 1, removeLinks: Int = 0
    ) {
        self.radix = radix
        self.leaves = leaves
        self.spines = spines
        self.hostsPerSwitch = hostsPerSwitch
        self.dimensions = dimensions
        self.groups = groups
        self.routersPerGroup = routersPerGroup
        self.globalLinksPerRouter = globalLinksPerRouter
        self.switches = switches
        self.hosts = hosts
        self.extraLinks = extraLinks
        self.seed = seed
        self.removeLinks = removeLinks
    }
}

extension GeneratorOptions {
    /// Parses `4x4`, `4x3x2` or `4,4,4` (the form a `--dimensions` option takes).
    public static func parseDimensions(_ text: String) throws(GeneratorError) -> [Int] {
        let parts = text.split(whereSeparator: { $0 == "x" || $0 == "X" || $0 == "," }).map { $0.trimmingSpaces }
        var sizes: [Int] = []
        for part in parts {
            guard let size = Int(part), size >= 1 else {
                throw GeneratorError("dimensions: '\(text)' is not sizes like 4x4 or 4x4x4")
            }
            sizes.append(size)
        }
        guard !sizes.isEmpty else { throw GeneratorError("dimensions: '\(text)' is not sizes like 4x4 or 4x4x4") }
        return sizes
    }
}

/// A parameter problem, one line (`fat-tree-2: 6 hosts + 5 spines need 11 leaf ports, radix is 8`).
public struct GeneratorError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds a topology as ibsim net-file text: `# ` header comments (kind, parameters, counts and
/// the `ibsim -N -S -P` limits it needs), then switches, then hosts, each node as
/// `Switch <ports> "<name>"` / `Hca <ports> "<name>"` with one `[p] "<remote>"[rp]` line per linked
/// port and a blank line after it. Names are descriptive and distinct (`leaf-3`, `spine-0`,
/// `host-17`, `edge-2-1`, `sw-1-2`, `group-3-router-1`, `rail-b-leaf-0`); they are the node
/// descriptions too. ibsim's default attach point is the first node (a switch): use
/// `SIM_HOST=host-0` to attach as a host. Deterministic: same kind and options, same text.
public func generateTopology(_ kind: FabricKind, options: GeneratorOptions = GeneratorOptions()) throws(GeneratorError) -> String {
    var graph = try buildGraph(kind, options)
    guard options.removeLinks >= 0 else { throw GeneratorError("\(kind.rawValue): removeLinks must not be negative") }
    if options.removeLinks > 0 {
        var rng = SplitMix64(seed: options.seed ^ 0x5EED_0F_11AB)
        try graph.removeSwitchLinks(options.removeLinks, rng: &rng, kind: kind)
    }
    guard graph.isConnected else { throw GeneratorError("\(kind.rawValue): the generated fabric is not connected") }
    return graph.text(header: describe(kind, options))
}

/// `generateTopology` parsed into a `Fabric` (GUIDs as ibsim assigns them for that text).
public func generateFabric(_ kind: FabricKind, options: GeneratorOptions = GeneratorOptions()) throws(GeneratorError) -> Fabric {
    let text = try generateTopology(kind, options: options)
    do {
        return try TopologyFile.parse(text, source: "generated \(kind.rawValue)")
    } catch {
        throw GeneratorError("internal error: generated text does not parse: \(error)")
    }
}

/// The `-N`/`-S`/`-P` limits ibsim needs to load a fabric (its defaults are 2048/256/13312).
public struct IbsimLimits: Equatable, Sendable {
    public var nodes: Int
    public var switches: Int
    /// Ports as ibsim counts them: switch ports including port 0, CA ports.
    public var ports: Int
    public init(nodes: Int, switches: Int, ports: Int) {
        self.nodes = nodes
        self.switches = switches
        self.ports = ports
    }
    /// `["-N", "…", "-S", "…", "-P", "…"]`, each at least ibsim's default.
    public var arguments: [String] {
        ["-N", String(max(nodes, 2048)), "-S", String(max(switches, 256)), "-P", String(max(ports, 13312))]
    }
}

extension Fabric {
    /// The ibsim limits this fabric needs.
    public var ibsimLimits: IbsimLimits {
        IbsimLimits(
            nodes: nodes.count, switches: switches.count,
            ports: nodes.reduce(0) { $0 + $1.portCount + ($1.type == .switch ? 1 : 0) })
    }
}

private func describe(_ kind: FabricKind, _ o: GeneratorOptions) -> String {
    var parts = [kind.rawValue]
    func add(_ name: String, _ value: Int?) { if let value { parts.append("\(name)=\(value)") } }
    add("radix", o.radix)
    add("leaves", o.leaves)
    add("spines", o.spines)
    add("hosts-per-switch", o.hostsPerSwitch)
    if let d = o.dimensions { parts.append("dimensions=" + d.map(String.init).joined(separator: "x")) }
    add("groups", o.groups)
    add("routers-per-group", o.routersPerGroup)
    add("global-links-per-router", o.globalLinksPerRouter)
    add("switches", o.switches)
    add("hosts", o.hosts)
    add("extra-links", o.extraLinks)
    if kind == .random || o.removeLinks > 0 { parts.append("seed=\(o.seed)") }
    if o.removeLinks > 0 { parts.append("remove-links=\(o.removeLinks)") }
    return parts.joined(separator: " ")
}

// MARK: - Graph under construction

struct TopologyGraph {
    struct Node {
        var type: NodeType
        var name: String
        /// Index = port number; slot 0 unused.
        var peers: [(node: Int, port: Int)?]
    }

    var nodes: [Node] = []

    mutating func add(_ type: NodeType, _ name: String, ports: Int) -> Int {
        nodes.append(Node(type: type, name: name, peers: Array(repeating: nil, count: ports + 1)))
        return nodes.count - 1
    }

    /// Cables `count` single-port hosts to ports 1...count of each switch in turn, named host-0, host-1, ...
    mutating func attachHosts(_ count: Int, toEach switches: some Sequence<Int>) {
        var number = 0
        for sw in switches {
            for slot in 0..<count {
                let host = add(.channelAdapter, "host-\(number)", ports: 1)
                number += 1
                link(sw, slot + 1, host, 1)
            }
        }
    }

    mutating func link(_ a: Int, _ pa: Int, _ b: Int, _ pb: Int) {
        precondition(nodes[a].peers[pa] == nil && nodes[b].peers[pb] == nil, "port already linked")
        nodes[a].peers[pa] = (b, pb)
        nodes[b].peers[pb] = (a, pa)
    }

    mutating func unlink(_ a: Int, _ pa: Int) {
        guard let peer = nodes[a].peers[pa] else { return }
        nodes[a].peers[pa] = nil
        nodes[peer.node].peers[peer.port] = nil
    }

    func freePort(_ node: Int) -> Int? {
        let peers = nodes[node].peers
        for port in 1..<peers.count where peers[port] == nil { return port }
        return nil
    }

    /// Links the lowest free ports of two different nodes.
    mutating func linkFree(_ a: Int, _ b: Int) {
        precondition(a != b)
        link(a, freePort(a)!, b, freePort(b)!)
    }

    func adjacent(_ a: Int, _ b: Int) -> Bool { nodes[a].peers.contains { $0?.node == b } }

    var isConnected: Bool {
        guard !nodes.isEmpty else { return true }
        var seen = Array(repeating: false, count: nodes.count)
        var stack = [0]
        seen[0] = true
        var count = 1
        while let current = stack.popLast() {
            for peer in nodes[current].peers {
                guard let next = peer?.node, !seen[next] else { continue }
                seen[next] = true
                count += 1
                stack.append(next)
            }
        }
        return count == nodes.count
    }

    /// Removes `count` random switch-to-switch links, each one only if the fabric stays connected.
    mutating func removeSwitchLinks(_ count: Int, rng: inout SplitMix64, kind: FabricKind) throws(GeneratorError) {
        var candidates: [(Int, Int)] = []
        for (index, node) in nodes.enumerated() where node.type == .switch {
            for port in 1..<node.peers.count {
                guard let peer = node.peers[port], nodes[peer.node].type == .switch else { continue }
                if (index, port) < (peer.node, peer.port) { candidates.append((index, port)) }
            }
        }
        rng.shuffle(&candidates)
        var removed = 0
        for (node, port) in candidates where removed < count {
            let peer = nodes[node].peers[port]!
            unlink(node, port)
            if isConnected {
                removed += 1
            } else {
                link(node, port, peer.node, peer.port)
            }
        }
        guard removed == count else {
            throw GeneratorError(
                "\(kind.rawValue): cannot remove \(count) switch-to-switch links and stay connected; only \(removed) of \(candidates.count) could be removed"
            )
        }
    }

    func text(header: String) -> String {
        let switchCount = nodes.filter { $0.type == .switch }.count
        let linkCount = nodes.reduce(0) { $0 + $1.peers.reduce(0) { $0 + ($1 == nil ? 0 : 1) } } / 2
        let ports = nodes.reduce(0) { $0 + $1.peers.count - ($1.type == .switch ? 0 : 1) }
        let limits = IbsimLimits(nodes: nodes.count, switches: switchCount, ports: ports)
        var out = "# SwiftSM generated fabric: \(header)\n"
        out += "# \(switchCount) switches, \(nodes.count - switchCount) hosts, \(linkCount) links\n"
        out += "# load with: ibsim -s -n \(limits.arguments.joined(separator: " ")) <this file>\n"
        let order = nodes.indices.filter { nodes[$0].type == .switch } + nodes.indices.filter { nodes[$0].type != .switch }
        for index in order {
            let node = nodes[index]
            let keyword = node.type == .switch ? "Switch" : (node.type == .router ? "Rt" : "Hca")
            out += "\n\(keyword)\t\(node.peers.count - 1) \"\(node.name)\"\n"
            for port in 1..<node.peers.count {
                guard let peer = node.peers[port] else { continue }
                out += "[\(port)]\t\"\(nodes[peer.node].name)\"[\(peer.port)]\n"
            }
        }
        return out
    }
}

// MARK: - Deterministic randomness

/// SplitMix64: a small seeded generator whose output does not depend on the Swift version
/// (the standard library's `random(in:using:)` and `shuffle(using:)` algorithms may change).
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in 0..<bound (bound > 0), without modulo bias.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let value = next()
            if value < limit { return Int(value % b) }
        }
    }

    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, below(i + 1))
        }
    }
}
