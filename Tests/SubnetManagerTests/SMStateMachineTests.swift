import IBWire
import SubnetManager
import Testing

/// The SM state machine of IBA 14.4, transition by transition.
@Suite struct SMStateMachineTests {
    let us = GUID(0x100)
    func machine(priority: UInt8 = 5) -> SMStateMachine { SMStateMachine(priority: priority, guid: us, pollRetries: 2) }
    func remote(_ guid: UInt64, priority: UInt8, _ state: SMState) -> RemoteSM { RemoteSM(guid: GUID(guid), priority: priority, state: state) }

    @Test func startDiscoversThenAloneBecomesMasterWithoutTakeover() {
        var sm = machine()
        #expect(sm.handle(.start) == [.discover])
        #expect(sm.state == .discovering)
        #expect(sm.handle(.discovered([])) == [.configure(takeover: false)])
        #expect(sm.state == .master)
    }

    @Test func aMasterFoundMakesUsStandbyWhateverItsPriority() {
        var sm = machine(priority: 15)
        _ = sm.handle(.start)
        let master = remote(0x200, priority: 0, .master)
        #expect(sm.handle(.discovered([master])) == [.poll(master)])
        #expect(sm.state == .standby)
        #expect(sm.master == master)
    }

    @Test func electionIsByPriorityThenLowerGUID() {
        #expect(smOutranks(priority: 6, guid: GUID(0x900), over: 5, GUID(0x100)))
        #expect(smOutranks(priority: 5, guid: GUID(0x050), over: 5, GUID(0x100)))
        #expect(!smOutranks(priority: 5, guid: GUID(0x200), over: 5, GUID(0x100)))
        // A higher SM still discovering or standing by wins; a lower one does not.
        var sm = machine()
        _ = sm.handle(.start)
        let lower = remote(0x050, priority: 4, .discovering), higher = remote(0x300, priority: 7, .standby)
        #expect(sm.handle(.discovered([lower, higher])) == [.poll(higher)])
        var alone = machine()
        _ = alone.handle(.start)
        #expect(alone.handle(.discovered([lower, remote(0x200, priority: 5, .standby)])) == [.configure(takeover: false)])
    }

    @Test func missedPollsBeyondTheRetriesStartATakeover() {
        var sm = machine()
        _ = sm.handle(.start)
        let master = remote(0x200, priority: 9, .master)
        _ = sm.handle(.discovered([master]))
        #expect(sm.handle(.pollFailed) == [])
        #expect(sm.handle(.pollAnswered(master)) == [])
        #expect(sm.handle(.pollFailed) == [])
        #expect(sm.handle(.pollFailed) == [])
        #expect(sm.handle(.pollFailed) == [.discover], "the third miss in a row (retries 2) ends the wait")
        #expect(sm.state == .discovering)
        #expect(sm.handle(.discovered([])) == [.configure(takeover: true)], "a takeover keeps what the old master set")
    }

    @Test func handoverFromTheMasterIsAcknowledgedAndTakenOver() {
        var sm = machine()
        _ = sm.handle(.start)
        let master = remote(0x200, priority: 1, .master)
        _ = sm.handle(.discovered([master]))
        // Only a MASTER may hand over.
        #expect(sm.handle(.control(.handover, from: remote(0x300, priority: 1, .standby))) == [])
        #expect(sm.handle(.control(.handover, from: master)) == [.acknowledge(master), .configure(takeover: true)])
        #expect(sm.state == .master)
    }

    @Test func aMasterHandsOverToAHigherStandbyAndStepsDownOnAcknowledge() {
        var sm = machine()
        _ = sm.handle(.start)
        _ = sm.handle(.discovered([]))
        let higher = remote(0x300, priority: 9, .standby)
        #expect(sm.handle(.foundHigherSM(remote(0x400, priority: 1, .standby))) == [], "a lower SM gets nothing")
        #expect(sm.handle(.foundHigherSM(higher)) == [.handOver(to: higher)])
        #expect(sm.handingOver)
        #expect(sm.handle(.foundHigherSM(higher)) == [], "one handover at a time")
        // An acknowledgement from another SM is not ours to take.
        #expect(sm.handle(.control(.acknowledge, from: remote(0x500, priority: 9, .standby))) == [])
        #expect(sm.state == .master)
        let actions = sm.handle(.control(.acknowledge, from: higher))
        #expect(sm.state == .standby)
        #expect(actions == [.poll(RemoteSM(guid: higher.guid, priority: 9, state: .master))])
    }

