import ArgumentParser
import FabricModel

/// `swiftsm fabric ...`: tools for topology files.
struct FabricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fabric", abstract: "Work with topology files.", subcommands: [Generate.self, Route.self])
}

extension FabricKind: ExpressibleByArgument {}

/// `swiftsm fabric generate KIND`: topology files for tests, benchmarks and the simulator.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a generated topology in ibsim/ibnetdiscover format.",
        discussion: """
            Kinds: \(FabricKind.allCases.map(\.rawValue).joined(separator: ", ")). The file loads into ibsim \
            (its header comment gives the -N/-S/-P limits large fabrics need) and into --simulate.
            Examples: `swiftsm fabric generate fat-tree-3 --radix 36` (11,664 hosts);
            `swiftsm fabric generate torus-3d --dimensions 4x4x4 --remove-links 3`.
            \(ExitStatus.helpText)
            """)

    @Argument(help: "The kind of fabric.")
    var kind: FabricKind

    @Option(help: "Switch port count k (fat trees, dual rail, random).")
    var radix: Int?
    @Option(help: "Leaves (fat-tree-2), or leaves per rail (dual-rail).")
    var leaves: Int?
    @Option(help: "Spine switches (fat-tree-2, dual-rail).")
    var spines: Int?
    @Option(help: "Hosts on each leaf, edge, torus/mesh switch or dragonfly router.")
    var hostsPerSwitch: Int?
    @Option(help: ArgumentHelp("Torus or mesh size, e.g. 4x4 or 4x4x4.", valueName: "AxB[xC]"))
    var dimensions: String?
    @Option(help: "Dragonfly groups.")
    var groups: Int?
    @Option(help: "Dragonfly routers per group.")
    var routersPerGroup: Int?
    @Option(help: "Dragonfly global links per router.")
    var globalLinks: Int?
    @Option(help: "Random: switch count.")
    var switches: Int?
    @Option(help: "Random: host count.")
    var hosts: Int?
    @Option(help: "Random: switch links beyond a spanning tree.")
    var extraLinks: Int?
    @Option(help: "Seed for randomness (random kind, link removal).")
    var seed: UInt64 = 1
    @Option(help: "Remove this many random switch-to-switch links, keeping the fabric connected.")
    var removeLinks: Int = 0
    @Option(name: .shortAndLong, help: ArgumentHelp("Write here (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    func validate() throws {
        if let dimensions, parsedDimensions == nil { throw ValidationError("--dimensions \(dimensions) is not of the form 4x4 or 4x4x4") }
        for (name, value) in [("--radix", radix), ("--leaves", leaves), ("--spines", spines), ("--hosts-per-switch", hostsPerSwitch),
                              ("--groups", groups), ("--routers-per-group", routersPerGroup), ("--global-links", globalLinks),
                              ("--switches", switches), ("--hosts", hosts), ("--extra-links", extraLinks), ("--remove-links", removeLinks)] {
            if let value, value < 0 { throw ValidationError("\(name) \(value) must not be negative") }
        }
    }

    private var parsedDimensions: [Int]? {
        guard let dimensions else { return nil }
        let parts = dimensions.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let options = GeneratorOptions(
            radix: radix, leaves: leaves, spines: spines, hostsPerSwitch: hostsPerSwitch, dimensions: parsedDimensions,
            groups: groups, routersPerGroup: routersPerGroup, globalLinksPerRouter: globalLinks, switches: switches,
            hosts: hosts, extraLinks: extraLinks, seed: seed, removeLinks: removeLinks)
        let text: String
        do { text = try generateTopology(kind, options: options) } catch {
            throw CommandFailure(.badInput, error.description)
        }
        try OutputFile.write(text, to: output)
    }
}
