// Over 500 lines: one class owns a shared folder on disk (whose history is where, the folder's
// state, what is shared, the files), each part in a MARK section; they share the folder's lock,
// its deferred-sync file system and its state, so they stay one type.
#if canImport(Glibc)
import Glibc
#endif
import WeaveCore
import WeaveHistory
import WeavePeer
import WeaveStore
import WeaveWorkspace

/// A shared folder on disk (docs/WORKSPACES.md): the folder's own state in
/// `DIR/.weave/folder.txt` (with its history beside it, like any file's), the
/// workspace ID in `DIR/.weave/workspace`, and every shared file with its own
/// `.FILE.weave` history — so `weave show`, `log`, `blame`, `diff` and
/// `replay` work per file, on the host and on every joiner.
///
/// Every store is opened as one replica (the session's), so one hub sends
/// every document's local edits under one ID.
public final class WorkspaceFolder {
    public let root: String
    public let replica: ReplicaID
    public let author: String
    public let colour: Int
    /// 0 until known (a joiner learns it from the host's greeting).
    public private(set) var workspaceID: UInt64
    /// The folder's state as a document of appended records, with its history.
    public let manifest: StoredDocument
    public private(set) var state: FolderState
    /// Every live file's history, by document, opened as it is needed.
    public private(set) var stores: [DocumentID: StoredDocument] = [:]
    /// Files found on disk but not shared, with the reason (`--verbose`).
    public private(set) var skipped: [(path: String, reason: String)] = []
    /// What happened that the user should hear about (damaged files, moves).
    public var messages: [String] = []
    /// Every history and file of the folder is written through this: its
    /// fsyncs are gathered into one while mirroring (`deferSyncs`, `commit`).
    /// Every path is resolved beneath `root` without following a symbolic
    /// link (`ConfinedFileSystem`, issue 29).
    public let fs: DeferredSyncFileSystem
    /// One live Weave process per folder (`DIR/.weave/lock`, held for this
    /// folder's life): a second host, join or serve of it is refused, naming the first.
    private let lock: WriterLock

    public static func weaveFolder(_ root: String) -> String { root + "/.weave" }
    static func manifestPath(_ root: String) -> String { weaveFolder(root) + "/folder.txt" }
    static func idPath(_ root: String) -> String { weaveFolder(root) + "/workspace" }

    /// Whether `root` holds a shared folder (its `.weave/workspace`).
    public static func isWorkspace(_ root: String) -> Bool { Disk.fs.exists(idPath(root)) }

    /// The workspace ID stored in `root`, if any.
    public static func storedID(_ root: String) -> UInt64? {
        guard let bytes = try? Disk.fs.readAll(idPath(root)), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return UInt64(text.trimmingCharacters(in: ["\n", " "]), radix: 16)
    }

    /// Opens (or starts) the shared folder at `root`. Throws `StoreError` or
    /// `WorkspaceFailure` with a sentence for the user.
    public init(root: String, replica: ReplicaID, author: String, colour: Int, workspaceID: UInt64?) throws {
        self.root = root
        self.replica = replica
        self.author = author
        self.colour = colour
        try Disk.makeFolders(root)
        fs = DeferredSyncFileSystem(root: root)
        try fs.base.makeFolders(WorkspaceFolder.weaveFolder(root))
        lock = try WriterLock(folder: root)
        manifest = try StoredDocument(file: WorkspaceFolder.manifestPath(root), replica: replica, author: author, colour: colour, fs: fs)
        state = FolderState(operations: manifest.doc.operations(since: VersionVector()))
        owners = WorkspaceFolder.loadOwners(root, fs: fs)
        if let id = WorkspaceFolder.storedID(root) {
            self.workspaceID = id
        } else {
            self.workspaceID = workspaceID ?? 0
            if self.workspaceID != 0 { try writeID() }
        }
        raiseFileLimit()
        reportRefusals()
    }

    /// From now until `commit`, writes are not fsynced one by one (a group
    /// commit across the folder's files: see `DeferredSyncFileSystem`).
    public func deferSyncs() { fs.deferring = true }

    /// Makes everything written since `deferSyncs` durable, with one sync;
    /// first writes the new files no text has come for yet (their store's
    /// text: a caller whose editors hold documents writes those first, with
    /// `writeThrough`), so every history has its file.
    public func commit() throws {
        if ownersChanged { saveOwners() }
        for d in unwritten {
            guard let s = stores[d] else { continue }
            try s.savePlainText(s.doc.text)
        }
        unwritten.removeAll()
        try fs.commit(root: root)
    }

    // MARK: Whose history is where

