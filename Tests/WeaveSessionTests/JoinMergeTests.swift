import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport
@testable import WeaveSession

/// The joiner's merge policy (`JoinMerge.openSession`), without a network: the
/// shared document is an RGA made here, the hub has no peer.
@Suite struct JoinMergeTests {
    /// The host's document: `text` typed by replica 0xB0.
    static func shared(_ text: String) -> RGA {
        var doc = RGA(replica: ReplicaID(0xB0))
        _ = doc.insert(text, at: 0)
        return doc
    }

    /// Opens FILE against `shared` as `weave join` does; `asked` counts the questions.
    static func open(_ file: String?, _ shared: RGA, replica: ReplicaID = ReplicaID(0xC1), offline: Bool = false,
                     answer: Bool, asked: inout Int) throws(JoinError) -> EditorSession {
        let hub = PeerHub(document: RGA(replica: replica), configuration: .init(name: "joiner"), onEvent: { _ in })
        defer { _ = try? hub.shutdown() }
        var questions = 0
        defer { asked += questions }
        return try JoinMerge.openSession(file: file, address: "127.0.0.1:7070", author: "bob", offline: offline,
                                         replica: replica, shared: shared, hub: hub) { _, _ in
            questions += 1
            return answer
        }
    }

    @Test func withoutFileTheDocumentIsInMemory() throws {
        var asked = 0
        let s = try Self.open(nil, Self.shared("hello"), answer: false, asked: &asked)
        #expect(s.store == nil)
        #expect(s.editor.text == "hello")
        #expect(asked == 0)
    }

    @Test func aNewFileBecomesACopyWithTheSharedHistory() throws {
        let dir = try TempDir("join")
        let file = dir.file("copy.txt")
        var asked = 0
        let shared = Self.shared("hello\n")
        let s = try Self.open(file, shared, answer: false, asked: &asked)
        #expect(asked == 0)
        #expect(s.editor.text == "hello\n")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "hello\n")
        #expect(!s.editor.modified)
        // The copy holds the host's elements (same IDs), not a re-typed text.
        #expect(s.editor.doc.rga.seen(ReplicaID(0xB0)) == shared.seen(ReplicaID(0xB0)))
    }

    @Test func otherTextIsNotReplacedWithoutAYes() throws {
        let dir = try TempDir("join")
        let file = dir.file("mine.txt")
        try "my own notes\n".write(toFile: file, atomically: false, encoding: .utf8)
        var asked = 0
        #expect(throws: JoinError.fileDiffers(file: file, fileCount: 13, sharedCount: 5)) {
            _ = try Self.open(file, Self.shared("hello"), answer: false, asked: &asked)
        }
        #expect(asked == 1)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "my own notes\n", "nothing written")
        #expect(!FileManager.default.fileExists(atPath: OpLog.sidecarPath(for: file)), "no history made")
    }

    @Test func aCrlfFileWithTheSharedTextIsNotAskedAboutAndStaysCrlf() throws {
        let dir = try TempDir("join")
        let file = dir.file("notes.txt")
        try "hello\r\nworld\r\n".write(toFile: file, atomically: false, encoding: .utf8)
        var asked = 0
        let s = try Self.open(file, Self.shared("hello\nworld\n"), answer: false, asked: &asked)
        #expect(asked == 0, "the same text with CRLF endings is the same text")
        #expect(s.editor.text == "hello\nworld\n")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "hello\r\nworld\r\n", "its line endings are kept")
    }

    @Test func aCrlfFileWithOtherTextIsAskedAboutByItsOwnCount() throws {
        let dir = try TempDir("join")
        let file = dir.file("mine.txt")
        try "mine\r\n".write(toFile: file, atomically: false, encoding: .utf8)
        var asked = 0
        #expect(throws: JoinError.fileDiffers(file: file, fileCount: 5, sharedCount: 5)) {
            _ = try Self.open(file, Self.shared("hello"), answer: false, asked: &asked)
        }
        #expect(asked == 1)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "mine\r\n", "nothing written")
    }

    @Test func otherTextIsReplacedAfterAYes() throws {
        let dir = try TempDir("join")
        let file = dir.file("mine.txt")
        try "my own notes\n".write(toFile: file, atomically: false, encoding: .utf8)
        var asked = 0
        let s = try Self.open(file, Self.shared("hello"), answer: true, asked: &asked)
        #expect(asked == 1)
        #expect(s.editor.text == "hello")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "hello")
    }

    @Test func anUnrelatedHistoryIsKeptAsideWhenReplaced() throws {
        let dir = try TempDir("join")
        let file = dir.file("old.txt")
        // A history of another document (another replica typed it).
        let other = try StoredDocument(file: file, replica: ReplicaID(0xD0), author: "dan")
        _ = other.doc.insert("unrelated", at: 0).map { other.record([$0]) }
        try other.flush()
        try other.savePlainText()
        var asked = 0
        let s = try Self.open(file, Self.shared("hello"), answer: true, asked: &asked)
        #expect(asked == 1)
        #expect(s.editor.text == "hello")
        #expect(FileManager.default.fileExists(atPath: OpLog.sidecarPath(for: file) + ".before-join"))
    }

    /// A copy kept by an earlier join and edited offline merges both ways,
    /// without asking: the joiner's edit stays, the host's new text arrives.
    @Test func anEarlierCopyMergesWithoutAsking() throws {
        let dir = try TempDir("join")
        let file = dir.file("copy.txt")
        var asked = 0
        var shared = Self.shared("hello")
        do {
            let first = try Self.open(file, shared, answer: false, asked: &asked)
            first.press(.ctrlEnd)
            first.press(.char("!"))
            try first.store?.flush()
        }
        _ = shared.insert(" world", at: 5)
        let again = try Self.open(file, shared, answer: false, asked: &asked)
        #expect(asked == 0)
        #expect(again.editor.text == "hello world!" || again.editor.text == "hello! world")
        #expect(again.editor.text.filter { $0 == "!" }.count == 1, "nothing doubled")
    }

    @Test func offlineNeedsAnEarlierCopy() throws {
        let dir = try TempDir("join")
        let file = dir.file("plain.txt")
        try "text".write(toFile: file, atomically: false, encoding: .utf8)
        var asked = 0
        #expect(throws: JoinError.offlineNeedsHistory(file: file)) {
            _ = try Self.open(file, RGA(replica: ReplicaID(0xB0)), offline: true, answer: true, asked: &asked)
        }
        #expect(asked == 0)
    }
}
