#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WeaveStore

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// Writes a text file atomically (temporary file, fsync, rename, fsync directory).
func writeTextFile(_ path: String, _ text: String) throws {
    try AtomicFile.write(path, Array(text.utf8))
}
