import FabricModel
import Foundation
import IBWire
import Routing
import Testing

@Suite struct GUID2LIDTableTests {
    @Test func readsAFileWrittenByOpenSM() throws {
        // Written by opensm 3.3.23 -o against ibsim on fat-tree-2-radix-4.net, LMC 0.
        let (table, warnings) = try GUID2LIDTable.load(path: fixturePath("opensm-lmc0.guid2lid"))
        #expect(warnings.isEmpty)
        #expect(table.count == 14)  // 6 switches, 8 hosts
        #expect(table[GUID(0x100001)] == LIDRange(first: LID(1), last: LID(1)))
        #expect(table[GUID(0x200003)] == LIDRange(first: LID(6), last: LID(6)))
        #expect(table[GUID(0x10000f)] == LIDRange(first: LID(14), last: LID(14)))
    }

    @Test func readsAnLMC2FileWrittenByOpenSM() throws {
        let (table, warnings) = try GUID2LIDTable.load(path: fixturePath("opensm-lmc2.guid2lid"))
        #expect(warnings.isEmpty)
        #expect(table.count == 14)
        // Hosts: aligned blocks of 4; switches (no enhanced port 0): one LID.
        #expect(table[GUID(0x100001)] == LIDRange(first: LID(4), last: LID(7)))
        #expect(table[GUID(0x200004)] == LIDRange(first: LID(17), last: LID(17)))
        for (guid, range) in table.entries {
            #expect(range.count == (guid.rawValue >= 0x200000 ? 1 : 4))
        }
    }

