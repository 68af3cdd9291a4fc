import Foundation
import TestSupport
import Testing

/// One bad input given to the `swiftsm` executable: the files it reads, and the arguments, where
/// `{dir}` stands for the case's scratch directory.
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var files: [String: [UInt8]] = [:]
    var arguments: [String]
    var status: Int32 = 2
    /// What the one-line error must contain: the input it names (`{dir}` expanded).
    var names: String
    var testDescription: String { name }
}

/// A topology with two hosts on one switch, to break.
private let goodTopology = "Switch 4 \"s\"\n[1] \"a\"[1]\n[2] \"b\"[1]\n\nHca 1 \"a\"\n[1] \"s\"[1]\n\nHca 1 \"b\"\n[1] \"s\"[2]\n"

private func text(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A topology case: `discover --simulate` on the file, asked to write `{dir}/out.topo`.
private func topology(_ name: String, _ bytes: [UInt8]) -> BadInput {
    BadInput(name: name, files: ["in.topo": bytes], arguments: ["discover", "--simulate", "{dir}/in.topo", "--output", "{dir}/out.topo"], names: "in.topo")
}

/// A capture case, like `topology` but for a pcap file.
private func capture(_ name: String, _ bytes: [UInt8]) -> BadInput {
    BadInput(name: name, files: ["in.pcap": bytes], arguments: ["discover", "--simulate", "{dir}/in.pcap", "--output", "{dir}/out.topo"], names: "in.pcap")
}

/// A flag case: the flag is refused before anything is read or written.
private func flag(_ arguments: [String], names: String) -> BadInput {
    BadInput(name: arguments.joined(separator: " "), arguments: arguments + ["--output", "{dir}/out.topo"], names: names)
}

/// A real two-host capture recorded by `swiftsm discover --record`, to break.
private let goodCapture: [UInt8] = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-goodcap-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try! goodTopology.write(to: directory.appendingPathComponent("good.topo"), atomically: true, encoding: .utf8)
    let recorded = directory.appendingPathComponent("good.pcap").path
    let result = try! runCommand(swiftsmExecutable, ["discover", "--simulate", directory.appendingPathComponent("good.topo").path, "--record", recorded])
    precondition(result.status == 0, result.stderr)
    return Array(FileManager.default.contents(atPath: recorded)!)
}()

/// pcap offsets: a 24-byte file header, then records of a 16-byte record header, a 16-byte ERF header
/// and the InfiniBand packet (LRH 8, BTH 12, DETH 8, MAD 256, ICRC 4, VCRC 2 = 290, padded to 296).
private enum PcapLayout {
    static let fileHeader = 24
    static let record = 16 + 16 + 296
    static let linkType = 20
}

/// The good capture's first record with 56 bytes cut out of its MAD, every length field adjusted.
private func captureWithShortMAD() -> [UInt8] {
    let start = PcapLayout.fileHeader
    var packet = Array(goodCapture[(start + 32)..<(start + 32 + 290)])
    packet.removeSubrange(100..<156)
    let words = UInt16((packet.count - 2) / 4)
    packet[4] = UInt8(words >> 8); packet[5] = UInt8(words & 0xFF)  // LRH PktLen, big-endian
    let padded = (16 + packet.count + 7) / 8 * 8
    var erf = Array(goodCapture[(start + 16)..<(start + 32)])
    erf[10] = UInt8(padded >> 8); erf[11] = UInt8(padded & 0xFF)  // ERF rlen
    erf[14] = UInt8(packet.count >> 8); erf[15] = UInt8(packet.count & 0xFF)  // ERF wlen
    var header = Array(goodCapture[start..<(start + 16)])
    for offset in [8, 12] {  // pcap incl_len and orig_len, little-endian
        for byte in 0..<4 { header[offset + byte] = UInt8(truncatingIfNeeded: padded >> (8 * byte)) }
    }
    return Array(goodCapture[0..<start]) + header + erf + packet + [UInt8](repeating: 0, count: padded - 16 - packet.count)
}

private var randomBytes: [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<4096).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

