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
    /// Who wrote, and every edit in the order applied. Opening leaves a long
    /// history's edits encoded (`PendingEdits`): they are built the first time
    /// this is read (time travel, blame, a disk change, a rewrite), not by
    /// typing, recording or saving, which use `editCount`.
    public private(set) var history: History {
        get { loadHistory(); return storedHistory }
        _modify { loadHistory(); yield &storedHistory }
    }
    /// The history, its snapshot's edits possibly still in `pendingEdits`
    /// (then `storedHistory.edits` holds only the edits after them).
    private var storedHistory = History()
    private var pendingEdits: PendingEdits?
    /// How many edits the history holds. O(1): builds nothing.
    public var editCount: Int { (pendingEdits?.count ?? 0) + storedHistory.edits.count }
    /// Whether the history's edits are built (`history` was read, or nothing was left encoded).
    public var isHistoryLoaded: Bool { pendingEdits == nil }
    /// What happened while opening that the user should be told (a torn tail cut
    /// back, another program's change imported, a new history started).
    public private(set) var messages: [String] = []
    /// The text as last written to (or read from) FILE.
    public private(set) var savedMark: TextMark?
    /// FILE's line ending, found on opening and kept on every save. Set it to
    /// write the next saves with another ending (a joiner whose CRLF file was
    /// emptied to take the shared history keeps its CRLF this way).
    public var lineEnding: LineEnding = .lf
    /// FILE as last read or written (nil: it did not exist): a save first
    /// checks that FILE is still so (`takeDiskChange`).
    public private(set) var diskStamp: FileStamp?
    /// Where FILE and its history live.
    public let fs: FileSystem

    /// The author name of changes found in FILE that Weave did not make.
    public static let diskAuthorName = "disk"

    /// Opens FILE for editing as a new replica `replica` named `author`.
    ///
    /// - FILE and no sidecar: FILE's text becomes the first edit of a new history.
    /// - neither: FILE is created empty, with a new history (with
    ///   `createMissingFile: false`, only the history: the caller writes FILE
    ///   with `savePlainText` next — a shared folder's mirror, which so writes
    ///   each new file once instead of creating it empty and replacing it).
    /// - both: the history is loaded; a torn tail is cut back (with a message).
    ///   Then the text shown is decided, and it is never a merge of both:
    ///   - FILE holds the history's text: nothing to do (a save mark lost with a
    ///     torn tail is written again);
    ///   - FILE holds the text of the history's last save mark: FILE is older
    ///     than the history (edits made and never written to FILE); the history's
    ///     text is shown, modified;
    ///   - otherwise FILE was changed outside Weave: FILE's text is shown, and the
    ///     difference from the history's text (one delete and one insert between
    ///     the common prefix and suffix) is recorded as an edit by "disk".
    /// - a sidecar but no FILE: throws `fileMissingButHistoryExists`.
    /// - an empty (zero-length) sidecar beside FILE: as no sidecar, with a message.
    ///
    /// A CRLF file is edited with `\n` alone and written back with `\r\n`.
    ///
    /// Throws `StoreError` for a binary or non-UTF-8 FILE (nothing is written),
    /// a directory, a damaged or newer-format sidecar, or I/O failures such as a
    /// read-only directory.
    public init(file: String, replica: ReplicaID = .random(), author: String, colour: Int = 0,
                now: Int64 = StoredDocument.nowMillis(), fs: FileSystem = PosixFileSystem.shared,
                createMissingFile: Bool = true) throws {
        self.file = file
        self.fs = fs
        let sidecar = OpLog.sidecarPath(for: file)
        // FILE's text is kept as checked UTF-8 bytes: a big file is never held
        // as a String and an array of scalars besides (see `readTextBytes`).
        var fileBytes: [UInt8]?
        (fileBytes, lineEnding) = try StoredDocument.readDocumentBytes(file, fs: fs)
        diskStamp = fs.stamp(file)
        var emptySidecar = false
        if fs.exists(sidecar), fs.isEmptyFile(sidecar), fileBytes != nil {
            // A zero-length history (a crash between creating it and writing its
            // header, or `: > .FILE.weave` by hand) holds nothing: start a new
            // one from FILE rather than append records to a file without a header.
            do { try fs.remove(sidecar) } catch {
                throw StoreError.io(path: sidecar, action: "replace the empty history", reason: "\(error)")
            }
            emptySidecar = true
        }
        if fs.exists(sidecar) {
            guard fileBytes != nil else { throw StoreError.fileMissingButHistoryExists(file: file, sidecar: sidecar) }
            // FILE was read to check it (refused before the history is touched); its
            // bytes are let go while the history is decoded and read again after, so
            // FILE's bytes, the history's and its decoded text are never all held at
            // once (a 50 MB file reopened: 170 MB at peak with them, about 125 without).
            fileBytes = nil
            let (log, loaded) = try OpLog.open(path: sidecar, fs: fs, lazyHistory: true)
            self.log = log
            if loaded.tornTailBytes > 0 {
                messages.append("history: cut back an interrupted write (\(loaded.tornTailBytes) bytes at byte \(loaded.validLength))")
            }
            doc = try loaded.document(as: replica)
            (fileBytes, lineEnding) = try StoredDocument.readDocumentBytes(file, fs: fs)
            diskStamp = fs.stamp(file)
            guard let fileBytes else { throw StoreError.fileMissingButHistoryExists(file: file, sidecar: sidecar) }
            let fileMark = TextMark(utf8: fileBytes)
            storedHistory = loaded.history
            pendingEdits = loaded.pendingEdits
            savedMark = loaded.textMark
            // The visible text, built once for both comparisons below (the
            // log's own storage when it is one run of it, else a copy).
            let visible = doc.visibleScalars
            if let state = loaded.state, !StoredDocument.state(state, agreesWith: doc, visible: visible, edits: editCount) {
                // A state record that the log does not make (written by a faulty
                // Weave or by hand): a new one is written now, so `weave show`
                // never prints it again.
                try writeState(doc, evenIfShort: true)
                messages.append("history: its stored state did not match the log; rebuilt from the log")
            }
            registerAuthor(Author(replica: replica, name: author, colour: colour))
            // Byte for byte: String's == compares by canonical equivalence, which
            // takes a file rewritten in another normal form (NFC → NFD) for the
            // same text, and is slow for any non-ASCII text (16–20 s for 50 MB).
            // Compared from the document's scalars (the log's own storage right
            // after loading), with no `String` of the whole text built.
            let inStep = fileBytes.withUnsafeBytes { visible.equalsUTF8($0) }
            if inStep {
                // In step. A save whose mark was lost with a torn tail: note it again.
                if !fileMark.sameText(as: savedMark) {
                    let mark = TextMark(length: fileMark.length, hash: fileMark.hash, edits: editCount)
                    log.append(textMark: mark)
                    savedMark = mark
                }
            } else if fileMark.sameText(as: savedMark) {
                // FILE is as Weave last wrote it; the history has edits made since
                // (quit without saving, or a crash): the history's text is shown.
            } else {
                // Another program changed FILE: FILE's text is what the user sees,
                // reached from the history's text by the smallest edit.
                let fileText = String(decoding: fileBytes, as: UTF8.self)
                let disk = Author(replica: .random(), name: StoredDocument.diskAuthorName, colour: 7)
                var diskDoc = RGA(replica: disk.replica)
                try diskDoc.receive(contentsOf: doc.operations(since: VersionVector()))
                let ops = StoredDocument.diff(from: &diskDoc, to: fileText)
                try doc.receive(contentsOf: ops)
                registerAuthor(disk)
                record(ops, time: now)
                let unsaved = savedMark.map { $0.edits < editCount - 1 } ?? false
                messages.append("\(FileIO.baseName(file)) was changed outside Weave: its text is kept, the change recorded as an edit by \"disk\""
                    + (unsaved ? " (edits never saved to it stay in the history: F2)" : ""))
                let mark = TextMark(text: fileText, edits: editCount)
                log.append(textMark: mark)
                savedMark = mark
            }
        } else {
            // A new history; FILE is created now if missing so the pair stays
            // consistent (unless the caller writes it next: `createMissingFile`).
            if fileBytes == nil && createMissingFile {
                try fs.writeAtomically(file, [])
                diskStamp = fs.stamp(file)
            }
            log = try OpLog.create(at: sidecar, fs: fs)
            doc = RGA(replica: replica)
            registerAuthor(Author(replica: replica, name: author, colour: colour))
            let fileMark = TextMark(utf8: fileBytes ?? [])
            if let bytes = fileBytes, !bytes.isEmpty {
                // FILE's text is the first edit: one insert, made and logged
                // without an `Operation` (a 50 MB file would be a 200 MB array of
                // scalars in one). ASCII bytes become the document's storage as
                // they are (`ScalarArray`), and the record is encoded from the
                // document's log straight into the log's buffer. Other bytes are
                // let go once decoded, before the record is made.
                fileBytes = nil
                let text: ScalarArray
                do { text = try ScalarArray.decoding(utf8: bytes) } catch {
                    throw StoreError.notText(path: file, reason: "it is not valid UTF-8 (\(error))")
                }
                doc.insertUnreported(text, at: 0)
                storedHistory.edits.append(Edit(time: now, ranges: [UnitRange(replica: replica, start: 0, count: UInt32(text.count))]))
                log.append(editOf: doc.log, entries: doc.log.indices, time: now)
            }
            let mark = TextMark(length: fileMark.length, hash: fileMark.hash, edits: editCount)
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
        if storedHistory.authors[a.replica] == a { return }
        storedHistory.authors[a.replica] = a
        log.append(author: a)
    }

    /// Records an edit the caller already applied to `doc`: its operations, in
    /// the order applied. Durable after the next `flush()`.
    public func record(_ ops: [Operation], time: Int64 = StoredDocument.nowMillis()) {
        guard !ops.isEmpty else { return }
        // After the edits still encoded, if any: built or not, the history is the same.
        storedHistory.edits.append(Edit(time: time, ops: ops))
        log.append(edit: ops, time: time)
    }

    /// Edits at least this many at once are written as one snapshot (`record(_:current:)`).
    public static let bulkEdits = 1_000

    /// Records many edits the caller already applied, in order (a peer's
    /// catch-up: its authors' edits). From `bulkEdits` edits on, the history is
    /// rewritten at once as a snapshot with `current` (the document after them)
    /// instead of one record per edit — what compaction would do next anyway,
    /// and far cheaper than encoding and checksumming each (a joiner receiving
    /// automerge-paper's 259,778 edits). Durable on return in that case; else
    /// after the next `flush()`.
    public func record(_ edits: [(time: Int64, ops: [Operation])], current: RGA) throws {
        guard edits.count >= Self.bulkEdits else {
            for e in edits { record(e.ops, time: e.time) }
            return
        }
        let before = history.edits.count
        history.edits.reserveCapacity(before + edits.count)
        for e in edits where !e.ops.isEmpty { history.edits.append(Edit(time: e.time, ops: e.ops)) }
        do {
            try compact(current)
        } catch {
            // No snapshot: the edits go in as records instead (durable at the next flush).
            history.edits.removeSubrange(before...)
            for e in edits { record(e.ops, time: e.time) }
            throw error
        }
    }

    /// Makes every recorded edit durable (write + fsync).
    ///
    /// When the history file was removed or replaced since it was opened
    /// (`rm .g.txt.weave` while editing), it is first written again in full
    /// from memory — `current` (the caller's up-to-date document; `doc` when
    /// nil) and the history — so nothing recorded is lost, and a sentence saying
    /// so is returned (nil otherwise). Throws when that document does not hold
    /// every recorded edit (a caller that keeps the document elsewhere must pass it).
    @discardableResult
    public func flush(current: RGA? = nil) throws -> String? {
        guard log.isDetached else {
            try log.flush()
            return nil
        }
        let whole = current ?? doc
        guard whole.version.includes(history.version(after: history.edits.count)) else {
            throw StoreError.io(path: log.path, action: "write again", reason: "it was removed or replaced, and the whole document is not at hand to rebuild it")
        }
        try log.rewrite(ops: whole.operations(since: VersionVector()), history: history, textMark: savedMark, state: state(of: whole))
        return "\(FileIO.baseName(log.path)) was removed or replaced: history written again in full"
    }

    /// Whether the plain text differs from what was last saved.
    public var isModified: Bool { isModified(text: doc.text) }

    /// Whether `text` differs from what was last saved (for callers that keep
    /// the document elsewhere, like the editor).
    public func isModified(text: String) -> Bool { !TextMark(text: text).sameText(as: savedMark) }

    /// `isModified(text:)` of the text made of `scalars` (the editor's
    /// buffer), without a `String` of it. O(text).
    public func isModified(scalars: ScalarArray) -> Bool { !TextMark(scalars: scalars).sameText(as: savedMark) }

    /// Writes FILE atomically with the current text and notes it in the history.
    /// On failure FILE is untouched and the error says why.
    public func savePlainText() throws { try savePlainText(doc.text) }

    /// Writes FILE atomically with `text` (the document's current text, kept by
    /// the caller) in FILE's line ending, keeping FILE's owner, group and mode,
    /// and notes it in the history. On failure FILE is untouched. Call
    /// `takeDiskChange` first: this overwrites whatever FILE holds.
    ///
    /// `current` is the caller's up-to-date document, used when the history
    /// must be written again in full (see `flush(current:)`, whose note is returned).
    @discardableResult
    public func savePlainText(_ text: String, current: RGA? = nil) throws -> String? {
        try writePlainText(text)
        return try noteSaved(text, current: current)
    }

    /// The first half of `savePlainText`: writes FILE atomically with `text`.
    /// On failure FILE is untouched.
    public func writePlainText(_ text: String) throws {
        try fs.writeAtomically(file, lineEnding.fileBytes(text))
        diskStamp = fs.stamp(file)
    }

    /// The second half: notes in the history that FILE holds `text` and makes
    /// the history durable. When this throws, FILE is written but the history
    /// is not durable yet (the note stays buffered; a later flush retries).
    @discardableResult
    public func noteSaved(_ text: String, current: RGA? = nil) throws -> String? {
        let mark = TextMark(text: text, edits: editCount)
        log.append(textMark: mark)
        savedMark = mark
        return try flush(current: current)
    }

    /// Why FILE should not be written without asking: its mode gives nobody
    /// write permission (0444), or this user may not write it. Nil when it may be
    /// written (or does not exist).
    public func saveWarning() -> String? {
        var st = stat()
        guard stat(file, &st) == 0 else { return nil }
        let mode = st.st_mode & 0o7777
        if mode & 0o222 == 0 || access(file, W_OK) != 0 {
            return "\(FileIO.baseName(file)) is read-only (mode \(String(mode, radix: 8)))"
        }
        return nil
    }

    /// A change another program made to FILE since Weave last read or wrote it.
    public struct DiskChange {
        /// The operations (by the "disk" author) that make the change in the
        /// caller's document; apply them, then `record` them.
        public var ops: [Operation]
        /// FILE's text now (as the document holds it).
        public var text: String
    }

    /// Checks, before a save, that FILE is still what Weave last read or wrote
    /// (its stamp, then its text). If another program changed it, returns its
    /// change as operations made on the version Weave last saved, so that they
    /// merge with every edit made since; else nil. Registers the "disk" author.
    /// O(1) when FILE's stamp is unchanged; O(history) otherwise.
    ///
    /// `current` is the caller's up-to-date document. After applying and
    /// recording the operations, call `acceptDiskText` so that FILE counts as
    /// read. Throws `StoreError` when FILE cannot be read or is no longer text.
    public func takeDiskChange(current: RGA) throws -> DiskChange? {
        let now = fs.stamp(file)
        if now == diskStamp { return nil }
        guard let raw = try StoredDocument.readText(file, fs: fs) else {
            diskStamp = nil  // deleted: the save writes it again
            return nil
        }
        let text = lineEnding.documentText(fromFile: raw)
        if TextMark(text: text).sameText(as: savedMark) {
            diskStamp = now  // touched or replaced by the same text
            return nil
        }
        let disk = Author(replica: .random(), name: StoredDocument.diskAuthorName, colour: 7)
        var diskDoc = RGA(replica: disk.replica)
        if let mark = savedMark, mark.edits <= history.edits.count {
            // The change was made to FILE as Weave last wrote it: make it there.
            try diskDoc.receive(contentsOf: current.operations(from: VersionVector(), to: history.version(after: mark.edits)))
        }
        if !TextMark(text: diskDoc.text).sameText(as: savedMark) {
            // That version is not known: reach FILE's text from the current one.
            diskDoc = RGA(replica: disk.replica)
            try diskDoc.receive(contentsOf: current.operations(since: VersionVector()))
        }
        let ops = StoredDocument.diff(from: &diskDoc, to: text)
        registerAuthor(disk)
        return DiskChange(ops: ops, text: text)
    }

    /// Notes that FILE holds `change.text` now (after its operations were
    /// applied and recorded), so that it is not taken again.
    public func acceptDiskText(_ change: DiskChange) {
        diskStamp = fs.stamp(file)
        let mark = TextMark(text: change.text, edits: editCount)
        log.append(textMark: mark)
        savedMark = mark
    }

    /// Folds the whole history into one snapshot record (crash-safe).
    public func compact() throws { try compact(doc) }

    /// Compacts with `current`, the caller's up-to-date document.
    /// A format-1 history that gets a state this way becomes format 2, its
    /// format-1 bytes kept first (`keepFormatOneCopy`).
    public func compact(_ current: RGA) throws { try compact(current, state: state(of: current)) }

    /// Compacts with `current` and `state` (its state, or nil: none kept).
    private func compact(_ current: RGA, state: StateSnapshot?) throws {
        if state != nil, log.formatVersion < OpLogFormat.stateVersion { try keepFormatOneCopy(current) }
        try log.compact(ops: current.operations(since: VersionVector()), history: history, textMark: savedMark, state: state)
    }

    /// Compacts when many records follow the last snapshot, so opening stays
    /// fast; else, when the history is long (`StateSnapshot.minimumEdits`) and
    /// its stored state is missing or old, writes a state record of `current`
    /// (`writeState`), so that `weave show` reads the text without the log;
    /// but compacts instead when `statesBeforeCompaction` states are there
    /// already. Called when a session ends. O(text) for a state; O(history)
    /// to compact.
    public func compactIfLong(_ current: RGA, threshold: Int = 20_000) throws {
        let wantsState = !log.hasCurrentState && editCount >= StateSnapshot.minimumEdits
        if log.tailRecords >= threshold || (wantsState && log.stateRecords >= Self.statesBeforeCompaction) {
            try compact(current)
        } else if wantsState {
            try writeState(current)
        }
    }

    /// Old state records a history keeps before a session's end compacts it
    /// instead of appending one more: each is the whole text deflated (27.6 KB
    /// for automerge-paper), so a file opened for many short sessions grew by
    /// that much each time. Compaction keeps one state; the file then holds at
    /// most this many copies of the text.
    public static let statesBeforeCompaction = 4

    /// Makes the history's latest state durable from `current`, the caller's
    /// up-to-date document: a state record appended (format 2), or, for a
    /// format-1 history, the whole history rewritten with one (compaction;
    /// the format becomes 2). Nothing when `current` has not seen exactly the
    /// history's edits (`state(of:)`), or the history is short (unless
    /// `evenIfShort`: replacing a wrong state).
    public func writeState(_ current: RGA, evenIfShort: Bool = false) throws {
        guard let state = state(of: current, evenIfShort: evenIfShort) else { return }
        if log.formatVersion >= OpLogFormat.stateVersion {
            log.append(state: state)
            try flush(current: current)
        } else {
            try compact(current, state: state)
        }
    }

    /// Before a format-1 history is upgraded to format 2 (which a Weave that
    /// reads only format 1 refuses), its bytes, flushed, are kept beside it
    /// once as `.NAME.weave.v1` (`OpLog.formatOneCopyPath`), so that an older
    /// Weave still opens that copy. Written atomically and made durable before
    /// the upgrade starts; a copy already there is left as it is (it is the
    /// first upgrade's). Hidden, so a shared folder never shares it. Cost: one
    /// read and one write of the history file, once.
    func keepFormatOneCopy(_ current: RGA) throws {
        let copy = OpLog.formatOneCopyPath(for: log.path)
        guard !fs.exists(copy) else { return }
        try flush(current: current)
        guard let bytes = try fs.readAll(log.path) else { return }
        try fs.writeAtomically(copy, bytes)
    }

    /// The state of `current` after the whole history, or nil when it is not
    /// worth storing (a short history) or `current` has not seen exactly the
    /// units of the history's edits (a state must never claim what the log
    /// does not make). O(text), plus the edits recorded since the last call.
    func state(of current: RGA, evenIfShort: Bool = false) -> StateSnapshot? {
        guard evenIfShort || editCount >= StateSnapshot.minimumEdits, current.version == historyVersion() else { return nil }
        return StateSnapshot(of: current, edits: editCount)
    }

    /// The version after every edit of the history, kept up to date from the
    /// edits appended since the last call (edits are only appended, or cut
    /// back by a failed bulk record: then counted again). Edits still encoded
    /// are not built: their version was found when they were read.
    private func historyVersion() -> VersionVector {
        // `storedHistory.edits[0]` is edit number `first` of the whole history.
        let first = pendingEdits?.count ?? 0
        if versionCache.edits > editCount || versionCache.edits < first {
            versionCache = pendingEdits.map { ($0.count, $0.version) } ?? (0, VersionVector())
        }
        for e in storedHistory.edits[(versionCache.edits - first)...] {
            for r in e.ranges where versionCache.version[r.replica] < r.start &+ r.count {
                versionCache.version[r.replica] = r.start &+ r.count
            }
        }
        versionCache.edits = editCount
        return versionCache.version
    }

    /// Builds the edits left encoded on opening into the history. O(their bytes) once.
    private func loadHistory() {
        guard let pending = pendingEdits else { return }
        storedHistory.edits = pending.decode() + storedHistory.edits
        pendingEdits = nil
    }

    private var versionCache: (edits: Int, version: VersionVector) = (0, VersionVector())

    /// Whether `state` is what `doc` (the document the whole log makes, after
    /// `edits` edits) holds: same edits, version and text. O(text).
    static func state(_ state: StateSnapshot, agreesWith doc: RGA, edits: Int) -> Bool {
        Self.state(state, agreesWith: doc, visible: doc.visibleScalars, edits: edits)
    }

    /// `state(_:agreesWith:edits:)` with `doc`'s visible scalars already built.
    static func state(_ state: StateSnapshot, agreesWith doc: RGA, visible: ScalarArray, edits: Int) -> Bool {
        state.edits == edits && state.version == doc.version
            && state.text.withUnsafeBytes { visible.equalsUTF8($0) }
    }
}
