import IBWire
import SystemBoundary

/// opensm.conf syntax: one `key value` a line (the value is the rest of the line), `#` starts a comment
/// line, blank lines are skipped, and the last of a repeated key wins, as in OpenSM. Numbers are read as
/// OpenSM's strtoul does (`0x` hex, leading-`0` octal, else decimal), booleans are TRUE or FALSE, and
/// `(null)` is an unset string.
public enum ConfigurationFile {
    /// Reads and parses a file; an unreadable file is an error naming it.
    public static func load(path: String, base: SMConfiguration = SMConfiguration()) throws(ConfigurationError) -> LoadedConfiguration {
        let bytes: [UInt8]
        do { bytes = try Files.read(path, limit: 16 << 20) } catch {
            throw ConfigurationError(source: path, line: nil, message: "cannot read the configuration file (\(error.reason))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(source: path, line: nil, message: "not an opensm.conf-style text file (not UTF-8)")
        }
        return try parse(text, source: path, base: base)
    }

    /// Parses the text of a file (pure). `base` holds the values keys the file does not set keep.
    public static func parse(_ text: String, source: String, base: SMConfiguration = SMConfiguration()) throws(ConfigurationError) -> LoadedConfiguration {
        var configuration = base
        var keysSet = Set<String>()
        var warned = Set<String>()
        var warnings: [ConfigurationWarning] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if line.isEmpty || line.first == "#" { continue }
            let key = line.prefix(while: { $0 != " " && $0 != "\t" && $0 != "\r" })
            let value = trimmed(line.dropFirst(key.count))
            let name = String(key)
            guard let setting = ConfigurationKeys.byName[name] else {
                if warned.insert(name).inserted {
                    warnings.append(ConfigurationWarning(source: source, line: lineNumber, key: name))
                }
                continue
            }
            do {
                try setting.apply(value, &configuration)
            } catch {
                let reason = (error as? ValueProblem)?.message ?? "\(error)"
                throw ConfigurationError(source: source, line: lineNumber, message: "\(name) \(value.isEmpty ? "(no value)" : String(value)): \(reason)")
            }
            keysSet.insert(name)
        }
        return LoadedConfiguration(configuration: configuration, keysSet: keysSet, warnings: warnings)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let start = text.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
        return start[..<lastNonSpace(start)]
    }

    private static func lastNonSpace(_ text: Substring) -> Substring.Index {
        var end = text.endIndex
        while end > text.startIndex {
            let previous = text.index(before: end)
            let character = text[previous]
            if character != " " && character != "\t" && character != "\r" { break }
            end = previous
        }
        return end
    }
}
