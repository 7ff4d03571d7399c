import WeaveCore
import WeaveHistory
#if canImport(Glibc)
import Glibc
#endif

/// What a history file holds, as read.
public struct LoadedLog: Sendable {
    /// Every operation, in the order applied (causal), in a log's compact
    /// storage (joined runs; 1, 2 or 4 bytes a scalar), decoded straight from
    /// the records (`OpCodec.decodeLog`).
    public var log = OperationLog()
    public var history = History()
    /// The plain text as Weave last wrote or read it.
    public var textMark: TextMark?
    /// Bytes of whole, valid records (header included).
    public var validLength = OpLogFormat.headerSize
    /// Set when a torn tail (an interrupted write) was found after `validLength`.
    public var tornTailBytes = 0
    /// Records after the last snapshot.
    public var tailRecords = 0
    /// State records after the last snapshot record (current or old).
    public var stateRecords = 0
    /// The file's format version (1, or 2 when it may hold state records).
    public var formatVersion = OpLogFormat.version
    /// The last state record, when no edit or snapshot record follows it
    /// (else nil: it is an old version). Not yet checked against the log:
    /// `StoredDocument` compares it with the document the log makes.
    public var state: StateSnapshot?
    /// The last snapshot's edits, still encoded, when loaded with
    /// `lazyHistory` (nil otherwise, or when there is no snapshot): then
    /// `history.edits` holds only the edits recorded after the snapshot, and
    /// the whole history is these followed by those (`loadHistory()`).
    public var pendingEdits: PendingEdits?

    public init() {}

    /// How many edits the whole history holds (those still encoded included). O(1).
    public var editCount: Int { (pendingEdits?.count ?? 0) + history.edits.count }

    /// Builds the edits still encoded (`pendingEdits`) into `history`, which
    /// then is what an eager load gives. O(their bytes) the first time.
    public mutating func loadHistory() {
        guard let pending = pendingEdits else { return }
        history.edits = pending.decode() + history.edits
        pendingEdits = nil
    }

    /// Every operation as `Operation`s: `Array(log)`, joined where
    /// `Operation.canAppend` allows. O(size of the history): builds an array
    /// of every operation's text; loading and `document(as:)` never do.
    public var ops: [Operation] { Array(log) }

    /// The document these operations make, as `replica`. Its log takes this
    /// one's storage (shared while nothing changes it). O(history).
    public func document(as replica: ReplicaID) throws -> RGA {
        var doc = RGA(replica: replica)
        try doc.receive(contentsOf: log)
        return doc
    }
}

/// The durable operation log of one document (docs/OPLOG.md).
///
/// Appends go to a buffer; `flush()` writes the buffer with one `write` and
/// makes it durable with one `fsync` (group commit: the caller flushes on a
/// short timer, so one fsync covers a burst of edits). Only after `flush`
/// returns are the appended edits durable.
public final class OpLog {
    public let path: String

    /// Where a format-1 history's copy is kept when it is upgraded to format 2
    /// (`StoredDocument.keepFormatOneCopy`): `.NAME.weave` → `.NAME.weave.v1`.
    public static func formatOneCopyPath(for sidecar: String) -> String { sidecar + ".v1" }
    /// Where the file lives (the real file system, or a test's crash simulator).
    public let fs: FileSystem
    private var fd: Int32
    private var pending: [UInt8] = []
    private var pendingEdits = 0
    /// Whether bytes after `fileLength` may be on the file (a failed write):
    /// they are cut before anything is appended.
    private var mustCut = false
    /// Edits appended since the file was opened that are known durable.
    public private(set) var durableEdits = 0
    /// Records after the last snapshot (compaction folds them in).
    public private(set) var tailRecords: Int
    /// State records after the last snapshot, current or old: each session's
    /// end appends one (its text, deflated), so `StoredDocument.compactIfLong`
    /// compacts when they pile up instead of adding another.
    public private(set) var stateRecords: Int
    public private(set) var fileLength: Int

