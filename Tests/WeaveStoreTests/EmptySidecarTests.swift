import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// A zero-length `.FILE.weave` (a crash between creating it and writing its
/// header, or `: >` by hand) is "no history yet": the next open starts a new
/// history from FILE's text and says so; it never appends records to a file
/// without a header that nothing could read afterwards.
struct EmptySidecarTests {
    @Test func anEmptyHistoryIsStartedAgainFromTheFile() throws {
        let dir = try TempDir("empty")
        let file = dir.file("c.txt")
        try "typed two lines\nand saved\n".write(toFile: file, atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: OpLog.sidecarPath(for: file), contents: Data())
        let store = try StoredDocument(file: file, author: "me")
        #expect(store.doc.text == "typed two lines\nand saved\n")
        #expect(!store.isModified, "the history's text is FILE's: nothing to save")
        #expect(store.messages.contains { $0.contains("was empty") }, "\(store.messages)")
        try store.flush()
        // The file it wrote opens again, to the same text, by every reader.
        let loaded = try OpLog.load(path: OpLog.sidecarPath(for: file))
        #expect(try loaded.document(as: ReplicaID(3)).text == "typed two lines\nand saved\n")
        let again = try StoredDocument(file: file, author: "me")
        #expect(again.doc.text == "typed two lines\nand saved\n")
        #expect(again.messages.isEmpty, "\(again.messages)")
    }
}

extension EmptySidecarTests {
    /// Every cut of a header (0 to 15 bytes) opens for writing with the header
    /// written again: what is appended after it reads back.
    @Test(arguments: 0 ..< 16) func aTornHeaderIsWrittenAgainBeforeAppending(cut: Int) throws {
        let dir = try TempDir("torn-header")
        let path = dir.file(".t.txt.weave")
        _ = FileManager.default.createFile(atPath: path, contents: Data(OpLogFormat.header().prefix(cut)))
        let (log, _) = try OpLog.open(path: path)
        var doc = RGA(replica: ReplicaID(5))
        log.append(edit: [doc.insert("abc", at: 0)!], time: 1)
        try log.flush()
        let loaded = try OpLog.load(path: path)
        #expect(try loaded.document(as: ReplicaID(6)).text == "abc", "cut \(cut)")
        #expect(loaded.tornTailBytes == 0)
    }
}
