#if canImport(Glibc)
import Glibc
#endif

enum FileSystemCheck {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
