import Foundation
import Testing
@testable import SystemBoundary

@Suite struct FilesTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "swiftsm-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func atomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.txt"
        try Files.atomicWrite(Array("first\n".utf8), to: path)
        try Files.atomicWrite(Array("second\n".utf8), to: path)
        #expect(try Files.read(path) == Array("second\n".utf8))
        #expect(try entries(directory) == ["out.txt"])
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.txt"
        try Files.atomicWrite(Array("old".utf8), to: path)
        // A directory where the file should go: the rename fails after the bytes were written.
        let blocked = directory + "/blocked"
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        #expect(throws: SystemError.self) { try Files.atomicWrite(Array("new".utf8), to: blocked) }
        #expect(try Files.read(path) == Array("old".utf8))
        #expect(try entries(directory) == ["blocked", "out.txt"])
    }

    @Test func aDiscardedWriterLeavesNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            var writer = try AtomicFileWriter(path: directory + "/capture.pcap")
            try writer.write(Array(repeating: 7, count: 100))
            #expect(try entries(directory).count == 1)
            writer.discard()
            #expect(try entries(directory).isEmpty)
        }
        do {
            // Dropped without commit: the same.
            var writer = try AtomicFileWriter(path: directory + "/capture.pcap")
            try writer.write([1, 2, 3])
        }
        #expect(try entries(directory).isEmpty)
    }

    @Test func errorsNameTheOperationAndThePath() throws {
        let missingDirectory = "/nonexistent-\(UUID().uuidString)/file"
        do {
            try Files.atomicWrite([1], to: missingDirectory)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect(error.description.hasPrefix("cannot create /nonexistent-"))
            #expect(error.description.hasSuffix("No such file or directory"))
        }
        #expect(throws: SystemError.self) { try Files.read(missingDirectory) }
        #expect(throws: SystemError("read", "/tmp", .isDirectory)) { try Files.read("/tmp") }
        #expect(Files.kind(of: "/tmp") == .directory)
        #expect(Files.kind(of: missingDirectory) == .missing)
    }

    @Test func readsLargeFilesWholeAndPrefixes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Files.atomicWrite(bytes, to: directory + "/big")
        #expect(try Files.read(directory + "/big") == bytes)
        #expect(try Files.readPrefix(directory + "/big", count: 4) == Array(bytes.prefix(4)))
        #expect(throws: SystemError.self) { try Files.read(directory + "/big", limit: 1000) }
        #expect(Files.kind(of: directory + "/big") == .regularFile)
    }

    @Test func createsDirectoriesWithTheirParents() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Files.createDirectory(directory + "/a/b/c")
        #expect(Files.kind(of: directory + "/a/b/c") == .directory)
        try Files.createDirectory(directory + "/a/b/c")  // already there: fine
        try Files.atomicWrite([1], to: directory + "/file")
        #expect(throws: SystemError("create directory", directory + "/file", .notDirectory)) { try Files.createDirectory(directory + "/file/x") }
    }
}
