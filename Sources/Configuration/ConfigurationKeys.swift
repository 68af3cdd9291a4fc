import IBWire

/// Why a value was refused, without the file and line (the parser adds them).
struct ValueProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// One key SwiftSM uses: its name in opensm.conf, the SwiftSM flag that overrides it, the setting it holds
/// and how its value is read into it, and whether a running SM takes a new value on SIGHUP.
public struct ConfigurationKey: Sendable {
    public let name: String
    /// The `swiftsm` flag that overrides the key, if any.
    public let flag: String?
    /// What it means, with its unit, for the documentation.
    public let meaning: String
    /// A running SM takes a new value when SIGHUP re-reads the file; otherwise the value waits for a restart.
    public let appliesAtRunTime: Bool
    let apply: @Sendable (Substring, inout SMConfiguration) throws -> Void
    /// Whether two configurations hold different values for this key.
    let differs: @Sendable (SMConfiguration, SMConfiguration) -> Bool
    /// Gives the first configuration the second one's value for this key.
    let take: @Sendable (inout SMConfiguration, SMConfiguration) -> Void

    init<Value: Equatable & Sendable>(name: String, flag: String?, meaning: String, setting: WritableKeyPath<SMConfiguration, Value> & Sendable,
                                      appliesAtRunTime: Bool = false, apply: @escaping @Sendable (Substring, inout SMConfiguration) throws -> Void) {
        self.name = name
        self.flag = flag
        self.meaning = meaning
        self.appliesAtRunTime = appliesAtRunTime
        self.apply = apply
        differs = { $0[keyPath: setting] != $1[keyPath: setting] }
        take = { $0[keyPath: setting] = $1[keyPath: setting] }
    }
}

