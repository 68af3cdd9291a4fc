import Foundation
import Logging
import SystemBoundary

/// swift-log lines appended to the configuration's `log_file` (`2026-12-01T14:20:00Z notice swiftsm: ...`).
struct FileLogHandler: LogHandler {
    let label: String
    let file: AppendFile
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level, message = event.message
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = Date().formatted(.iso8601)
        try? file.append(Array("\(stamp) \(level) \(label): \(message)\(details)\n".utf8))
    }

    /// A logger writing to `path` at `level`, or nil (with a warning on stderr) when the file cannot be opened:
    /// a daemon does not die over its log file.
    static func logger(label: String, path: String, level: Logger.Level) -> Logger? {
        do {
            let file = try AppendFile(path: path)
            var logger = Logger(label: label) { label in FileLogHandler(label: label, file: file) }
            logger.logLevel = level
            return logger
        } catch {
            printError("swiftsm: warning: log_file \(path): \(error.reason); logging to standard error")
            return nil
        }
    }
}
