import Configuration
import Discovery
import FabricModel
import FabricSimulator
import IBCapture
import Foundation
import IBTransport
import IBWire
import Logging
import SystemBoundary

/// An open fabric: the transport chosen by the options (wrapped by a recorder with --record) and the
/// SMP client over it.
struct FabricSession {
    let transport: any MADTransport
    let client: SMPClient
    let simulator: SimulatorTransport?
    let recorder: RecordingTransport?

    /// Opens the fabric the options name, with `configuration` (the options' own resolution of
    /// `--config` and flags when nil).
    static func open(_ options: FabricAccessOptions, configuration: SMConfiguration? = nil, role: UMadRole = []) async throws -> FabricSession {
        let logger = options.logger
        let configuration = try configuration ?? options.configuration()
        var clientOptions = options.clientOptions(configuration)
        var transport: any MADTransport
        var simulator: SimulatorTransport?
        if let path = options.simulate {
            let (fabric, attachment) = try SimulationSource.load(path)
            let simulated = SimulatorTransport(fabric: try SimulatedFabric(fabric, attachment: attachment), options: options.knobs.options, role: role)
            // No hardware and no umad2sim to overrun: the simulator's default window is the widest, which is
            // fastest (the real-switch model's per-node window still keeps every agent within its VL15 depth).
            if options.maxOutstanding == nil, configuration.maxWireSMPs == SMConfiguration.defaultMaxOutstanding {
                clientOptions.maxOutstanding = SMConfiguration.maxOutstandingLimit
            }
            simulator = simulated
            transport = simulated
        } else {
            if isUnderUmad2sim, clientOptions.maxOutstanding > 64 {
                logger.warning("umad2sim deadlocks with more than 64 SMPs outstanding; using 64")
                clientOptions.maxOutstanding = 64
            }
            do {
                let (ca, port) = options.caAndPort
                transport = try UMadTransport(ca: ca, port: port, portGUID: configuration.portGUID, role: role)
            } catch {
                throw CommandFailure(.noPort, error.description)
            }
        }
        var recorder: RecordingTransport?
        if let path = options.record {
            do {
                recorder = try RecordingTransport(wrapping: transport, path: path)
            } catch {
                await transport.close()
                throw CommandFailure(.badInput, error.description)
            }
            transport = recorder!
        }
        return FabricSession(
            transport: transport, client: SMPClient(transport: transport, options: clientOptions, mKey: configuration.mKey,
                                                        runnerExecutors: simulator?.eventLoops ?? [], logger: logger),
            simulator: simulator, recorder: recorder)
    }

    /// Runs `body` where SMPs are cheapest: on the simulator's first SM event loop when it has them
    /// (the SMP work is dealt out to both through the client's `runnerExecutors`), else on the port's
    /// receive thread, so that a response received resumes its task without waking another thread.
    func onFabricThread<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(simulator?.eventLoop ?? transport.inboundExecutor, operation: body)
    }

    /// The libibumad port under any recorder, for its counters of dropped responses.
    var port: UMadTransport? {
        (recorder?.inner ?? transport) as? UMadTransport
    }

    /// Closes the port and puts the capture in place.
    func close() async throws {
        await transport.close()
        do { try recorder?.finish() } catch { throw CommandFailure(.badInput, error.description) }
    }

    /// Fails with "no usable port" (dropping any capture) when a sweep found not even the SM's own node.
    func requireLocalNode(_ discovery: DiscoveryResult) async throws {
        guard discovery.fabric.nodes.isEmpty else { return }
        await abandon()
        throw CommandFailure(.noPort, discovery.problems.first?.message ?? "the local port did not answer")
    }

    /// Closes the port and drops any capture (the command failed before producing a result).
    func abandon() async {
        await transport.close()
        recorder?.discard()
    }

    private static var isUnderUmad2sim: Bool {
        ProcessInfo.processInfo.environment["LD_PRELOAD"]?.contains("umad2sim") ?? false
    }
}

/// Reads what --simulate names: a capture (told by its pcap magic number) or a topology file.
enum SimulationSource {
    static func load(_ path: String) throws -> (Fabric, PortAddress?) {
        if Files.kind(of: path) == .directory {
            throw CommandFailure(.badInput, "\(path): is a directory, not a topology file or a capture")
        }
        let head: [UInt8]
        do { head = try Files.readPrefix(path, count: 4) } catch {
            throw CommandFailure(.badInput, "\(path): cannot open the file (\(error.reason))")
        }
        if CaptureReader.isCapture(head) {
            do {
                let (fabric, attachment) = try CapturedFabric.load(try CaptureReader.read(path: path), source: path)
                return (fabric, attachment)
            } catch let error as CaptureError {
                throw CommandFailure(.badInput, error.description)
            } catch {
                throw CommandFailure(.badInput, "\(error)")
            }
        }
        do {
            return (try TopologyFile.load(path: path).fabric, nil)
        } catch {
            throw CommandFailure(.badInput, error.description)
        }
    }
}
