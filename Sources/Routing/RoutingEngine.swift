import FabricModel
import Foundation
import IBWire

/// What a routing engine promises about the tables it computed.
public struct RoutingGuarantees: Sendable, Equatable, CustomStringConvertible {
    /// Every route is as short as the fabric allows.
    public var minHop: Bool
    /// The routes cannot deadlock when data uses this many VLs (nil: no promise; the channel
    /// dependency graph of the routes may have a cycle).
    public var deadlockFreeVLs: Int?
    /// The SL every path needs (engines here use one VL, so SL 0 for all).
    public var serviceLevel: UInt8

    public init(minHop: Bool, deadlockFreeVLs: Int?, serviceLevel: UInt8 = 0) {
        self.minHop = minHop
        self.deadlockFreeVLs = deadlockFreeVLs
        self.serviceLevel = serviceLevel
    }

    public var isDeadlockFree: Bool { deadlockFreeVLs != nil }

    public var description: String {
        var parts: [String] = [minHop ? "min-hop" : "not always min-hop"]
        if let vls = deadlockFreeVLs { parts.append("deadlock-free on \(vls) VL\(vls == 1 ? "" : "s")") } else { parts.append("no deadlock-freedom promise") }
        parts.append("SL \(serviceLevel)")
        return parts.joined(separator: ", ")
    }
}

/// The tables an engine computed and what it promises about them.
public struct RoutedTables: Sendable {
    public var tables: ForwardingTables
    /// The engine that made them (after any fallback).
    public var engine: String
    public var guarantees: RoutingGuarantees
    /// What the engine (or the fallback along the list) wants known: fallbacks, destinations routed
    /// the safe way, roots chosen.
    public var notes: [String]
    /// The channel dependency graph of the routes, or a graph that holds it (a repair adds what it
    /// changed and keeps what it took away), when the engine built one: a later repair checks only
    /// what it adds against it instead of building it anew.
    var dependencies: ChannelDependencyGraph?

    public init(tables: ForwardingTables, engine: String, guarantees: RoutingGuarantees, notes: [String] = []) {
        self.tables = tables
        self.engine = engine
        self.guarantees = guarantees
        self.notes = notes
    }
}

/// Tables repaired after a change of links, and where they differ from the tables before.
public struct RoutingRepair: Sendable {
    public var routed: RoutedTables
    /// LFT block numbers whose entries differ from the previous tables, by switch node index; nil when the
    /// tables were computed anew (any block may differ).
    public var changedBlocks: [Int: [Int]]?
    /// (switch, LID) entries that differ (nil when computed anew).
    public var changedEntries: Int?

    public init(routed: RoutedTables, changedBlocks: [Int: [Int]]?, changedEntries: Int? = nil) {
        self.routed = routed
        self.changedBlocks = changedBlocks
        self.changedEntries = changedEntries
    }
}

/// Why an engine could not route a fabric (the next engine of the list is tried).
public struct RoutingEngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var engine: String
    public var reason: String
    public init(engine: String, reason: String) {
        self.engine = engine
        self.reason = reason
    }
    public var description: String { "routing engine \(engine): \(reason)" }
}

/// A routing engine: fabric and LIDs in, forwarding tables out, with what they guarantee. Pure.
public protocol RoutingEngine: Sendable {
    /// The name `--routing` knows it by.
    var name: String { get }
    /// Tables for every LID of `lids` on every switch of `fabric`.
    func route(_ fabric: Fabric, lids: LIDAssignment) throws(RoutingEngineError) -> RoutedTables
    /// Tables for `after` made from `previous`, this engine's tables for `before` (the same switches and
    /// LIDs, links gone or back), changing only what the change needs and keeping this engine's promise;
    /// nil when this engine cannot repair that change (a full `route` is made instead).
    func repair(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment) -> RoutingRepair?
}

extension RoutingEngine {
    /// No repair: every change is routed anew.
    public func repair(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment) -> RoutingRepair? { nil }
}

/// The engines `--routing` can name.
public enum RoutingEngineKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Shortest paths, balanced by port load; credit loops on any fabric that is not a tree.
    case minhop
    /// Up*/down* from roots found automatically: deadlock-free on one VL, not always min-hop.
    case updn
    /// The default: min-hop where its routes are already free of credit loops (fat trees), else
    /// the shortest, best-balanced routes that keep the channel dependency graph acyclic.
    case deadlockFree = "deadlock-free"

    public var description: String { rawValue }

    /// What the sweep, the daemon and `verify` use when nothing is chosen.
    public static let defaultList: [RoutingEngineKind] = [.deadlockFree]

    public var engine: any RoutingEngine {
        switch self {
        case .minhop: MinHopEngine()
        case .updn: UpDownEngine()
        case .deadlockFree: DeadlockFreeEngine()
        }
    }

    /// `NAME[,NAME...]` as `--routing` takes it; nil with a one-line reason when a name is unknown.
    public static func parseList(_ text: String) -> Result<[RoutingEngineKind], RoutingEngineError> {
        var kinds: [RoutingEngineKind] = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let kind = RoutingEngineKind(rawValue: name) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                return .failure(RoutingEngineError(engine: name, reason: "unknown routing engine '\(name)' (known: \(known))"))
            }
            kinds.append(kind)
        }
        return kinds.isEmpty ? .failure(RoutingEngineError(engine: "", reason: "no routing engine named")) : .success(kinds)
    }
}

