import FabricModel
import IBTransport
import IBWire

/// Another SM and how to reach it: the directed route to its port (which works whatever the forwarding
/// tables hold) and its LID.
struct SMContact: Sendable {
    var remote: RemoteSM
    var route: DirectedRoute
    var name: String
}

extension SMContact {
    /// Every other SM found on `fabric` (ports advertising IsSM that answered SMInfo), with our SM_Key
    /// checked: an SM whose key is neither ours nor 0 is reported, not followed.
    static func find(in fabric: Fabric, routes: [DirectedRoute], client: SMPClient, smKey: UInt64) async -> (contacts: [SMContact], warnings: [String]) {
        let others = await OtherSubnetManagers.find(in: fabric, routes: routes, client: client)
        let (contacts, warnings) = contacts(of: others.found, in: fabric, routes: routes, smKey: smKey)
        return (contacts, others.warnings + warnings)
    }

    /// The SMs a pass found, as contacts (LIDs as `fabric` holds them now), with our SM_Key checked.
    static func contacts(of others: [FoundSubnetManager], in fabric: Fabric, routes: [DirectedRoute], smKey: UInt64) -> (contacts: [SMContact], warnings: [String]) {
        var contacts: [SMContact] = []
        var warnings: [String] = []
        for found in others {
            guard found.info.smKey == smKey || found.info.smKey == 0 else {
                warnings.append("\(found.name) runs an SM with another SM_Key; ignored")
                continue
            }
            let lid = fabric[found.port]?.info?.lid
            contacts.append(SMContact(
                remote: RemoteSM(found.info, lid: lid.flatMap { $0 == .unassigned ? nil : $0 }, portGUID: fabric[found.port]?.guid),
                route: fabric.route(toPort: found.port, nodeRoutes: routes), name: found.name))
        }
        return (contacts, warnings)
    }
}
