import FabricModel
import Foundation
import Routing

/// What the stock diag tools (ibnetdiscover, iblinkinfo, dump_lfts) say of the fabric ibsim holds now,
/// read from a client attached at `host`: the judge of an SM's work that shares no code with it.
public struct FabricVerdict: Sendable {
    public var fabric: Fabric
    public var lids: LIDAssignment
    public var verification: RouteVerification
    /// Port GUID to base LID, as ibnetdiscover shows them.
    public var lidByPortGUID: [UInt64: UInt16]
    /// What is wrong; empty when every linked port is ACTIVE, every LID is unique and every pair is delivered.
    public var problems: [String]

    public var isConfigured: Bool { problems.isEmpty }

    public static func judge(_ ibsim: IbsimFabric, from host: String, lmc: UInt8 = 0) throws -> FabricVerdict {
        let environment = ["SIM_HOST": host]
        var problems: [String] = []
        let discovered = try ibsim.run("/usr/sbin/ibnetdiscover", [], timeout: 60, environment: environment)
        if discovered.status != 0 { problems.append("ibnetdiscover: \(discovered.stderr)") }
        let fabric = try TopologyFile.parse(discovered.stdout, source: "ibnetdiscover")
        let lids = LIDAssignment(observedIn: fabric, lmc: lmc)
        problems += lids.problems
        var lidByPortGUID: [UInt64: UInt16] = [:]
        for node in fabric.nodes {
            for port in node.knownPorts where port.lid.isUnicast && (node.type == .switch ? port.number.rawValue == 0 : port.remote != nil) {
                lidByPortGUID[port.guid.rawValue] = port.lid.rawValue
            }
        }
        let links = try ibsim.run("/usr/sbin/iblinkinfo", [], timeout: 60, environment: environment)
        let portLines = links.stdout.split(separator: "\n").filter { $0.contains("==(") }
        let active = portLines.filter { $0.contains("Active/") }.count
        if active != 2 * fabric.links.count { problems.append("iblinkinfo shows \(active) Active ports for \(fabric.links.count) links") }
        let dump = try ibsim.run("/usr/sbin/dump_lfts", [], timeout: 60, environment: environment)
        if dump.status != 0 { problems.append("dump_lfts: \(dump.stderr)") }
        let tables = try DumpLFTs.parse(dump.stdout)
        let verification = verifyRoutes(fabric, lids: lids, tables: tables.lookup(for: fabric))
        if !verification.isValid { problems.append("routes: \(verification.summary)") }
        return FabricVerdict(fabric: fabric, lids: lids, verification: verification, lidByPortGUID: lidByPortGUID, problems: problems)
    }
}
