import IBWire

/// The settings SwiftSM takes from an opensm.conf-syntax file, typed, with OpenSM's meanings and units.
/// A fresh value holds SwiftSM's defaults; `ConfigurationFile.parse` overwrites what the file sets, and
/// the command line then overrides what its flags set (flags > file > defaults).
public struct SMConfiguration: Sendable, Equatable {
    /// `guid`: the port GUID the SM runs on; nil (OpenSM's 0) for the first port whose link is up.
    public var portGUID: GUID?
    /// `sm_priority` (0-15).
    public var smPriority: UInt8 = 0
    /// `sm_key`: the SM_Key of SMInfo exchanges with other SMs (OpenSM ignores SMInfo with another key).
    public var smKey: UInt64 = 1
    /// `ignore_other_sm`: configure even when another SM that outranks ours is MASTER (`--force`).
    public var ignoreOtherSM = false
    /// `sweep_interval`, in seconds in the file; nil (OpenSM's 0) disables periodic sweeps.
    public var sweepInterval: Duration? = .seconds(10)
    /// `lmc` (0-7): each CA port gets 2^lmc LIDs.
    public var lmc: UInt8 = 0
    /// `sminfo_polling_timeout`, milliseconds in the file: how often a STANDBY SM polls the MASTER
    /// (SwiftSM's default 500 ms; OpenSM's is 10 s).
    public var smInfoPollingTimeout: Duration = .milliseconds(500)
    /// `polling_retry_number`: failed polls after which the MASTER is taken for dead (SwiftSM 3, OpenSM 4).
    public var pollingRetryNumber = 3
    /// `subnet_timeout` (0-31): PortInfo.SubnetTimeout for every endport (4.096 us * 2^value).
    public var subnetTimeout: UInt8 = 18
    /// `max_wire_smps`: SMPs in flight at once (SwiftSM's `--max-outstanding`; OpenSM's 0, unlimited,
    /// becomes SwiftSM's maximum).
    public var maxWireSMPs = SMConfiguration.defaultMaxOutstanding
    /// `transaction_timeout`, milliseconds in the file: time to wait for an SMP's response before retrying.
    public var transactionTimeout: Duration = .milliseconds(200)
    /// `transaction_retries`: retries after a timeout.
    public var transactionRetries = 3
    /// `m_key`: the M_Key given to every endport; 0 leaves M_Keys alone.
    public var mKey: UInt64 = 0
    /// `m_key_protection_level` (0-3): the protect bits given with the M_Key.
    public var mKeyProtectionLevel: UInt8 = 1
    /// `m_key_lease_period`, seconds (0-65535; 0 never expires).
    public var mKeyLeasePeriod: UInt16 = 0
    /// `partition_config_file`: the partitions file (OpenSM's partitions.conf syntax); nil for none.
    public var partitionConfigFile: String?
    /// `routing_engine`: routing engines to try in order (OpenSM's comma list); empty for the default.
    public var routingEngines: [String] = []
    /// `log_file`: where a daemon logs; nil for standard error.
    public var logFile: String?
    /// `qos`: program SL2VL and VL arbitration tables (OpenSM's default QoS tables). FALSE by default, as in
    /// OpenSM: on a large fabric the tables of every switch port pair cost more SMPs than the rest of a sweep.
    public var qos = false

    /// SMPs in flight by default: the fastest window measured on ibsim that is also umad2sim's safe maximum.
    public static let defaultMaxOutstanding = 64
    /// The most SMPs in flight SwiftSM allows (`--max-outstanding` range 1-256).
    public static let maxOutstandingLimit = 256

    public init() {}
}

/// A key in the file that SwiftSM does not use: it is named once, never an error.
public struct ConfigurationWarning: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var key: String

    public var description: String { "\(source):\(line): ignoring '\(key)' (SwiftSM does not use this OpenSM key)" }
}

/// A value SwiftSM cannot take for a key it uses, or an unreadable file. One line naming file:line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    /// Nil when the file itself could not be read.
    public var line: Int?
    public var message: String

    public var description: String {
        line.map { "\(source):\($0): \(message)" } ?? "\(source): \(message)"
    }
}

/// A configuration as read from a file: the settings, the keys it set, and one warning per ignored key.
public struct LoadedConfiguration: Sendable, Equatable {
    public var configuration: SMConfiguration
    /// The keys SwiftSM uses that the file set (so a reload can tell what changed hands).
    public var keysSet: Set<String>
    public var warnings: [ConfigurationWarning]
}

extension SMConfiguration {
    /// The opensm.conf keys whose values differ between two configurations (a reload reports them), in the
    /// order of `ConfigurationKeys.all`.
    public func differences(from other: SMConfiguration) -> [String] {
        ConfigurationKeys.all.filter { $0.differs(self, other) }.map(\.name)
    }
}
