import Foundation
import IBWire
import Testing
@testable import Configuration

@Suite struct ConfigurationFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The file `opensm -c` writes (OpenSM 3.3.23): every key OpenSM has, at its defaults.
    @Test func acceptsEveryKeyOfOpenSMsOwnConfigurationWithOneWarningPerIgnoredKey() throws {
        let path = Self.fixtures.appendingPathComponent("opensm-3.3.23-default.conf").path
        let loaded = try ConfigurationFile.load(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let keysInFile = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { String($0.split(separator: " ")[0]) })
        let used = Set(ConfigurationKeys.all.map(\.name))
        #expect(used.isSubset(of: keysInFile), "every key SwiftSM uses is an OpenSM key")
        #expect(loaded.keysSet == used)
        #expect(Set(loaded.warnings.map(\.key)) == keysInFile.subtracting(used))
        #expect(loaded.warnings.count == keysInFile.subtracting(used).count, "one warning per key")
        let ignored = try #require(loaded.warnings.first { $0.key == "max_op_vls" })
        #expect(ignored.description.hasPrefix("\(path):"))
        #expect(ignored.description.contains("'max_op_vls'"))
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false)[ignored.line - 1].hasPrefix("max_op_vls "))
        // OpenSM's own file says `qos FALSE`: SwiftSM then leaves SL2VL and VL arbitration alone, as OpenSM did.
        #expect(!loaded.configuration.qos)

        // OpenSM's defaults, with OpenSM's meanings and units.
        let configuration = loaded.configuration
        #expect(configuration.portGUID == nil)
        #expect(configuration.smPriority == 0)
        #expect(configuration.smKey == 1)
        #expect(configuration.sweepInterval == .seconds(10))
        #expect(configuration.lmc == 0)
        #expect(configuration.smInfoPollingTimeout == .milliseconds(10_000))
        #expect(configuration.pollingRetryNumber == 4)
        #expect(configuration.subnetTimeout == 18)
        #expect(configuration.maxWireSMPs == 4)
        #expect(configuration.transactionTimeout == .milliseconds(200))
        #expect(configuration.transactionRetries == 3)
        #expect(configuration.mKey == 0)
        #expect(configuration.mKeyProtectionLevel == 0)
        #expect(configuration.mKeyLeasePeriod == 0)
        #expect(configuration.partitionConfigFile == "/etc/opensm/partitions.conf")
        #expect(configuration.routingEngines == [])
        #expect(configuration.logFile == "/var/log/opensm.log")
        #expect(configuration.ignoreOtherSM == false)
    }

    @Test func readsValuesWithOpenSMsUnits() throws {
        let text = """
            # comment
              guid 0x0002c903000a1b2c
            sm_priority 12
            sm_key 0x1234
            sweep_interval 0
            lmc 2
            sminfo_polling_timeout 1000
            polling_retry_number 2
            subnet_timeout 020
            max_wire_smps 0
            transaction_timeout 0x64
            transaction_retries 5
            m_key 0xfeedface
            m_key_protection_level 2
            m_key_lease_period 60
            partition_config_file /etc/swiftsm/partitions.conf
            routing_engine updn, minhop
            log_file (null)
            ignore_other_sm TRUE
            qos FALSE
            lmc 3\r

            """
        let loaded = try ConfigurationFile.parse(text, source: "x.conf")
        let c = loaded.configuration
        #expect(loaded.warnings.isEmpty)
        #expect(c.portGUID == GUID(0x0002_c903_000a_1b2c))
        #expect(c.smPriority == 12)
        #expect(c.smKey == 0x1234)
        #expect(c.sweepInterval == nil)
        #expect(c.lmc == 3, "the last of a repeated key wins")
        #expect(c.smInfoPollingTimeout == .seconds(1))
        #expect(c.pollingRetryNumber == 2)
        #expect(c.subnetTimeout == 16, "leading 0 is octal, as strtoul reads it")
        #expect(c.maxWireSMPs == SMConfiguration.maxOutstandingLimit, "0 is unlimited in OpenSM")
        #expect(c.transactionTimeout == .milliseconds(100))
        #expect(c.transactionRetries == 5)
        #expect(c.mKey == 0xfeed_face)
        #expect(c.mKeyProtectionLevel == 2)
        #expect(c.mKeyLeasePeriod == 60)
        #expect(c.partitionConfigFile == "/etc/swiftsm/partitions.conf")
        #expect(c.routingEngines == ["updn", "minhop"])
        #expect(c.logFile == nil)
        #expect(c.ignoreOtherSM)
        #expect(!c.qos && !SMConfiguration().qos, "qos is off unless asked for, as in OpenSM")
        #expect(try ConfigurationFile.parse("qos TRUE\n", source: "f").configuration.qos)
    }

    @Test func keysTheFileDoesNotSetKeepTheBase() throws {
        var base = SMConfiguration()
        base.lmc = 1
        base.smPriority = 5
        let loaded = try ConfigurationFile.parse("sm_priority 7\n", source: "x", base: base)
        #expect(loaded.configuration.lmc == 1)
        #expect(loaded.configuration.smPriority == 7)
        #expect(loaded.keysSet == ["sm_priority"])
        #expect(SMConfiguration().maxWireSMPs == SMConfiguration.defaultMaxOutstanding)
    }

    @Test(arguments: [
        ("lmc 8", "x.conf:2: lmc 8: is outside 0-7"),
        ("sm_priority high", "x.conf:2: sm_priority high: not a number (decimal, 0x hex or 0 octal)"),
        ("sm_priority", "x.conf:2: sm_priority (no value): needs a value"),
        ("subnet_timeout 32", "x.conf:2: subnet_timeout 32: is outside 0-31"),
        ("transaction_timeout 0", "x.conf:2: transaction_timeout 0: must be at least 1 ms"),
        ("ignore_other_sm maybe", "x.conf:2: ignore_other_sm maybe: is not TRUE or FALSE"),
        ("m_key 0x1ffffffffffffffff", "x.conf:2: m_key 0x1ffffffffffffffff: not a number (decimal, 0x hex or 0 octal)"),
        ("lmc 09", "x.conf:2: lmc 09: not a number (decimal, 0x hex or 0 octal)"),
    ])
    func aBadValueOfAKnownKeyIsOneLineNamingFileAndLine(line: String, message: String) {
        #expect(throws: ConfigurationError(source: "x.conf", line: 2, message: String(message.dropFirst("x.conf:2: ".count)))) {
            try ConfigurationFile.parse("# first\n\(line)\n", source: "x.conf")
        }
        do {
            _ = try ConfigurationFile.parse("# first\n\(line)\n", source: "x.conf")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func unknownKeysAreWarnedAboutOnceEvenWhenRepeated() throws {
        let loaded = try ConfigurationFile.parse("qos_max_vls 8\nqos_max_vls 4\nfrobnicate\n", source: "f")
        #expect(loaded.warnings == [ConfigurationWarning(source: "f", line: 1, key: "qos_max_vls"), ConfigurationWarning(source: "f", line: 3, key: "frobnicate")])
        #expect(loaded.warnings[0].description == "f:1: ignoring 'qos_max_vls' (SwiftSM does not use this OpenSM key)")
    }

    @Test func unreadableFilesAreOneLineNamingThem() {
        do {
            _ = try ConfigurationFile.load(path: "/nonexistent/opensm.conf")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "/nonexistent/opensm.conf: cannot read the configuration file (No such file or directory)")
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.load(path: "/tmp") }
    }
}

