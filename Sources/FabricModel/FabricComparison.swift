import IBWire

/// What `Fabric.differences(from:options:)` compares beyond the graph itself.
///
/// Always compared: the set of nodes (by node GUID), each node's type and port count, the GUIDs of
/// ports both sides know, and the set of links (each end identified by node GUID and port number).
public struct FabricComparisonOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Node descriptions.
    public static let descriptions = FabricComparisonOptions(rawValue: 1 << 0)
    /// Switch port 0 LID/LMC and CA/router port LIDs/LMCs.
    public static let lids = FabricComparisonOptions(rawValue: 1 << 1)
    /// The active width and speed of each link (as seen from both ends).
    public static let widthAndSpeed = FabricComparisonOptions(rawValue: 1 << 2)
    /// Port state and physical state of ports both sides know.
    public static let portStates = FabricComparisonOptions(rawValue: 1 << 3)
    /// System image GUID, vendor ID and device ID.
    public static let identity = FabricComparisonOptions(rawValue: 1 << 4)

    /// The graph and the descriptions: what ibnetdiscover output and a discovery agree on.
    public static let standard: FabricComparisonOptions = [.descriptions]
    public static let all: FabricComparisonOptions = [.descriptions, .lids, .widthAndSpeed, .portStates, .identity]
}

extension Fabric {
    /// Human-readable differences between this fabric ("left") and `other` ("right"), one line each,
    /// in a stable order (nodes by GUID, then links). Empty when they agree.
    ///
    /// Typical use in tests: `#expect(discovered.differences(from: generated) == [])`.
    /// - Parameter limit: stop after this many lines (a last line says how many were left out).
    public func differences(
        from other: Fabric, options: FabricComparisonOptions = .standard, limit: Int = 200
    ) -> [String] {
        var out: [String] = []
        var omitted = 0
        func note(_ line: String) {
            if out.count < limit { out.append(line) } else { omitted += 1 }
        }
        func name(_ node: FabricNode) -> String { "\(node.type) \(node.guid) \"\(node.description)\"" }

        let leftGUIDs = Set(nodes.map(\.guid))
        let rightGUIDs = Set(other.nodes.map(\.guid))
        for guid in leftGUIDs.union(rightGUIDs).sorted() {
            guard let left = node(guid) else {
                note("node \(name(other.node(guid)!)): only on the right")
                continue
            }
            guard let right = other.node(guid) else {
                note("node \(name(left)): only on the left")
                continue
            }
            let label = "node \(guid)"
            if left.type != right.type { note("\(label): type \(left.type) vs \(right.type)") }
            if options.contains(.descriptions), left.description != right.description {
                note("\(label): description \"\(left.description)\" vs \"\(right.description)\"")
            }
            if left.portCount != right.portCount { note("\(label): port count \(left.portCount) vs \(right.portCount)") }
            if options.contains(.identity) {
                if left.systemImageGUID != right.systemImageGUID {
                    note("\(label): system image GUID \(left.systemImageGUID) vs \(right.systemImageGUID)")
                }
                if left.vendorID != right.vendorID { note("\(label): vendor ID \(left.vendorID) vs \(right.vendorID)") }
                if left.deviceID != right.deviceID { note("\(label): device ID \(left.deviceID) vs \(right.deviceID)") }
            }
            if options.contains(.lids), left.type == .switch || right.type == .switch {
                let l = left.ports.first ?? nil
                let r = right.ports.first ?? nil
                if let l, let r, l.lid != r.lid || l.lmc != r.lmc {
                    note("\(label): switch LID \(l.lid) LMC \(l.lmc) vs LID \(r.lid) LMC \(r.lmc)")
                }
            }
            let shared = min(left.ports.count, right.ports.count)
            for number in 0..<shared {
                guard let l = left.ports[number], let r = right.ports[number] else { continue }
                if l.guid != r.guid { note("\(label) port \(number): GUID \(l.guid) vs \(r.guid)") }
                if options.contains(.lids), left.type != .switch, number > 0, l.lid != r.lid || l.lmc != r.lmc {
                    note("\(label) port \(number): LID \(l.lid) LMC \(l.lmc) vs LID \(r.lid) LMC \(r.lmc)")
                }
                if options.contains(.portStates), l.state != r.state || l.physicalState != r.physicalState {
                    note("\(label) port \(number): state \(l.state)/\(l.physicalState) vs \(r.state)/\(r.physicalState)")
                }
            }
        }

        let leftLinks = linkTable()
        let rightLinks = other.linkTable()
        for key in Set(leftLinks.keys).union(rightLinks.keys).sorted() {
            let text = "link \(key.a.guid)[\(key.a.port)] <-> \(key.b.guid)[\(key.b.port)]"
            switch (leftLinks[key], rightLinks[key]) {
            case (.some, .none): note("\(text): only on the left")
            case (.none, .some): note("\(text): only on the right")
            case (.some(let l), .some(let r)):
                if options.contains(.widthAndSpeed), l != r {
                    note("\(text): \(l.width)\(l.speed.rawValue) vs \(r.width)\(r.speed.rawValue)")
                }
            case (.none, .none): break
            }
        }
        if omitted > 0 { out.append("... and \(omitted) more differences") }
        return out
    }

    /// An end of a link, by GUID: independent of node indices.
    struct GUIDPort: Hashable, Comparable {
        var guid: GUID
        var port: PortNumber
        static func < (a: GUIDPort, b: GUIDPort) -> Bool { (a.guid, a.port) < (b.guid, b.port) }
    }

    struct GUIDLink: Hashable, Comparable {
        var a: GUIDPort
        var b: GUIDPort
        static func < (x: GUIDLink, y: GUIDLink) -> Bool { (x.a, x.b) < (y.a, y.b) }
    }

    struct LinkRate: Hashable {
        var width: LinkWidth
        var speed: LinkSpeed
    }

    /// Every link keyed by its ends (lower end first); the rate as the lower end reports it.
    func linkTable() -> [GUIDLink: LinkRate] {
        var table: [GUIDLink: LinkRate] = [:]
        for node in nodes {
            for port in node.ports.compactMap({ $0 }) {
                guard let remote = port.remote else { continue }
                let here = GUIDPort(guid: node.guid, port: port.number)
                let there = GUIDPort(guid: nodes[remote.node].guid, port: remote.port)
                let key = here < there ? GUIDLink(a: here, b: there) : GUIDLink(a: there, b: here)
                if here <= there || table[key] == nil {
                    table[key] = LinkRate(width: port.width, speed: port.speed)
                }
            }
        }
        return table
    }
}
