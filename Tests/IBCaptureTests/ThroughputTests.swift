import Foundation
import IBCapture
import IBWire
import Testing

/// Throughput of 500,000 records, for measuring in release mode:
///     IBCAPTURE_BENCHMARK=1 swift test -c release --scratch-path .build-cap --filter ThroughputTests
/// Off by default: timings mean nothing in debug builds or on a loaded CI machine.
@Suite struct ThroughputTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["IBCAPTURE_BENCHMARK"] != nil))
    func halfAMillionRecords() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("bench.pcap")
        let sample = try sampleExchange()
        let count = 500_000
        var mads: [CapturedMAD] = []
        mads.reserveCapacity(count)
        for index in 0..<count {
            var mad = sample[index % sample.count]
            mad.timestamp += UInt64(index) * 5_000
            mad.mad[15] = UInt8(truncatingIfNeeded: index)
            mads.append(mad)
        }
        let records = mads
        let clock = ContinuousClock()

        // One thread, one append per MAD.
        let writer = try CaptureWriter(path: path)
        let writeTime = try clock.measure {
            for mad in mads { try writer.append(mad) }
            try writer.close()
        }

        // Eight tasks appending at once.
        let concurrentPath = directory.file("concurrent.pcap")
        let shared = try CaptureWriter(path: concurrentPath)
        let tasks = 8
        let concurrentStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in stride(from: task, to: count, by: tasks) { try shared.append(records[index]) }
                }
            }
            try await group.waitForAll()
        }
        try shared.close()
        let concurrentTime = clock.now - concurrentStart

        var read: [CapturedMAD] = []
        let readTime = try clock.measure { read = try CaptureReader.read(path: path) }
        #expect(read == mads)

        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        func rate(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return String(format: "%.3f s (%.0f records/s)", seconds, Double(count) / seconds)
        }
        print("IBCapture \(count) records, \(size) bytes: write \(rate(writeTime)); "
            + "8-task write \(rate(concurrentTime)); read+verify \(rate(readTime))")
    }
}