/// Arbitrary text built from the grammar's pieces: the parser answers with a configuration or one
/// ConfigurationError naming a line, never anything else (a cheap stand-in for a fuzzer).
@Suite struct ConfigurationRobustnessTests {
    @Test func arbitraryTextIsParsedOrRefusedOnOneLine() {
        let keys = ConfigurationKeys.all.map(\.name) + ["qos", "", "#", "lmc#", "sm_priority\t"]
        let values = ["0", "15", "0x", "0x1F", "-1", "99999999999999999999999", "TRUE", "false", "(null)", "07", "08", " ", "a,b,,c", "\u{0}", "é"]
        var seed: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<(1 + next(6)) {
                text += String(repeating: " ", count: next(3)) + keys[next(keys.count)] + [" ", "\t", "  "][next(3)] + values[next(values.count)]
                text += ["\n", "\r\n", "", "\n\n"][next(4)]
            }
            do {
                let loaded = try ConfigurationFile.parse(text, source: "fuzz")
                #expect(loaded.configuration.lmc <= 7 && loaded.configuration.smPriority <= 15)
                #expect(loaded.configuration.maxWireSMPs >= 1 && loaded.configuration.maxWireSMPs <= SMConfiguration.maxOutstandingLimit)
            } catch {
                #expect(error.line != nil && !error.description.contains("\n"), "\(error)")
            }
        }
    }
}
