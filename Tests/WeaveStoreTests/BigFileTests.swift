import Foundation
import Testing
import WeaveTestSupport
@testable import WeaveStore

/// Issue 30, defect 5 (the part done): a file is checked before it is read —
/// its kind and size from `stat`, then its first 64 KB for a NUL byte — so a
/// 1 GB sparse file is refused at once instead of read whole (5.2 s, 1.1 GB).
struct BigFileTests {
    static func sparse(_ path: String, size: Int64, start: String = "") throws {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(start.utf8)))
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
    }

    func refusal(_ file: String) -> (String, Double) {
        let started = Date()
        do {
            _ = try StoredDocument(file: file, author: "me")
            return ("opened", Date().timeIntervalSince(started))
        } catch {
            return ("\(error)", Date().timeIntervalSince(started))
        }
    }

    @Test func aGigabyteSparseBinaryFileIsRefusedWithoutReadingIt() throws {
        let dir = try TempDir("big")
        let file = dir.file("zeros.bin")
        try Self.sparse(file, size: 1 << 30)
        let (said, seconds) = refusal(file)
        #expect(said.contains("is 1024 MB"), "\(said)")
        #expect(seconds < 1, "took \(seconds) s: it was read")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["zeros.bin"], "something was written")
    }

    /// Under the size limit, a binary file is refused from its first bytes.
    @Test func aBinaryFileIsRefusedFromItsStart() throws {
        let dir = try TempDir("big")
        let file = dir.file("b.bin")
        try Self.sparse(file, size: 32 << 20, start: "text first\n")
        let (said, seconds) = refusal(file)
        #expect(said.contains("NUL byte at offset 11"), "\(said)")
        #expect(seconds < 0.5, "took \(seconds) s: it was read whole")
        #expect(!FileManager.default.fileExists(atPath: dir.file(".b.bin.weave")))
    }

    @Test func aFifoIsRefusedWithoutWaiting() throws {
        let dir = try TempDir("big")
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o644) == 0)
        let (said, _) = refusal(fifo)
        #expect(said.contains("not a regular file"), "\(said)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["pipe"])
    }

    @Test func theLimitIsReadFromTheSetting() {
        #expect(StoredDocument.maxFileBytes == (ProcessInfo.processInfo.environment["WEAVE_MAX_FILE_MB"].flatMap { Int64($0) }.map { $0 << 20 } ?? 256 << 20))
    }
}