    /// Whether there are appended records not yet durable.
    public var hasUnflushed: Bool { !pending.isEmpty }
    /// Bytes of appended records not yet durable (what the next flush writes).
    public var unflushedBytes: Int { pending.count }

    /// The file's format version: 1, or 2 once it may hold state records.
    public private(set) var formatVersion: UInt32
    /// Whether the file's last text-changing record is a state record (so the
    /// latest text can be read without the log: `currentState`). Appending an
    /// edit makes it false; `append(state:)` and a rewrite with a state make it true.
    public private(set) var hasCurrentState: Bool

    private init(path: String, fs: FileSystem, fd: Int32, length: Int, tailRecords: Int, stateRecords: Int = 0,
                 formatVersion: UInt32 = OpLogFormat.version, hasCurrentState: Bool = false) {
        self.path = path
        self.fs = fs
        self.fd = fd
        fileLength = length
        self.tailRecords = tailRecords
        self.stateRecords = stateRecords
        self.formatVersion = formatVersion
        self.hasCurrentState = hasCurrentState
    }

    deinit { fs.close(fd) }

    /// The sidecar for a plain-text file: `.NAME.weave` beside it.
    public static func sidecarPath(for file: String) -> String {
        FileIO.directory(of: file) + "/." + FileIO.baseName(file) + ".weave"
    }

    /// Creates a new, empty history file (fails if one exists).
    public static func create(at path: String, fs: FileSystem = PosixFileSystem.shared) throws -> OpLog {
        let fd = try fs.openForAppend(path, createNew: true, action: "create history")
        do { try fs.lockForWriting(fd, path: path) } catch {
            // Another process opened the new file first: it is theirs, not ours to remove.
            fs.close(fd)
            throw error
        }
        do {
            try fs.append(fd, OpLogFormat.header(), path: path)
            try fs.sync(fd, path: path)
            try fs.syncDirectory(of: path)
        } catch {
            fs.close(fd)
            try? fs.remove(path)
            throw error
        }
        return OpLog(path: path, fs: fs, fd: fd, length: OpLogFormat.headerSize, tailRecords: 0)
    }

    /// Reads a history file. A torn tail is reported in the result (not cut);
    /// any other damage throws `StoreError.damaged` naming the offset.
    ///
    /// With `lazyHistory`, the snapshot's edits are read and checked but not
    /// built (`LoadedLog.pendingEdits`): the same file is refused or accepted
    /// either way.
    public static func load(path: String, fs: FileSystem = PosixFileSystem.shared, lazyHistory: Bool = false) throws -> LoadedLog {
        guard let bytes = try fs.readAll(path) else {
            throw StoreError.io(path: path, action: "read", reason: "No such file or directory")
        }
        return try parse(bytes, path: path, lazyHistory: lazyHistory)
    }

    /// Opens an existing history file for appending: loads it, cuts a torn tail
    /// back to the last whole record (reported in the result), and refuses
    /// damage anywhere else.
    /// `lazyHistory` as for `load`.
    public static func open(path: String, fs: FileSystem = PosixFileSystem.shared, lazyHistory: Bool = false) throws -> (OpLog, LoadedLog) {
        let loaded = try load(path: path, fs: fs, lazyHistory: lazyHistory)
        let fd = try fs.openForAppend(path, createNew: false, action: "open history for writing")
        // One writer: refused before anything is written (a torn tail is cut below).
        do { try fs.lockForWriting(fd, path: path) } catch {
            fs.close(fd)
            throw error
        }
        if loaded.validLength < OpLogFormat.headerSize {
            // The header itself was cut short (a crash right after creation, or an
            // emptied file): write it again, so what is appended next can be read.
            do {
                try fs.truncate(fd, to: 0, path: path)
                try fs.append(fd, OpLogFormat.header(), path: path)
                try fs.sync(fd, path: path)
            } catch {
                fs.close(fd)
                throw error
            }
            var fresh = loaded
            fresh.validLength = OpLogFormat.headerSize
            return (OpLog(path: path, fs: fs, fd: fd, length: OpLogFormat.headerSize, tailRecords: 0), fresh)
        }
        if loaded.tornTailBytes > 0 {
            do {
                try fs.truncate(fd, to: loaded.validLength, path: path)
                try fs.sync(fd, path: path)
            } catch {
                fs.close(fd)
                throw error
            }
        }
        return (OpLog(path: path, fs: fs, fd: fd, length: loaded.validLength, tailRecords: loaded.tailRecords,
                      stateRecords: loaded.stateRecords, formatVersion: loaded.formatVersion, hasCurrentState: loaded.state != nil), loaded)
    }

