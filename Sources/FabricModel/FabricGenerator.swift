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

// MARK: - Shapes

private func positive(_ kind: FabricKind, _ name: String, _ value: Int?, default fallback: Int, minimum: Int = 1) throws(GeneratorError) -> Int {
    let v = value ?? fallback
    guard v >= minimum else { throw GeneratorError("\(kind.rawValue): \(name) must be at least \(minimum), got \(v)") }
    guard v <= 1_000_000 else { throw GeneratorError("\(kind.rawValue): \(name) \(v) is too large") }
    return v
}

private func checkRadix(_ kind: FabricKind, _ radix: Int) throws(GeneratorError) {
    guard radix >= 1, radix <= 254 else { throw GeneratorError("\(kind.rawValue): radix must be in 1...254, got \(radix)") }
}

private func buildGraph(_ kind: FabricKind, _ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    switch kind {
    case .fatTree2: return try fatTree2(o)
    case .fatTree3: return try fatTree3(o)
    case .torus2D: return try grid(kind, o, dims: 2, wrap: true)
    case .torus3D: return try grid(kind, o, dims: 3, wrap: true)
    case .mesh2D: return try grid(kind, o, dims: 2, wrap: false)
    case .mesh3D: return try grid(kind, o, dims: 3, wrap: false)
    case .dragonfly: return try dragonfly(o)
    case .random: return try randomFabric(o)
    case .dualRail: return try dualRail(o)
    }
}

private func fatTree2(_ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    let kind = FabricKind.fatTree2
    let k = try positive(kind, "radix", o.radix, default: 8, minimum: 2)
    try checkRadix(kind, k)
    let leaves = try positive(kind, "leaves", o.leaves, default: k)
    let spines = try positive(kind, "spines", o.spines, default: k / 2)
    let hosts = try positive(kind, "hosts per switch", o.hostsPerSwitch, default: k / 2, minimum: 0)
    guard hosts + spines <= k else {
        throw GeneratorError("fat-tree-2: \(hosts) hosts + \(spines) spines need \(hosts + spines) leaf ports, radix is \(k)")
    }
    guard leaves <= k else { throw GeneratorError("fat-tree-2: \(leaves) leaves need \(leaves) spine ports, radix is \(k)") }
    var g = TopologyGraph()
    let leafNodes = (0..<leaves).map { g.add(.switch, "leaf-\($0)", ports: k) }
    let spineNodes = (0..<spines).map { g.add(.switch, "spine-\($0)", ports: k) }
    for (i, leaf) in leafNodes.enumerated() {
        for (j, spine) in spineNodes.enumerated() { g.link(leaf, hosts + 1 + j, spine, i + 1) }
    }
    g.attachHosts(hosts, toEach: leafNodes)
    return g
}

private func fatTree3(_ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    let kind = FabricKind.fatTree3
    let k = try positive(kind, "radix", o.radix, default: 8, minimum: 2)
    try checkRadix(kind, k)
    guard k % 2 == 0 else { throw GeneratorError("fat-tree-3: radix must be even, got \(k)") }
    let half = k / 2
    let hosts = try positive(kind, "hosts per switch", o.hostsPerSwitch, default: half, minimum: 0)
    guard hosts <= half else { throw GeneratorError("fat-tree-3: at most \(half) hosts per edge switch with radix \(k), got \(hosts)") }
    var g = TopologyGraph()
    var edges: [[Int]] = []
    var aggs: [[Int]] = []
    for pod in 0..<k {
        edges.append((0..<half).map { g.add(.switch, "edge-\(pod)-\($0)", ports: k) })
    }
    for pod in 0..<k {
        aggs.append((0..<half).map { g.add(.switch, "agg-\(pod)-\($0)", ports: k) })
    }
    let cores = (0..<(half * half)).map { g.add(.switch, "core-\($0)", ports: k) }
    for pod in 0..<k {
        for (e, edge) in edges[pod].enumerated() {
            for (a, agg) in aggs[pod].enumerated() { g.link(edge, half + 1 + a, agg, e + 1) }
        }
        for (a, agg) in aggs[pod].enumerated() {
            for j in 0..<half { g.link(agg, half + 1 + j, cores[a * half + j], pod + 1) }
        }
    }
    g.attachHosts(hosts, toEach: edges.joined())
    return g
}

