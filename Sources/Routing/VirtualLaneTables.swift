import FabricModel
import IBWire

/// The SL2VL and VL arbitration tables ports hold, as the SM read or wrote them: what verification walks
/// VL by VL and what the SA serves. Tables not here are unknown (never read).
public struct VirtualLaneTables: Sendable, Hashable {
    /// One SL2VL table: a CA port's (`output` its port number, `input` 0) or a switch's (input, output) pair.
    public struct Key: Hashable, Sendable, Comparable {
        public var node: Int
        public var input: PortNumber
        public var output: PortNumber
        public init(node: Int, input: PortNumber, output: PortNumber) {
            self.node = node
            self.input = input
            self.output = output
        }
        public static func < (a: Key, b: Key) -> Bool { (a.node, a.output, a.input) < (b.node, b.output, b.input) }
    }

    public var slToVL: [Key: SLToVLMappingTable]
    /// Arbitration blocks by port and block number (1-4).
    public var arbitration: [PortAddress: [VLArbitrationTableBlock.Block: VLArbitrationTableBlock]]

    public init(slToVL: [Key: SLToVLMappingTable] = [:], arbitration: [PortAddress: [VLArbitrationTableBlock.Block: VLArbitrationTableBlock]] = [:]) {
        self.slToVL = slToVL
        self.arbitration = arbitration
    }

    public var isEmpty: Bool { slToVL.isEmpty && arbitration.isEmpty }

    /// The VL a packet on `sl` takes leaving switch `node` through `output` after arriving through `input`;
    /// nil when that table is not known.
    public func vl(switch node: Int, input: PortNumber, output: PortNumber, sl: UInt8) -> UInt8? {
        slToVL[Key(node: node, input: input, output: output)]?.vl(forSL: sl)
    }
}
