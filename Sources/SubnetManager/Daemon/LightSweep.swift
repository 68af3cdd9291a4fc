import FabricModel
import IBTransport
import IBWire

extension DaemonLoop {
    /// The light sweep: SwitchInfo of every switch (PortStateChange says a port went down or came up)
    /// and SMInfo of every known SM. Gets only: a healthy, unchanged subnet gets no Set. A change, a switch
    /// that stopped answering, or a new SM leads to a heavy pass.
    mutating func lightSweep() async {
        guard let subnet else {
            await heavySweep(takeover: false)
            return
        }
        let started = ContinuousClock.now
        let fabric = subnet.discovery.fabric
        let routes = subnet.discovery.routes
        let client = self.client
        let changed = await mapConcurrently(fabric.switches, limit: client.runnerCount, executors: client.runnerExecutors) { node -> Bool in
            guard let info = try? await client.get(SwitchInfo.self, route: routes[node], node: fabric[node].guid) else { return true }
            return info.portStateChange
        }
        let changes = changed.filter { $0 }.count
        var answers: [RemoteSM] = []
        for contact in contacts.values {
            if let info = try? await client.get(SMInfo.self, route: contact.route) {
                var remote = RemoteSM(info, lid: contact.remote.lid)
                remote.lid = contact.remote.lid
                answers.append(remote)
                contacts[contact.remote.guid]?.remote = remote
            } else {
                // Gone; the next heavy pass looks for SMs again.
                contacts[contact.remote.guid] = nil
            }
        }
        finished(.light, started: started, sets: 0, healthy: changes == 0)
        considerOthers(answers)
        guard machine.state == .master else { return }
        if changes > 0 {
            logger.notice("light sweep: \(changes) switch(es) report a port state change; heavy pass")
            await heavySweep(takeover: false)
        } else {
            scheduleLightSweep(healthy: true)
        }
    }

    /// Acts on the traps of a batch: link changes re-route; a port whose IsSM changed is asked for its SMInfo.
    mutating func handleTraps() async {
        let batch = traps.take()
        for lid in batch.smPorts {
            if let info = try? await client.send(.get(SMInfo.attributeID, lid: lid), to: .route).decode(SMInfo.self),
               info.guid != machine.guid, info.smKey == options.smKey || info.smKey == 0 {
                logger.notice("Trap 144: an SM runs at LID \(lid): \(RemoteSM(info, lid: lid))")
                if let subnet, let found = Optional(await SMContact.find(in: subnet.discovery.fabric, routes: subnet.discovery.routes,
                                                                          client: client, smKey: options.smKey)) {
                    remember(found.contacts)
                }
                considerOthers([RemoteSM(info, lid: lid)])
            }
        }
        guard machine.state == .master, !batch.issuers.isEmpty else { return }
        logger.notice("Trap 128 from \(batch.issuers.count) switch(es): re-routing")
        await reroute(after: batch.issuers)
    }
}
