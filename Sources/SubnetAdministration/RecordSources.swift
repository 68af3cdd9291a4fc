import FabricModel
import IBWire
import Routing

/// The records the SA serves from a snapshot, built on demand.
extension SASnapshot {
    /// The LID a port answers to: its own for CA and router ports, port 0's for every switch port.
    func lid(of address: PortAddress) -> LID? {
        if fabric[address.node].type == .switch { return lids.lid(of: PortAddress(node: address.node, port: .management)) }
        return lids.lid(of: address)
    }

    func nodeInfo(of endport: LIDAssignment.Endport) -> NodeInfo {
        let node = fabric[endport.address.node]
        var info = node.nodeInfo ?? NodeInfo()
        if node.nodeInfo == nil {
            info.baseVersion = 1
            info.classVersion = 1
            info.nodeType = node.type
            info.portCount = node.portCount
            info.systemImageGUID = node.systemImageGUID
            info.nodeGUID = node.guid
            info.partitionCap = 32
            info.deviceID = node.deviceID
            info.revision = node.revision
            info.vendorID = node.vendorID
        }
        info.portGUID = endport.guid
        info.localPortNumber = endport.address.port
        return info
    }

    func nodeRecords() -> [NodeRecord] {
        lids.endports.map { endport in
            var record = NodeRecord()
            record.lid = endport.base
            record.nodeInfo = nodeInfo(of: endport)
            record.nodeDescription = NodeDescription(fabric[endport.address.node].description)
            return record
        }
    }

    /// PortInfo as the port reported it, or as the model knows it.
    func portInfo(of address: PortAddress, port: FabricPort) -> PortInfo {
        if let info = port.info { return info }
        var info = PortInfo()
        info.gidPrefix = subnetPrefix
        info.lid = lid(of: address) ?? .unassigned
        info.masterSMLID = sm.lid
        info.lmc = port.lmc
        info.state = port.state
        info.physicalState = port.physicalState
        info.linkWidthActive = port.width
        let speed = port.speed.encoding
        info.linkSpeedActive = speed.classic
        info.linkSpeedExtendedActive = speed.extended
        info.localPortNumber = address.port
        info.mtuCap = options.defaultMTU
        info.neighborMTU = options.defaultMTU
        return info
    }

    /// One record per port with a LID (every port of a switch, under port 0's LID). M_Keys only to the trusted.
    func portInfoRecords(trusted: Bool) -> [PortInfoRecord] {
        var records: [PortInfoRecord] = []
        for (index, node) in fabric.nodes.enumerated() {
            for port in node.ports {
                guard let port else { continue }
                let address = PortAddress(node: index, port: port.number)
                guard let lid = lid(of: address) else { continue }
                var info = portInfo(of: address, port: port)
                if !trusted { info.mKey = 0 }
                var record = PortInfoRecord()
                record.endportLID = lid
                record.portNumber = port.number
                record.portInfo = info
                records.append(record)
            }
        }
        return records
    }

    func switchInfoRecords() -> [SwitchInfoRecord] {
        fabric.switches.compactMap { index in
            guard let lid = lids.lid(of: PortAddress(node: index, port: .management)) else { return nil }
            var record = SwitchInfoRecord()
            record.lid = lid
            var info = fabric[index].switchInfo ?? SwitchInfo()
            if fabric[index].switchInfo == nil { info.multicastFDBCap = options.defaultMulticastFDBCap }
            info.linearFDBTop = tables.top
            record.switchInfo = info
            return record
        }
    }

    /// One record per LFT block of every switch (the blocks the SM programmed).
    func linearForwardingTableRecords(lid wanted: LID?, block wantedBlock: UInt16?) -> [LinearForwardingTableRecord] {
        var records: [LinearForwardingTableRecord] = []
        for index in fabric.switches {
            guard let lid = lids.lid(of: PortAddress(node: index, port: .management)), wanted == nil || wanted == lid else { continue }
            for block in 0..<tables.blockCount where wantedBlock == nil || Int(wantedBlock!) == block {
                var record = LinearForwardingTableRecord()
                record.lid = lid
                record.blockNumber = UInt16(block)
                record.block = LinearForwardingTableBlock(ports: tables.block(switch: index, number: block))
                records.append(record)
            }
        }
        return records
    }

    /// This SM (the only one the snapshot knows). Its SM_Key only to the trusted.
    func smInfoRecords(trusted: Bool) -> [SMInfoRecord] {
        var record = SMInfoRecord()
        record.lid = sm.lid
        record.guid = sm.guid
        record.smKey = trusted ? sm.smKey : 0
        record.activityCount = sm.activityCount
        record.priority = sm.priority
        record.state = sm.state
        return [record]
    }

    /// Both directions of every link between ports with LIDs.
    func linkRecords() -> [LinkRecord] {
        var records: [LinkRecord] = []
        for link in fabric.links {
            guard let lidA = lid(of: link.a), let lidB = lid(of: link.b) else { continue }
            for (from, fromLID, to, toLID) in [(link.a, lidA, link.b, lidB), (link.b, lidB, link.a, lidA)] {
                var record = LinkRecord()
                record.fromLID = fromLID
                record.fromPort = from.port
                record.toPort = to.port
                record.toLID = toLID
                records.append(record)
            }
        }
        return records.sorted { ($0.fromLID, $0.fromPort) < ($1.fromLID, $1.fromPort) }
    }

    /// Block 0 of every endport's GUIDInfo: its port GUID.
    func guidInfoRecords() -> [GUIDInfoRecord] {
        lids.endports.map { endport in
            var record = GUIDInfoRecord()
            record.lid = endport.base
            record.blockNumber = 0
            record.setGUID(0, endport.guid)
            return record
        }
    }

    /// Each endport's planned P_Key table, in blocks of 32.
    func pKeyTableRecords() -> [PKeyTableRecord] {
        var records: [PKeyTableRecord] = []
        for (position, endport) in lids.endports.enumerated() {
            let keys = index.pKeys[position]
            let blocks = max(1, (keys.count + 31) / 32)
            for block in 0..<blocks {
                var record = PKeyTableRecord()
                record.lid = endport.base
                record.blockNumber = UInt16(block)
                record.portNumber = endport.address.port
                record.block = PKeyTableBlock(keys: Array(keys.dropFirst(block * 32).prefix(32)))
                records.append(record)
            }
        }
        return records
    }

    func classPortInfo() -> ClassPortInfo {
        var info = ClassPortInfo()
        info.baseVersion = 1
        info.classVersion = SAMAD.classVersion
        // IsUDMulticastSupported (bit 9): multicast groups are served.
        info.capabilityMask = 0x0200
        info.responseTimeValue = 18
        return info
    }
}
