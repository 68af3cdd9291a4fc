import FabricModel
import IBWire

/// Attribute values for nodes described only by a topology: those ibsim gives a fresh fabric, so that
/// the simulator and ibsim answer alike for the same file.
extension SimulatedNode {
    init(model: FabricNode) {
        type = model.type
        nodeInfo = model.nodeInfo ?? Self.defaultNodeInfo(model)
        nodeDescription = NodeDescription(model.description)
        if model.type == .switch {
            switchInfo = model.switchInfo ?? Self.defaultSwitchInfo()
        }
        ports = model.ports.indices.map { number -> SimulatedPort? in
            if let port = model.ports[number] {
                return SimulatedPort(
                    guid: port.guid, info: port.info ?? Self.defaultPortInfo(number: number, model: model, port: port),
                    remote: port.remote)
            }
            if number == 0 && model.type != .switch { return nil }
            // A port the model says nothing about is an unconnected one; it still answers PortInfo.
            let guid = model.type == .switch ? model.guid : GUID(model.guid.rawValue + UInt64(number))
            return SimulatedPort(guid: guid, info: Self.defaultPortInfo(number: number, model: model, port: nil), remote: nil)
        }
    }

    static func defaultNodeInfo(_ model: FabricNode) -> NodeInfo {
        var info = NodeInfo()
        info.baseVersion = 1
        info.classVersion = 1
        info.nodeType = model.type
        info.portCount = model.portCount
        info.systemImageGUID = model.systemImageGUID
        info.nodeGUID = model.guid
        info.portGUID = model.guid
        info.partitionCap = model.type == .switch ? 8 : 64
        info.deviceID = model.deviceID
        info.revision = model.revision == 0 ? 0xA1 : model.revision
        info.vendorID = model.vendorID
        return info
    }

    static func defaultSwitchInfo() -> SwitchInfo {
        var info = SwitchInfo()
        info.linearFDBCap = 30720
        info.multicastFDBCap = 1024
        info.portStateChange = true
        info.partitionEnforcementCap = 64
        return info
    }

    static func defaultPortInfo(number: Int, model: FabricNode, port: FabricPort?) -> PortInfo {
        var info = PortInfo()
        let linked = port?.remote != nil
        let isSwitchPort0 = model.type == .switch && number == 0
        info.lid = port?.lid ?? .unassigned
        info.lmc = port?.lmc ?? 0
        info.capabilityMask = isSwitchPort0 ? 0xC048 : 0x50C048
        info.mKeyLeasePeriod = 4089
        info.localPortNumber = PortNumber(UInt8(number))
        info.linkWidthEnabled = LinkWidth.x4.rawValue
        info.linkWidthSupported = 0x1F
        info.linkWidthActive = port?.width ?? .x4
        info.linkSpeedSupported = 0x07
        let speed = (port?.speed ?? .sdr).encoding
        info.linkSpeedActive = speed.classic
        info.linkSpeedExtendedActive = speed.extended
        info.linkSpeedEnabled = speed.classic
        // ibsim 0.10 claims FDR to HDR (and NDR when one runs) only on ports running an extended speed.
        if speed.extended != 0 { info.linkSpeedExtendedSupported = 0x07 | (speed.extended & 0x08) }
        if isSwitchPort0 {
            info.state = .active
            info.physicalState = .linkUp
        } else {
            info.state = linked ? .initialize : .down
            info.physicalState = linked ? .linkUp : .polling
        }
        info.neighborMTU = isSwitchPort0 ? 1 : 4
        info.mtuCap = isSwitchPort0 ? 3 : 4
        info.vlCap = 4
        info.operationalVLs = 4
        // As ibsim's ports: 8 entries in each VL arbitration table.
        info.vlArbitrationHighCap = 8
        info.vlArbitrationLowCap = 8
        info.subnetTimeout = 31
        return info
    }
}