/// Routes with the first engine of `engines` that succeeds and keeps its promise, as OpenSM's
/// routing_engine list does: an engine that throws, or that promises deadlock freedom and leaves a
/// credit loop, hands over to the next. The last engine's tables are used if every one fails.
public func route(_ fabric: Fabric, lids: LIDAssignment, engines: [RoutingEngineKind]) -> RoutedTables {
    route(fabric, lids: lids, engines: (engines.isEmpty ? RoutingEngineKind.defaultList : engines).map(\.engine))
}

/// The same with engine values (an engine of one's own, or one configured differently).
public func route(_ fabric: Fabric, lids: LIDAssignment, engines list: [any RoutingEngine]) -> RoutedTables {
    var notes: [String] = []
    var lastResult: RoutedTables?
    for (position, engine) in list.enumerated() {
        let isLast = position == list.count - 1
        do {
            var result = try engine.route(fabric, lids: lids)
            if result.guarantees.isDeadlockFree, !isLast,
               let loop = findCreditLoop(fabric, lids: lids, tables: result.tables) {
                notes.append("\(engine.name): promised deadlock freedom but left a \(loop.describe(in: fabric)); trying the next engine")
                lastResult = result
                continue
            }
            result.notes = notes + result.notes
            return result
        } catch {
            notes.append("\(error.description); trying the next engine")
        }
    }
    // Every engine failed: min-hop delivers every pair at least.
    var fallback = lastResult ?? RoutedTables(tables: computeMinHopRoutes(fabric, lids: lids), engine: RoutingEngineKind.minhop.rawValue,
                                              guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: nil))
    notes.append("every routing engine listed failed; using \(fallback.engine)")
    fallback.notes = notes + fallback.notes
    return fallback
}

/// Tables for `after` after links changed since `previous` was routed for `before`: repaired by the
/// engine that made `previous` when it is the first of `engines` (what a full pass would use) and can
/// repair the change, else routed anew with `route`.
public func repairRoutes(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment,
                    engines: [RoutingEngineKind]) -> RoutingRepair {
    repairRoutes(previous, from: before, to: after, lids: lids, engines: (engines.isEmpty ? RoutingEngineKind.defaultList : engines).map(\.engine))
}

/// The same with engine values.
public func repairRoutes(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment,
                    engines list: [any RoutingEngine]) -> RoutingRepair {
    var why = "the tables were made by \(previous.engine), not by the first engine listed"
    if let engine = list.first, engine.name == previous.engine {
        if var repaired = engine.repair(previous, from: before, to: after, lids: lids) {
            repaired.routed.notes = previous.notes.filter { !$0.hasPrefix("repair:") } + repaired.routed.notes
            return repaired
        }
        why = "\(engine.name) cannot repair this change"
    }
    var routed = route(after, lids: lids, engines: list)
    routed.notes.append("repair: \(why); routed anew")
    return RoutingRepair(routed: routed, changedBlocks: nil)
}

/// Today's min-hop routing as an engine.
public struct MinHopEngine: RoutingEngine {
    public init() {}
    public var name: String { RoutingEngineKind.minhop.rawValue }
    public func route(_ fabric: Fabric, lids: LIDAssignment) throws(RoutingEngineError) -> RoutedTables {
        RoutedTables(tables: computeMinHopRoutes(fabric, lids: lids), engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: nil))
    }

    /// Min-hop tables repaired where the change needs it (`repairMinHopRoutes`).
    public func repair(_ previous: RoutedTables, from before: Fabric, to after: Fabric, lids: LIDAssignment) -> RoutingRepair? {
        guard previous.guarantees.minHop,
              let repaired = repairMinHopRoutes(previous.tables, before: before, after: after, lids: lids)
        else { return nil }
        let routed = RoutedTables(tables: repaired.tables, engine: name, guarantees: RoutingGuarantees(minHop: true, deadlockFreeVLs: nil),
                                  notes: [repaired.note])
        return RoutingRepair(routed: routed, changedBlocks: repaired.changedBlocksByNode, changedEntries: repaired.changedEntries.count)
    }
}
