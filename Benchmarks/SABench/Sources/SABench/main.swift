import Dispatch
import Glibc
import FabricModel
import IBWire
import Routing
import SubnetAdministration

// Usage: SABench [RADIX] [REQUESTS] [REPEAT] [LMC]
// Builds a three-level fat tree of radix RADIX, publishes its snapshot, then answers REQUESTS PathRecord
// Gets (SGID and DGID of random host pairs, as RDMA-CM asks) through `handle` on this thread, REPEAT times.
let arguments = CommandLine.arguments.dropFirst().map { Int($0)! }
let radix = arguments.count > 0 ? arguments[0] : 24
let requestCount = arguments.count > 1 ? arguments[1] : 1_000_000
let repeats = arguments.count > 2 ? arguments[2] : 5
let lmc = UInt8(arguments.count > 3 ? arguments[3] : 0)

let fabric = try generateFabric(.fatTree3, options: GeneratorOptions(radix: radix))
let hosts = fabric.channelAdapters.map { PortAddress(node: $0, port: 1) }
let lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: lmc, smPort: hosts[0]))
let tables = computeMinHopRoutes(fabric, lids: lids)
let sm = SMIdentity(port: hosts[0], guid: fabric[hosts[0]]!.guid, lid: lids.lid(of: hosts[0])!)
let sa = SubnetAdministrator()
let buildStart = DispatchTime.now().uptimeNanoseconds
let snapshot = SASnapshot(fabric: fabric, lids: lids, tables: tables, sm: sm)
let buildMilliseconds = (DispatchTime.now().uptimeNanoseconds - buildStart) / 1_000_000
sa.publish(snapshot)

struct XorShift {
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next(below limit: Int) -> Int {
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        return Int(seed % UInt64(limit))
    }
}
var random = XorShift()
let distinct = 4096
var requests: [(mad: [UInt8], from: SARequester)] = []
for index in 0..<distinct {
    let source = hosts[random.next(below: hosts.count)], destination = hosts[random.next(below: hosts.count)]
    var record = PathRecord()
    record.sgid = GID(port: fabric[source]!.guid)
    record.dgid = GID(port: fabric[destination]!.guid)
    record.numbPath = 1
    let mad = SAMAD(method: .get, attribute: .pathRecord, transactionID: UInt64(index),
                    componentMask: PathRecordComponent.sgid | PathRecordComponent.dgid | PathRecordComponent.numbPath, data: record.bytes)
    requests.append((mad.encoded(), SARequester(lid: lids.lid(of: source)!)))
}

print("fabric: fat-tree-3 radix \(radix), \(hosts.count) hosts, \(fabric.switches.count) switches, LMC \(lmc); snapshot built in \(buildMilliseconds) ms")
/// This thread's CPU time: on a shared machine, wall time also counts other processes' turns.
func threadCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
var rates: [Double] = []
var cpuRates: [Double] = []
for _ in 0..<repeats {
    var answered = 0
    let cpuStart = threadCPUSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    for index in 0..<requestCount {
        let request = requests[index % distinct]
        let answers = sa.handle(request.mad, from: request.from)
        if answers.count == 1 && answers[0][4] == 0 && answers[0][5] == 0 { answered += 1 }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    precondition(answered == requestCount, "only \(answered) of \(requestCount) answered with success")
    rates.append(Double(requestCount) / seconds)
    cpuRates.append(Double(requestCount) / (threadCPUSeconds() - cpuStart))
}
// Anchor, in the same run: ClassPortInfo Gets through `handle`, the SA's cheapest answer (decode, the
// snapshot lock, encode), so a PathRecord's own cost shows as a ratio whatever the machine's load.
let anchorRequest = SAMAD(method: .get, attribute: .classPortInfo, transactionID: 1).encoded()
var anchorCPURates: [Double] = []
for _ in 0..<repeats {
    let cpuStart = threadCPUSeconds()
    for index in 0..<requestCount {
        precondition(sa.handle(anchorRequest, from: requests[index % distinct].from).count == 1)
    }
    anchorCPURates.append(Double(requestCount) / (threadCPUSeconds() - cpuStart))
}
anchorCPURates.sort()
let ratios = zip(cpuRates, anchorCPURates).map { $0 / $1 }.sorted()
rates.sort()
cpuRates.sort()
func k(_ value: Double) -> String { String(Int(value / 1000)) + "K" }
print("PathRecord Get answers/s through handle, one thread, per wall second: median \(k(rates[rates.count / 2])) (range \(k(rates.first!))-\(k(rates.last!)), \(repeats) runs of \(requestCount))")
print("                                            per CPU second:  median \(k(cpuRates[cpuRates.count / 2])) (range \(k(cpuRates.first!))-\(k(cpuRates.last!))), \(String(Int(1e9 / cpuRates[cpuRates.count / 2]))) ns CPU per answer")
print("anchor, ClassPortInfo Gets through handle per CPU second: median \(k(anchorCPURates[anchorCPURates.count / 2])) (range \(k(anchorCPURates.first!))-\(k(anchorCPURates.last!))); PathRecords over anchor: median \(String(Int(ratios[ratios.count / 2] * 100)))% (range \(String(Int(ratios.first! * 100)))-\(String(Int(ratios.last! * 100)))%)")
