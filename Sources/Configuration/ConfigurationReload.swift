/// What SIGHUP does with a configuration read again: the keys a running SM can take at once are
/// taken, the others keep their running values until `swiftsm run` restarts.
///
/// Restart-only keys, and why: `guid` names the port already open; `max_wire_smps`,
/// `transaction_timeout` and `transaction_retries` shape the SMP client every pass shares; `m_key` and
/// its protect bits and lease are carried by that client and must match what the ports hold; `lmc`
/// would give every host new LIDs (a running fabric's connections and path records would all break at
/// once), so it changes only when an admin restarts deliberately, as with OpenSM.
public struct ConfigurationReload: Sendable, Equatable {
    /// The running configuration with every run-time key taken from the new one.
    public var applied: SMConfiguration
    /// Run-time keys whose values changed (they apply now).
    public var changed: [String]
    /// Restart-only keys whose new values differ from the running ones (they wait for a restart).
    public var needRestart: [String]
}

extension ConfigurationKeys {
    /// The keys a running SM applies on SIGHUP; every other key it uses needs a restart.
    public static let appliedAtRunTime: Set<String> = Set(names(appliedAtRunTime: true))

    /// The names of the keys a SIGHUP applies (true) or that wait for a restart (false), in the order of `all`.
    public static func names(appliedAtRunTime: Bool) -> [String] {
        all.filter { $0.appliesAtRunTime == appliedAtRunTime }.map(\.name)
    }
}

extension SMConfiguration {
    /// This (running) configuration after a reload that read `new`: run-time keys from `new`, the rest as running.
    public func reloading(_ new: SMConfiguration) -> ConfigurationReload {
        var applied = self
        for key in ConfigurationKeys.all where key.appliesAtRunTime { key.take(&applied, new) }
        return ConfigurationReload(applied: applied, changed: applied.differences(from: self), needRestart: new.differences(from: applied))
    }
}
