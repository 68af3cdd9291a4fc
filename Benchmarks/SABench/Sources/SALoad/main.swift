// SALoad: a client that keeps N SA requests outstanding against the SA at a LID, through libibumad (under
// umad2sim on ibsim), and counts answers, BUSY answers, other statuses and requests never answered. With
// --sm-pid it reads the SM's utime+stime from /proc/PID/stat just before and after the load, so the SM's
// CPU per answer covers exactly the requests counted (and an idle interval before, to take off what the
// SM spends anyway: light sweeps, polls).
//
//   SALoad <SA LID> pathrecord|join|echo <REQUESTS> <OUTSTANDING> [--sm-pid PID] [--idle SECONDS]
//   SALoad respond
//
// pathrecord: PathRecord Gets by SGID (ours) and DGID of the CA ports found by NodeRecord Gets of LIDs 1...;
// join: the IPoIB broadcast group of the default partition, joined and left in turn (MCMemberRecord Set and
// Delete of our port); echo: ClassPortInfo Gets, for `SALoad respond` (which answers anything). Prints one
// line of key=value figures.
import Foundation
import IBTransport
import IBWire
import Synchronization

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("SALoad: \(message)\n".utf8))
    exit(2)
}

/// The positional arguments, and the value of each `--name value` option.
func parse(_ all: [String]) -> (positional: [String], options: [String: String]) {
    var positional: [String] = [], options: [String: String] = [:]
    var index = 0
    while index < all.count {
        if all[index].hasPrefix("--"), index + 1 < all.count {
            options[all[index]] = all[index + 1]
            index += 2
        } else {
            positional.append(all[index])
            index += 1
        }
    }
    return (positional, options)
}
let (arguments, options) = parse(Array(CommandLine.arguments.dropFirst()))

// `SALoad respond`: an SA that does no work (every request answered at once with its own bytes as a
// GetResp), through the same transport the SM uses: the floor of the cost per answer under umad2sim.
if arguments == ["respond"] {
    let responder: UMadTransport
    // With IsSM (the SM role), or ibsim bounces QP1 requests; set only once every class is registered (a MAD
    // of a class nobody registered crashes a umad2sim process). SMInfo from the master is left unanswered.
    do { responder = try UMadTransport(role: [.subnetManager, .subnetAdministration]) } catch { fail("\(error)") }
    FileHandle.standardError.write(Data("SALoad: responding\n".utf8))
    await withTaskExecutorPreference(responder.inboundExecutor) {
        for await mad in responder.unsolicited where mad.header.managementClass == SAMAD.managementClass && mad.header.method & 0x80 == 0 {
            var reply = mad.bytes
            reply[3] = SAMethod(rawValue: mad.header.method).response.rawValue
            reply[4] = 0
            reply[5] = 0
            try? await responder.post(reply, to: MADAddress(lid: mad.source.lid, queuePair: mad.source.queuePair, qKey: MADAddress.generalServicesQKey,
                                                            serviceLevel: mad.source.serviceLevel, pKeyIndex: mad.source.pKeyIndex))
        }
    }
    exit(0)
}
let smPID = options["--sm-pid"].flatMap { Int32($0) }
let idleSeconds = options["--idle"].flatMap { Double($0) } ?? 0
guard arguments.count == 4, let saLID = UInt16(arguments[0]), ["pathrecord", "join", "echo"].contains(arguments[1]),
      let total = Int(arguments[2]), let outstanding = Int(arguments[3]), total > 0, outstanding > 0 else {
    fail("usage: SALoad <SA LID> pathrecord|join|echo <REQUESTS> <OUTSTANDING> [--sm-pid PID] [--idle SECONDS], or SALoad respond")
}
let kind = arguments[1]

