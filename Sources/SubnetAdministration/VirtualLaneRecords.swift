import FabricModel
import IBWire
import Routing

/// SLtoVLMappingTableRecord and VLArbitrationTableRecord, as OpenSM's osm_sa_slvl_record.c and
/// osm_sa_vlarb_record.c serve them: to any requester that shares a partition with the port (no SM_Key
/// needed), for every port of every node with a LID, a CA's SL2VL with ports 0 and its arbitration blocks
/// under its own port number. Tables the sweep neither read nor wrote (down ports, a switch's base port 0,
/// blocks past a port's capacity) are served as zeros, as OpenSM serves those it never wrote.
extension SASnapshot {
    /// The endports a query names: the one owning `lid` (any of its 2^LMC LIDs), or all.
    private func endports(lid: LID?) -> [Int] {
        guard let lid else { return Array(lids.endports.indices) }
        return lids.endportIndex(of: lid).map { [$0] } ?? []
    }

    /// Whether `requester` may see tables of `endport`: they share a partition (or either has no P_Keys).
    private func sharesPartition(_ requester: Int?, _ endport: Int) -> Bool {
        guard let requester else { return true }
        let mine = index.pKeys[requester], theirs = index.pKeys[endport]
        if mine.isEmpty || theirs.isEmpty { return true }
        return mine.contains { key in key.isValid && theirs.contains { $0.base == key.base } }
    }

    private func portNumbers(of node: Int) -> [PortNumber] { fabric[node].ports.compactMap { $0?.number } }

    func slToVLRecords(lid: LID?, input: PortNumber?, output: PortNumber?, requester: Int?) -> [SLToVLMappingTableRecord] {
        var records: [SLToVLMappingTableRecord] = []
        for position in endports(lid: lid) where sharesPartition(requester, position) {
            let endport = lids.endports[position]
            let node = endport.address.node
            var record = SLToVLMappingTableRecord()
            record.lid = endport.base
            guard fabric[node].type == .switch else {
                let key = VirtualLaneTables.Key(node: node, input: .management, output: endport.address.port)
                record.table = virtualLanes.slToVL[key] ?? SLToVLMappingTable()
                records.append(record)
                continue
            }
            let ports = portNumbers(of: node)
            for out in ports where output == nil || out == output {
                for into in ports where input == nil || into == input {
                    record.inputPort = into
                    record.outputPort = out
                    record.table = virtualLanes.slToVL[VirtualLaneTables.Key(node: node, input: into, output: out)] ?? SLToVLMappingTable()
                    records.append(record)
                }
            }
        }
        return records
    }

    func vlArbitrationRecords(lid: LID?, output: PortNumber?, block: UInt8?, requester: Int?) -> [VLArbitrationTableRecord] {
        var records: [VLArbitrationTableRecord] = []
        for position in endports(lid: lid) where sharesPartition(requester, position) {
            let endport = lids.endports[position]
            let node = endport.address.node
            // A CA's own port, whatever port the query names (OpenSM does the same).
            let outputs = fabric[node].type == .switch ? portNumbers(of: node).filter { output == nil || $0 == output } : [endport.address.port]
            for out in outputs {
                let held = virtualLanes.arbitration[PortAddress(node: node, port: out)] ?? [:]
                for number in VLArbitrationTableBlock.Block.allCases where block == nil || number.rawValue == block {
                    var record = VLArbitrationTableRecord()
                    record.lid = endport.base
                    record.outputPort = out
                    record.blockNumber = number.rawValue
                    record.block = held[number] ?? VLArbitrationTableBlock()
                    records.append(record)
                }
            }
        }
        return records
    }
}
