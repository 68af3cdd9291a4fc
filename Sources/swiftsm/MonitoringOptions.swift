import ArgumentParser
import Monitoring

/// `--listen HOST:PORT`: the daemon's optional local HTTP listener (/metrics, /status).
struct MonitoringOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve Prometheus metrics on /metrics and the status as JSON on /status here (e.g. 127.0.0.1:9464; no authentication: keep it on loopback or a management network).", valueName: "host:port"))
    var listen: String?

    func validate() throws {
        if let listen, ListenAddress(listen) == nil { throw ValidationError("--listen \(listen) is not host:port") }
    }

    /// Starts the listener when --listen was given; `status` is called at every request (return a copy of
    /// the status the daemon keeps behind a lock).
    func startListener(metrics: SMMetrics = SMMetrics(), status: @escaping @Sendable () -> SMStatus) async throws -> StatusServer? {
        guard let listen, let address = ListenAddress(listen) else { return nil }
        do {
            return try await StatusServer.start(host: address.host, port: address.port, metrics: metrics, status: status)
        } catch {
            throw CommandFailure(.badInput, "--listen \(listen): cannot listen there (\(error))")
        }
    }
}