    /// Which document each history beside a file belongs to (`.weave/histories`:
    /// "DOCUMENT PATH" lines). A deleted file's history stays at its path for
    /// `weave show`; another file that takes the path must not adopt it, so it
    /// is parked in `.weave/deleted/DOCUMENT.weave` first (and a restored file
    /// takes its own back from there).
    private var owners: [String: DocumentID] = [:]

    static func ownersPath(_ root: String) -> String { weaveFolder(root) + "/histories" }

    static func loadOwners(_ root: String, fs: FileSystem) -> [String: DocumentID] {
        guard let bytes = try? fs.readAll(ownersPath(root)), let text = String(validating: bytes, as: UTF8.self) else { return [:] }
        var out: [String: DocumentID] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let d = DocumentID(hex: line[..<space]) else { continue }
            out[String(line[line.index(after: space)...])] = d
        }
        return out
    }

    /// Whether `owners` changed since it was last written (written at `commit`).
    private var ownersChanged = false

    private func saveOwners() {
        ownersChanged = false
        let text = owners.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)\n" }.joined()
        do { try fs.writeAtomically(WorkspaceFolder.ownersPath(root), Array(text.utf8)) } catch {
            messages.append(".weave/histories not written: \(error)")
        }
    }

    /// Where document `d`'s history waits while another file holds its path.
    public func parkedHistory(_ d: DocumentID) -> String { WorkspaceFolder.weaveFolder(root) + "/deleted/\(d).weave" }

    /// Every author heard of: each history learns them when it opens (`store`).
    private var authors: [ReplicaID: Author] = [:]

    /// Authors peers named: every open history learns them, written now
    /// (durable at the next `commit`). Histories opened later learn them too.
    public func learn(_ cards: [Author]) throws {
        guard !cards.isEmpty else { return }
        deferSyncs()
        for a in cards {
            authors[a.replica] = a
            manifest.registerAuthor(a)
            for s in stores.values { s.registerAuthor(a) }
        }
        try manifest.flush()
        for s in stores.values { try s.flush() }
    }

    /// Peers' operations on live file `d` whose document no editor holds:
    /// applied to its history's document, recorded as the edits `marks` says,
    /// and written to the file (durable at the next `commit`). Returns the
    /// text. Edits to a file that is not live are left to the hub's copy (see
    /// `catchUp` in WorkspaceSession).
    @discardableResult
    public func receive(_ ops: [Operation], into d: DocumentID, marks: MarkTable) throws -> String? {
        guard state.isLive(d) else { return nil }
        deferSyncs()
        let s = try store(d)
        let before = s.doc.version
        try s.doc.receive(contentsOf: ops)
        // Only what applied is recorded: an operation waiting for one it
        // follows (held back by the causal buffer) is no edit yet, and a
        // history must never hold an edit without its text (issue 28, defect 2).
        record(s.doc.operations(since: before), in: s, marks: marks)
        try s.flush()
        writeThrough(d, text: s.doc.text)
        return s.doc.text
    }

    /// Records `ops` in `s` as the edits `marks` says they were (else one edit now).
    func record(_ ops: [Operation], in s: StoredDocument, marks: MarkTable) {
        for piece in marks.split(ops, fallbackTime: StoredDocument.nowMillis()) { s.record(piece.ops, time: piece.time) }
    }

    /// Moves the history at `path` aside when it belongs to another document than `d`.
    private func park(historyAt path: String, except d: DocumentID) throws {
        let sidecar = OpLog.sidecarPath(for: absolute(path))
        guard fs.exists(sidecar), let other = owners[path], other != d else { return }
        try fs.base.makeFolders(WorkspaceFolder.weaveFolder(root) + "/deleted")
        try fs.rename(sidecar, parkedHistory(other))
    }

    /// Makes `path`'s history place `d`'s: another document's history there is
    /// parked; `d`'s own, parked earlier, comes back. A history nobody claimed
    /// yet (one `weave edit` made before the folder was shared) is `d`'s.
    func claim(_ path: String, for d: DocumentID) throws {
        let sidecar = OpLog.sidecarPath(for: absolute(path))
        try park(historyAt: path, except: d)
        if !fs.exists(sidecar), fs.exists(parkedHistory(d)) {
            try fs.rename(parkedHistory(d), sidecar)
        }
        if owners[path] != d {
            owners[path] = d
            // While mirroring (syncs deferred), written once at `commit`: one
            // file per claim made mirroring 1,000 files write 1,000 copies of a growing list.
            if fs.deferring { ownersChanged = true } else { saveOwners() }
        }
    }

    /// New files whose text has not been written yet (see `store`).
    public private(set) var unwritten: Set<DocumentID> = []

    /// Records the host's workspace ID (a joiner, once it is known).
    public func adopt(workspaceID id: UInt64) throws {
        guard workspaceID != id else { return }
        workspaceID = id
        try writeID()
    }

    private func writeID() throws {
        var hex = String(workspaceID, radix: 16)
        hex = String(repeating: "0", count: 16 - hex.count) + hex
        try fs.writeAtomically(WorkspaceFolder.idPath(root), Array((hex + "\n").utf8))
    }

    /// One history per file keeps a descriptor open: lift the soft limit to the hard one.
    private func raiseFileLimit() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    public func absolute(_ path: String) -> String { root + "/" + path }

    // MARK: The folder's state

    /// Appends `record` to the folder's state (one insert at the end of its
    /// text) and applies it. Returns the operation for the peers.
    @discardableResult
    public func append(_ record: FolderRecord) -> [Operation] {
        guard let op = manifest.doc.insert(record.line, at: manifest.doc.count) else { return [] }
        manifest.record([op])
        _ = state.apply(operations: [op])
        reportRefusals()
        saveManifest()
        return [op]
    }

    /// Appends many records at once (one insert each, one edit together) and
    /// folds them with one derivation of the file list: O(records · log)
    /// where appending them one by one re-sorts the list each time.
    @discardableResult
    public func append(contentsOf records: [FolderRecord]) -> [Operation] {
        var ops: [Operation] = []
        for r in records {
            if let op = manifest.doc.insert(r.line, at: manifest.doc.count) { ops.append(op) }
        }
        if !ops.isEmpty { manifest.record(ops) }
        _ = state.apply(operations: ops)
        reportRefusals()
        if !ops.isEmpty { saveManifest() }
        return ops
    }

    /// Applies peers' operations on the folder's state. Returns the
    /// operations that were new. Throws when one cannot apply.
    public func receiveManifest(_ ops: [Operation], marks: MarkTable) throws -> [Operation] {
        let before = manifest.doc.version
        try manifest.doc.receive(contentsOf: ops)
        let fresh = manifest.doc.operations(since: before)
        record(fresh, in: manifest, marks: marks)
        // Folded from the operations, not the text: a record counts only as a
        // whole line its author inserted, with a clock it could have reached;
        // deletions change nothing (FolderState+Operations.swift).
        state = FolderState(operations: manifest.doc.operations(since: VersionVector()))
        reportRefusals()
        if !fresh.isEmpty { saveManifest() }
        return fresh
    }

    /// Refusals of the folder's state already told (each is told once).
    private var reported: Set<FolderState.Refusal> = []

    /// Tells the user, once, of each record or deletion the fold refused.
    private func reportRefusals() {
        let fresh = state.refusals.filter { !reported.contains($0) }
        guard !fresh.isEmpty else { return }
        reported.formUnion(fresh)
        var text = fresh.prefix(3).map(\.reason).joined(separator: "; ")
        if fresh.count > 3 { text += "; and \(fresh.count - 3) more refused" }
        messages.append(text)
    }

    /// Writes `.weave/folder.txt` (the records, for people to read; the
    /// history beside it is what counts). A failure is a message, not an error.
    private func saveManifest() {
        do { try manifest.savePlainText(manifest.doc.text) } catch { messages.append(".weave/folder.txt not written: \(error)") }
    }

    /// (Host) Shares what is on disk: a file not in the state yet is created
    /// in it, a live file missing from disk is deleted from it (its history
    /// stays). Returns the operations for the peers.
    public func scan(sizeLimit: Int = 1 << 20) throws -> [Operation] {
        let found = try FolderScan.scan(root, sizeLimit: sizeLimit)
        skipped = found.skipped.filter { $0.path != ".weave" }  // the folder's own state: not news
        let onDisk = Set(found.files)
        adoptable.formUnion(found.files)
        // New files' records share one lamport (they are about different files), so they fold together.
        var records: [FolderRecord] = []
        for path in found.files where state.document(at: path) == nil {
            records.append(try state.create(path: path, document: .random(), author: replica))
        }
        for e in state.files where !onDisk.contains(e.path) && !fs.exists(absolute(e.path)) {
            records.append(try state.delete(e.document, author: replica))
        }
        return append(contentsOf: records)
    }

    // MARK: What is shared here (issue 29)

    /// The hub records this folder makes on its own go to (refusals); set by
    /// whoever shares the folder's documents with a hub.
    public weak var hub: PeerHub?

    /// Sends records this folder appended by itself to the peers.
    func submit(_ ops: [Operation]) {
        guard !ops.isEmpty else { return }
        _ = try? manifest.flush()
        hub?.submit(ops)
    }

    /// Files this host's own scan found shareable: the only existing files a
    /// document may take without having held them before.
    private var adoptable: Set<String> = []

    /// Why document `d` must not have `path` on this disk, or nil when it may.
    /// Refused: a folder on the way that is a symbolic link, not a folder, or
    /// ignored by ROOT/.gitignore; an existing file that is a link, not a
    /// regular file, or ignored; and an existing file that is neither `d`'s
    /// (its history is there: `.weave/histories`) nor one this side's scan
    /// shared (a private file: too large, binary, or simply not shared —
    /// whatever is on a disk and not in the folder's state is not a peer's to
    /// take). Nothing is followed or read beyond a size and a look for NULs.
    public func refusal(_ path: String, for d: DocumentID) -> String? {
        let ignores = (try? fs.readAll(root + "/.gitignore")).flatMap { $0 }.map { Gitignore(text: String(decoding: $0, as: UTF8.self)) } ?? Gitignore()
        var prefix = ""
        for name in WorkspacePath.names(path).dropLast() {
            prefix = prefix.isEmpty ? String(name) : prefix + "/" + name
            guard let kind = fs.base.kind(absolute(prefix)) else { break }
            if kind == S_IFLNK { return "\(WorkspaceFailure.shown(prefix)) is a symbolic link, and links are never followed" }
            if kind != S_IFDIR { return "\(WorkspaceFailure.shown(prefix)) is not a folder" }
            if ignores.isIgnored(prefix, isFolder: true) { return "\(WorkspaceFailure.shown(prefix)) is ignored by .gitignore (not shared)" }
        }
        guard let kind = fs.base.kind(absolute(path)) else { return nil }
        if kind == S_IFLNK { return "it is a symbolic link here, and links are never followed" }
        if kind != S_IFREG { return "it is not a regular file here" }
        if ignores.isIgnored(path, isFolder: false) { return "it is ignored by .gitignore here (not shared)" }
        if owners[path] == d || adoptable.contains(path) { return nil }
        if let st = fs.stamp(absolute(path)), st.size > 1 << 20 { return "a file of \(st.size) bytes is there, over the sharing limit, and not shared" }
        if let bytes = try? fs.readAll(absolute(path)), bytes.contains(0) { return "a binary file is there, and not shared" }
        return "a file of that name is there and is not shared"
    }

    // MARK: Files

    /// The history of live file `d`, opened (and the file created, empty, when
    /// missing) on first use.
    public func store(_ d: DocumentID) throws -> StoredDocument {
        if let s = stores[d] { return s }
        guard let e = state.entry(d), !e.deleted else { throw WorkspaceFailure.noSuchFile("\(d)") }
        if let why = refusal(e.path, for: d) {
            // A name that is not shared here: refused on every peer alike (a delete record).
            let message = "\(WorkspaceFailure.shown(e.path)): refused, \(why)"
            messages.append(message)
            if let r = try? state.delete(d, author: replica) { submit(append(r)) }
            throw WorkspaceFailure.notShared(message)
        }
        let file = absolute(e.path)
        try fs.base.makeFolders(Disk.directory(of: file))
        try claim(e.path, for: d)
        let sidecar = OpLog.sidecarPath(for: file)
        if !fs.exists(file), fs.exists(sidecar) {
            // A restored file: its history stayed; the file comes back with the history's text.
            let text = try OpLog.load(path: sidecar).document(as: replica).text
            try fs.writeAtomically(file, Array(text.utf8))
        }
        // A new file of the mirror is written once, with its text, when that
        // arrives (or at the next commit), rather than created empty and replaced.
        let missing = !fs.exists(file)
        let s = try StoredDocument(file: file, replica: replica, author: author, colour: colour, fs: fs, createMissingFile: !missing)
        for m in s.messages { messages.append("\(e.path): \(m)") }
        for a in authors.values { s.registerAuthor(a) }
        stores[d] = s
        if missing { unwritten.insert(d) }
        return s
    }

    /// Brings the files on disk in line with the state after it changed:
    /// moves renamed files (with their histories), removes deleted ones (their
    /// histories stay, for `weave show`/`log` and restoring). Returns what moved.
    public func settle(previous: FolderState) -> [(DocumentID, from: String?, to: String?)] {
        var changes: [(DocumentID, from: String?, to: String?)] = []
        var old: [DocumentID: String] = [:]
        for e in previous.files { old[e.document] = e.path }
        var new: [DocumentID: String] = [:]
        for e in state.files { new[e.document] = e.path }
        // Moves in two steps (to a temporary name first), so swapped names do not collide.
        var moving: [(DocumentID, String, String, String)] = []
        var refusedMoves: [FolderRecord] = []
        // A shared file's place may be taken by another shared file (swapped names).
        let vacating = Set(old.values)
        for (d, to) in new {
            guard let from = old[d], from != to else { continue }
            if !vacating.contains(to), let why = refusal(to, for: d) {
                // Never moved onto a name that is not shared: it moves back, on every peer.
                messages.append("\(WorkspaceFailure.shown(from)) not renamed to \(WorkspaceFailure.shown(to)): \(why)")
                if let r = try? state.rename(d, to: from, author: replica) { refusedMoves.append(r) }
                continue
            }
            let temp = absolute(".weave/moving-\(d)")
            stores[d] = nil
            do {
                // A new file may have its history and no file yet (`unwritten`): the history moves alone.
                if fs.exists(absolute(from)) { try fs.rename(absolute(from), temp) }
                if fs.exists(OpLog.sidecarPath(for: absolute(from))) {
                    try fs.rename(OpLog.sidecarPath(for: absolute(from)), OpLog.sidecarPath(for: temp))
                }
                moving.append((d, from, to, temp))
            } catch {
                messages.append("could not move \(from) to \(to): \(error)")
            }
        }
        for (d, from, to, temp) in moving {
            do {
                if owners[from] == d { owners[from] = nil }
                try fs.base.makeFolders(Disk.directory(of: absolute(to)))
                // Another (deleted) file's history at the destination is parked, not overwritten.
                try park(historyAt: to, except: d)
                owners[to] = d
                if fs.exists(temp) { try fs.rename(temp, absolute(to)) }
                if fs.exists(OpLog.sidecarPath(for: temp)) { try fs.rename(OpLog.sidecarPath(for: temp), OpLog.sidecarPath(for: absolute(to))) }
                changes.append((d, from, to))
            } catch {
                messages.append("could not move \(from) to \(to): \(error)")
            }
        }
        if !moving.isEmpty { saveOwners() }
        for (d, from) in old where new[d] == nil {
            stores[d] = nil
            // The file goes; its history stays beside where it was. A file that
            // is not this document's shared file (a private one, a link) stays.
            if let why = refusal(from, for: d) {
                if fs.exists(absolute(from)) { messages.append("\(WorkspaceFailure.shown(from)) not removed: \(why)") }
            } else {
                try? fs.remove(absolute(from))
            }
            changes.append((d, from, nil))
        }
        for (d, to) in new where old[d] == nil { changes.append((d, nil, to)) }
        if !refusedMoves.isEmpty { submit(append(contentsOf: refusedMoves)) }
        return changes
    }

    /// Writes every live file's text from its history (a joiner's mirror).
    @discardableResult
    public func writeThrough(_ d: DocumentID, text: String) -> Bool {
        guard let s = stores[d] else { return false }
        unwritten.remove(d)
        do { try s.savePlainText(text); return true } catch {
            messages.append("\(state.entry(d)?.path ?? "\(d)"): not written: \(error)")
            return false
        }
    }
}