    /// Parses a whole history file. See `open` for what counts as damage.
    public static func parse(_ bytes: [UInt8], path: String, lazyHistory: Bool = false) throws -> LoadedLog {
        guard bytes.count >= OpLogFormat.headerSize else {
            if bytes.count < OpLogFormat.magic.count || Array(bytes[0 ..< OpLogFormat.magic.count]) == OpLogFormat.magic {
                // A header cut short by a crash right after creation: nothing was ever durable after it.
                if Array(bytes.prefix(OpLogFormat.magic.count)) == Array(OpLogFormat.magic.prefix(bytes.count)) {
                    var empty = LoadedLog()
                    empty.validLength = 0
                    empty.tornTailBytes = bytes.count
                    return empty
                }
            }
            throw StoreError.notAWeaveLog(path: path)
        }
        guard bytes[0 ..< 8].elementsEqual(OpLogFormat.magic) else { throw StoreError.notAWeaveLog(path: path) }
        var head = ByteReader(bytes, range: 8 ..< 16, base: 8)
        let version = try head.u32le("version")
        guard OpLogFormat.readable.contains(version) else {
            throw StoreError.newerFormat(path: path, found: version, supported: OpLogFormat.readable.upperBound)
        }
        var out = LoadedLog()
        out.formatVersion = version
        var offset = OpLogFormat.headerSize
        var lastTime: Int64 = 0
        while offset < bytes.count {
            switch recordAt(bytes, offset) {
            case .valid(let payload, let next):
                if let problem = applyReporting(bytes, payload, to: &out, lastTime: &lastTime, lazyHistory: lazyHistory) {
                    throw StoreError.damaged(path: path, offset: offset, reason: "record does not decode: \(problem)")
                }
                offset = next
                out.validLength = offset
            case .invalid(let reason):
                // A bad record with nothing valid after it is a torn tail; otherwise damage.
                var p = offset + 1
                while p + OpLogFormat.recordHeaderSize <= bytes.count {
                    if case .valid = recordAt(bytes, p) {
                        throw StoreError.damaged(path: path, offset: offset, reason: reason)
                    }
                    p += 1
                }
                out.tornTailBytes = bytes.count - offset
                return out
            }
        }
        return out
    }

    enum RecordScan {
        /// A whole record whose payload is `bytes[payload]`.
        case valid(payload: Range<Int>, next: Int)
        case invalid(String)
    }

    static func recordAt(_ bytes: [UInt8], _ offset: Int) -> RecordScan {
        guard bytes.count - offset >= OpLogFormat.recordHeaderSize else { return .invalid("incomplete record header") }
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let length = Int(u32(offset)), crc = u32(offset + 4)
        guard length >= 1, length <= OpLogFormat.maxPayload else { return .invalid("impossible record length \(length)") }
        let start = offset + OpLogFormat.recordHeaderSize
        guard bytes.count - start >= length else { return .invalid("record of \(length) bytes is cut short") }
        let payload = start ..< start + length
        guard CRC32C.checksum(bytes[payload]) == crc else { return .invalid("checksum mismatch") }
        return .valid(payload: payload, next: start + length)
    }

