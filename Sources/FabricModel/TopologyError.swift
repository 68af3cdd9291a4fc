/// Why a topology file (ibsim net file or ibnetdiscover output) could not be read.
///
/// Its `description` is always one line: `<source>:<line>: <what is wrong>` (line 0 when the
/// problem is the file as a whole, e.g. an empty file).
public struct TopologyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, for code that wants to tell cases apart.
    public enum Kind: Equatable, Sendable {
        case unreadable
        case emptyFile
        case lineTooLong
        case indentedLine
        case unknownKeyword
        case unsupported
        case badNodeLine
        case badPortCount
        case badNodeID
        case duplicateNodeID
        case duplicateGUID
        case badGUID
        case badNumber
        case badPortLine
        case badPortNumber
        case portBeyondCount
        case duplicatePort
        case portOutsideNode
        case swallowedLine
        case badLinkAttribute
        case undefinedNode
        case selfLink
        case oneSidedLink
        case mismatchedLink
        case linkWidthMismatch
    }

    /// The name of the file or text being parsed, as the caller gave it.
    public var source: String
    /// 1-based line number; 0 when the problem is not tied to one line.
    public var line: Int
    public var kind: Kind
    /// What is wrong, one line, without the source and line prefix.
    public var message: String

    public init(source: String, line: Int, kind: Kind, message: String) {
        self.source = source
        self.line = line
        self.kind = kind
        self.message = message
    }

    public var description: String {
        let flat = message.map { $0.isNewline ? " " : String($0) }.joined()
        return "\(source):\(line): \(flat)"
    }
}
