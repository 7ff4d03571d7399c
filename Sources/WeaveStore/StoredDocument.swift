import WeaveCore
import WeaveHistory
#if canImport(Glibc)
import Glibc
#endif

/// A plain-text file with its history sidecar, open for editing: the document,
/// its history, and the log that makes every edit durable.
///
/// Every change goes through `record(_:)`, which applies nothing itself (the
/// caller already applied the operations to `doc`) but appends the edit to the
/// history and the log. `flush()` makes the history durable; `savePlainText()`
/// writes FILE atomically.
public final class StoredDocument {
    public let file: String
    public let log: OpLog
    public var doc: RGA
    public private(set) var history: History
    /// What happened while opening that the user should be told (a torn tail cut
    /// back, another program's change imported, a new history started).
    public private(set) var messages: [String] = []
    /// The text as last written to (or read from) FILE.
    public private(set) var savedMark: TextMark?

    /// The author name of changes found in FILE that Weave did not make.
    public static let diskAuthorName = "disk"

    /// Opens FILE for editing as a new replica `replica` named `author`.
    ///
    /// - FILE and no sidecar: FILE's text becomes the first edit of a new history.
    /// - neither: FILE is created empty, with a new history.
    /// - both: the history is loaded; a torn tail is cut back (with a message);
    ///   if FILE differs from the history's text, the difference is imported as
    ///   an edit by "disk" (with a message).
    /// - a sidecar but no FILE: throws `fileMissingButHistoryExists`.
    /// - an empty (zero-length) sidecar beside FILE: as no sidecar, with a message.
    ///
    /// Throws `StoreError` for a binary or non-UTF-8 FILE (nothing is written),
    /// a damaged or newer-format sidecar, or I/O failures such as a read-only
    /// directory.
    public init(file: String, replica: ReplicaID = .random(), author: String, colour: Int = 0,
                now: Int64 = StoredDocument.nowMillis()) throws {
        self.file = file
        let sidecar = OpLog.sidecarPath(for: file)
        let fileText = try StoredDocument.readText(file)
        var emptySidecar = false
        if FileIO.exists(sidecar), FileIO.isEmptyFile(sidecar), fileText != nil {
            // A zero-length history (a crash between creating it and writing its
            // header, or `: > .FILE.weave` by hand) holds nothing: start a new
            // one from FILE rather than append records to a file without a header.
            guard unlink(sidecar) == 0 else {
                throw StoreError.io(path: sidecar, action: "replace the empty history", reason: FileIO.reason())
            }
            emptySidecar = true
        }
        if FileIO.exists(sidecar) {
            guard let fileText else { throw StoreError.fileMissingButHistoryExists(file: file, sidecar: sidecar) }
            let (log, loaded) = try OpLog.open(path: sidecar)
            self.log = log
            if loaded.tornTailBytes > 0 {
                messages.append("history: cut back an interrupted write (\(loaded.tornTailBytes) bytes at byte \(loaded.validLength))")
            }
            doc = try loaded.document(as: replica)
            history = loaded.history
            savedMark = loaded.textMark
            registerAuthor(Author(replica: replica, name: author, colour: colour))
            let onDisk = TextMark(text: fileText, edits: history.edits.count)
            if !onDisk.sameText(as: savedMark) {
                // Another program changed FILE since Weave last wrote it. Its change
                // branched from the version Weave wrote then: make it there as "disk"
                // and merge it, so unsaved edits made since survive too.
                let disk = Author(replica: .random(), name: StoredDocument.diskAuthorName, colour: 7)
                let base = savedMark.map { history.version(after: $0.edits) } ?? doc.version
                var diskDoc = RGA(replica: disk.replica)
                try diskDoc.receive(contentsOf: doc.operations(from: VersionVector(), to: base))
                let ops = StoredDocument.diff(from: &diskDoc, to: fileText)
                if !ops.isEmpty {
                    try doc.receive(contentsOf: ops)
                    registerAuthor(disk)
                    record(ops, time: now)
                    messages.append("\(FileIO.baseName(file)) was changed outside Weave: the change is kept as an edit by \"disk\"")
                }
                let mark = TextMark(text: fileText, edits: history.edits.count)
                log.append(textMark: mark)
                savedMark = mark
            }
        } else {
            // A new history; FILE is created now if missing so the pair stays consistent.
            if fileText == nil { try FileIO.writeAtomically(file, []) }
            log = try OpLog.create(at: sidecar)
            doc = RGA(replica: replica)
            history = History()
            registerAuthor(Author(replica: replica, name: author, colour: colour))
            if let fileText, !fileText.isEmpty, let op = doc.insert(fileText, at: 0) {
                record([op], time: now)
            }
            let mark = TextMark(text: fileText ?? "", edits: history.edits.count)
            log.append(textMark: mark)
            savedMark = mark
            if emptySidecar {
                messages.append("history: \(FileIO.baseName(sidecar)) was empty (an interrupted start); a new history begins with \(FileIO.baseName(file))'s text")
            }
        }
        try log.flush()
    }

    /// Adds an author to the history (and the log) if new.
    public func registerAuthor(_ a: Author) {
        if history.authors[a.replica] == a { return }
        history.authors[a.replica] = a
        log.append(author: a)
    }

    /// Records an edit the caller already applied to `doc`: its operations, in
    /// the order applied. Durable after the next `flush()`.
    public func record(_ ops: [Operation], time: Int64 = StoredDocument.nowMillis()) {
        guard !ops.isEmpty else { return }
        history.edits.append(Edit(time: time, ops: ops))
        log.append(edit: ops, time: time)
    }

