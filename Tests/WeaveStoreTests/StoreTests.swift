import Foundation
import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveStore

/// A fresh temporary directory per test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "weave-store-\(UInt64.random(in: 0 ... .max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func read(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
func write(_ path: String, _ bytes: [UInt8]) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

/// Types `words` into a stored document, one edit per word, flushing every few.
func type(_ store: StoredDocument, _ words: [String]) throws {
    for (i, w) in words.enumerated() {
        let op = store.doc.insert(w, at: store.doc.count)!
        store.record([op], time: Int64(1_000 + i))
        if i % 3 == 2 { try store.flush() }
    }
    try store.flush()
}

struct StoreTests {
    @Test func historyRoundTripsExactly() throws {
        let dir = temporaryDirectory()
        let file = dir + "/notes.txt"
        write(file, Array("héllo\n".utf8))
        let a = try StoredDocument(file: file, replica: ReplicaID(1), author: "ann", colour: 2)
        try type(a, ["one ", "two ", "日本 ", "🙂"])
        a.doc.delete(at: 0, length: 2).map { a.record([$0]) }
        try a.flush()
        let text = a.doc.text, ops = a.doc.operations(since: VersionVector()), history = a.history
        let b = try StoredDocument(file: file, replica: ReplicaID(2), author: "bob")
        #expect(b.doc.text == text)
        #expect(b.doc.operations(since: VersionVector()) == ops)
        #expect(b.history.edits == history.edits)
        #expect(b.history.authors[ReplicaID(1)] == Author(replica: ReplicaID(1), name: "ann", colour: 2))
        #expect(b.doc.version == a.doc.version)
        // The plain text was not touched: it still holds what was there, and the
        // history remembers the difference between the two (unsaved edits).
        #expect(String(decoding: read(file), as: UTF8.self) == "héllo\n")
        #expect(b.isModified)
        #expect(b.messages.isEmpty)
    }

    @Test func savingWritesThePlainTextAtomically() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        let s = try StoredDocument(file: file, author: "me")
        #expect(FileManager.default.fileExists(atPath: file))
        try type(s, ["abc"])
        #expect(s.isModified)
        try s.savePlainText()
        #expect(!s.isModified)
        #expect(String(decoding: read(file), as: UTF8.self) == "abc")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func anOutsideChangeIsImportedAsADiskEdit() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        let s = try StoredDocument(file: file, author: "me")
        try type(s, ["The cat sat."])
        try s.savePlainText()
        write(file, Array("The black cat sat!".utf8))
        let t = try StoredDocument(file: file, author: "me again")
        #expect(t.doc.text == "The black cat sat!")
        #expect(t.messages.contains { $0.contains("changed outside Weave") })
        let last = t.history.edits.last!
        #expect(t.history.authors[last.author!]?.name == "disk")
        try t.flush()
        let u = try StoredDocument(file: file, author: "third")
        #expect(u.doc.text == "The black cat sat!")
        #expect(u.messages.isEmpty)
    }

    @Test func binaryAndNonUTF8FilesAreRefusedAndNothingIsWritten() throws {
        let dir = temporaryDirectory()
        for (name, bytes) in [("bin", [0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01] as [UInt8]), ("latin1", [0x63, 0x61, 0x66, 0xe9])] {
            let file = dir + "/" + name
            write(file, bytes)
            #expect(throws: StoreError.self) { try StoredDocument(file: file, author: "me") }
            #expect(!FileManager.default.fileExists(atPath: OpLog.sidecarPath(for: file)))
            #expect(read(file) == bytes)
        }
        do { _ = try StoredDocument(file: dir + "/latin1", author: "me") } catch {
            #expect("\(error)".contains("not valid UTF-8"))
        }
    }

    @Test func aMissingFileWithItsHistoryIsAClearError() throws {
        let dir = temporaryDirectory()
        let file = dir + "/gone.txt"
        let s = try StoredDocument(file: file, author: "me")
        try type(s, ["text"])
        try FileManager.default.removeItem(atPath: file)
        #expect(throws: StoreError.fileMissingButHistoryExists(file: file, sidecar: OpLog.sidecarPath(for: file))) {
            try StoredDocument(file: file, author: "me")
        }
        // recover restores it from the history.
        let report = try Recovery.recover(file: file)
        #expect(report.restoredFile)
        #expect(String(decoding: read(file), as: UTF8.self) == "text")
    }

    @Test func aNewerFormatIsRefusedByName() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        write(file, [])
        var header = OpLogFormat.header()
        header[8] = 3
        write(OpLog.sidecarPath(for: file), header)
        #expect(throws: StoreError.newerFormat(path: OpLog.sidecarPath(for: file), found: 3, supported: 2)) {
            try StoredDocument(file: file, author: "me")
        }
        #expect(StoreError.newerFormat(path: "x", found: 2, supported: 1).description.contains("newer Weave"))
        write(OpLog.sidecarPath(for: file), Array("not a log at all".utf8))
        #expect(throws: StoreError.notAWeaveLog(path: OpLog.sidecarPath(for: file))) { try StoredDocument(file: file, author: "me") }
    }

    @Test func anUnwritableDirectoryIsAClearError() throws {
        // Root ignores permission bits, so use a read-only file system where there is one.
        let dir: String
        if geteuid() == 0 {
            guard FileManager.default.fileExists(atPath: "/proc/self") else { return }
            dir = "/proc/self"
        } else {
            dir = temporaryDirectory()
            chmod(dir, 0o555)
        }
        do {
            _ = try StoredDocument(file: dir + "/new-file.txt", author: "me")
            Issue.record("opening a file in an unwritable directory succeeded")
        } catch let e as StoreError {
            guard case .io(let path, let action, let reason) = e else { Issue.record("unexpected \(e)"); return }
            #expect(path.hasPrefix(dir))
            #expect(!action.isEmpty && !reason.isEmpty)
        }
    }

    @Test func compactionKeepsEverythingAndShrinksTheFile() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        let s = try StoredDocument(file: file, author: "me")
        try type(s, (0 ..< 300).map { "w\($0) " })
        let before = read(OpLog.sidecarPath(for: file)).count
        let text = s.doc.text, edits = s.history.edits
        try s.compact()
        #expect(read(OpLog.sidecarPath(for: file)).count < before)
        try type(s, ["after"])
        let t = try StoredDocument(file: file, author: "me")
        #expect(t.doc.text == text + "after")
        #expect(Array(t.history.edits.prefix(edits.count)) == edits)
        #expect(t.history.edits.count == edits.count + 1)
    }
}