/// A shared folder's failures, as the user reads them.
public enum WorkspaceFailure: Error, CustomStringConvertible {
    /// A path as a message shows it (control characters escaped).
    static func shown(_ path: String) -> String {
        var out = ""
        for c in path.unicodeScalars {
            if WorkspacePath.isControl(c) { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    case noSuchFile(String)
    case notEmpty(String)
    case notAFolder(String)
    case taken(String)
    case openNothing(String, String)
    case slow(String)
    case notShared(String)
    case badName(String, String)

    public var description: String {
        switch self {
        case .noSuchFile(let p): return "\(p): no such file in the shared folder"
        case .notEmpty(let d):
            return "\(d) is not empty and does not mirror a shared folder: join into an empty or new folder (nothing was changed)"
        case .notAFolder(let d): return "\(d) is not a folder"
        case .taken(let p): return "\(p) exists already"
        case .openNothing(let p, let what): return "--open \(p): no such file in the shared folder (\(what))"
        case .slow(let s): return s
        case .notShared(let s): return s
        case .badName(let p, let why): return "'\(p)' cannot be a shared file's name: \(why)"
        }
    }
}

/// The few file operations the shared folder needs beyond `FileSystem`.
enum Disk {
    static let fs = PosixFileSystem.shared

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `mkdir -p`. Throws `StoreError.io` naming the folder that could not be made.
    static func makeFolders(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw StoreError.io(path: built, action: "create folder", reason: String(cString: strerror(errno)))
            }
        }
    }
}
