/// OpenSM's engine names, for an opensm.conf that SwiftSM is pointed at unchanged.
extension RoutingEngineKind {
    /// The engines an opensm.conf `routing_engine` list names, in SwiftSM's terms: minhop and updn are
    /// themselves; OpenSM's deadlock-free engines (nue, dfsssp, lash, torus-2QoS, dor) and ftree become
    /// `deadlock-free`, which keeps min-hop routes on trees. Nothing named: the default.
    public static func fromOpenSM(_ names: [String]) -> [RoutingEngineKind] {
        var kinds: [RoutingEngineKind] = []
        for name in names {
            let kind: RoutingEngineKind? = switch name.lowercased() {
            case "minhop": .minhop
            case "updn", "file": .updn
            case "nue", "dfsssp", "sssp", "lash", "torus-2qos", "dor", "ftree": .deadlockFree
            default: (try? RoutingEngineKind.parseList(name).get())?.first
            }
            if let kind, !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds.isEmpty ? RoutingEngineKind.defaultList : kinds
    }
}