/// utime + stime of a process, in seconds (clock ticks of /proc/PID/stat fields 14 and 15).
func cpuSeconds(of pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func ownCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let transport: UMadTransport
do { transport = try UMadTransport() } catch { fail("\(error)") }
let sa = MADAddress.generalServices(LID(saLID))
let ownGID = GID(port: transport.portGUID)

/// One request's outcome.
enum Outcome { case ok, busy, otherStatus, lost }

func ask(_ mad: SAMAD) async -> (Outcome, SAMAD?) {
    do {
        let answer = try await transport.exchangeMAD(mad.encoded(), to: sa, timeout: .seconds(2))
        guard let response = try? SAMAD(decoding: answer.bytes) else { return (.otherStatus, nil) }
        if response.status.isOK { return (.ok, response) }
        return (response.status == .busy ? .busy : .otherStatus, response)
    } catch {
        return (.lost, nil)
    }
}

// The requests, built before the load.
var requests: [SAMAD] = []
if kind == "pathrecord" {
    // The CA ports: NodeRecord Get of each LID until 64 in a row have none.
    var destinations: [GID] = []
    var misses = 0
    var lid: UInt16 = 1
    while misses < 64, lid < 0xC000 {
        var record = NodeRecord()
        record.lid = LID(lid)
        let (outcome, answer) = await ask(SAMAD(method: .get, attribute: .nodeRecord, transactionID: TransactionIDs.next(),
                                                 componentMask: 1, data: record.bytes))
        if outcome == .ok, let answer {
            misses = 0
            let info = NodeRecord(data: answer.data).nodeInfo
            if info.nodeType == .channelAdapter, info.portGUID != transport.portGUID { destinations.append(GID(port: info.portGUID)) }
        } else {
            misses += 1
        }
        lid += 1
    }
    guard !destinations.isEmpty else { fail("no CA port found by NodeRecord Gets at LID \(saLID)") }
    FileHandle.standardError.write(Data("SALoad: \(destinations.count) destination ports\n".utf8))
    for index in 0..<total {
        var record = PathRecord()
        record.sgid = ownGID
        record.dgid = destinations[index % destinations.count]
        record.numbPath = 1
        requests.append(SAMAD(method: .get, attribute: .pathRecord, transactionID: 0,
                              componentMask: PathRecordComponent.sgid | PathRecordComponent.dgid | PathRecordComponent.numbPath, data: record.bytes))
    }
} else if kind == "echo" {
    requests = Array(repeating: SAMAD(method: .get, attribute: .classPortInfo, transactionID: 0), count: total)
} else {
    var record = MCMemberRecord()
    record.mgid = GID(prefix: 0xFF12_401B_FFFF_0000, interfaceID: 0x0000_0000_FFFF_FFFF)
    record.portGID = ownGID
    record.joinState = 1
    let mask = MCMemberComponent.mgid | MCMemberComponent.portGID | MCMemberComponent.joinState
    for index in 0..<total {
        requests.append(SAMAD(method: index % 2 == 0 ? .set : .delete, attribute: .mcMemberRecord, transactionID: 0,
                              componentMask: mask, data: record.bytes))
    }
}

var idleCPU: Double?
if let smPID, idleSeconds > 0, let before = cpuSeconds(of: smPID) {
    try? await Task.sleep(for: .seconds(idleSeconds))
    if let after = cpuSeconds(of: smPID) { idleCPU = (after - before) / idleSeconds }
}

let load = requests
struct Counts { var ok = 0, busy = 0, otherStatus = 0, lost = 0 }
let counts = Mutex(Counts())
let next = Atomic<Int>(0)
let smBefore = smPID.flatMap(cpuSeconds(of:))
let ownBefore = ownCPUSeconds()
let started = ContinuousClock.now
await withTaskGroup(of: Void.self) { group in
    for _ in 0..<min(outstanding, total) {
        group.addTask {
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < total else { return }
                var request = load[index]
                request.transactionID = TransactionIDs.next()
                let (outcome, _) = await ask(request)
                counts.withLock { counts in
                    switch outcome {
                    case .ok: counts.ok += 1
                    case .busy: counts.busy += 1
                    case .otherStatus: counts.otherStatus += 1
                    case .lost: counts.lost += 1
                    }
                }
            }
        }
    }
}
let elapsed = ContinuousClock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let smAfter = smPID.flatMap(cpuSeconds(of:))
let ownCPU = ownCPUSeconds() - ownBefore
await transport.close()

let result = counts.withLock { $0 }
let answered = result.ok + result.busy + result.otherStatus
var line = "kind=\(kind) outstanding=\(outstanding) requests=\(total) ok=\(result.ok) busy=\(result.busy) other=\(result.otherStatus) lost=\(result.lost)"
line += " seconds=\(String(format: "%.3f", seconds)) answers_per_s=\(Int(Double(answered) / seconds))"
line += " client_cpu_us=\(String(format: "%.1f", ownCPU / Double(max(1, answered)) * 1e6))"
if let smBefore, let smAfter {
    let spent = smAfter - smBefore
    line += " sm_cpu_s=\(String(format: "%.2f", spent)) sm_cpu_us=\(String(format: "%.1f", spent / Double(max(1, answered)) * 1e6))"
    if let idleCPU {
        let busyPart = max(0, spent - idleCPU * seconds)
        line += " sm_idle_cpu_per_s=\(String(format: "%.4f", idleCPU)) sm_cpu_us_net=\(String(format: "%.1f", busyPart / Double(max(1, answered)) * 1e6))"
    }
}
print(line)
