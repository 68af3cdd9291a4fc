import FabricModel
import IBTransport
import IBWire

extension DaemonLoop {
    /// The light sweep: SwitchInfo of every switch (PortStateChange says a port went down or came up)
    /// and SMInfo of every known SM. Gets only: a healthy, unchanged subnet gets no Set. A change (its bit
    /// cleared at once), a switch that stopped answering, or a new SM leads to a heavy pass.
    mutating func lightSweep() async {
        guard let subnet else {
            await heavySweep(takeover: false)
            return
        }
        let started = PassStart(client)
        let fabric = subnet.discovery.fabric
        let routes = subnet.discovery.routes
        let client = self.client
        let changed = await mapConcurrently(fabric.switches, limit: client.runnerCount, executors: client.runnerExecutors) { node -> Bool in
            guard let info = try? await client.get(SwitchInfo.self, route: routes[node], node: fabric[node].guid) else { return true }
            // Cleared now, before the heavy pass reads the ports: a change after that read sets it again.
            if info.portStateChange { _ = try? await client.set(info, route: routes[node], node: fabric[node].guid) }
            return info.portStateChange
        }
        let changes = changed.filter { $0 }.count
        var answers: [RemoteSM] = []
        for contact in contacts.values {
            if let info = try? await client.get(SMInfo.self, route: contact.route) {
                let remote = RemoteSM(info, lid: contact.remote.lid, portGUID: contact.remote.guid)
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
        for lid in batch.smPorts where smPortsToAsk[lid] == nil { smPortsToAsk[lid] = (0, .now) }
        await askNewSMs()
        guard machine.state == .master, !batch.issuers.isEmpty else { return }
        logger.notice("Trap 128 from \(batch.issuers.count) switch(es): re-routing")
        await reroute(after: batch.issuers, trappedAt: batch.since)
    }

    /// Asks the ports whose IsSM changed (Trap 144) for their SMInfo. An SM that does not answer yet (its
    /// software still starting) is asked again, at growing intervals, a few times.
    mutating func askNewSMs() async {
        let now = ContinuousClock.now
        for (lid, (attempts, due)) in smPortsToAsk where now >= due {
            if let contact = await contact(at: lid) {
                smPortsToAsk[lid] = nil
                logger.notice("Trap 144: an SM runs at LID \(lid): \(contact.remote)")
                contacts[contact.remote.guid] = contact
                considerOthers([contact.remote])
            } else if attempts >= 6 {
                smPortsToAsk[lid] = nil
            } else {
                smPortsToAsk[lid] = (attempts + 1, now + options.pollInterval * (1 << attempts))
            }
        }
    }

    /// The SM at `lid`, if one answers there with our SM_Key (or none): reached by the directed route to
    /// the port that holds the LID, which works whatever the forwarding tables hold.
    mutating func contact(at lid: LID) async -> SMContact? {
        guard let subnet, let port = subnet.lids.owner(of: lid) else { return nil }
        let fabric = subnet.discovery.fabric
        let route = fabric.route(toPort: port, nodeRoutes: subnet.discovery.routes)
        guard let info = try? await daemon.pollClient.get(SMInfo.self, route: route, node: fabric[port.node].guid),
              info.guid != machine.guid, info.smKey == options.smKey || info.smKey == 0
        else { return nil }
        return SMContact(remote: RemoteSM(info, lid: lid, portGUID: fabric[port]?.guid), route: route, name: fabric.describe(port))
    }
}
