import IBWire
import Testing
@testable import Configuration

@Suite struct ConfigurationReloadTests {
    @Test func runTimeKeysApplyAndTheOthersWaitForARestart() throws {
        let running = try ConfigurationFile.parse("sm_priority 3\nsweep_interval 10\nlmc 0\n", source: "old.conf").configuration
        let edited = try ConfigurationFile.parse("""
            sm_priority 9
            sweep_interval 2
            sminfo_polling_timeout 700
            polling_retry_number 5
            routing_engine updn
            partition_config_file /etc/swiftsm/partitions.conf
            log_file /var/log/swiftsm.log
            lmc 2
            max_wire_smps 8
            m_key 0x42
            """, source: "new.conf").configuration
        let reload = running.reloading(edited)
        #expect(reload.changed == ["sm_priority", "sweep_interval", "sminfo_polling_timeout", "polling_retry_number",
                                   "partition_config_file", "routing_engine", "log_file"])
        #expect(reload.needRestart == ["lmc", "max_wire_smps", "m_key"])
        #expect(reload.applied.smPriority == 9)
        #expect(reload.applied.sweepInterval == .seconds(2))
        #expect(reload.applied.smInfoPollingTimeout == .milliseconds(700))
        #expect(reload.applied.routingEngines == ["updn"])
        #expect(reload.applied.lmc == 0, "LIDs do not move under a running SM")
        #expect(reload.applied.maxWireSMPs == running.maxWireSMPs)
        #expect(reload.applied.mKey == 0)

        // A second reload of the same file: nothing more applies, the restart-only keys still wait.
        let again = reload.applied.reloading(edited)
        #expect(again.changed.isEmpty)
        #expect(again.needRestart == ["lmc", "max_wire_smps", "m_key"])
        #expect(again.applied == reload.applied)
    }

    @Test func everyKeySwiftSMUsesIsEitherRunTimeOrRestartOnly() {
        let used = Set(ConfigurationKeys.all.map(\.name))
        #expect(ConfigurationKeys.appliedAtRunTime.isSubset(of: used))
        // Each run-time key is copied by `reloading`: changing any one of them shows up in `changed` alone.
        let base = SMConfiguration()
        var changedAll = base
        changedAll.smPriority = 1; changedAll.smKey = 2; changedAll.ignoreOtherSM = true; changedAll.sweepInterval = nil
        changedAll.smInfoPollingTimeout = .seconds(2); changedAll.pollingRetryNumber = 9; changedAll.subnetTimeout = 3
        changedAll.partitionConfigFile = "p"; changedAll.routingEngines = ["minhop"]; changedAll.logFile = "l"
        let reload = base.reloading(changedAll)
        #expect(Set(reload.changed) == ConfigurationKeys.appliedAtRunTime)
        #expect(reload.needRestart.isEmpty)
    }
}
