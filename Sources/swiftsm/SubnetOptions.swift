import ArgumentParser
import Configuration
import IBWire

/// How the subnet is configured: the flags `sweep` (and the daemon) share. Each overrides the
/// configuration file's key named in its help.
struct SubnetOptions: ParsableArguments {
    @Option(help: "LID mask control (0-7): each CA port gets 2^LMC LIDs, routed over different paths where possible. Default 0, or the configuration's lmc.")
    var lmc: Int?

    @Option(help: ArgumentHelp("OpenSM-format guid2lid file: LIDs are kept from it and it is rewritten (atomically) after the sweep.", valueName: "file"))
    var guid2lid: String?

    @Option(help: "PortInfo.SubnetTimeout for every endport (0-31). Default 18, or the configuration's subnet_timeout.")
    var subnetTimeout: Int?

    @Option(help: "Our SM priority (0-15): another SM that is MASTER with a higher priority (or the same and a lower GUID) is not fought. Default 0, or the configuration's sm_priority.")
    var priority: Int?

    @Flag(help: "Configure even when another SM that outranks ours is MASTER (the configuration's ignore_other_sm TRUE does the same).")
    var force = false

    @Flag(name: [.customShort("Q"), .long], help: "Program OpenSM's default SL2VL and VL arbitration tables on every port, by reconciliation (OpenSM's -Q; the configuration's qos TRUE does the same). Off by default, as in OpenSM: the tables are left as the ports hold them.")
    var qos = false

    @Option(help: ArgumentHelp("With --mkey: what an SMP without the key may still do (0-3). 0 Get; 1 Get, with the key hidden; 2-3 nothing. Sets are always refused. Default 1, or the configuration's m_key_protection_level.", valueName: "bits"))
    var mkeyProtect: Int?

    @Option(help: ArgumentHelp("With --mkey: seconds after a refused SMP at which a port drops its protect bits to 0 if no SMP with the key came since (0-65535; 0 never). Default 0, or the configuration's m_key_lease_period.", valueName: "seconds"))
    var mkeyLease: Int?

    func validate() throws {
        if let lmc, !(0...7).contains(lmc) { throw ValidationError("--lmc \(lmc) is outside 0-7") }
        if let subnetTimeout, !(0...31).contains(subnetTimeout) { throw ValidationError("--subnet-timeout \(subnetTimeout) is outside 0-31") }
        if let priority, !(0...15).contains(priority) { throw ValidationError("--priority \(priority) is outside 0-15") }
        if let mkeyProtect, !(0...3).contains(mkeyProtect) { throw ValidationError("--mkey-protect \(mkeyProtect) is outside 0-3") }
        if let mkeyLease, !(0...65535).contains(mkeyLease) { throw ValidationError("--mkey-lease \(mkeyLease) is outside 0-65535 seconds") }
    }

    /// What can be checked before reading a configuration file: without one, protect bits and lease need
    /// a non-zero --mkey. (With a file, `configuration(over:)` checks against the file's m_key.)
    func validate(with fabric: FabricAccessOptions) throws {
        if fabric.config == nil, fabric.mkey.flatMap(MKeyPolicy.parseKey) ?? 0 == 0, mkeyProtect != nil || mkeyLease != nil {
            throw ValidationError("--mkey-protect and --mkey-lease need --mkey with a key other than 0")
        }
    }

    /// The configuration file and the fabric flags (`fabric.configuration()`), with these flags over them.
    /// Reads the file again at every call: the daemon calls it on SIGHUP.
    func configuration(over fabric: FabricAccessOptions) throws -> SMConfiguration {
        var configuration = try fabric.configuration()
        if let lmc { configuration.lmc = UInt8(lmc) }
        if let subnetTimeout { configuration.subnetTimeout = UInt8(subnetTimeout) }
        if let priority { configuration.smPriority = UInt8(priority) }
        if force { configuration.ignoreOtherSM = true }
        if qos { configuration.qos = true }
        if let mkeyProtect { configuration.mKeyProtectionLevel = UInt8(mkeyProtect) }
        if let mkeyLease { configuration.mKeyLeasePeriod = UInt16(mkeyLease) }
        if configuration.mKey == 0, mkeyProtect != nil || mkeyLease != nil {
            throw CommandFailure(.badInput, "--mkey-protect and --mkey-lease need an M_Key other than 0 (--mkey or the configuration's m_key)")
        }
        return configuration
    }
}
