/// The exit codes of every subcommand.
enum ExitStatus: Int32 {
    case done = 0
    /// The fabric answered only partly; what was unreachable is listed on stderr.
    case partial = 1
    /// Usage error or bad input (a malformed file or flag value).
    case badInput = 2
    /// No usable port or transport.
    case noPort = 3

    static let helpText = """
        Exit codes: 0 done; 1 fabric answered only partly (what was unreachable is listed on stderr); \
        2 usage or bad input; 3 no usable port or transport.
        """
}

/// A failure that ends the command with one line on stderr and a chosen exit code.
struct CommandFailure: Error {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