    @Test func writesOpenSMsFormatAndReadsItBack() throws {
        let original = try GUID2LIDTable.parse(fixture("opensm-lmc2.guid2lid"), source: "fixture").table
        let text = original.text()
        // OpenSM's own writer: "0x%016llx 0x%04x 0x%04x" and an empty line after each entry.
        #expect(text.hasPrefix("0x0000000000100001 0x0004 0x0007\n\n0x0000000000100003 0x000c 0x000f\n\n"))
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 14 * 2 + 1)
        let (again, warnings) = try GUID2LIDTable.parse(text, source: "written")
        #expect(warnings.isEmpty)
        #expect(again == original)
        // Same entries, same bytes (sorted by GUID).
        #expect(again.text() == text)
        #expect(GUID2LIDTable().text() == "")
    }

    @Test func writeIsAtomicAndLoadRoundTrips() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("guid2lid").path
        let table = GUID2LIDTable(entries: [GUID(0x0002c903000a0b0c): LIDRange(first: LID(8), last: LID(15)), GUID(0x200000): LIDRange(first: LID(1), last: LID(1))])
        try table.write(to: path)
        #expect(try GUID2LIDTable.load(path: path).table == table)
        // Overwrite: the new content replaces the old, and no temporary file is left behind.
        let smaller = GUID2LIDTable(entries: [GUID(0x200000): LIDRange(first: LID(2), last: LID(2))])
        try smaller.write(to: path)
        #expect(try GUID2LIDTable.load(path: path).table == smaller)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["guid2lid"])
        // A directory that does not exist: a write error naming the file.
        let missing = directory.appendingPathComponent("no/such/dir/guid2lid").path
        #expect { try smaller.write(to: missing) } throws: { error in
            (error as? GUID2LIDError)?.kind == .writeFailed && "\(error)".hasPrefix(missing)
        }
    }

    @Test func loadErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("guid2lid").path
        #expect { try GUID2LIDTable.load(path: missing) } throws: { ($0 as? GUID2LIDError)?.kind == .missing }
        let binary = directory.appendingPathComponent("binary").path
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0xff, 0xfe]))
        #expect { try GUID2LIDTable.load(path: binary) } throws: { error in
            (error as? GUID2LIDError)?.kind == .notGUID2LID && "\(error)".hasPrefix(binary)
        }
        #expect { try GUID2LIDTable.load(path: directory.path) } throws: { ($0 as? GUID2LIDError)?.kind == .unreadable }
    }

    @Test func emptyAndCommentOnlyFilesAreEmptyTables() throws {
        #expect(try GUID2LIDTable.parse("", source: "f").table.isEmpty)
        #expect(try GUID2LIDTable.parse("\n\n  \n# only a comment\n", source: "f").table.isEmpty)
    }

    @Test func acceptsVariantsOpenSMAccepts() throws {
        // No empty lines between entries, CRLF, tabs, decimal and octal numbers, upper-case hex.
        let text = "0x0000000000100001 0x0001 0x0001\r\n0X10000B\t2\t2\n0x200000 010 017\n  0x200001 0x14 0x14  \n"
        let (table, warnings) = try GUID2LIDTable.parse(text, source: "f")
        #expect(warnings.isEmpty)
        #expect(table.entries == [
            GUID(0x100001): LIDRange(first: LID(1), last: LID(1)),
            GUID(0x10000b): LIDRange(first: LID(2), last: LID(2)),
            GUID(0x200000): LIDRange(first: LID(8), last: LID(15)),
            GUID(0x200001): LIDRange(first: LID(20), last: LID(20)),
        ])
    }

    /// Each bad line is dropped with one warning naming the file and line; the good ones stay.
    @Test(arguments: [
        ("0x100001 0x0001", "expected"),  // two fields
        ("0x100001 0x0001 0x0001 extra", "expected"),  // four fields
        ("0xZZ 0x0001 0x0001", "is not a GUID"),
        ("0x100001 one two", "are not two LIDs"),
        ("0x0 0x0005 0x0005", "GUID 0"),
        ("0x100001 0x0000 0x0000", "LID 0"),
        ("0x100001 0xc000 0xc000", "not unicast"),  // multicast
        ("0x100001 0xbfff 0xc002", "not unicast"),  // runs into multicast
        ("0x100001 0xffff 0xffff", "not unicast"),  // permissive
        ("0x100001 0x0009 0x0008", "above last"),
        ("0x100001 0x0008 0x000a", "not a power of two"),  // 3 LIDs
        ("0x100001 0x0006 0x0009", "not aligned"),  // 4 LIDs from 6
        ("0x100001 0x0100 0x01ff", "not a power of two"),  // 256 LIDs: beyond LMC 7
        ("0x100002 0x0020 0x0020", "overlap"),  // LID of the good entry below
        ("0x200000 0x0030 0x0030", "already listed"),  // GUID of the good entry below
        ("0x10000000000000000 0x0005 0x0005", "is not a GUID"),  // 17 hex digits
    ])
    func dropsInvalidEntries(line: String, reason: String) throws {
        let text = "0x200000 0x0020 0x0020\n\n\(line)\n\n0x200001 0x0021 0x0021\n"
        let (table, warnings) = try GUID2LIDTable.parse(text, source: "/var/cache/opensm/guid2lid")
        #expect(table.entries == [GUID(0x200000): LIDRange(first: LID(0x20), last: LID(0x20)), GUID(0x200001): LIDRange(first: LID(0x21), last: LID(0x21))])
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("/var/cache/opensm/guid2lid:3: ") == true)
        #expect(warnings.first?.contains(reason) == true, "\(warnings)")
        #expect(warnings.first?.contains("\n") == false)
    }

    @Test(arguments: [
        "Switch 4 \"leaf-0\"\n[1] \"host-0\"[1]\n",  // a topology file
        "hello world\n",
        "0x100001\n0x100002\n",
        "{\"guid\": \"0x100001\", \"lid\": 1}\n",
    ])
    func rejectsFilesThatAreNotGUID2LID(text: String) {
        #expect { try GUID2LIDTable.parse(text, source: "cache/guid2lid") } throws: { error in
            guard let error = error as? GUID2LIDError else { return false }
            return error.kind == .notGUID2LID && error.description.hasPrefix("cache/guid2lid: not a guid2lid file")
                && !error.description.contains("\n")
        }
    }

    @Test func rejectsBinaryText() {
        #expect { try GUID2LIDTable.parse("0x100001 0x0001 0x0001\n\u{0}\u{1}\u{2}", source: "g") } throws: {
            ($0 as? GUID2LIDError)?.kind == .notGUID2LID
        }
    }
}
