import ArgumentParser
import Monitoring

/// `swiftsm status`: what a running SM reports on its listener (`swiftsm run --listen ADDRESS`).
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a running SM's state, sweeps, ports, SMPs, traps, SA requests and degraded links.",
        discussion: "Asks the SM's local HTTP listener (GET /status). \(ExitStatus.helpText)")

    @Option(help: ArgumentHelp("The SM's listener, as given to its --listen.", valueName: "host:port"))
    var connect: String = "127.0.0.1:9464"

    @Option(help: "text (for a person) or json (as the listener serves it).")
    var format: StatusFormat = .text

    enum StatusFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        guard ListenAddress(connect) != nil else { throw ValidationError("--connect \(connect) is not host:port") }
    }

    func run() async throws {
        let address = ListenAddress(connect)!
        let response: StatusClient.Response
        do {
            response = try await StatusClient.get(host: address.host, port: address.port, path: "/status")
        } catch {
            throw CommandFailure(.noPort, "\(error)")
        }
        guard response.status == 200 else { throw CommandFailure(.partial, "\(connect)/status answered HTTP \(response.status)") }
        let status: SMStatus
        do { status = try SMStatus.decode(json: response.body) } catch {
            throw CommandFailure(.partial, "\(connect)/status is not an SM status (\(error))")
        }
        switch format {
        case .json: print(status.jsonText())
        case .text: print(StatusText.lines(status).joined(separator: "\n"))
        }
    }
}

/// `host:port` for --listen and --connect (IPv6 as `[::1]:9464`).
struct ListenAddress: Equatable {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