    /// Applies a record; returns the decoding problem instead of throwing it.
    static func applyReporting(_ bytes: [UInt8], _ payload: Range<Int>, to out: inout LoadedLog, lastTime: inout Int64,
                               lazyHistory: Bool = false) -> DecodeError? {
        do {
            absorb(try decodeRecord(bytes, payload, lazyHistory: lazyHistory), into: &out, lastTime: &lastTime)
            return nil
        } catch {
            return error
        }
    }

    /// One record's content, decoded.
    enum Record {
        case author(Author)
        /// An edit: its time, its operations and its units per replica.
        case edit(time: Int64, log: OperationLog, ranges: [UnitRange])
        /// The whole history so far (its edits still encoded in `pending` when lazy).
        case snapshot(log: OperationLog, history: History, mark: TextMark?, pending: PendingEdits?)
        case textMark(TextMark)
        /// A state record (nil: its body did not decode; it is only a cache of
        /// what the records before it make, so it is ignored, not damage).
        case state(StateSnapshot?)
    }

    /// Decodes the record whose payload is `bytes[payload]`, read where it
    /// lies (no copy of the payload; an edit's text is decoded once, into its
    /// log's compact storage). Throws `DecodeError` naming file offsets.
    static func decodeRecord(_ bytes: [UInt8], _ payload: Range<Int>, lazyHistory: Bool = false) throws(DecodeError) -> Record {
        var r = ByteReader(bytes, range: payload, base: payload.lowerBound)
        let type = try r.byte("record type")
        let record: Record
        switch OpLogFormat.RecordType(rawValue: type) {
        case .author:
            record = .author(try OpLogFormat.readAuthor(&r))
        case .edit:
            let time = try r.zigzag("edit time")
            var ranges: [UnitRange] = []
            let log = try OpCodec.decodeLog(try r.window(r.remaining, "edit operations")) { replica, seq, length in
                // As `Edit(time:ops:)` makes them: one range per stretch of one replica's units.
                if let last = ranges.last, last.replica == replica, last.start &+ last.count == seq {
                    ranges[ranges.count - 1].count &+= UInt32(length)
                } else {
                    ranges.append(UnitRange(replica: replica, start: seq, count: UInt32(length)))
                }
            }
            record = .edit(time: time, log: log, ranges: ranges)
        case .snapshot:
            let (log, history, mark, pending) = try Snapshot.decode(&r, lazyEdits: lazyHistory)
            record = .snapshot(log: log, history: history, mark: mark, pending: pending)
        case .state:
            record = .state(try? StateSnapshot.decode(&r))
            r = ByteReader([])
        case .textMark:
            let length = try r.count("text length", atMost: Int.max)
            let hash = try r.u64le("text hash")
            record = .textMark(TextMark(length: length, hash: hash, edits: try r.count("text edits", atMost: Int.max)))
        case nil:
            throw .valueOutOfRange(offset: r.position - 1, field: "record type \(type)")
        }
        if !r.isAtEnd { throw .trailingBytes(offset: r.position) }
        return record
    }

    /// Adds a decoded record to what was read so far. O(the record's size).
    static func absorb(_ record: Record, into out: inout LoadedLog, lastTime: inout Int64) {
        switch record {
        case .author(let a):
            out.history.authors[a.replica] = a
            out.tailRecords += 1
        case .edit(let time, let log, let ranges):
            out.log.append(contentsOf: log)
            out.history.edits.append(Edit(time: time, ranges: ranges))
            lastTime = time
            out.tailRecords += 1
            out.state = nil
        case .snapshot(let log, let history, let mark, let pending):
            out.log = log
            out.history = history
            out.pendingEdits = pending
            out.textMark = mark
            out.tailRecords = 0
            out.stateRecords = 0
            out.state = nil
        case .textMark(let m):
            out.textMark = m
            out.tailRecords += 1
        case .state(let s):
            // Not counted in `tailRecords`: compaction would not fold it away.
            out.state = s
            out.stateRecords += 1
        }
    }

    // MARK: Appending

