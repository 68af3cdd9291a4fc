import FabricModel
import IBWire
import Testing

struct MalformedCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var kind: TopologyError.Kind
    var line: Int
    var says: String
    var testDescription: String { name }
}

private let good = """
    Switch 4 "s"
    [1] "a"[1]
    [2] "b"[1]

    Hca 1 "a"
    [1] "s"[1]

    Hca 1 "b"
    [1] "s"[2]

    """

let malformedCases: [MalformedCase] = [
    MalformedCase(name: "unknown keyword", text: "Swich 4 \"s\"\n", kind: .unknownKeyword, line: 1, says: "unknown keyword 'Swich'"),
    MalformedCase(name: "empty file", text: "", kind: .emptyFile, line: 0, says: "the file is empty"),
    MalformedCase(name: "comments only", text: "# nothing\n\n", kind: .emptyFile, line: 0, says: "defines no nodes"),
    MalformedCase(name: "port number not a number", text: "Switch 4 \"s\"\n[x] \"a\"[1]\n", kind: .badPortNumber, line: 2, says: "bad port number"),
    MalformedCase(name: "port 0", text: "Switch 4 \"s\"\n[0] \"a\"[1]\n", kind: .badPortNumber, line: 2, says: "bad port number 0"),
    MalformedCase(
        name: "port beyond count", text: "Hca 1 \"a\"\n[2] \"s\"[1]\n", kind: .portBeyondCount, line: 2,
        says: "port 2 is beyond the 1 ports of \"a\""),
    MalformedCase(
        name: "remote port beyond count", text: "Switch 4 \"s\"\n[1] \"a\"[3]\n\nHca 1 \"a\"\n[1] \"s\"[1]\n", kind: .portBeyondCount,
        line: 2, says: "remote port 3 is beyond the 1 ports of \"a\""),
    MalformedCase(
        name: "duplicate node id", text: good + "Hca 1 \"a\"\n", kind: .duplicateNodeID, line: 10,
        says: "duplicate node id \"a\" (first defined on line 5)"),
    MalformedCase(
        name: "undefined node", text: good.replacingOccurrences(of: "[2] \"b\"[1]", with: "[2] \"c\"[1]"), kind: .undefinedNode,
        line: 3, says: "links to undefined node \"c\""),
    MalformedCase(
        name: "one-sided link", text: good + "Hca 1 \"c\"\n[1] \"s\"[4]\n", kind: .oneSidedLink, line: 11,
        says: "written at this end only"),
    MalformedCase(
        name: "mismatched ends", text: good.replacingOccurrences(of: "[1] \"s\"[2]", with: "[1] \"s\"[1]"), kind: .mismatchedLink,
        line: 3, says: "link ends disagree"),
    MalformedCase(name: "bad switchguid", text: "switchguid=0xZZ\n" + good, kind: .badGUID, line: 1, says: "bad GUID"),
    MalformedCase(name: "guid with garbage", text: "caguid=0x12g4\n" + good, kind: .badGUID, line: 1, says: "bad GUID '0x12g4'"),
    MalformedCase(
        name: "bad port guid", text: "Hca 1 \"a\"\n[1](xyz) \"s\"[1]\n", kind: .badGUID, line: 2, says: "bad port GUID"),
    MalformedCase(
        name: "duplicate port line", text: "Switch 4 \"s\"\n[1] \"a\"[1]\n[1] \"b\"[1]\n", kind: .duplicatePort, line: 3,
        says: "port 1 of \"s\" is listed twice (also on line 2)"),
    MalformedCase(
        name: "more port lines than ports", text: "Hca 1 \"a\"\n[1] \"s\"[1]\n[1] \"s\"[2]\n", kind: .portOutsideNode, line: 3,
        says: "port line outside"),
    MalformedCase(
        name: "swallowed node line", text: "Hca 2 \"a\"\n[1] \"s\"[1]\nSwitch 4 \"s\"\n[1] \"a\"[1]\n", kind: .swallowedLine,
        line: 3, says: "ibsim would skip it"),
    MalformedCase(
        name: "self link", text: "Switch 4 \"s\"\n[1] \"s\"[1]\n", kind: .selfLink, line: 2, says: "linked to itself"),
    MalformedCase(
        name: "no common width", text: good.replacingOccurrences(of: "[1] \"a\"[1]", with: "[1] \"a\"[1] w=4"),
        kind: .linkWidthMismatch, line: 2, says: "have nothing in common"),
    MalformedCase(name: "zero ports", text: "Switch 0 \"s\"\n", kind: .badPortCount, line: 1, says: "port count 0"),
    MalformedCase(name: "too many ports", text: "Switch 300 \"s\"\n", kind: .badPortCount, line: 1, says: "port count 300"),
    MalformedCase(name: "no node id", text: "Switch 4 s\n", kind: .badNodeLine, line: 1, says: "expected 'Switch <ports> \"<id>\"'"),
    MalformedCase(name: "unterminated id", text: "Hca 1 \"a\n", kind: .badNodeID, line: 1, says: "no closing quote"),
    MalformedCase(name: "indented line", text: good + "  Hca 1 \"z\"\n", kind: .indentedLine, line: 10, says: "starts with a blank"),
    MalformedCase(
        name: "blank before remote port", text: "Hca 1 \"a\"\n[1] \"s\" [2]\n", kind: .badPortLine, line: 2,
        says: "ibsim would read port 1"),
    MalformedCase(
        name: "duplicate guid", text: "switchguid=0x10\nSwitch 1 \"x\"\n\nswitchguid=0x10\nSwitch 1 \"y\"\n", kind: .duplicateGUID,
        line: 5, says: "would get GUID 0x0000000000000010"),
    MalformedCase(
        name: "line after an incomplete port list", text: "switchguid=0x10\nSwitch 1 \"x\"\nswitchguid=0x10\n", kind: .swallowedLine,
        line: 3, says: "\"x\", which has fewer than 1 port lines; ibsim would skip it"),
    MalformedCase(name: "include", text: "include \"other.net\"\n", kind: .unsupported, line: 1, says: "'include' lines are not supported"),
    MalformedCase(
        name: "line too long", text: "# ok\nHca 1 \"a\" # \"" + String(repeating: "x", count: 260) + "\"\n", kind: .lineTooLong, line: 2,
        says: "ibsim reads at most 254"),
    MalformedCase(
        name: "unknown speed", text: good.replacingOccurrences(of: "[1] \"a\"[1]", with: "[1] \"a\"[1] # \"a\" lid 0 4xXDR"),
        kind: .badLinkAttribute, line: 2, says: "unknown link speed 'XDR'"),
    MalformedCase(name: "vendid without value", text: "vendid=\n" + good, kind: .badNumber, line: 1, says: "'vendid' has no valid number"),
]

