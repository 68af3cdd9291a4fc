import Foundation
import IBCapture
import IBWire
import Testing
import TestSupport

/// Runs tshark on written captures. CI installs tshark, so a missing tshark is a failure, not a skip.
@Suite(.ownThread) struct WiresharkTests {
    static let tsharkPath = "/usr/bin/tshark"

    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs tshark with `arguments`, killing it after `timeout` seconds.
    static func tshark(_ arguments: [String], in directory: TemporaryDirectory, timeout: TimeInterval = 60) throws -> Output {
        let outPath = directory.file("tshark.out"), errPath = directory.file("tshark.err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tsharkPath)
        process.arguments = arguments
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        // Keep tshark away from any personal configuration and its own plugins' surprises.
        var environment = ProcessInfo.processInfo.environment
        environment["WIRESHARK_CONFIG_DIR"] = directory.path
        process.environment = environment
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TimeoutError(arguments: arguments, seconds: timeout)
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    struct TimeoutError: Error, CustomStringConvertible {
        var arguments: [String]
        var seconds: TimeInterval
        var description: String { "tshark \(arguments.joined(separator: " ")) did not finish in \(Int(seconds)) s" }
    }

    @Test func tsharkDecodesEveryFrameAsTheSMPWeWrote() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tsharkPath) else {
            Issue.record("tshark is not installed at \(Self.tsharkPath): install it (DEBIAN_FRONTEND=noninteractive apt-get install -y tshark) to check that Wireshark reads the captures")
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("exchange.pcap")
        let mads = try sampleExchange()
        try writeCapture(mads, to: path)

        // The summary lines: one per frame, each naming the SMP.
        let summary = try Self.tshark(["-n", "-r", path], in: directory)
        #expect(summary.status == 0, "tshark failed: \(summary.standardError)")
        let lines = summary.standardOutput.split(separator: "\n").map(String.init)
        let expected = ["SubnGet(NodeInfo)", "SubnGetResp(NodeInfo)", "SubnSet(PortInfo)", "SubnGetResp(PortInfo)",
                        "SubnSet(LinearForwardingTable)"]
        #expect(lines.count == expected.count, "tshark listed:\n\(summary.standardOutput)")
        for (line, name) in zip(lines, expected) {
            #expect(line.hasSuffix(" " + name), "frame listed as: \(line)")
            #expect(line.contains("InfiniBand 290 UD Send Only QP=0x000000"), "frame listed as: \(line)")
        }

        // Header fields as Wireshark reads them: class 0x81 is shown as "SMP (Directed Route)", 0x01 as
        // "SMP (LID Routed)"; ERF interface 0/1 is our direction; the CRCs are where they belong.
        let fields = try Self.tshark(
            ["-n", "-r", path, "-T", "fields", "-E", "separator=|",
             "-e", "infiniband.mad.mgmtclass", "-e", "erf.flags.cap", "-e", "infiniband.lrh.vl",
             "-e", "infiniband.lrh.lnh", "-e", "infiniband.lrh.dlid", "-e", "infiniband.lrh.slid",
             "-e", "infiniband.lrh.pktlen", "-e", "infiniband.bth.opcode", "-e", "infiniband.bth.p_key",
             "-e", "infiniband.bth.destqp", "-e", "infiniband.deth.srcqp", "-e", "infiniband.mad.transactionid",
             "-e", "infiniband.invariant.crc", "-e", "infiniband.variant.crc", "-e", "frame.time_epoch"],
            in: directory)
        #expect(fields.status == 0, "tshark failed: \(fields.standardError)")
        let rows = fields.standardOutput.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == mads.count)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for (index, (row, mad)) in zip(rows, mads).enumerated() {
            guard row.count == 15 else {
                Issue.record("unexpected tshark fields row: \(row)")
                continue
            }
            let smp = try mad.smp()
            #expect(row[0] == (smp.managementClass == .directedRouteSMP ? "0x81" : "0x01"))
            #expect(row[1] == (mad.direction == .sent ? "0" : "1"))
            #expect(row[2] == "0x0f")  // VL15
            #expect(row[3] == "0x02")  // LNH: IBA local
            #expect(row[4] == String(mad.destinationLID.rawValue))
            #expect(row[5] == String(mad.sourceLID.rawValue))
            #expect(row[6] == "72")
            #expect(row[7] == "100")
            #expect(row[8] == "65535")
            #expect(row[9] == "0x000000")  // destination QP0
            #expect(row[10] == "0x00000000")  // source QP0
            #expect(UInt64(row[11].dropFirst(2), radix: 16) == smp.transactionID)
            let packet = Array(bytes[(Layout.fileHeader + index * Layout.record + Layout.packet)...]
                .prefix(Layout.packetSize))
            // Wireshark shows the CRC fields as big-endian numbers of the bytes on the wire.
            let icrcOnWire = packet[284..<288].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let vcrcOnWire = UInt16(packet[288]) << 8 | UInt16(packet[289])
            #expect(UInt32(row[12].dropFirst(2), radix: 16) == icrcOnWire)
            #expect(UInt16(row[13].dropFirst(2), radix: 16) == vcrcOnWire)
            #expect(packet.readLE32(284) == referenceICRC(Array(packet[0..<284])))
            #expect(packet.readLE16(288) == referenceCRC16(Array(packet[0..<288])))
            let seconds = mad.timestamp / 1_000_000_000, nanos = mad.timestamp % 1_000_000_000
            let nanoText = String(nanos)
            #expect(row[14] == "\(seconds)." + String(repeating: "0", count: 9 - nanoText.count) + nanoText)
        }

        // The detail view names the routing of each SMP.
        let detail = try Self.tshark(["-n", "-r", path, "-V"], in: directory)
        let smpLines = detail.standardOutput.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("SMP (") }
        #expect(smpLines == [
            "SMP (Directed Route) SubnGet(NodeInfo)", "SMP (Directed Route) SubnGetResp(NodeInfo)",
            "SMP (LID Routed) SubnSet(PortInfo)", "SMP (LID Routed) SubnGetResp(PortInfo)",
            "SMP (LID Routed) SubnSet(LinearForwardingTable)",
        ])
        #expect(!detail.standardOutput.contains("Malformed"))
        #expect(!detail.standardOutput.contains("Expert Info"))

        // No malformed frame and no expert warning or error.
        let malformed = try Self.tshark(["-n", "-r", path, "-Y", "_ws.malformed || _ws.expert"], in: directory)
        #expect(malformed.status == 0, "tshark failed: \(malformed.standardError)")
        #expect(malformed.standardOutput.isEmpty, "tshark flags frames:\n\(malformed.standardOutput)")
    }

    @Test func tsharkReadsALargeCaptureWithoutComplaint() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tsharkPath) else {
            Issue.record("tshark is not installed at \(Self.tsharkPath): install it (DEBIAN_FRONTEND=noninteractive apt-get install -y tshark)")
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("large.pcap")
        let sample = try sampleExchange()
        let writer = try CaptureWriter(path: path)
        for index in 0..<20_000 {
            var mad = sample[index % sample.count]
            mad.timestamp += UInt64(index) * 10_000
            try writer.append(mad)
        }
        try writer.close()
        let count = try Self.tshark(["-n", "-r", path, "-T", "fields", "-e", "frame.number"], in: directory)
        #expect(count.status == 0, "tshark failed: \(count.standardError)")
        #expect(count.standardOutput.split(separator: "\n").count == 20_000)
        let flagged = try Self.tshark(["-n", "-r", path, "-Y", "_ws.malformed || _ws.expert || !infiniband.mad"], in: directory)
        #expect(flagged.standardOutput.isEmpty, "tshark flags frames:\n\(flagged.standardOutput.prefix(2000))")
    }
}
