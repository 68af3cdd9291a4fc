import FabricSimulator
import IBCapture
import IBWire

/// libFuzzer entry point: the input is a whole capture file. `CaptureReader` must return its MADs or throw
/// `CaptureError`; what it returns is then decoded as SMPs and rebuilt into a fabric the way
/// `--simulate capture.pcap` does, where only `ReplayError` may come out.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCapture(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = CaptureReader.isCapture(Array(bytes.prefix(4)))
    guard let records = try? CaptureReader.read(data: bytes, source: "fuzz") else { return 0 }
    for record in records {
        guard record.mad.count == SMP.madSize else { fatalError("reader returned a \(record.mad.count)-byte MAD") }
        _ = try? record.smp()
    }
    _ = try? CapturedFabric.load(records, source: "fuzz")
    return 0
}
