import Foundation
import Testing
@testable import SystemBoundary

@Suite struct ServiceNotifierTests {
    @Test func sendsReadyStatusAndWatchdogDatagrams() throws {
        let path = NSTemporaryDirectory() + "swiftsm-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let receiver = try UnixDatagram.Receiver(path: path)
        let notifier = ServiceNotifier(socketPath: path)
        #expect(notifier.isEnabled)
        try notifier.status("sweeping")
        try notifier.ready(status: "MASTER, 4 switches, 8 CAs, all ports ACTIVE")
        try notifier.watchdog()
        try notifier.status("two\nlines")
        let received = try (0..<4).map { _ in String(decoding: try #require(try receiver.receive(timeoutMilliseconds: 2000)), as: UTF8.self) }
        #expect(received == ["STATUS=sweeping", "READY=1\nSTATUS=MASTER, 4 switches, 8 CAs, all ports ACTIVE", "WATCHDOG=1", "STATUS=two lines"])
        #expect(try receiver.receive(timeoutMilliseconds: 10) == nil)
    }

    @Test func abstractSocketNamesWork() throws {
        let name = "@swiftsm-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try UnixDatagram.Receiver(path: name)
        try ServiceNotifier(socketPath: name).ready()
        #expect(try receiver.receive(timeoutMilliseconds: 2000) == Array("READY=1".utf8))
    }

    @Test func withoutNotifySocketEveryCallDoesNothing() throws {
        let notifier = ServiceNotifier(socketPath: nil)
        #expect(!notifier.isEnabled)
        try notifier.ready()
        try notifier.watchdog()
    }

    @Test func aMissingSocketIsAnErrorNamingIt() {
        let notifier = ServiceNotifier(socketPath: "/nonexistent/notify.sock")
        #expect(throws: SystemError.self) { try notifier.ready() }
    }

    @Test func watchdogIntervalIsReadOnlyForThisProcess() {
        #expect(ServiceNotifier(socketPath: "/x", watchdogMicroseconds: "30000000").watchdogInterval == .seconds(30))
        #expect(ServiceNotifier(socketPath: "/x", watchdogMicroseconds: "30000000", watchdogPID: "\(getpid())").watchdogInterval == .seconds(30))
        #expect(ServiceNotifier(socketPath: "/x", watchdogMicroseconds: "30000000", watchdogPID: "1").watchdogInterval == nil)
        #expect(ServiceNotifier(socketPath: "/x", watchdogMicroseconds: "nope").watchdogInterval == nil)
    }
}
