import FabricModel
import IBTransport
import IBWire

/// What programming the SL2VL and VL arbitration tables did, and what the ports hold afterwards.
public struct VirtualLaneOutcome: Sendable {
    public var reads = 0
    public var sets = 0
    /// Tables an agent refused as unsupported (status 0x0C): the port has none to program.
    public var unsupported = 0
    public var failures: [String] = []
    /// Every planned SL2VL table as the port answered (Get or Set), for verification by VL.
    public var slToVL: [VirtualLanePlan.TableKey: SLToVLMappingTable] = [:]
    /// Every planned arbitration block as the port answered.
    public var arbitration: [VirtualLanePlan.ArbitrationKey: VLArbitrationTableBlock] = [:]

    public init(slToVL: [VirtualLanePlan.TableKey: SLToVLMappingTable] = [:],
                arbitration: [VirtualLanePlan.ArbitrationKey: VLArbitrationTableBlock] = [:]) {
        self.slToVL = slToVL
        self.arbitration = arbitration
    }
}

extension FabricProgrammer {
    /// Makes the ports hold `plan`: each table is read, compared and set only if it differs, so a second
    /// sweep sends no Set. `known` are tables this SM read or wrote before and believes the ports still hold:
    /// they are compared without reading. Jobs are spread over nodes (neighbours go to different nodes).
    public func programVirtualLanes(_ plan: VirtualLanePlan, fabric: Fabric, routes: [DirectedRoute],
                                    known: VirtualLaneOutcome? = nil) async -> VirtualLaneOutcome {
        enum Job: Sendable {
            case slToVL(VirtualLanePlan.TableKey, SLToVLMappingTable, held: SLToVLMappingTable?)
            case arbitration(VirtualLanePlan.ArbitrationKey, VirtualLanePlan.Arbitration, held: VLArbitrationTableBlock?)
            var node: Int {
                switch self {
                case .slToVL(let key, _, _): key.port.node
                case .arbitration(let key, _, _): key.port.node
                }
            }
        }
        enum Answer: Sendable {
            case slToVL(SLToVLMappingTable), arbitration(VLArbitrationTableBlock), unsupported, failed(String)
            init<Table>(_ answer: TableAnswer<Table>, _ wrap: (Table) -> Answer) {
                switch answer {
                case .held(let table): self = wrap(table)
                case .unsupported: self = .unsupported
                case .failed(let why): self = .failed(why)
                }
            }
        }
        var outcome = VirtualLaneOutcome()
        var jobs: [Job] = []
        for (key, wanted) in plan.slToVL.sorted(by: { $0.key < $1.key }) {
            let held = known?.slToVL[key]
            if held == wanted { outcome.slToVL[key] = wanted; continue }
            jobs.append(.slToVL(key, wanted, held: held))
        }
        for (key, wanted) in plan.arbitration.sorted(by: { $0.key < $1.key }) {
            let held = known?.arbitration[key]
            if let held, wanted.isHeld(by: held) { outcome.arbitration[key] = held; continue }
            jobs.append(.arbitration(key, wanted, held: held))
        }
        jobs = interleavedByNode(jobs, node: \.node)
        let client = self.client
        let answers = await mapConcurrently(jobs, limit: client.runnerCount, executors: client.runnerExecutors) { job -> (read: Bool, set: Bool, Answer) in
            switch job {
            case .slToVL(let key, let wanted, let held):
                let node = fabric[key.port.node]
                let isSwitch = node.type == .switch
                let route = isSwitch ? routes[key.port.node] : fabric.route(toPort: key.port, nodeRoutes: routes)
                let modifier = isSwitch ? SLToVLMappingTable.modifier(input: key.input, output: key.port.port) : 0
                let (read, set, answer) = await Self.reconcile(wanted, held: held, matches: { $0 == wanted }, modifier: modifier, route: route,
                                                               guid: node.guid, client: client, what: "\(fabric.describe(key.port)) SL2VL (input \(key.input))")
                // A table equal to the plan's keeps the plan's bytes: millions of pairs on a large fabric share a few buffers.
                return (read, set, Answer(answer) { Answer.slToVL($0 == wanted ? wanted : $0) })
            case .arbitration(let key, let wanted, let held):
                let node = fabric[key.port.node]
                let isSwitch = node.type == .switch
                let route = isSwitch ? routes[key.port.node] : fabric.route(toPort: key.port, nodeRoutes: routes)
                let modifier = VLArbitrationTableBlock.modifier(block: key.block, port: isSwitch ? key.port.port : .management)
                let (read, set, answer) = await Self.reconcile(wanted.block, held: held, matches: wanted.isHeld(by:), modifier: modifier, route: route,
                                                               guid: node.guid, client: client, what: "\(fabric.describe(key.port)) VLArb block \(key.block.rawValue)")
                return (read, set, Answer(answer, Answer.arbitration))
            }
        }
        for (job, (read, set, answer)) in zip(jobs, answers) {
            if read { outcome.reads += 1 }
            if set { outcome.sets += 1 }
            switch (job, answer) {
            case (.slToVL(let key, _, _), .slToVL(let table)): outcome.slToVL[key] = table
            case (.arbitration(let key, _, _), .arbitration(let block)): outcome.arbitration[key] = block
            case (_, .unsupported): outcome.unsupported += 1
            case (_, .failed(let why)): outcome.failures.append(why)
            default: break
            }
        }
        return outcome
    }

    enum TableAnswer<Table: Sendable>: Sendable {
        case held(Table), unsupported, failed(String)
        func map<Other>(_ transform: (Table) -> Other) -> Other? {
            if case .held(let table) = self { return transform(table) }
            return nil
        }
    }

    /// Reads the table (unless `held` is what the port was last seen with), and sets it when it differs.
    /// An agent that does not know the attribute (0x0C) has no such table: `unsupported`, not a failure.
    private static func reconcile<Table: SMPAttribute>(
        _ wanted: Table, held: Table?, matches: (Table) -> Bool, modifier: UInt32, route: DirectedRoute, guid: GUID,
        client: SMPClient, what: String
    ) async -> (read: Bool, set: Bool, TableAnswer<Table>) {
        var read = false
        do throws(SMPError) {
            if held == nil {
                let current = try await client.get(Table.self, modifier: modifier, route: route, node: guid)
                read = true
                if matches(current) { return (true, false, .held(current)) }
            }
            let answer = try await client.set(wanted, modifier: modifier, route: route, node: guid)
            return (read, true, .held(answer))
        } catch {
            if case .status(.methodAttributeNotSupported, _, _) = error { return (read, false, .unsupported) }
            return (read, read || held != nil, .failed("\(what): \(error)"))
        }
    }
}
