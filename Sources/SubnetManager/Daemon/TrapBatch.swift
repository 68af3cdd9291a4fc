import IBWire

/// Traps waiting to be acted on, coalesced, with flap suppression.
///
/// Traps that arrive close together (both ends of a pulled cable trap within microseconds) are handled
/// in one pass. A switch that traps more than `flapLimit` times within the flap window is held down: its
/// traps are counted but start no pass until the hold-down ends, and the next light sweep picks up
/// whatever state its ports settled in. A flapping port therefore costs at most one pass per light
/// sweep, not one per flap.
struct TrapBatch {
    /// Switch (issuer) LIDs whose traps are waiting.
    private(set) var issuers: Set<LID> = []
    /// Ports whose IsSM changed (Trap 144): an SM may have started or stopped there.
    private(set) var smPorts: Set<LID> = []
    private var due: ContinuousClock.Instant?
    /// When the first trap of the batch arrived (a re-route is timed from it).
    private var firstArrival: ContinuousClock.Instant?
    /// Recent trap times per issuer, for flap detection.
    private var history: [LID: [ContinuousClock.Instant]] = [:]
    private(set) var heldDown: [LID: ContinuousClock.Instant] = [:]

    var isEmpty: Bool { issuers.isEmpty && smPorts.isEmpty }

    func isDue(now: ContinuousClock.Instant) -> Bool { due.map { now >= $0 } ?? false }

    mutating func add(_ notice: Notice, source: LID, now: ContinuousClock.Instant, coalescing: Duration,
                      flapLimit: Int = 4, flapWindow: Duration = .seconds(30), holdDown: Duration = .seconds(60)) {
        switch notice.trapNumber {
        case 128:
            let issuer = notice.dataLID == .unassigned ? (notice.issuerLID == .unassigned ? source : notice.issuerLID) : notice.dataLID
            var times = (history[issuer] ?? []).filter { now - $0 < flapWindow }
            times.append(now)
            history[issuer] = times
            if let until = heldDown[issuer], now < until { return }
            if times.count > flapLimit {
                heldDown[issuer] = now + holdDown
                return
            }
            issuers.insert(issuer)
        case 144:
            smPorts.insert(notice.trap144LID == .unassigned ? source : notice.trap144LID)
        default:
            return
        }
        if due == nil {
            due = now + coalescing
            firstArrival = now
        }
    }

    /// When the batch is to be handled (nil: nothing waits).
    var dueAt: ContinuousClock.Instant? { due }

    /// Takes the batch, leaving it empty.
    mutating func take() -> (issuers: Set<LID>, smPorts: Set<LID>, since: ContinuousClock.Instant?) {
        defer {
            issuers = []
            smPorts = []
            due = nil
            firstArrival = nil
        }
        return (issuers, smPorts, firstArrival)
    }
}
