import FabricModel
import IBWire

/// What the sweep tells about M_Keys: ports it cannot configure because they hold another key, ports
/// that counted SMPs with a wrong key, and ports whose agent ignores M_Key.
enum MKeyAudit {
    /// Warnings from the PortInfo discovery read, with Gets carrying `key`. Only endports (CA ports,
    /// switch port 0) hold a key.
    static func warnings(for fabric: Fabric, carrying key: UInt64) -> [String] {
        var locked: [PortAddress] = []
        var violations: [(PortAddress, UInt16)] = []
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports.compactMap({ $0 }) where node.type != .switch || port.number == .management {
                guard let info = port.info else { continue }
                let address = PortAddress(node: index, port: port.number)
                if info.mayRefuseSets(carrying: key) { locked.append(address) }
                if info.mKeyViolations > 0 { violations.append((address, info.mKeyViolations)) }
            }
        }
        var warnings: [String] = []
        if !locked.isEmpty {
            warnings.append("\(locked.count) port(s) hold an M_Key other than this SM's, so they will refuse its Sets (give the key with --mkey): "
                + firstFew(locked.map { fabric.describe($0) }))
        }
        if !violations.isEmpty {
            warnings.append("\(violations.count) port(s) have refused SMPs with a wrong M_Key (MKeyViolations): "
                + firstFew(violations.map { "\(fabric.describe($0.0)) \($0.1)" }))
        }
        return warnings
    }

    /// The warning for ports that answered a Set of the M_Key without keeping it.
    static func notKeptWarning(_ ports: [PortAddress], in fabric: Fabric) -> String? {
        guard !ports.isEmpty else { return nil }
        return "\(ports.count) port(s) did not keep the M_Key they were given, so they are not protected (their agent ignores M_Key, as ibsim's does): "
            + firstFew(ports.sorted().map { fabric.describe($0) })
    }
}

/// The first few of a list of places, for a one-line warning or problem: `a, b, c, d, e, ...`.
func firstFew(_ items: [String], size: Int = 5) -> String {
    items.prefix(size).joined(separator: ", ") + (items.count > size ? ", ..." : "")
}