    /// Makes every recorded edit durable (write + fsync).
    public func flush() throws { try log.flush() }

    /// Whether the plain text differs from what was last saved.
    public var isModified: Bool { isModified(text: doc.text) }

    /// Whether `text` differs from what was last saved (for callers that keep
    /// the document elsewhere, like the editor).
    public func isModified(text: String) -> Bool { !TextMark(text: text).sameText(as: savedMark) }

    /// Writes FILE atomically with the current text and notes it in the history.
    /// On failure FILE is untouched and the error says why.
    public func savePlainText() throws { try savePlainText(doc.text) }

    /// Writes FILE atomically with `text` (the document's current text, kept by
    /// the caller) and notes it in the history. On failure FILE is untouched.
    public func savePlainText(_ text: String) throws {
        try FileIO.writeAtomically(file, Array(text.utf8), mode: StoredDocument.mode(of: file))
        let mark = TextMark(text: text, edits: history.edits.count)
        log.append(textMark: mark)
        savedMark = mark
        try log.flush()
    }

    /// Folds the whole history into one snapshot record (crash-safe).
    public func compact() throws { try compact(doc) }

    /// Compacts with `current`, the caller's up-to-date document.
    public func compact(_ current: RGA) throws {
        try log.compact(ops: current.operations(since: VersionVector()), history: history, textMark: savedMark)
    }

    /// Compacts when many records follow the last snapshot, so opening stays fast.
    public func compactIfLong(_ current: RGA, threshold: Int = 20_000) throws {
        if log.tailRecords >= threshold { try compact(current) }
    }

    // MARK: Helpers

    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A file's permission bits, or 0644 when it does not exist.
    static func mode(of path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
    }

    /// Reads FILE as text: nil if missing; throws `notText` for NUL bytes or invalid UTF-8.
    public static func readText(_ path: String) throws -> String? {
        guard let bytes = try FileIO.readAll(path) else { return nil }
        if let nul = bytes.firstIndex(of: 0) {
            throw StoreError.notText(path: path, reason: "it contains a NUL byte at offset \(nul) (a binary file?)")
        }
        var r = ByteReader(bytes)
        var scalars = 0
        while !r.isAtEnd {
            do { _ = try r.utf8(count: 1, "text") } catch {
                throw StoreError.notText(path: path, reason: "it is not valid UTF-8 (at byte \(r.offset))")
            }
            scalars += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Edits `doc` into `text` with at most one delete and one insert (the span
    /// between the common prefix and suffix) and returns their operations.
    public static func diff(from doc: inout RGA, to text: String) -> [Operation] {
        let old = doc.scalars, new = Array(text.unicodeScalars)
        var prefix = 0
        while prefix < old.count && prefix < new.count && old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix && suffix < new.count - prefix
            && old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        var ops: [Operation] = []
        if let d = doc.delete(at: prefix, length: old.count - prefix - suffix) { ops.append(d) }
        if let i = doc.insert(Array(new[prefix ..< new.count - suffix]), at: prefix) { ops.append(i) }
        return ops
    }
}

/// `weave recover`: rebuilds a damaged or orphaned history.
public enum Recovery {
    public struct Report: Sendable {
        public var keptEdits: Int
        public var droppedBytes: Int
        public var damagedCopy: String?
        public var restoredFile: Bool
        public var importedDiskChange: Bool
    }

    /// Keeps the valid prefix of FILE's sidecar in a new sidecar (the old one is
    /// renamed to `….damaged`), writes FILE from the history if it is missing,
    /// and keeps FILE's own text (as a "disk" edit) if it differs.
    public static func recover(file: String) throws -> Report {
        let sidecar = OpLog.sidecarPath(for: file)
        guard let bytes = try FileIO.readAll(sidecar) else {
            throw StoreError.io(path: sidecar, action: "recover", reason: "No such file or directory")
        }
        var loaded = LoadedLog()
        var kept = OpLogFormat.headerSize
        if bytes.count >= OpLogFormat.headerSize, Array(bytes[0 ..< 8]) == OpLogFormat.magic {
            // Take whole records one by one until the first that is bad or does not decode.
            var offset = OpLogFormat.headerSize
            var lastTime: Int64 = 0
            while offset < bytes.count, case .valid(let payload, let next) = OpLog.recordAt(bytes, offset) {
                var trial = loaded
                if OpLog.applyReporting(payload, base: offset + 8, to: &trial, lastTime: &lastTime) != nil { break }
                // Keep only records whose operations still apply causally.
                guard (try? trial.document(as: ReplicaID(0))) != nil else { break }
                loaded = trial
                offset = next
            }
            kept = offset
        } else {
            throw StoreError.notAWeaveLog(path: sidecar)
        }
        let damaged = sidecar + ".damaged"
        try FileIO.rename(sidecar, damaged)
        let doc = try loaded.document(as: .random())
        var report = Report(keptEdits: loaded.history.edits.count, droppedBytes: bytes.count - kept, damagedCopy: damaged,
                            restoredFile: false, importedDiskChange: false)
        var mark = loaded.textMark
        if !FileIO.exists(file) {
            try FileIO.writeAtomically(file, Array(doc.text.utf8))
            mark = TextMark(text: doc.text, edits: loaded.history.edits.count)
            report.restoredFile = true
        }
        try OpLog.write(path: sidecar, ops: loaded.ops, history: loaded.history, textMark: mark)
        // Opening reconciles FILE with the history (an outside change becomes a "disk" edit).
        let opened = try StoredDocument(file: file, author: "recover")
        report.importedDiskChange = opened.messages.contains { $0.contains("changed outside") }
        return report
    }
}