    @Test func anUnacknowledgedHandoverLeavesUsMaster() {
        var sm = machine()
        _ = sm.handle(.start)
        _ = sm.handle(.discovered([]))
        _ = sm.handle(.foundHigherSM(remote(0x300, priority: 9, .standby)))
        #expect(sm.handle(.handoverTimedOut) == [])
        #expect(sm.state == .master)
        #expect(!sm.handingOver)
    }

    @Test func disableDiscoverAndStandbyControls() {
        var sm = machine()
        _ = sm.handle(.start)
        let master = remote(0x200, priority: 9, .master)
        _ = sm.handle(.discovered([master]))
        #expect(sm.handle(.control(.discover, from: master)) == [.discover])
        #expect(sm.state == .discovering)
        #expect(sm.handle(.control(.standby, from: master)) == [.poll(master)])
        #expect(sm.state == .standby)
        #expect(sm.handle(.control(.disable, from: remote(0x300, priority: 1, .standby))) == [], "only a master may disable")
        #expect(sm.handle(.control(.disable, from: master)) == [.stop])
        #expect(sm.state == .notActive)
    }

    @Test func aMasterThatFindsAHigherMasterStepsDown() {
        var sm = machine()
        _ = sm.handle(.start)
        _ = sm.handle(.discovered([]))
        #expect(sm.handle(.discovered([remote(0x050, priority: 1, .master)])) == [], "a lower master is not followed")
        let higher = remote(0x300, priority: 9, .master)
        #expect(sm.handle(.discovered([higher])) == [.poll(higher)])
        #expect(sm.state == .standby)
    }

    @Test func aPolledMasterThatDropsBelowUsIsLeft() {
        var sm = machine(priority: 5)
        _ = sm.handle(.start)
        _ = sm.handle(.discovered([remote(0x200, priority: 1, .master)]))
        #expect(sm.handle(.pollAnswered(remote(0x200, priority: 1, .standby))) == [.discover])
        #expect(sm.state == .discovering)
    }
}

/// Answers to SMInfo requests, built as OpenSM builds them.
@Suite struct SMInfoResponderTests {
    let own = OwnSMInfo(guid: GUID(0x100001), smKey: 1, priority: 7, state: .master, activityCount: 42)

    @Test func aDirectedRouteGetIsAnsweredOnTheReturnPathWithOurSMInfo() throws {
        let request = SMP.get(.smInfo, route: try DirectedRoute([PortNumber(1), PortNumber(3)]))
        #expect(SMInfoResponder.classify(request, smKey: 1) == .get)
        let response = SMInfoResponder.response(to: request, own: own)
        #expect(response.method == .getResponse)
        guard case .directed(let header) = response.addressing else { Issue.record("not directed"); return }
        #expect(header.isReturning)
        let info = response.decode(SMInfo.self)
        #expect(info.guid == own.guid && info.priority == 7 && info.state == .master && info.smKey == 1 && info.activityCount == 42)
        // The response survives the wire.
        #expect(try SMP(decoding: response.encoded()) == response)
    }

    @Test func setsNeedOurSMKeyAndAKnownControl() {
        var sender = SMInfo()
        sender.guid = GUID(0x200)
        sender.priority = 9
        sender.state = .master
        sender.smKey = 1
        let handover = SMP.set(sender, modifier: SMInfoControl.handover.rawValue, lid: LID(4))
        #expect(SMInfoResponder.classify(handover, smKey: 1) == .set(.handover, from: RemoteSM(sender)))
        sender.smKey = 2
        guard case .refused = SMInfoResponder.classify(SMP.set(sender, modifier: 1, lid: LID(4)), smKey: 1) else {
            Issue.record("a wrong SM_Key was accepted"); return
        }
        sender.smKey = 1
        guard case .refused = SMInfoResponder.classify(SMP.set(sender, modifier: 9, lid: LID(4)), smKey: 1) else {
            Issue.record("an unknown control was accepted"); return
        }
        let refusal = SMInfoResponder.response(to: handover, own: own, status: .invalidAttributeValue)
        #expect(refusal.status == .invalidAttributeValue)
    }
}
