import IBWire

extension Fabric {
    /// The fabric as pretty-printed JSON with a fixed key order (2-space indent, one key per line):
    ///
    ///     {
    ///       "nodeCount": 2, "linkCount": 1,
    ///       "nodes": [ { "type": "Switch", "guid": "0x…", "systemImageGUID": "0x…",
    ///                    "description": "…", "portCount": 8, "vendorID": "0x0", "deviceID": "0x0",
    ///                    "lid": 0,                          // base LID
    ///                    "ports": [ { "number": 1, "guid": "0x…", "lid": 0, "lmc": 0,
    ///                                 "state": "Initialize", "physicalState": "LinkUp",
    ///                                 "width": "4x", "speed": "SDR",
    ///                                 "remote": { "guid": "0x…", "port": 3 } } ] } ]
    ///     }
    ///
    /// `type` is `Switch`, `CA` or `Router`; `remote` is null for unlinked ports. Only ports the model
    /// knows are listed (switch port 0 included). Nodes in `nodesInWriterOrder`.
    public func jsonText() -> String {
        var out = "{\n"
        out += "  \"nodeCount\": \(nodes.count),\n"
        out += "  \"linkCount\": \(links.count),\n"
        out += "  \"nodes\": ["
        let order = nodesInWriterOrder
        for (position, index) in order.enumerated() {
            let node = nodes[index]
            out += position == 0 ? "\n" : ",\n"
            out += "    {\n"
            out += "      \"type\": \(Self.jsonString(node.type.description)),\n"
            out += "      \"guid\": \"\(node.guid)\",\n"
            out += "      \"systemImageGUID\": \"\(node.systemImageGUID)\",\n"
            out += "      \"description\": \(Self.jsonString(node.description)),\n"
            out += "      \"portCount\": \(node.portCount),\n"
            out += "      \"vendorID\": \"0x\(String(node.vendorID, radix: 16))\",\n"
            out += "      \"deviceID\": \"0x\(String(node.deviceID, radix: 16))\",\n"
            out += "      \"lid\": \(node.baseLID.rawValue),\n"
            let ports = node.ports.compactMap { $0 }
            out += "      \"ports\": ["
            for (portPosition, port) in ports.enumerated() {
                out += portPosition == 0 ? "\n" : ",\n"
                out += "        {\n"
                out += "          \"number\": \(port.number.rawValue),\n"
                out += "          \"guid\": \"\(port.guid)\",\n"
                out += "          \"lid\": \(port.lid.rawValue),\n"
                out += "          \"lmc\": \(port.lmc),\n"
                out += "          \"state\": \(Self.jsonString(port.state.description)),\n"
                out += "          \"physicalState\": \(Self.jsonString(port.physicalState.description)),\n"
                out += "          \"width\": \(Self.jsonString(port.width.description)),\n"
                out += "          \"speed\": \(Self.jsonString(port.speed.rawValue)),\n"
                if let remote = port.remote {
                    out += "          \"remote\": {\n"
                    out += "            \"guid\": \"\(nodes[remote.node].guid)\",\n"
                    out += "            \"port\": \(remote.port.rawValue)\n"
                    out += "          }\n"
                } else {
                    out += "          \"remote\": null\n"
                }
                out += "        }"
            }
            out += ports.isEmpty ? "]\n" : "\n      ]\n"
            out += "    }"
        }
        out += order.isEmpty ? "]\n" : "\n  ]\n"
        out += "}\n"
        return out
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
