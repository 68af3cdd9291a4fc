import FabricSimulator
import Foundation
import IBTransport
import IBWire
import Logging

/// An open fabric: the transport chosen by the options and the SMP client over it.
struct FabricSession {
    let transport: any MADTransport
    let client: SMPClient
    let simulator: SimulatorTransport?

    static func open(_ options: FabricAccessOptions) async throws -> FabricSession {
        let logger = options.logger
        var clientOptions = options.clientOptions
        let transport: any MADTransport
        var simulator: SimulatorTransport?
        if let path = options.simulate {
            let fabric = try SimulationSource.load(path)
            let simulated = SimulatorTransport(fabric: fabric, options: options.knobs.options)
            simulator = simulated
            transport = simulated
        } else {
            if isUnderUmad2sim, clientOptions.maxOutstanding > 64 {
                logger.warning("umad2sim deadlocks with more than 64 SMPs outstanding; using 64")
                clientOptions.maxOutstanding = 64
            }
            do {
                transport = try UMadTransport(ca: options.ca, port: options.port)
            } catch {
                throw CommandFailure(.noPort, error.description)
            }
        }
        return FabricSession(transport: transport, client: SMPClient(transport: transport, options: clientOptions, logger: logger), simulator: simulator)
    }

    func close() async throws {
        await transport.close()
    }

    private static var isUnderUmad2sim: Bool {
        ProcessInfo.processInfo.environment["LD_PRELOAD"]?.contains("umad2sim") ?? false
    }
}

/// Reads what --simulate names: a capture (by its pcap magic) or a topology file.
enum SimulationSource {
    static func load(_ path: String) throws -> SimulatedFabric {
        throw CommandFailure(.badInput, "\(path): simulation from files is not wired up yet")
    }
}
