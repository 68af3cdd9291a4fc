import ArgumentParser
import Discovery
import FabricModel
import IBWire
import PortManagement
import Routing

/// `swiftsm verify`: check a configured fabric without changing it.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the subnet without changing it: every linked port ACTIVE, every (switch, LID) pair delivered on a shortest path, no loop.",
        discussion: "Reads the forwarding tables back from every switch and reports link load balance. \(ExitStatus.helpText)")

    @OptionGroup var fabric: FabricAccessOptions

    func run() async throws {
        let session = try await FabricSession.open(fabric)
        let discovery = await session.onFabricThread { await FabricDiscoverer(client: session.client, logger: fabric.logger).discover() }
        try await session.requireLocalNode(discovery)
        let (tables, failures) = await session.onFabricThread {
            await ForwardingTableReader(client: session.client).read(discovery.fabric, routes: discovery.routes)
        }
        try await session.close()

        let observed = discovery.fabric
        let lids = LIDAssignment(observedIn: observed)
        let reported = ReportedTables(tables, nodeCount: observed.nodes.count)
        let verification = verifyRoutes(observed, lids: lids, tables: reported)
        let linked = observed.nodes.indices.flatMap { node in
            observed[node].knownPorts.filter { $0.remote != nil }.map { PortAddress(node: node, port: $0.number) }
        }
        let inactive = linked.filter { observed[$0]?.state != .active }
        print("nodes: \(observed.switches.count) switches, \(observed.channelAdapters.count) CAs; linked ports ACTIVE: \(linked.count - inactive.count) of \(linked.count)")
        print("routes: \(verification.summary)")
        var problems = discovery.problems.map(\.message) + failures
        if !inactive.isEmpty {
            problems.append("\(inactive.count) linked port(s) not ACTIVE, e.g. " + inactive.prefix(5).map { observed.describe($0) }.joined(separator: ", "))
        }
        problems += verification.problems
        for problem in problems { printError("swiftsm: \(problem)") }
        if !problems.isEmpty || !verification.isValid {
            throw CommandFailure(.partial, "verification failed")
        }
    }
}