    /// Buffers an edit: its operations (in the order applied) and its time.
    public func append(edit ops: [Operation], time: Int64) {
        guard !ops.isEmpty else { return }
        pending += OpLogFormat.record(OpLogFormat.editPayload(time: time, ops: ops))
        pendingEdits += 1
        tailRecords += 1
        hasCurrentState = false
    }

    /// Buffers an edit made of the operations `entries` of `ops` (a
    /// document's log), encoded from it straight into the buffer: the same
    /// record as `append(edit: Array(ops[entries]), time:)`, with no
    /// `Operation` built and no copy of the text but the record itself.
    public func append(editOf ops: OperationLog, entries: Range<Int>, time: Int64) {
        guard !entries.isEmpty else { return }
        OpLogFormat.appendRecord(to: &pending) { out in
            var head = ByteWriter()
            head.bytes.append(OpLogFormat.RecordType.edit.rawValue)
            head.zigzag(time)
            out.append(contentsOf: head.bytes)
            OpCodec.encode(ops, entries: entries, into: &out)
        }
        pendingEdits += 1
        tailRecords += 1
        hasCurrentState = false
    }

    /// Buffers a state record: `state` must be the document after every edit
    /// recorded so far (the caller checks its version against the history's).
    /// Only in a format-2 file (`formatVersion`); a format-1 file gets its
    /// state when it is rewritten (`compact`). O(text).
    public func append(state: StateSnapshot) {
        precondition(formatVersion >= OpLogFormat.stateVersion, "a state record in a format-1 history")
        pending += OpLogFormat.record(state.payload())
        hasCurrentState = true
        stateRecords += 1
    }

    public func append(author: Author) {
        pending += OpLogFormat.record(OpLogFormat.authorPayload(author))
        tailRecords += 1
    }

    public func append(textMark: TextMark) {
        pending += OpLogFormat.record(OpLogFormat.textMarkPayload(textMark))
        tailRecords += 1
    }

    /// Writes everything buffered and fsyncs it. When it returns, every edit
    /// appended so far is durable; when it throws, nothing buffered is lost
    /// from memory (a later flush retries) and the file is cut back to its last
    /// good record (`fileLength`) before anything else is written: a write
    /// that failed part-way (a full disk, an I/O error) or whose fsync failed
    /// leaves no torn record in the middle of the history. If the cut itself
    /// fails, nothing is appended until a later flush manages it.
    public func flush() throws {
        guard !pending.isEmpty || mustCut else { return }
        if mustCut {
            try fs.truncate(fd, to: fileLength, path: path)
            mustCut = false
        }
        guard !pending.isEmpty else { return }
        do {
            try fs.append(fd, pending, path: path)
            try fs.sync(fd, path: path)
        } catch {
            // Some of `pending` may be on the file, and after a failed fsync even
            // bytes the system accepted may never reach the disk: cut them all and
            // write the buffer again, whole, next time (the fsync after that write
            // makes the cut durable with it).
            mustCut = true
            if (try? fs.truncate(fd, to: fileLength, path: path)) != nil { mustCut = false }
            throw error
        }
        fileLength += pending.count
        // A big first record (a file's text) does not keep its buffer.
        pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
        durableEdits += pendingEdits
        pendingEdits = 0
    }

    // MARK: Compaction

    /// Replaces the file with a header and one snapshot of everything, crash-
    /// safely: the new file is written beside it and fsynced, renamed over the
    /// old one, and the directory fsynced. A crash at any point leaves either
    /// the old file or the new one, both whole. Buffered records are flushed
    /// first (they are part of `ops`/`history`, which must be the full state).
    public func compact(ops: [Operation], history: History, textMark: TextMark?, state: StateSnapshot? = nil) throws {
        try flush()
        try replaceFile(ops: ops, history: history, textMark: textMark, state: state)
        try fs.syncDirectory(of: path)
    }

    /// Whether the file this log appends to is no longer the one at `path`:
    /// removed (`rm .g.txt.weave`) or replaced by another file. Appending
    /// would then write nothing anyone can read; `rewrite` writes it again.
    public var isDetached: Bool { !fs.isCurrent(fd, path: path) }