struct OutsideChangeMergeTests {
    /// Unsaved edits in the history and another program's change to FILE: on
    /// reopening FILE's text is shown (never a merge of both, which a lost save
    /// mark would turn into doubled text); the unsaved edit stays in the
    /// history, and the message says so. (A change found while the file is open
    /// does merge: see `DiskChangeTests`.)
    @Test func anOutsideChangeWinsOverUnsavedEditsOnReopen() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        write(file, Array("line one\nline two\n".utf8))
        let s = try StoredDocument(file: file, author: "me")
        s.record([s.doc.insert("NEW ", at: 0)!])  // not saved to FILE
        try s.flush()
        write(file, Array("line one\nline 2\n".utf8))  // edited elsewhere
        let t = try StoredDocument(file: file, author: "me")
        #expect(t.doc.text == "line one\nline 2\n")
        #expect(!t.isModified)
        #expect(t.messages.contains { $0.contains("changed outside Weave") && $0.contains("stay in the history") }, "\(t.messages)")
        let versions = (0 ... t.history.edits.count).map { n -> String in
            var r = RGA(replica: ReplicaID(9))
            try? r.receive(contentsOf: t.doc.operations(from: VersionVector(), to: t.history.version(after: n)))
            return r.text
        }
        #expect(versions.contains("NEW line one\nline two\n"), "the unsaved edit is still in the history: \(versions)")
    }
}

struct CrashBeforeFirstFlushTests {
    /// A writer killed right after creating the history (header only, no text
    /// mark yet) leaves a pair that reopens quietly: no phantom outside change.
    @Test func aHeaderOnlyHistoryReopensWithoutAnOutsideChange() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        write(file, [])
        write(OpLog.sidecarPath(for: file), OpLogFormat.header())
        let s = try StoredDocument(file: file, author: "me")
        #expect(s.messages.isEmpty)
        #expect(s.history.edits.isEmpty)
    }
}

struct SaveFailureTests {
    /// A save that cannot complete leaves FILE exactly as it was and says why.
    /// (The temporary file's name is taken by a directory, which works as root too.)
    @Test func aFailedSaveLeavesTheOldFileAndSaysWhy() throws {
        let dir = temporaryDirectory()
        let file = dir + "/a.txt"
        write(file, Array("original\n".utf8))
        let s = try StoredDocument(file: file, author: "me")
        s.record([s.doc.insert("changed ", at: 0)!])
        try FileManager.default.createDirectory(atPath: dir + "/.a.txt.tmp-\(getpid())", withIntermediateDirectories: false)
        do {
            try s.savePlainText()
            Issue.record("the save succeeded")
        } catch let e as StoreError {
            #expect(e.description.contains(".a.txt.tmp-"))
            #expect(e.description.contains("directory"))
        }
        #expect(String(decoding: read(file), as: UTF8.self) == "original\n")
        #expect(s.isModified)
    }
}
