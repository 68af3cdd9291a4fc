import FabricModel
import Foundation
import IBWire
import TestSupport
import Testing

/// `swiftsm discover --links` against iblinkinfo on ibsim fabrics whose port lines give each port's
/// enabled width and speed in the ibnetdiscover comment (`# "leaf-0" lid 0 4xQDR`; ibsim 0.10 reads the
/// last `lid N <width>x<speed>` of the line as the port's enabled set, and each link trains to the best
/// both ends enable, while PortInfo claims support for 1X-12X and SDR-QDR (FDR-HDR with an extended speed)).
@Suite(.serialized, .ownThread) struct LinkHealthAgainstIbsimTests {
    static let onHost = ["SIM_HOST": "host-0"]

    struct PortView: Equatable, CustomStringConvertible {
        var width: String
        var speed: String
        var couldBeWidth: String?
        var couldBeSpeed: String?
        var description: String { "\(width) \(speed) could be \(couldBeWidth ?? "-") \(couldBeSpeed ?? "-")" }
    }

    /// Gives every port line an enabled width and speed, cycling through sets any two of which share a
    /// width and a speed (ibsim aborts on a link whose ends share none).
    static func withRates(_ topology: String) -> String {
        let widths = ["4", "1", "12", "4", "4", "12"]
        let speeds = ["QDR", "SDR", "DDR", "QDR", "FDR", "EDR", "HDR", "QDR", "EDR"]
        var index = 0
        return topology.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("[") else { return String(line) }
            defer { index += 1 }
            let rate = "\(widths[index % widths.count])x\(speeds[(index * 7 / 3) % speeds.count])"
            return "\(line)\t# lid 0 lmc 0 \"x\" lid 0 \(rate)"
        }.joined(separator: "\n")
    }

    /// iblinkinfo's view of every linked port, by node description and port number.
    static func parseIblinkinfo(_ text: String) -> [String: PortView] {
        var ports: [String: PortView] = [:]
        var node = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("Switch: ") || line.hasPrefix("CA: ") {
                var header = line.hasPrefix("CA: ") ? line.dropFirst(4) : line.dropFirst("Switch: ".count).drop(while: { $0 != " " }).dropFirst()
                if header.hasSuffix(":") { header = header.dropLast() }
                node = String(header)
                continue
            }
            guard let link = line.range(of: "==("), line.contains("LinkUp"), let bracket = line.range(of: "[") else { continue }
            let port = line[..<bracket.lowerBound].split(separator: " ").last.map(String.init) ?? "?"
            let fields = line[link.upperBound...].split(separator: " ")
            let width = String(fields[0])
            let speed = "\(fields[1]) \(fields[2])"
            var couldWidth: String?, couldSpeed: String?
            if let could = line.range(of: "\" (", options: .backwards) {
                let note = line[could.upperBound...]
                let words = note.split(separator: " ")
                for (i, word) in words.enumerated() where word == "be" && i + 1 < words.count {
                    let value = words[i + 1]
                    if value.hasSuffix("X") { couldWidth = String(value) } else if i + 2 < words.count { couldSpeed = "\(value) \(words[i + 2].prefix(4))" }
                }
            }
            ports["\(node)[\(port)]"] = PortView(width: width, speed: speed, couldBeWidth: couldWidth, couldBeSpeed: couldSpeed)
        }
        return ports
    }

    /// Our `--links` output, the same way: both ends of every link.
    static func parseLinks(_ text: String) -> [String: PortView] {
        var ports: [String: PortView] = [:]
        for line in text.split(separator: "\n").map(String.init) {
            let parts = line.components(separatedBy: "  ")
            let ends = parts[0].components(separatedBy: " <-> ").map { $0.replacingOccurrences(of: "\"", with: "") }
            let rate = parts[1].split(separator: " ")
            let width = String(rate[0]), speed = LinkSpeed(rawValue: String(rate[1]))!.iblinkinfoText
            var couldWidth: String?, couldSpeed: String?
            if let could = line.range(of: "could be ") {
                for word in line[could.upperBound...].prefix(while: { $0 != "," }).split(separator: " ") {
                    if let value = LinkSpeed(rawValue: String(word)) { couldSpeed = value.iblinkinfoText } else { couldWidth = String(word) }
                }
            }
            for end in ends { ports[end] = PortView(width: width, speed: speed, couldBeWidth: couldWidth, couldBeSpeed: couldSpeed) }
        }
        return ports
    }

    @Test func degradedLinksAreExactlyThoseIblinkinfoMarksCouldBe() throws {
        let topology = Self.withRates(try generateTopology(.fatTree2, options: GeneratorOptions(radix: 8)))
        let ibsim = try IbsimFabric(topology: topology)
        defer { ibsim.stop() }
        let theirs = try ibsim.run("/usr/sbin/iblinkinfo", [], timeout: 60, environment: Self.onHost)
        #expect(theirs.status == 0, "iblinkinfo: \(theirs.stderr)")
        let ours = try ibsim.run(swiftsmExecutable, ["discover", "--links"], environment: Self.onHost)
        #expect(ours.status == 0, "discover --links: \(ours.stderr)")

        let judged = Self.parseIblinkinfo(theirs.stdout)
        let reported = Self.parseLinks(ours.stdout)
        // fat-tree-2 radix 8: 8 leaves x (4 hosts + 4 spines) = 64 links, 128 linked ports.
        #expect(reported.count == 128)
        #expect(Set(judged.keys) == Set(reported.keys))
        for (port, view) in judged.sorted(by: { $0.key < $1.key }) {
            #expect(reported[port] == view, "\(port): iblinkinfo \(view), swiftsm \(reported[port].map { "\($0)" } ?? "none")")
        }
        // The in-process simulator, seeded from the same file, reports the same links the same way.
        let file = ibsim.directory.appendingPathComponent("rates.topo").path
        try topology.write(toFile: file, atomically: true, encoding: .utf8)
        let simulated = try runCommand(swiftsmExecutable, ["discover", "--links", "--simulate", file], timeout: 60)
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(Self.parseLinks(simulated.stdout) == reported)

        // The cycle of rates makes a mix: links at their best, narrower, slower, or both.
        let degraded = judged.values.filter { $0.couldBeWidth != nil || $0.couldBeSpeed != nil }
        #expect(degraded.contains { $0.couldBeWidth != nil && $0.couldBeSpeed == nil })
        #expect(degraded.contains { $0.couldBeSpeed != nil && $0.couldBeWidth == nil })
        #expect(Set(judged.values.map(\.width)).count >= 3, "1X, 4X and 12X links")
        #expect(Set(judged.values.map(\.speed)).count >= 4)

        // The rates: lanes x lane rate x 8b/10b (to QDR) or 64b/66b (FDR on).
        for line in ours.stdout.split(separator: "\n") {
            let rate = line.components(separatedBy: "  ")[1].split(separator: " ")
            let width = LinkWidth(parsing: rate[0].lowercased())!, speed = LinkSpeed(rawValue: String(rate[1]))!
            #expect(line.contains("  \(LinkHealth.rate(Double(width.lanes!) * speed.laneSignallingGbps * (speed.rawValue.hasSuffix("DR") && ["SDR", "DDR", "QDR"].contains(speed.rawValue) ? 0.8 : 64.0 / 66.0))) Gb/s each way"))
        }
    }

    @Test func aSweepWarnsAboutDegradedLinks() throws {
        let topology = Self.withRates(try generateTopology(.fatTree2, options: GeneratorOptions(radix: 4)))
        let ibsim = try IbsimFabric(topology: topology)
        defer { ibsim.stop() }
        let sweep = try ibsim.run(swiftsmExecutable, ["sweep", "--once"], environment: Self.onHost)
        #expect(sweep.status == 0, "sweep: \(sweep.stderr)")
        let links = try ibsim.run(swiftsmExecutable, ["discover", "--links"], environment: Self.onHost)
        let degraded = links.stdout.split(separator: "\n").filter { $0.contains("could be") }.count
        #expect(degraded > 0)
        #expect(sweep.stderr.contains("swiftsm: warning: \(degraded) of 16 link(s) run below what both ends support"), "\(sweep.stderr)")
    }
}
