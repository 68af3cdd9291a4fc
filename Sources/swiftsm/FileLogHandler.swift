import Foundation
import Logging
import Synchronization
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

/// The daemon's log handler: every copy writes where the shared destination says now, so SIGHUP can move
/// the log (`log_file`) without rebuilding the loggers the daemon's parts hold.
struct SwitchableLogHandler: LogHandler {
    /// Where the lines go: standard error or the configuration's `log_file`.
    final class Destination: Sendable {
        let current: Mutex<(path: String?, handler: any LogHandler)>
        init(_ handler: any LogHandler, path: String?) { current = Mutex((path, handler)) }

        /// Logs to `path` from now on (nil: standard error). A file that cannot be opened leaves the log where
        /// it was, with one line saying so there.
        func move(to path: String?, label: String, level: Logger.Level) {
            guard path != current.withLock({ $0.path }) else { return }
            var handler: any LogHandler
            if let path {
                do {
                    handler = FileLogHandler(label: label, file: try AppendFile(path: path))
                } catch {
                    var logger = Logger(label: label) { _ in self.current.withLock { $0.handler } }
                    logger.logLevel = level
                    logger.error("log_file \(path): \(error.reason); logging where it was")
                    return
                }
            } else {
                handler = StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = level
            current.withLock { $0 = (path, handler) }
        }
    }

    let destination: Destination
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = destination.current.withLock { $0.handler }
        handler.logLevel = logLevel
        for (key, value) in metadata { handler[metadataKey: key] = value }
        handler.log(event: event)
    }

    /// A logger at `level` writing to `path` (nil or unopenable: standard error), whose destination can move.
    static func logger(label: String, path: String?, level: Logger.Level) -> (Logger, Destination) {
        var initial: any LogHandler = StreamLogHandler.standardError(label: label)
        var opened: String?
        if let path {
            if let file = FileLogHandler.logger(label: label, path: path, level: level) { initial = file.handler; opened = path }
        }
        initial.logLevel = level
        let destination = Destination(initial, path: opened)
        var logger = Logger(label: label) { _ in SwitchableLogHandler(destination: destination, logLevel: level) }
        logger.logLevel = level
        return (logger, destination)
    }
}
