import Foundation
import IBCapture
import IBWire
import Testing

@Suite struct CaptureWriterTests {
    @Test func nothingAppearsAtThePathBeforeClose() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("atomic.pcap")
        let writer = try CaptureWriter(path: path)
        for mad in try sampleExchange() { try writer.append(mad) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
        #expect(directory.contents().count == 1)
        try writer.close()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: writer.temporaryPath))
        #expect(directory.contents() == ["atomic.pcap"])
        try writer.close()  // closing twice is harmless
        #expect(try CaptureReader.read(path: path).count == 5)
    }

    @Test func closeReplacesAnOldFileWhole() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("replace.pcap")
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        let writer = try CaptureWriter(path: path)
        try writer.append(try sampleExchange()[0])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old contents".utf8))
        try writer.close()
        #expect(try CaptureReader.read(path: path) == [try sampleExchange()[0]])
    }

    @Test func discardLeavesNothingBehind() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("discarded.pcap")
        let writer = try CaptureWriter(path: path)
        for mad in try sampleExchange() { try writer.append(mad) }
        writer.discard()
        #expect(directory.contents() == [])
        #expect(throws: CaptureError.self) { try writer.append(try sampleExchange()[0]) }
        do {
            try writer.close()
            Issue.record("close after discard should fail")
        } catch {
            #expect(error.description == "\(path): capture writer was discarded")
        }
        writer.discard()  // harmless
        #expect(directory.contents() == [])
    }

    @Test func discardKeepsAnOldFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("kept.pcap")
        let old = try writeCapture(try sampleExchange(), to: path)
        let writer = try CaptureWriter(path: path)
        try writer.append(try sampleExchange()[1])
        writer.discard()
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == old)
        #expect(directory.contents() == ["kept.pcap"])
    }

    @Test func droppingAnUnclosedWriterRemovesItsTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let writer = try CaptureWriter(path: directory.file("dropped.pcap"))
            try writer.append(try sampleExchange()[0])
            #expect(directory.contents().count == 1)
        }
        #expect(directory.contents() == [])
    }

    @Test func appendAfterCloseFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("closed.pcap")
        let writer = try CaptureWriter(path: path)
        try writer.close()
        let sample = try sampleExchange()[0]
        do {
            try writer.append(sample)
            Issue.record("append after close should fail")
        } catch {
            #expect(error.description == "\(path): capture writer is already closed")
        }
        writer.discard()  // does not remove a closed file
        #expect(directory.contents() == ["closed.pcap"])
    }

    @Test func rejectsMADsThatAreNot256Bytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("short.pcap")
        let writer = try CaptureWriter(path: path)
        do {
            try writer.append(CapturedMAD(timestamp: 1, direction: .sent, directedRouteMAD: [UInt8](repeating: 1, count: 200)))
            Issue.record("a 200-byte MAD should be refused")
        } catch {
            #expect(error.description == "\(path): MAD is 200 bytes, expected 256")
        }
        // The writer is still usable.
        try writer.append(try sampleExchange()[0])
        try writer.close()
        #expect(try CaptureReader.read(path: path).count == 1)
    }

    @Test func rejectsTimestampsPcapCannotHold() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try CaptureWriter(path: directory.file("late.pcap"))
        defer { writer.discard() }
        let mad = CapturedMAD(timestamp: UInt64.max, direction: .sent, directedRouteMAD: try sampleExchange()[0].mad)
        #expect(throws: CaptureError.self) { try writer.append(mad) }
    }

    @Test func unwritableDirectoryIsReportedOnOneLine() throws {
        do {
            _ = try CaptureWriter(path: "/nonexistent-dir-for-ibcapture/cap.pcap")
            Issue.record("creating a file in a missing directory should fail")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent-dir-for-ibcapture/cap.pcap: cannot create temporary file /nonexistent-dir-for-ibcapture/.cap.pcap.tmp-"))
            #expect(error.description.hasSuffix(": No such file or directory"))
            #expect(!error.description.contains("\n"))
        }
    }
}
