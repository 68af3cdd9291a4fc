import ArgumentParser
import FabricModel
import Foundation
import Routing

/// `swiftsm fabric route FILE`: plan LIDs and routes for a topology file offline, and judge them.
struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign LIDs and route a topology file offline, then verify the routes; prints times and the verdict.",
        discussion: """
            Nothing is sent: the plan a sweep would make (with the file's LIDs ignored and no LinearFDBCap limit \
            below 0xBFFF), routed by the engines --routing lists, and the checks verify makes (every pair delivered, \
            no loop, no credit loop, min-hop share, link load). Exit 1 when the routes break what the engine promised. \
            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("Topology file (ibnetdiscover/ibsim format).", valueName: "file"))
    var file: String

    @Option(help: "LID mask control (0-7).")
    var lmc: Int = 0

    @Option(help: ArgumentHelp("Routing engines to try in order, comma-separated: \(RoutingEngineKind.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "name[,name...]"))
    var routing: String = RoutingEngineKind.defaultList.map(\.rawValue).joined(separator: ",")

    func validate() throws {
        guard (0...7).contains(lmc) else { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        if case .failure(let error) = RoutingEngineKind.parseList(routing) { throw ValidationError("--routing: \(error.reason)") }
    }

    func run() throws {
        let fabric: Fabric
        do { fabric = try TopologyFile.load(path: file).fabric } catch { throw CommandFailure(.badInput, error.description) }
        let engines = (try? RoutingEngineKind.parseList(routing).get()) ?? RoutingEngineKind.defaultList
        // Wall time and process CPU time (all threads) of each phase: on a shared machine, CPU time is the steadier figure.
        let clock = ContinuousClock()
        var start = clock.now
        var cpuStart = clock_t(0)
        var cpu: [Double] = []
        func lap() { let now = Foundation.clock(); cpu.append(Double(now - cpuStart) / Double(CLOCKS_PER_SEC)); cpuStart = Foundation.clock() }
        cpuStart = Foundation.clock()
        let lids: LIDAssignment
        do { lids = try assignLIDs(fabric, options: LIDAssignmentOptions(lmc: UInt8(lmc), keepCurrentLIDs: false)) } catch {
            throw CommandFailure(.partial, error.description)
        }
        let assigned = clock.now - start
        lap()
        start = clock.now
        let routed = Routing.route(fabric, lids: lids, engines: engines)
        let routedIn = clock.now - start
        lap()
        start = clock.now
        let verification = verifyRoutes(fabric, lids: lids, tables: routed.tables)
        let verifiedIn = clock.now - start
        lap()
        func ms(_ duration: Duration) -> String { "\(Int((duration / .milliseconds(1)).rounded())) ms" }
        print("nodes: \(fabric.switches.count) switches, \(fabric.channelAdapters.count) CAs; LIDs: \(lids.lidCount), LMC \(lmc)")
        func cpuMS(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms CPU" }
        print("times: assign LIDs \(ms(assigned)) (\(cpuMS(cpu[0]))), route \(ms(routedIn)) (\(cpuMS(cpu[1]))), verify \(ms(verifiedIn)) (\(cpuMS(cpu[2])))")
        print("routing: \(routed.engine) (\(routed.guarantees))")
        for note in routed.notes { print("  \(note)") }
        print("routes: \(verification.summary)")
        let failures = verification.failures(promised: routed.guarantees)
        for failure in failures { printError("swiftsm: \(failure)") }
        if !failures.isEmpty { throw CommandFailure(.partial, "the routes break what \(routed.engine) promised") }
    }
}
