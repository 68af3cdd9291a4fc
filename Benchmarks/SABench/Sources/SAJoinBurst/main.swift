import Dispatch
import FabricModel
import FabricSimulator
import Glibc
import IBTransport
import IBWire
import SubnetManager

// Usage: SAJoinBurst [RADIX] [HOSTS] [REPEAT] [QUEUE]
// A three-level fat tree of radix RADIX on the in-process simulator; a new SwiftSM master (SA included, SA
// queue limit QUEUE, default the daemon's) at the first host sets ClientReregister on every host port; then
// HOSTS simulated Linux hosts do at once what IPoIB does on that event: ClassPortInfo, the broadcast join
// (MGID|PortGID|P_Key|JoinState) and, on every other host, the IPv6 all-nodes join. Counts BUSY answers and
// timeouts and times the burst; the anchor, in the same round, is the same hosts each sending one
// ClassPortInfo Get at once (a request the SA answers with no work). REPEAT rounds, each on a fresh fabric
// and a fresh SM.
let arguments = CommandLine.arguments.dropFirst().map { Int($0)! }
let radix = arguments.count > 0 ? arguments[0] : 36
let wanted = arguments.count > 1 ? arguments[1] : 10_000
let repeats = arguments.count > 2 ? arguments[2] : 3
let queueLimit = arguments.count > 3 ? arguments[3] : DaemonOptions().saQueueLimit

let model = try generateFabric(.fatTree3, options: GeneratorOptions(radix: radix))
let allHosts = model.channelAdapters.map { PortAddress(node: $0, port: 1) }
precondition(allHosts.count > wanted, "radix \(radix) has \(allHosts.count) hosts; the SM needs one more than the \(wanted) asked for")
// The SM runs on the first host; the burst comes from the next HOSTS.
let burstPorts = Array(allHosts[1...wanted])
print("fabric: fat-tree-3 radix \(radix), \(allHosts.count) hosts, \(model.switches.count) switches; burst of \(wanted) hosts; SA queue limit \(queueLimit)")

func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

struct Round {
    var joins = 0, busy = 0, timeouts = 0, failures = 0, serviceBusy = 0
    var burstSeconds = 0.0, anchorSeconds = 0.0, cpuPerRequest = 0.0, anchorCPUPerRequest = 0.0
    var setupSeconds = 0.0
}

func round() async throws -> Round {
    var result = Round()
    let setupStart = DispatchTime.now().uptimeNanoseconds
    let fabric = try SimulatedFabric(model)
    for port in allHosts { fabric.setCapabilityMask(port) { $0 |= 1 << 25 } }
    let transport = SimulatorTransport(fabric: fabric, attachment: allHosts[0], role: [.subnetManager, .subnetAdministration])
    let client = SMPClient(transport: transport, options: SMPClientOptions(maxOutstanding: 64, timeout: .milliseconds(500), retries: 2),
                           runnerExecutors: transport.eventLoops)
    let daemon = SubnetManagerDaemon(client: client, options: DaemonOptions(
        sweep: SweepOptions(priority: 5), sweepInterval: .seconds(3600), saQueueLimit: queueLimit))
    let task = Task { await daemon.run() }
    defer { task.cancel() }
    // Up as MASTER, and every burst host asked to register again.
    while true {
        let status = daemon.status
        if status.own.state == .master, (status.sweeps[.heavy] ?? 0) >= 1,
           burstPorts.allSatisfy({ fabric.portInfo($0)?.clientReregister == true }) { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    result.setupSeconds = seconds(since: setupStart)

    // Anchor: one ClassPortInfo Get from every host at once.
    let anchorClients = burstPorts.map { SimulatedSAClient(fabric: fabric, port: $0, timeout: .seconds(20), attempts: 1) }
    var cpu = processCPUSeconds()
    var start = DispatchTime.now().uptimeNanoseconds
    await withTaskGroup(of: Void.self) { group in
        for sa in anchorClients { group.addTask { _ = await sa.ask(.get, .classPortInfo) } }
    }
    result.anchorSeconds = seconds(since: start)
    result.anchorCPUPerRequest = (processCPUSeconds() - cpu) / Double(anchorClients.count)
    for sa in anchorClients { await sa.close() }
    let busyBefore = daemon.subnetAdministration.statistics.busy

    // The burst, as IPoIB after IB_EVENT_CLIENT_REREGISTER.
    let hosts = burstPorts.map { IPoIBHost(SimulatedSAClient(fabric: fabric, port: $0, timeout: .seconds(20), attempts: 4)) }
    cpu = processCPUSeconds()
    start = DispatchTime.now().uptimeNanoseconds
    let joins = await IPoIBHost.joinAll(hosts, onlyIfAsked: true)
    result.burstSeconds = seconds(since: start)
    let requests = hosts.reduce(0) { $0 + $1.interface.sa.statistics.requests }
    result.cpuPerRequest = (processCPUSeconds() - cpu) / Double(max(1, requests))
    result.joins = joins.groups.values.reduce(0) { $0 + $1.count }
    result.failures = joins.failures.count
    result.busy = hosts.reduce(0) { $0 + $1.interface.sa.statistics.busy }
    result.timeouts = hosts.reduce(0) { $0 + $1.interface.sa.statistics.timeouts }
    result.serviceBusy = daemon.subnetAdministration.statistics.busy - busyBefore
    for host in hosts { await host.interface.sa.close() }
    task.cancel()
    await transport.close()
    await task.value
    return result
}

var rounds: [Round] = []
for index in 1...repeats {
    let result = try await round()
    rounds.append(result)
    print(String(format: "round %d: SM up and ClientReregister set in %.1f s; %d joins in %.2f s (%.0f joins/s), %d BUSY answers (SA counted %d), %d timeouts, %d hosts failed; anchor: %d ClassPortInfo Gets in %.2f s",
                 index, result.setupSeconds, result.joins, result.burstSeconds, Double(result.joins) / result.burstSeconds, result.busy,
                 result.serviceBusy, result.timeouts, result.failures, wanted, result.anchorSeconds))
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func range(_ values: [Double], _ format: String) -> String {
    String(format: format, values.min()!) + "-" + String(format: format, values.max()!)
}
let rates = rounds.map { Double($0.joins) / $0.burstSeconds }
let anchorRates = rounds.map { Double(wanted) / $0.anchorSeconds }
let ratios = rounds.map { (Double($0.joins) / $0.burstSeconds) / (Double(wanted) / $0.anchorSeconds) }
print(String(format: "join burst of %d hosts: median %.2f s (range %@ s), %.0f joins/s (range %@)", wanted, median(rounds.map(\.burstSeconds)),
             range(rounds.map(\.burstSeconds), "%.2f"), median(rates), range(rates, "%.0f")))
print(String(format: "anchor, one ClassPortInfo Get per host at once: median %.0f answers/s (range %@); joins/s over anchor answers/s: median %.2f (range %@)",
             median(anchorRates), range(anchorRates, "%.0f"), median(ratios), range(ratios, "%.2f")))
print(String(format: "process CPU (SM, SA, simulator and hosts together) per request: burst median %.1f us, anchor median %.1f us",
             median(rounds.map(\.cpuPerRequest)) * 1e6, median(rounds.map(\.anchorCPUPerRequest)) * 1e6))
print("BUSY answers: \(rounds.map(\.busy)) (per round), timeouts: \(rounds.map(\.timeouts)), hosts without carrier: \(rounds.map(\.failures))")
