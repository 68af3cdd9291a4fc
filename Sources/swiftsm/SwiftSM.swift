import ArgumentParser
import Foundation
import SystemBoundary

@main
struct SwiftSM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftsm",
        abstract: "An InfiniBand subnet manager.",
        discussion: """
            Every subcommand runs against the fabric on this host's InfiniBand port (through libibumad; under \
            ibsim with umad2sim preloaded), or against the in-process simulator with --simulate FILE.

            \(ExitStatus.helpText)
            """,
        subcommands: [Run.self, Discover.self, Sweep.self, Verify.self, Status.self, FabricCommand.self])

    /// Runs the command line, mapping every failure to a one-line message and a documented exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            printError("swiftsm: \(failure.message)")
            Foundation.exit(failure.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(ExitStatus.done.rawValue)
            }
            printError(fullMessage(for: error))
            // Argument errors (argument-parser's EX_USAGE) are our "usage or bad input".
            Foundation.exit(code == .validationFailure ? ExitStatus.badInput.rawValue : code.rawValue)
        }
    }
}

func printError(_ line: String) {
    try? Files.write(Array((line + "\n").utf8), to: .standardError, name: "standard error")
}
