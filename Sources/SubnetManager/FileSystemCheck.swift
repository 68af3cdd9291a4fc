import SystemBoundary

enum FileSystemCheck {
    static func exists(_ path: String) -> Bool { Files.exists(path) }
}
