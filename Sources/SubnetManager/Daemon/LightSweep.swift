import FabricModel
import IBTransport
import IBWire

extension DaemonLoop {
    /// The light sweep: SwitchInfo of every switch (PortStateChange says a port went down or came up)
    /// and SMInfo of every known SM. Gets only: a healthy, unchanged subnet gets no Set. A change (its bit
    /// cleared at once), a switch that stopped answering, or a new SM leads to a heavy pass, unless a link
    /// trap came meanwhile: a switch sets PortStateChange and sends its trap at once, and a sweep that read
    /// the bit first would make a heavy pass of what the trap's re-route repairs. Then the bits stay set,
    /// the re-route goes first (clearing those of the switches it repairs), and the next light sweep, soon,
    /// makes a heavy pass of any change left.
    mutating func lightSweep() async {
        guard let subnet else {
            await heavySweep(takeover: false)
            return
        }
        let started = PassStart(client)
        let fabric = subnet.discovery.fabric
        let routes = subnet.discovery.routes
        let client = self.client
        // nil: the switch did not answer (a change too).
        let infos = await mapConcurrently(fabric.switches, limit: client.runnerCount, executors: client.runnerExecutors) { node -> SwitchInfo? in
            try? await client.get(SwitchInfo.self, route: routes[node], node: fabric[node].guid)
        }
        let changes = infos.filter { $0?.portStateChange ?? true }.count
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
        guard changes > 0 else {
            scheduleLightSweep(healthy: true)
            return
        }
        if await linkTrapArrives(within: Self.trapGrace) {
            logger.notice("light sweep: \(changes) switch(es) report a port state change, and a link trap came: its re-route goes first")
            scheduleLightSweep(healthy: false)
            return
        }
        // Cleared now, before the heavy pass reads the ports: a change after that read sets it again.
        let changed = zip(fabric.switches, infos).compactMap { node, info in info.flatMap { $0.portStateChange ? (node, $0) : nil } }
        _ = await mapConcurrently(changed, limit: client.runnerCount, executors: client.runnerExecutors) { node, info in
            try? await client.set(info, route: routes[node], node: fabric[node].guid)
        }
        logger.notice("light sweep: \(changes) switch(es) report a port state change; heavy pass")
        await heavySweep(takeover: false)
    }

    /// How long a light sweep that found a change waits for a link trap on its way (the inbound task may
    /// not have taken it yet) before it makes a heavy pass.
    static let trapGrace: Duration = .milliseconds(50)

    /// Whether a link trap waits for its re-route, in the batch or on its way to it, or arrives within `grace`.
    /// (The batch does not change while the loop is here: only the inbound task's count can.)
    func linkTrapArrives(within grace: Duration) async -> Bool {
        let deadline = ContinuousClock.now + grace
        while !linkTrapWaits() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
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