private func grid(_ kind: FabricKind, _ o: GeneratorOptions, dims: Int, wrap: Bool) throws(GeneratorError) -> TopologyGraph {
    let sizes = o.dimensions ?? (dims == 2 ? [4, 4] : [3, 3, 3])
    guard sizes.count == dims else {
        throw GeneratorError("\(kind.rawValue): needs \(dims) dimensions, got \(sizes.count) (\(sizes.map(String.init).joined(separator: "x")))")
    }
    for size in sizes where size < 1 || size > 1000 {
        throw GeneratorError("\(kind.rawValue): dimension sizes must be in 1...1000, got \(size)")
    }
    let hosts = try positive(kind, "hosts per switch", o.hostsPerSwitch, default: 1, minimum: 0)
    let needed = hosts + 2 * dims
    let radix = o.radix ?? needed
    try checkRadix(kind, radix)
    guard radix >= needed else {
        throw GeneratorError("\(kind.rawValue): \(hosts) hosts + \(2 * dims) neighbor ports need radix \(needed), got \(radix)")
    }
    let count = sizes.reduce(1, *)
    guard count <= 100_000 else { throw GeneratorError("\(kind.rawValue): \(count) switches is too many") }
    var g = TopologyGraph()
    func coordinates(_ index: Int) -> [Int] {
        var rest = index
        return sizes.map { size in
            defer { rest /= size }
            return rest % size
        }
    }
    func index(_ c: [Int]) -> Int {
        var result = 0
        for d in stride(from: dims - 1, through: 0, by: -1) { result = result * sizes[d] + c[d] }
        return result
    }
    let switchNodes = (0..<count).map { g.add(.switch, "sw-" + coordinates($0).map(String.init).joined(separator: "-"), ports: radix) }
    for i in 0..<count {
        let c = coordinates(i)
        for d in 0..<dims where sizes[d] > 1 {
            var n = c
            n[d] += 1
            if n[d] == sizes[d] {
                guard wrap else { continue }
                n[d] = 0
            }
            // Plus port of this switch to the minus port of the next one along d.
            g.link(switchNodes[i], hosts + 1 + 2 * d, switchNodes[index(n)], hosts + 2 + 2 * d)
        }
    }
    g.attachHosts(hosts, toEach: switchNodes)
    return g
}

private func dragonfly(_ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    let kind = FabricKind.dragonfly
    let a = try positive(kind, "routers per group", o.routersPerGroup, default: 4)
    let h = try positive(kind, "global links per router", o.globalLinksPerRouter, default: 2, minimum: 0)
    let p = try positive(kind, "hosts per switch", o.hostsPerSwitch, default: 2, minimum: 0)
    let groups = try positive(kind, "groups", o.groups, default: a * h + 1)
    let needed = p + (a - 1) + h
    let radix = o.radix ?? needed
    try checkRadix(kind, radix)
    guard radix >= needed else {
        throw GeneratorError("dragonfly: \(p) hosts + \(a - 1) local + \(h) global links need radix \(needed), got \(radix)")
    }
    if groups == 2, a * h < 1 { throw GeneratorError("dragonfly: 2 groups need at least 1 global link per group") }
    if groups > 2, a * h < 2 {
        throw GeneratorError("dragonfly: \(groups) groups need at least 2 global links per group (routers x global links), got \(a * h)")
    }
    guard groups * a <= 100_000 else { throw GeneratorError("dragonfly: \(groups * a) switches is too many") }
    var g = TopologyGraph()
    var routers: [[Int]] = []
    for group in 0..<groups {
        routers.append((0..<a).map { g.add(.switch, "group-\(group)-router-\($0)", ports: radix) })
    }
    for group in 0..<groups {
        for r in 0..<a {
            for s in (r + 1)..<max(a, r + 1) {
                g.link(routers[group][r], p + 1 + (s - 1), routers[group][s], p + 1 + r)
            }
        }
    }
    // Global ports of each group, used router by router in turn.
    var slots: [[(router: Int, port: Int)]] = []
    for group in 0..<groups {
        var list: [(router: Int, port: Int)] = []
        for j in 0..<h { for r in 0..<a { list.append((routers[group][r], p + a + j)) } }
        slots.append(list)
    }
    var used = Array(repeating: 0, count: groups)
    var added = true
    while added, groups > 1 {
        added = false
        for offset in 1...(groups / 2) {
            for i in 0..<groups {
                let j = (i + offset) % groups
                if offset * 2 == groups, i >= j { continue }
                guard used[i] < slots[i].count, used[j] < slots[j].count else { continue }
                let x = slots[i][used[i]]
                let y = slots[j][used[j]]
                g.link(x.router, x.port, y.router, y.port)
                used[i] += 1
                used[j] += 1
                added = true
            }
        }
    }
    g.attachHosts(p, toEach: routers.joined())
    return g
}