let badInputs: [BadInput] = [
    topology("empty topology", []),
    topology("random bytes as a topology", randomBytes),
    topology("topology that is not UTF-8", text("Switch 4 \"s\"\n[1] \"a") + [0xFF, 0xFE] + text("\"[1]\n")),
    topology("link written at one end only", text(goodTopology + "\nHca 1 \"c\"\n[1] \"s\"[4]\n")),
    topology("port beyond the node's port count", text("Hca 1 \"a\"\n[2] \"s\"[1]\n")),
    topology("duplicate node names", text(goodTopology + "\nHca 1 \"a\"\n")),
    topology("mismatched link ends", text(goodTopology.replacingOccurrences(of: "[1] \"s\"[2]", with: "[1] \"s\"[1]"))),
    topology("link to an undefined node", text(goodTopology.replacingOccurrences(of: "[2] \"b\"[1]", with: "[2] \"c\"[1]"))),
    topology("bad GUID", text("switchguid=0xZZ\n" + goodTopology)),
    topology("switch with 300 ports", text("Switch 300 \"s\"\n")),
    capture("truncated capture", Array(goodCapture[0..<(PcapLayout.fileHeader + PcapLayout.record + 100)])),
    capture("capture of the wrong link type", {
        var bytes = goodCapture
        bytes[PcapLayout.linkType] = 1  // Ethernet
        return bytes
    }()),
    capture("capture whose MAD is too short", captureWithShortMAD()),
    capture("pcap magic followed by garbage", Array(goodCapture[0..<4]) + randomBytes),
    capture("capture with no record", Array(goodCapture[0..<PcapLayout.fileHeader])),
    BadInput(name: "missing topology file", arguments: ["discover", "--simulate", "{dir}/missing.topo", "--output", "{dir}/out.topo"], names: "missing.topo"),
    BadInput(name: "a directory given as the topology", arguments: ["discover", "--simulate", "{dir}", "--output", "{dir}/out.topo"], names: "{dir}"),
    BadInput(
        name: "unwritable output path", files: ["in.topo": text(goodTopology)],
        arguments: ["discover", "--simulate", "{dir}/in.topo", "--output", "{dir}/no-such-dir/out.topo"], names: "no-such-dir/out.topo"),
    BadInput(
        name: "unwritable capture path", files: ["in.topo": text(goodTopology)],
        arguments: ["discover", "--simulate", "{dir}/in.topo", "--record", "{dir}/no-such-dir/out.pcap", "--output", "{dir}/out.topo"],
        names: "no-such-dir/out.pcap"),
    BadInput(
        name: "guid2lid file of garbage", files: ["in.topo": text(goodTopology), "guid2lid": randomBytes],
        arguments: ["sweep", "--once", "--simulate", "{dir}/in.topo", "--guid2lid", "{dir}/guid2lid", "--record", "{dir}/out.pcap"], names: "guid2lid"),
    BadInput(
        name: "a directory given as the guid2lid file", files: ["in.topo": text(goodTopology)],
        arguments: ["sweep", "--once", "--simulate", "{dir}/in.topo", "--guid2lid", "{dir}", "--record", "{dir}/out.pcap"], names: "{dir}"),
    flag(["sweep", "--once", "--lmc", "8"], names: "--lmc 8"),
    flag(["discover", "--port", "300"], names: "--port 300"),
    flag(["discover", "--max-outstanding", "0"], names: "--max-outstanding 0"),
    flag(["discover", "--format", "xml"], names: "xml"),
    flag(["discover", "--timeout=-5"], names: "-5"),
    flag(["discover", "--retries=-1"], names: "-1"),
    flag(["discover", "--no-such-flag"], names: "--no-such-flag"),
    flag(["sweep", "--once", "--subnet-timeout", "40"], names: "--subnet-timeout 40"),
    flag(["sweep", "--once", "--priority", "16"], names: "--priority 16"),
    flag(["sweep", "--simulate", "Examples/fat-tree-32-hosts.topo"], names: "--once"),
    flag(["sweep", "--once", "--mkey", "secret"], names: "--mkey secret"),
    flag(["sweep", "--once", "--mkey", "0x1FFFFFFFFFFFFFFFF"], names: "--mkey 0x1FFFFFFFFFFFFFFFF"),
    flag(["sweep", "--once", "--mkey=-1"], names: "--mkey -1"),
    flag(["discover", "--mkey", "0x"], names: "--mkey 0x"),
    flag(["sweep", "--once", "--mkey", "0x1234", "--mkey-protect", "4"], names: "--mkey-protect 4"),
    flag(["sweep", "--once", "--mkey", "0x1234", "--mkey-lease", "65536"], names: "--mkey-lease 65536"),
    flag(["sweep", "--once", "--mkey-protect", "2"], names: "--mkey-protect"),
    flag(["sweep", "--once", "--mkey", "0", "--mkey-lease", "60"], names: "--mkey-lease"),
    flag(["sweep", "--once", "--routing", "minhop,nue"], names: "--routing: unknown routing engine 'nue'"),
    flag(["sweep", "--once", "--routing", ""], names: "--routing"),
    flag(["fabric", "generate", "torus-3d", "--dimensions", "4x"], names: "--dimensions 4x"),
    flag(["fabric", "generate", "fat-tree-2", "--radix", "8", "--hosts-per-switch", "6", "--spines", "5"], names: "fat-tree-2"),
    BadInput(name: "unknown CA", arguments: ["discover", "--ca", "nosuchca0", "--output", "{dir}/out.topo"], status: 3, names: "nosuchca0"),
]

/// Every bad input, given to the real executable: one clear line naming the input, the documented exit
/// code, and nothing written (the scratch directory holds exactly the inputs afterwards).
@Suite(.ownThread) struct MalformedInputCommandTests {
    @Test(arguments: badInputs)
    func isRefusedWithOneLineAndLeavesNoFile(_ input: BadInput) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsm-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, bytes) in input.files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        let expand = { (argument: String) in argument.replacingOccurrences(of: "{dir}", with: directory.path) }

        let result = try runCommand(swiftsmExecutable, input.arguments.map(expand), directory: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        #expect(result.status == input.status, "\(result.stderr)")
        #expect(result.stderr.contains(expand(input.names)), "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { line in
            // argument-parser follows its one-line error with the flag's help and the usage.
            !["Help:", "Usage:", "  See '"].contains { line.hasPrefix($0) } && !line.isEmpty
        }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(left == input.files.keys.sorted(), "files left behind")
        for (name, bytes) in input.files {
            #expect(FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) == Data(bytes), "\(name) was changed")
        }
    }
}
