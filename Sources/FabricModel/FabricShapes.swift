import IBWire

// The shape of each generated fabric kind (`buildGraph`): switches, hosts and cables as a `TopologyGraph`.

private func positive(_ kind: FabricKind, _ name: String, _ value: Int?, default fallback: Int, minimum: Int = 1) throws(GeneratorError) -> Int {
    let v = value ?? fallback
    guard v >= minimum else { throw GeneratorError("\(kind.rawValue): \(name) must be at least \(minimum), got \(v)") }
    guard v <= 1_000_000 else { throw GeneratorError("\(kind.rawValue): \(name) \(v) is too large") }
    return v
}

private func checkRadix(_ kind: FabricKind, _ radix: Int) throws(GeneratorError) {
    guard radix >= 1, radix <= 254 else { throw GeneratorError("\(kind.rawValue): radix must be in 1...254, got \(radix)") }
}

func buildGraph(_ kind: FabricKind, _ o: GeneratorOptions) throws(GeneratorError) -> TopologyGraph {
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
