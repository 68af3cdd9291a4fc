import ArgumentParser
import Discovery
import FabricModel
import IBWire
import PortManagement
import SubnetManager
import Routing

/// `swiftsm verify`: check a configured fabric without changing it.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the subnet without changing it: every linked port ACTIVE, every (switch, LID) pair delivered, no loop, no credit loop, every multicast group a tree.",
        discussion: """
            Reads the forwarding tables and the SL2VL tables back from every switch, follows every (switch, LID) pair, \
            builds the channel dependency graph of every CA-to-CA route, a channel being a link and a VL (each hop takes \
            the VL its switch's SL2VL table gives the routes' SL), and reports a cycle in it (a credit loop: traffic that \
            can deadlock) with the channels it goes through and their VLs. Reports the share of min-hop pairs and link load balance; paths longer \
            than min-hop fail only with --min-hop. \
            Reads the multicast forwarding tables from MLID 0xC000 up (until two blocks of 32 MLIDs in a row are empty \
            on every switch) and checks that each group is one tree on the links that are up: no loop, each switch \
            link of it set at both ends, no port without a link, every member (a CA port, or a switch's port 0) \
            reached from every other, and no group left with no member. \(ExitStatus.helpText)
            """)

    @OptionGroup var fabric: FabricAccessOptions

    @Flag(help: "Also require every pair to take a shortest path (what the minhop engine promises).")
    var minHop = false

    @Option(help: "The service level the routes carry traffic on (SwiftSM's engines route on SL 0).")
    var serviceLevel: UInt8 = 0

    func validate() throws {
        guard serviceLevel < 16 else { throw ValidationError("--service-level \(serviceLevel): service levels are 0-15") }
    }

    func run() async throws {
        let session = try await FabricSession.open(fabric)
        let discovery = await session.onFabricThread { await FabricDiscoverer(client: session.client, logger: fabric.logger).discover() }
        try await session.requireLocalNode(discovery)
        let (tables, tableFailures) = await session.onFabricThread {
            await ForwardingTableReader(client: session.client).read(discovery.fabric, routes: discovery.routes)
        }
        let (slToVL, laneFailures) = await session.onFabricThread {
            await VirtualLaneReader(client: session.client).readSwitchTables(discovery.fabric, routes: discovery.routes)
        }
        let (multicast, multicastFailures) = await session.onFabricThread {
            await MulticastTableReader(client: session.client).read(discovery.fabric, routes: discovery.routes)
        }
        let failures = tableFailures + laneFailures + multicastFailures
        try await session.close()

        let observed = discovery.fabric
        let lids = LIDAssignment(observedIn: observed)
        let reported = ReportedTables(tables, nodeCount: observed.nodes.count)
        let lanes = VirtualLaneOutcome(slToVL: slToVL).tables(in: observed)
        let verification = verifyRoutes(observed, lids: lids, tables: reported, virtualLanes: lanes, serviceLevel: serviceLevel)
        let linked = observed.nodes.indices.flatMap { node in
            observed[node].knownPorts.filter { $0.remote != nil }.map { PortAddress(node: node, port: $0.number) }
        }
        let inactive = linked.filter { observed[$0]?.state != .active }
        print("nodes: \(observed.switches.count) switches, \(observed.channelAdapters.count) CAs; linked ports ACTIVE: \(linked.count - inactive.count) of \(linked.count)")
        print("routes: \(verification.summary)")
        let groups = verifyMulticast(observed, tables: multicast)
        print("multicast: \(groups.summary)")
        var problems = discovery.problems.map(\.message) + failures
        if !inactive.isEmpty {
            problems.append("\(inactive.count) linked port(s) not ACTIVE, e.g. " + inactive.prefix(5).map { observed.describe($0) }.joined(separator: ", "))
        }
        // The detail lines list undelivered pairs, loops and (only worth printing when required) longer paths.
        if !verification.isDelivered || (minHop && !verification.isValid) { problems += verification.problems }
        problems += verification.failures(promised: RoutingGuarantees(minHop: minHop, deadlockFreeVLs: 1)).filter { verification.isDelivered || !$0.contains("undelivered") }
        problems += groups.problems
        for problem in problems { printError("swiftsm: \(problem)") }
        if !problems.isEmpty {
            throw CommandFailure(.partial, "verification failed")
        }
    }
}
