import IBWire

extension Fabric {
    /// The fabric as a Graphviz graph: switches as boxes, CAs as ellipses, routers as hexagons,
    /// each node named by its GUID and labelled with its description; one undirected edge per link,
    /// labelled `<port>-<port>` (this end first; `taillabel`/`headlabel` carry the same numbers).
    /// Nodes in `nodesInWriterOrder`, edges in `links` order.
    public func dotText(name: String = "fabric") -> String {
        var out = "graph \(Self.dotID(name)) {\n"
        out += "  node [fontsize=10];\n"
        out += "  edge [fontsize=8];\n"
        for index in nodesInWriterOrder {
            let node = nodes[index]
            let shape: String
            switch node.type {
            case .switch: shape = "box"
            case .channelAdapter: shape = "ellipse"
            case .router: shape = "hexagon"
            }
            out += "  \(Self.dotID(node.guid.description)) [shape=\(shape), label=\(Self.dotID(node.description + "\n" + node.guid.description))];\n"
        }
        for link in links {
            let a = nodes[link.a.node].guid.description
            let b = nodes[link.b.node].guid.description
            out += "  \(Self.dotID(a)) -- \(Self.dotID(b)) [label=\"\(link.a.port)-\(link.b.port)\", taillabel=\"\(link.a.port)\", headlabel=\"\(link.b.port)\"];\n"
        }
        out += "}\n"
        return out
    }

    /// A quoted DOT identifier.
    static func dotID(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
