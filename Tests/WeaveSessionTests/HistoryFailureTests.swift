import Foundation
import Testing
import WeaveCore
import WeaveStore
@testable import WeaveEditor
@testable import WeaveSession
import WeaveTestSupport

/// The real file system, with writes of the history that fail on demand (a
/// full disk) after writing some bytes.
final class FullDiskFileSystem: FileSystem {
    let base = PosixFileSystem.shared
    /// While set, every append to a history writes this many bytes and fails.
    var full: Int?

    func readAll(_ path: String) throws -> [UInt8]? { try base.readAll(path) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func isEmptyFile(_ path: String) -> Bool { base.isEmptyFile(path) }
    func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        try base.openForAppend(path, createNew: createNew, action: action)
    }
    func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws {
        if let n = full {
            try base.append(handle, Array(bytes.prefix(n)), path: path)
            throw StoreError.io(path: path, action: "write", reason: "No space left on device")
        }
        try base.append(handle, bytes, path: path)
    }
    func sync(_ handle: Int32, path: String) throws { try base.sync(handle, path: path) }
    func truncate(_ handle: Int32, to length: Int, path: String) throws { try base.truncate(handle, to: length, path: path) }
    func close(_ handle: Int32) { base.close(handle) }
    func syncDirectory(of path: String) throws { try base.syncDirectory(of: path) }
    func rename(_ from: String, _ to: String) throws { try base.rename(from, to) }
    func remove(_ path: String) throws { try base.remove(path) }
    func writeAtomically(_ path: String, _ bytes: [UInt8]) throws { try base.writeAtomically(path, bytes) }
    func stamp(_ path: String) -> FileStamp? { base.stamp(path) }
    func isCurrent(_ handle: Int32, path: String) -> Bool { base.isCurrent(handle, path: path) }
}

/// What the editor says while the history cannot be written, and after.
@Suite struct HistoryFailureTests {
    /// `g.txt` holding "base\n", edited with a history on a disk that fills on
    /// demand, committed at once (no group-commit delay).
    static func editing(_ dir: TempDir) throws -> (file: String, fs: FullDiskFileSystem, session: EditorSession) {
        let file = dir.file("g.txt")
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let fs = FullDiskFileSystem()
        let session = EditorSession(path: file, store: try StoredDocument(file: file, author: "me", fs: fs))
        session.flushDelay = 0
        return (file, fs, session)
    }

    /// A full disk: "history NOT saved" stays on the status line while the
    /// failure lasts (typing does not turn it into "saving…") and the reason
    /// comes back on the message line; once the disk has room the next commit
    /// writes everything, once, and only then "history saved".
    @Test func aFullDiskIsSaidUntilItIsOverAndNothingIsDamaged() throws {
        let dir = try TempDir()
        let (file, fs, session) = try Self.editing(dir)
        fs.full = 7
        session.perform(session.editorHandle(.char("a")))
        session.serviceTimers()
        #expect(session.editor.historyStatus == "history NOT saved")
        #expect(session.editor.message?.contains("No space left on device") == true)
        // More typing while the disk is full: the status still tells the truth.
        session.perform(session.editorHandle(.char("b")))
        #expect(session.editor.historyStatus == "history NOT saved", "typing replaced the failure with \(session.editor.historyStatus)")
        session.serviceTimers()
        #expect(session.editor.message?.contains("No space left on device") == true,
                "the failure is no longer said: \(session.editor.message ?? "nothing")")
        #expect(session.historyFailure != nil)
        // Room again: the retry (a second later) writes it all.
        fs.full = nil
        Thread.sleep(forTimeInterval: 1.05)
        session.perform(session.editorHandle(.char("c")))
        session.serviceTimers()
        #expect(session.editor.historyStatus == "history saved")
        #expect(session.editor.message?.contains("History saved again") == true, "\(session.editor.message ?? "nothing said")")
        #expect(session.historyFailure == nil)
        let loaded = try OpLog.load(path: OpLog.sidecarPath(for: file))
        #expect(loaded.tornTailBytes == 0)
        #expect(try loaded.document(as: ReplicaID(1)).text == "abcbase\n")
    }

    /// Issue 30: a Ctrl-S that wrote the file but could not write its
    /// history said "Not saved", though the file was saved. Each is said as it is.
    @Test func ctrlSThatWritesTheFileButNotTheHistorySaysBoth() throws {
        let dir = try TempDir()
        let (file, fs, session) = try Self.editing(dir)
        session.perform(session.editorHandle(.char("a")))
        session.serviceTimers()
        #expect(session.editor.historyStatus == "history saved")
        fs.full = 3  // the history cannot be written; FILE (an atomic write) still can
        session.perform(session.editorHandle(.ctrl("s")))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "abase\n", "the file is written")
        #expect(!session.editor.modified)
        let said = session.editor.message ?? ""
        #expect(said.hasPrefix("Saved g.txt") && said.contains("history is NOT saved") && said.contains("No space left on device"), "\(said)")
        #expect(!said.hasPrefix("Not saved"))
        #expect(session.editor.historyStatus == "history NOT saved")
        // Room again: the retry writes the history, and says so.
        fs.full = nil
        Thread.sleep(forTimeInterval: 1.05)
        session.serviceTimers()
        #expect(session.editor.historyStatus == "history saved")
        let loaded = try OpLog.load(path: OpLog.sidecarPath(for: file))
        #expect(loaded.tornTailBytes == 0 && loaded.textMark?.sameText(as: TextMark(text: "abase\n")) == true)
    }

    /// `rm .g.txt.weave` while editing: the next group commit writes the whole
    /// history again from the editor's document, and the message line says so.
    @Test func aRemovedHistoryIsWrittenAgainAndSaid() throws {
        let dir = try TempDir()
        let file = dir.file("g.txt"), sidecar = OpLog.sidecarPath(for: file)
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let session = try EditorSession(path: file, author: "me")
        session.flushDelay = 0
        session.perform(session.editorHandle(.char("a")))
        session.serviceTimers()
        #expect(unlink(sidecar) == 0)
        session.perform(session.editorHandle(.char("b")))
        session.serviceTimers()
        #expect(session.editor.message?.contains("was removed or replaced") == true, "\(session.editor.message ?? "nothing said")")
        #expect(session.editor.historyStatus == "history saved")
        #expect(try OpLog.load(path: sidecar).document(as: ReplicaID(1)).text == "abbase\n")
    }
}
