import ArgumentParser

/// `swiftsm fabric ...`: tools for topology files.
struct FabricCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fabric", abstract: "Work with topology files.", subcommands: [])
}