    /// Writes the history again in full at `path` (after `isDetached`): a
    /// header and one snapshot of `ops`/`history`, which must be the whole
    /// state, buffered records included (they are dropped: the snapshot holds
    /// them). Throws `WriterLockError` when another process has made and locked
    /// a new history there meanwhile.
    public func rewrite(ops: [Operation], history: History, textMark: TextMark?, state: StateSnapshot? = nil) throws {
        if fs.exists(path), let other = try? fs.openForAppend(path, createNew: false, action: "open history") {
            defer { fs.close(other) }
            try fs.lockForWriting(other, path: path)
        }
        try replaceFile(ops: ops, history: history, textMark: textMark, state: state)
        pending.removeAll(keepingCapacity: true)
        durableEdits += pendingEdits
        pendingEdits = 0
        try fs.syncDirectory(of: path)
    }

    /// Replaces the file with a header and one snapshot, crash-safely: a
    /// temporary file beside it is written, fsynced and locked for this process
    /// (so no other process can take the new file between the rename and the
    /// lock) and renamed over `path`; the caller then fsyncs the directory.
    private func replaceFile(ops: [Operation], history: History, textMark: TextMark?, state: StateSnapshot?) throws {
        let bytes = OpLog.fileBytes(snapshot: Snapshot.encode(ops: ops, history: history, mark: textMark), state: state)
        let tmp = FileIO.directory(of: path) + "/." + FileIO.baseName(path) + ".compact-\(getpid())"
        if fs.exists(tmp) { try fs.remove(tmp) }
        let newFD = try fs.openForAppend(tmp, createNew: true, action: "create a temporary file for")
        do {
            try fs.lockForWriting(newFD, path: tmp)
            try fs.append(newFD, bytes, path: tmp)
            try fs.sync(newFD, path: tmp)
            try fs.rename(tmp, path)
        } catch {
            fs.close(newFD)
            try? fs.remove(tmp)
            throw error
        }
        fs.close(fd)
        fd = newFD
        fileLength = bytes.count
        mustCut = false
        tailRecords = 0
        stateRecords = state == nil ? 0 : 1
        formatVersion = state == nil ? OpLogFormat.version : OpLogFormat.stateVersion
        hasCurrentState = state != nil
    }

    /// A whole history file: the header, a snapshot record, and `state`'s
    /// record after it when there is one (then the header says format 2).
    static func fileBytes(snapshot: [UInt8], state: StateSnapshot?) -> [UInt8] {
        var bytes = OpLogFormat.header(version: state == nil ? OpLogFormat.version : OpLogFormat.stateVersion)
        bytes += OpLogFormat.record(snapshot)
        if let state { bytes += OpLogFormat.record(state.payload()) }
        return bytes
    }

    /// Writes a brand-new history file holding exactly `ops`/`history` (used by
    /// import and recover). Fails if `path` exists.
    public static func write(path: String, ops: [Operation], history: History, textMark: TextMark?,
                             state: StateSnapshot? = nil, fs: FileSystem = PosixFileSystem.shared) throws {
        guard !fs.exists(path) else { throw StoreError.io(path: path, action: "create history", reason: "File exists") }
        try fs.writeAtomically(path, fileBytes(snapshot: Snapshot.encode(ops: ops, history: history, mark: textMark), state: state))
    }

    /// `write(path:ops:…)` of `Array(log)`, encoded from the log's storage
    /// (no `Operation` built). Fails if `path` exists.
    public static func write(path: String, log: OperationLog, history: History, textMark: TextMark?,
                             state: StateSnapshot? = nil, fs: FileSystem = PosixFileSystem.shared) throws {
        guard !fs.exists(path) else { throw StoreError.io(path: path, action: "create history", reason: "File exists") }
        try fs.writeAtomically(path, fileBytes(snapshot: Snapshot.encode(log: log, history: history, mark: textMark), state: state))
    }
}
