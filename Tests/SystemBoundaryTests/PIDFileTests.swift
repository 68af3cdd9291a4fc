import Foundation
import Testing
@testable import SystemBoundary

@Suite struct PIDFileTests {
    @Test func aSecondHolderIsRefusedUntilTheFirstReleases() throws {
        let path = NSTemporaryDirectory() + "swiftsm-pid-\(UUID().uuidString)"
        let first = try PIDFile.acquire(path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(getpid())\n")
        // flock locks belong to the open file: a second open in this process conflicts like another process would.
        #expect(throws: PIDFile.Failure.held(path: path, pid: getpid())) { try PIDFile.acquire(path) }
        first.release()
        #expect(!FileManager.default.fileExists(atPath: path))
        let second = try PIDFile.acquire(path)
        second.release()
    }

    @Test func aStaleFileIsTakenOver() throws {
        let path = NSTemporaryDirectory() + "swiftsm-pid-\(UUID().uuidString)"
        try "999999\n".write(toFile: path, atomically: true, encoding: .utf8)
        let taken = try PIDFile.acquire(path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(getpid())\n")
        taken.release()
    }

    @Test func anUnwritablePlaceIsASystemError() {
        #expect(throws: PIDFile.Failure.self) { try PIDFile.acquire("/nonexistent-\(UUID().uuidString)/swiftsm.pid") }
        do { _ = try PIDFile.acquire("/nonexistent-dir/swiftsm.pid") } catch {
            #expect(error.description == "cannot open /nonexistent-dir/swiftsm.pid: No such file or directory")
        }
    }
}