private func randomFabric(_ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    let kind = FabricKind.random
    let n = try positive(kind, "switches", o.switches, default: 8)
    let radix = try positive(kind, "radix", o.radix, default: 8)
    try checkRadix(kind, radix)
    let hosts = try positive(kind, "hosts", o.hosts, default: n, minimum: 0)
    guard n <= 100_000 else { throw GeneratorError("random: \(n) switches is too many") }
    if n > 2, radix < 2 { throw GeneratorError("random: \(n) switches need radix at least 2 to be connected") }
    let free = n * radix - 2 * (n - 1)
    guard hosts <= free else {
        throw GeneratorError("random: \(hosts) hosts do not fit: \(n) switches of radix \(radix) have \(free) ports left after a spanning tree")
    }
    if let extra = o.extraLinks, extra < 0 { throw GeneratorError("random: extraLinks must not be negative, got \(extra)") }
    var rng = SplitMix64(seed: o.seed)
    var g = TopologyGraph()
    let switchNodes = (0..<n).map { g.add(.switch, "switch-\($0)", ports: radix) }
    // Random spanning tree: each switch, in a random order, joins a random earlier one with a free port.
    var order = Array(0..<n)
    rng.shuffle(&order)
    for position in 1..<max(n, 1) {
        let candidates = order[0..<position].filter { g.freePort(switchNodes[$0]) != nil }
        let parent = candidates[rng.below(candidates.count)]
        g.linkFree(switchNodes[order[position]], switchNodes[parent])
    }
    // Hosts on random switches with free ports.
    for hostNumber in 0..<hosts {
        let candidates = switchNodes.filter { g.freePort($0) != nil }
        let sw = candidates[rng.below(candidates.count)]
        let host = g.add(.channelAdapter, "host-\(hostNumber)", ports: 1)
        g.link(sw, g.freePort(sw)!, host, 1)
    }
    // Extra switch links between random switches with free ports, avoiding parallel links when possible.
    var added = 0
    while o.extraLinks.map({ added < $0 }) ?? true {
        let candidates = switchNodes.filter { g.freePort($0) != nil }
        guard candidates.count >= 2 else {
            if let extra = o.extraLinks {
                throw GeneratorError("random: only \(added) of \(extra) extra links fit in the free switch ports")
            }
            break
        }
        var pair = (candidates[0], candidates[1])
        for attempt in 0..<16 {
            let x = candidates[rng.below(candidates.count)]
            var y = candidates[rng.below(candidates.count - 1)]
            if y == x { y = candidates[candidates.count - 1] }
            pair = (x, y)
            if !g.adjacent(x, y) || attempt == 15 { break }
        }
        g.linkFree(pair.0, pair.1)
        added += 1
    }
    return g
}

private func dualRail(_ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
    let kind = FabricKind.dualRail
    let k = try positive(kind, "radix", o.radix, default: 8, minimum: 2)
    try checkRadix(kind, k)
    let leaves = try positive(kind, "leaves per rail", o.leaves, default: k / 2)
    let spines = try positive(kind, "spines", o.spines, default: k / 2)
    let hosts = try positive(kind, "hosts per switch", o.hostsPerSwitch, default: k / 2)
    guard hosts + spines <= k else {
        throw GeneratorError("dual-rail: \(hosts) hosts + \(spines) spines need \(hosts + spines) leaf ports, radix is \(k)")
    }
    guard 2 * leaves <= k else {
        throw GeneratorError("dual-rail: 2 rails x \(leaves) leaves need \(2 * leaves) spine ports, radix is \(k)")
    }
    var g = TopologyGraph()
    let railA = (0..<leaves).map { g.add(.switch, "rail-a-leaf-\($0)", ports: k) }
    let railB = (0..<leaves).map { g.add(.switch, "rail-b-leaf-\($0)", ports: k) }
    let spineNodes = (0..<spines).map { g.add(.switch, "spine-\($0)", ports: k) }
    for (j, spine) in spineNodes.enumerated() {
        for i in 0..<leaves {
            g.link(railA[i], hosts + 1 + j, spine, i + 1)
            g.link(railB[i], hosts + 1 + j, spine, leaves + i + 1)
        }
    }
    for number in 0..<(leaves * hosts) {
        let host = g.add(.channelAdapter, "host-\(number)", ports: 2)
        g.link(host, 1, railA[number / hosts], number % hosts + 1)
        g.link(host, 2, railB[number / hosts], number % hosts + 1)
    }
    return g
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
