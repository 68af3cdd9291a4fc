import FabricModel
import FabricSimulator
import IBCapture
import IBWire

/// The size of one record in this target's input: a direction byte, then a 256-byte MAD.
private let recordSize = 1 + SMP.madSize

/// libFuzzer entry point for `CapturedFabric` alone. Mutated capture files almost never get past the reader's
/// ICRC/VCRC checks, so this target skips the file format: the input is a sequence of records, each a
/// direction byte (low bit set: received) and a 256-byte MAD. Rebuilding a fabric from them must succeed or
/// throw `ReplayError`; a fabric it builds must also write out in every format.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCapturedFabric(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var records: [CapturedMAD] = []
    var offset = 0
    while offset + recordSize <= bytes.count {
        let direction: CapturedMAD.Direction = bytes[offset] & 1 == 0 ? .sent : .received
        let mad = Array(bytes[(offset + 1)..<(offset + recordSize)])
        records.append(CapturedMAD(timestamp: UInt64(offset), direction: direction, directedRouteMAD: mad))
        offset += recordSize
    }
    guard let (fabric, attachment) = try? CapturedFabric.load(records, source: "fuzz") else { return 0 }
    guard fabric.nodes.indices.contains(attachment.node) else { fatalError("attachment \(attachment) is not a node") }
    _ = fabric.ibnetdiscoverText()
    _ = fabric.jsonText()
    _ = fabric.dotText()
    return 0
}