@Suite struct MalformedInputTests {
    @Test(arguments: malformedCases)
    func malformedInputGivesOneLineError(_ c: MalformedCase) throws {
        let error = #expect(throws: TopologyError.self) { try TopologyFile.parse(c.text, source: "bad.net") }
        guard let error else { return }
        #expect(error.kind == c.kind, "\(error)")
        #expect(error.line == c.line, "\(error)")
        #expect(error.source == "bad.net")
        #expect(error.description.hasPrefix("bad.net:\(c.line): "), "\(error)")
        #expect(error.description.contains(c.says), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test func theGoodBaseParses() throws {
        let fabric = try TopologyFile.parse(good)
        #expect(fabric.links.count == 2)
    }

    @Test func rawBytesThatAreNotUTF8Parse() throws {
        // 0xFF and a lone continuation byte cannot occur in UTF-8; a file read from disk may hold them anyway.
        var bytes = Array("Switch 1 \"s\" # \"core ".utf8) + [0xFF, 0x80] + Array("\"\n[1] \"h".utf8) + [0xFE]
        bytes += Array("\"[1]\n\nHca 1 \"h".utf8) + [0xFE] + Array("\"\n[1] \"s\"[1]\n".utf8)
        let parsed = try TopologyFile.parseDetailed(bytes: bytes, source: "raw.net")
        #expect(parsed.fabric.links.count == 1)
        #expect(parsed.fabric.nodes[0].description == "core \u{FFFD}\u{FFFD}")
        #expect(parsed.nodeIDs == ["s", "h\u{FFFD}"])
    }

    @Test func loadNamesTheFile() throws {
        let error = #expect(throws: TopologyError.self) { try TopologyFile.load(path: "/nonexistent/fabric.net") }
        #expect(error?.description == "/nonexistent/fabric.net:0: cannot read the file (No such file or directory)")
    }
}