/// The keys SwiftSM understands, with OpenSM's meanings and units. Every other key is warned about once.
public enum ConfigurationKeys {
    public static let all: [ConfigurationKey] = [
        ConfigurationKey(name: "guid", flag: "--ca/--port", meaning: "port GUID to run on; 0 for the first port whose link is up", setting: \.portGUID) {
            let value = try number($0, max: UInt64.max)
            $1.portGUID = value == 0 ? nil : GUID(value)
        },
        ConfigurationKey(name: "sm_priority", flag: "--priority", meaning: "SM priority, 0 (lowest) to 15", setting: \.smPriority, appliesAtRunTime: true) {
            $1.smPriority = UInt8(try number($0, max: 15))
        },
        ConfigurationKey(name: "sm_key", flag: nil, meaning: "SM_Key of SMInfo exchanges with other SMs (64 bits)", setting: \.smKey, appliesAtRunTime: true) {
            $1.smKey = try number($0, max: UInt64.max)
        },
        ConfigurationKey(name: "ignore_other_sm", flag: "--force", meaning: "TRUE: configure even when a higher-ranked SM is MASTER", setting: \.ignoreOtherSM, appliesAtRunTime: true) {
            $1.ignoreOtherSM = try boolean($0)
        },
        ConfigurationKey(name: "sweep_interval", flag: nil, meaning: "seconds between periodic sweeps; 0 disables them", setting: \.sweepInterval, appliesAtRunTime: true) {
            let seconds = try number($0, max: UInt64(UInt32.max))
            $1.sweepInterval = seconds == 0 ? nil : .seconds(Int64(seconds))
        },
        ConfigurationKey(name: "lmc", flag: "--lmc", meaning: "LID mask control, 0-7: each CA port gets 2^lmc LIDs", setting: \.lmc) {
            $1.lmc = UInt8(try number($0, max: 7))
        },
        ConfigurationKey(name: "sminfo_polling_timeout", flag: nil, meaning: "milliseconds between a STANDBY SM's polls of the MASTER", setting: \.smInfoPollingTimeout, appliesAtRunTime: true) {
            let milliseconds = try number($0, max: UInt64(UInt32.max))
            guard milliseconds > 0 else { throw ValueProblem("must be at least 1 ms") }
            $1.smInfoPollingTimeout = .milliseconds(Int64(milliseconds))
        },
        ConfigurationKey(name: "polling_retry_number", flag: nil, meaning: "failed polls after which the MASTER is taken for dead", setting: \.pollingRetryNumber, appliesAtRunTime: true) {
            $1.pollingRetryNumber = Int(try number($0, max: 1_000))
        },
        ConfigurationKey(name: "subnet_timeout", flag: "--subnet-timeout", meaning: "PortInfo.SubnetTimeout for every endport, 0-31 (4.096 us * 2^value)", setting: \.subnetTimeout, appliesAtRunTime: true) {
            $1.subnetTimeout = UInt8(try number($0, max: 31))
        },
        ConfigurationKey(name: "max_wire_smps", flag: "--max-outstanding", meaning: "SMPs in flight at once; 0 for SwiftSM's maximum (256)", setting: \.maxWireSMPs) {
            let count = try number($0, max: UInt64(UInt32.max))
            $1.maxWireSMPs = count == 0 ? SMConfiguration.maxOutstandingLimit : Int(min(count, UInt64(SMConfiguration.maxOutstandingLimit)))
        },
        ConfigurationKey(name: "transaction_timeout", flag: "--timeout", meaning: "milliseconds to wait for an SMP's response before retrying, 1-60000", setting: \.transactionTimeout) {
            let milliseconds = try number($0, max: 60_000)
            guard milliseconds > 0 else { throw ValueProblem("must be at least 1 ms") }
            $1.transactionTimeout = .milliseconds(Int64(milliseconds))
        },
        ConfigurationKey(name: "transaction_retries", flag: "--retries", meaning: "retries after a timeout, 0-20", setting: \.transactionRetries) {
            $1.transactionRetries = Int(try number($0, max: 20))
        },
        ConfigurationKey(name: "m_key", flag: "--mkey", meaning: "M_Key given to every endport (64 bits); 0 leaves M_Keys alone", setting: \.mKey) {
            $1.mKey = try number($0, max: UInt64.max)
        },
        ConfigurationKey(name: "m_key_protection_level", flag: "--mkey-protect", meaning: "M_Key protect bits, 0-3", setting: \.mKeyProtectionLevel) {
            $1.mKeyProtectionLevel = UInt8(try number($0, max: 3))
        },
        ConfigurationKey(name: "m_key_lease_period", flag: "--mkey-lease", meaning: "M_Key lease period in seconds, 0-65535 (0: never)", setting: \.mKeyLeasePeriod) {
            $1.mKeyLeasePeriod = UInt16(try number($0, max: 65_535))
        },
        ConfigurationKey(name: "partition_config_file", flag: nil, meaning: "partitions file (OpenSM partitions.conf syntax); (null) for none", setting: \.partitionConfigFile, appliesAtRunTime: true) {
            $1.partitionConfigFile = string($0)
        },
        ConfigurationKey(name: "qos", flag: "-Q/--qos", meaning: "TRUE: program OpenSM's default SL2VL and VL arbitration tables; FALSE (the default, as in OpenSM): leave them", setting: \.qos) {
            $1.qos = try boolean($0)
        },
        ConfigurationKey(name: "routing_engine", flag: "--routing", meaning: "routing engines to try, comma-separated; (null) for the default", setting: \.routingEngines, appliesAtRunTime: true) {
            $1.routingEngines = string($0).map { $0.split(separator: ",").map { String($0).trimmingSpaces } }?.filter { !$0.isEmpty } ?? []
        },
        ConfigurationKey(name: "log_file", flag: nil, meaning: "file a daemon logs to; (null) for standard error", setting: \.logFile, appliesAtRunTime: true) {
            $1.logFile = string($0)
        },
    ]

    static let byName: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// A number as OpenSM's strtoul reads a whole word (`0x` hex, leading-`0` octal, else decimal), at most `max`.
    static func number(_ text: Substring, max: UInt64) throws(ValueProblem) -> UInt64 {
        guard !text.isEmpty else { throw ValueProblem("needs a value") }
        let value: UInt64?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            value = text.count > 2 ? UInt64(text.dropFirst(2), radix: 16) : nil
        } else if text.count > 1, text.hasPrefix("0") {
            value = UInt64(text.dropFirst(), radix: 8)
        } else {
            value = UInt64(text, radix: 10)
        }
        guard let value else { throw ValueProblem("not a number (decimal, 0x hex or 0 octal)") }
        guard value <= max else { throw ValueProblem("is outside 0-\(max)") }
        return value
    }

    static func boolean(_ text: Substring) throws(ValueProblem) -> Bool {
        switch text.uppercased() {
        case "TRUE": true
        case "FALSE": false
        default: throw ValueProblem("is not TRUE or FALSE")
        }
    }

    /// OpenSM writes an unset string as `(null)`.
    static func string(_ text: Substring) -> String? {
        text.isEmpty || text == "(null)" ? nil : String(text)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
