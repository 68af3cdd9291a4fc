import FabricModel

/// libFuzzer entry point: the input is a whole topology file, any bytes (not only UTF-8), as
/// `TopologyFile.load` reads one. The parser must answer with a fabric or a `TopologyError`; anything else
/// (a trap, a hang, runaway memory) is a finding. A fabric it accepts is also written back out in every
/// format, and the ibnetdiscover text parsed again, so those paths see fuzzed fabrics too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopology(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = try? TopologyFile.parseDetailed(bytes: bytes, source: "fuzz") else { return 0 }
    let fabric = parsed.fabric
    for index in fabric.nodes.indices where parsed.nodeIndex(id: parsed.nodeIDs[index]) != index {
        fatalError("node id \(parsed.nodeIDs[index]) does not lead back to node \(index)")
    }
    _ = fabric.jsonText()
    _ = fabric.dotText()
    // Re-reading can fail by design (a description holding `w=99` reads as a port option, as in ibsim), so only
    // traps count here.
    _ = try? TopologyFile.parse(fabric.ibnetdiscoverText(), source: "rewritten")
    return 0
}
