import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveStore
import WeaveWorkspace

/// A shared folder in a running session (`weave host DIR`, `weave join … DIR/`):
/// which file the editor shows, the other files' editors (each keeps its
/// cursor, undo and time travel), the file list, and every document's traffic.
///
/// Every file of the folder is mirrored on disk: peers' edits to a file not
/// shown are written to it at once (history first), and switching away from
/// a file saves it. The file shown follows the usual rule (Ctrl-S).
public final class WorkspaceSession: WorkspaceCompanion {
    public let folder: WorkspaceFolder
    public let hub: PeerHub
    public unowned let session: EditorSession
    public weak var link: PeerLink?
    /// The document shown; nil while no file is open (an empty folder).
    public private(set) var current: DocumentID?
    /// Files opened before and not shown now, with their editors.
    private var buffers: [DocumentID: EditorSession.Buffer] = [:]
    /// Peers' edit marks for documents not shown (the shown one's are the session's).
    private var marks: [DocumentID: MarkTable] = [:]
    private var manifestMarks = MarkTable()
    /// Presences by replica (the file list shows who is where): the link's,
    /// which also forgets a peer whose connection closed (the hub tells that
    /// as the peer leaving, not as a departure). A copy kept here missed it:
    /// a host killed during the first mirror stayed listed in its file, and
    /// twice once restarted (issue 28, defect 10).
    public var presences: [ReplicaID: Presence] { link?.presences ?? [:] }
    /// (Joiner) Files whose text has not fully arrived yet: shared with the
    /// hub when the folder was received, until their catch-up completes.
    public private(set) var arriving: Set<DocumentID> = []
    private var arrivalTotal = 0
    /// The link went down before every file arrived: the files still
    /// missing stay "[arriving]" (never "[saved]": their text is not here)
    /// and the status line says they are not received, until a link is back.
    private var arrivalStalled = false

    /// (Joiner) Files `ds` are arriving: the status line counts them down
    /// ("receiving 37 of 255 files") and the file shown is "[arriving]", not
    /// "[saved]", until its text is here (issue 28, defect 11). Call before
    /// the early events are replayed (their catch-ups count).
    public func awaitArrivals(_ ds: Set<DocumentID>) {
        arriving = ds
        arrivalTotal = ds.count
        showArrival()
    }

    public var arrivalStatus: String? {
        if arriving.isEmpty { return nil }
        return arrivalStalled ? "\(arriving.count) of \(arrivalTotal) files not received (link down)"
                              : "receiving \(arriving.count) of \(arrivalTotal) files"
    }

    private func arrived(_ d: DocumentID) {
        guard arriving.remove(d) != nil else { return }
        showArrival()
    }

    private func showArrival() {
        let here = current.map { arriving.contains($0) } ?? false
        if session.editor.arriving != here { session.updateEditor { $0.arriving = here } }
    }

    public init(folder: WorkspaceFolder, session: EditorSession, hub: PeerHub, current: DocumentID?) {
        self.folder = folder
        self.session = session
        self.hub = hub
        self.current = current
        session.onFileEffect = { [unowned self] effect in perform(effect) }
        updateFileList()
    }

    public static let noFileReason = "no file open: Ctrl-B lists the files; a new name and Ctrl-N creates one"

    /// Opens every live file's history and shares it with the hub (call before
    /// an `EditorSession` takes a document from its store).
    public static func share(_ folder: WorkspaceFolder, with hub: PeerHub) throws {
        for e in folder.state.files { try share(e.document, of: folder, with: hub) }
    }

    static func share(_ d: DocumentID, of folder: WorkspaceFolder, with hub: PeerHub) throws {
        folder.hub = hub
        // One file that cannot be had on this disk is a message, never the end of the folder's sync (issue 29).
        let s: StoredDocument
        do { s = try folder.store(d) } catch WorkspaceFailure.notShared { return } catch { folder.messages.append("\(error)"); return }
        hub.addDocument(d, s.doc, authors: s.history.authorCards, marks: s.history.editMarks)
    }

    // MARK: Events

    public func handle(_ event: PeerEvent) {
        do {
            switch event {
            case .documentOperations(let d, let ops, _):
                try receive(ops, document: d)
            case .documentHistory(let d, let note):
                try folder.learn(note.authors)
                if d == current {
                    session.learn(note)
                } else {
                    for m in note.marks { _ = marks[d, default: MarkTable()].insert(m) }
                }
            case .remoteOperations(let ops, _):
                let previous = folder.state
                _ = try folder.receiveManifest(ops, marks: manifestMarks)
                try folder.manifest.flush()
                try settle(previous: previous)
            case .history(let note):
                // Authors come once per link (with its greeting or its first units): every
                // history learns them, written now — one registered and never flushed was lost.
                try folder.learn(note.authors)
                for m in note.marks { _ = manifestMarks.insert(m) }
            case .presence:
                updateFileList()  // the link has applied it
            case .peerJoined(let info):
                if case .folder(let id) = info.share, id != 0, folder.workspaceID == 0 { try folder.adopt(workspaceID: id) }
                arrivalStalled = false
            case .documentCaughtUp(let d):
                arrived(d)
            case .peerLeft, .linkFailed:
                // Nothing more arrives on a link that is gone: the count stops and
                // says so; the missing files stay "[arriving]" (their text is not
                // here) until a link is back and their catch-ups complete. Files
                // the folder no longer has are not waited for.
                arriving.formIntersection(folder.state.files.map(\.document))
                arrivalStalled = !arriving.isEmpty
                showArrival()
                updateFileList()  // without the peer gone
            default:
                break
            }
        } catch {
            session.updateEditor { $0.notify("Shared folder: \(error)") }
        }
        flushMessages()
    }

    /// Peers' operations on document `d`: into the editor when shown, else
    /// into its editor or history, recorded, and written to the file.
    private func receive(_ ops: [Operation], document d: DocumentID) throws {
        if d == current {
            // The file shown is written too while it holds no unsaved edits of
            // this side's (then Ctrl-S writes both, as in a single file).
            let clean = !session.editor.modified
            try session.receive(ops)
            if clean, folder.writeThrough(d, text: session.editor.text) { session.updateEditor { $0.setModified(false) } }
            return
        }
        // Written now, made durable with every other file's at the end of this turn (`commitWrites`).
        guard var b = buffers[d] else {
            try folder.receive(ops, into: d, marks: marks[d] ?? MarkTable())
            return
        }
        guard folder.state.isLive(d) else { return }
        folder.deferSyncs()
        let store = try folder.store(d)
        // A file left with unsaved edits of this side's keeps them unwritten
        // (then switching back and Ctrl-S, or switching away, writes both).
        let clean = !b.editor.modified
        let before = b.editor.doc.rga.version
        for op in ops { try b.editor.receive(op) }
        if clean { b.editor.setModified(false) }
        buffers[d] = b
        // Only what applied is an edit (see `WorkspaceFolder.receive`).
        folder.record(b.editor.doc.rga.operations(since: before), in: store, marks: marks[d] ?? MarkTable())
        if let note = try store.flush(current: b.editor.doc.rga) { folder.messages.append(note) }
        if clean { folder.writeThrough(d, text: b.editor.text) }
    }

    /// Makes the files and histories written this turn durable, with one sync
    /// (called before each frame is drawn, and after a join's catch-up).
    public func commitWrites() {
        for d in folder.unwritten {
            // A new file's text is its editor's when one holds the document.
            let text = d == current ? session.editor.text : buffers[d]?.editor.text ?? folder.stores[d]?.doc.text ?? ""
            folder.deferSyncs()
            folder.writeThrough(d, text: text)
            if d == current { session.updateEditor { $0.setModified(false) } }
        }
        guard folder.fs.deferring || folder.fs.pending else { return }
        do { try folder.commit() } catch { session.updateEditor { $0.notify("Shared folder not saved: \(error)") } }
    }

    /// A file that (re)appears: its history takes what the hub holds of it
    /// and it lacks — edits peers made while it was deleted here (they were
    /// not written to a file that did not exist). Blocks briefly on the hub's loop.
    private func catchUp(_ d: DocumentID) throws {
        guard let held = try hub.withDocument(d, { $0 }).wait() else { return }
        let have: VersionVector
        if d == current {
            have = session.editor.doc.rga.version
        } else if let b = buffers[d] {
            have = b.editor.doc.rga.version
        } else {
            have = try folder.store(d).doc.version
        }
        let missing = held.operations(since: have)
        if !missing.isEmpty { try receive(missing, document: d) }
    }

    // MARK: Switching

    /// Shows document `d` (its editor as it was left, or a new one). The file
    /// left is saved when it has unsaved edits.
    public func open(_ d: DocumentID) throws {
        guard d != current else { return }
        guard let entry = folder.state.entry(d), !entry.deleted else { throw WorkspaceFailure.noSuchFile("\(d)") }
        let next: EditorSession.Buffer
        if let b = buffers.removeValue(forKey: d) {
            next = b
        } else {
            let store = try folder.store(d)
            var editor = Editor(fileName: EditorSession.baseName(entry.path), document: store.doc)
            store.doc = RGA(replica: store.doc.localReplica)
            editor.historyStatus = "history saved"
            editor.setModified(store.isModified(text: editor.text))
            next = EditorSession.Buffer(path: folder.absolute(entry.path), editor: editor, store: store, marks: marks.removeValue(forKey: d) ?? MarkTable())
        }
        // The file left is saved when it has unsaved edits (the folder on disk follows the folder).
        if let c = current, folder.state.isLive(c), session.editor.modified, let store = session.store {
            do { try store.savePlainText(session.editor.text); session.updateEditor { $0.didSave(error: nil) } } catch {
                session.updateEditor { $0.notify("\(EditorSession.baseName(session.path)) not saved: \(error)") }
            }
        }
        let previous = try session.swap(to: next)
        if let c = current { buffers[c] = previous }
        current = d
        showArrival()
        let readOnly = link?.isReadOnly == true ? PeerLink.readOnlyReason : nil
        session.updateEditor { $0.readOnly = readOnly; $0.notify("\(entry.path)") }
        link?.documentChanged()
        updateFileList()
    }

    /// Document `d`'s CRDT as its editor holds it: the one shown, or one
    /// opened before and not shown now; nil for a file no editor holds
    /// (open it first). O(1).
    public func replica(of d: DocumentID) -> RGA? {
        if d == current { return session.editor.doc.rga }
        return buffers[d]?.editor.doc.rga
    }

    /// Makes every file's history durable (the one shown, those opened
    /// before, the rest) and writes the files peers changed: what quitting
    /// does, for a session without Weave's editor (`weave connect DIR/`).
    /// Throws the first history that cannot be written.
    public func flushAll() throws {
        if let note = try session.store?.flush(current: session.editor.doc.rga) { folder.messages.append(note) }
        for b in buffers.values { if let note = try b.store?.flush(current: b.editor.doc.rga) { folder.messages.append(note) } }
        let held = Set(buffers.keys).union(current.map { [$0] } ?? [])
        for (d, s) in folder.stores where !held.contains(d) { if let note = try s.flush() { folder.messages.append(note) } }
        try folder.manifest.flush()
        commitWrites()
    }

    public func path(of d: DocumentID?) -> String? {
        guard let d, let e = folder.state.entry(d), !e.deleted else { return nil }
        return e.path
    }

    /// The files of the folder as the file list shows them.
    public func updateFileList() {
        var here: [DocumentID: [PeerBadge]] = [:]
        let colours = link?.peerColours() ?? [:]  // one colour per peer, as its cursor
        for p in presences.values.sorted(by: { $0.name < $1.name }) {
            here[p.document, default: []].append(PeerBadge(name: PeerLink.display(p.name), colour: colours[p.replica] ?? Grid.Colour.author(Int(p.colour))))
        }
        let entries = folder.state.files.map { e in
            FileListEntry(path: e.path, peers: here[e.document] ?? [], isCurrent: e.document == current)
        }
        session.updateEditor { $0.workspaceFiles = entries }
    }

    // MARK: File list effects

    func perform(_ effect: Effect) {
        do {
            switch effect {
            case .openFile(let path):
                guard let d = folder.state.document(at: path) else { throw WorkspaceFailure.noSuchFile(path) }
                try open(d)
            case .createFile(let path):
                try create(path)
            case .renameFile(let from, let to):
                try rename(from, to: to)
            case .deleteFile(let path):
                try delete(path)
            default:
                break
            }
        } catch {
            session.updateEditor { $0.notify("\(error)") }
        }
        flushMessages()
    }

    /// Creates an empty file at `path` (on every peer) and shows it; shows the
    /// file already there when `path` is taken.
    public func create(_ path: String) throws {
        let p = try WorkspaceSession.typed(path)
        if let d = folder.state.document(at: p) { return try open(d) }
        let previous = folder.state
        let d: DocumentID
        if let gone = folder.state.all.last(where: { $0.deleted && $0.storedPath == p }) {
            // The path of a deleted file: it comes back, with its history.
            d = gone.document
            submitManifest(folder.append(try folder.state.restore(d, path: p, author: hub.replica)))
        } else {
            d = DocumentID.random()
            submitManifest(folder.append(try folder.state.create(path: p, document: d, author: hub.replica)))
        }
        try settle(previous: previous)
        try open(d)
        commitWrites()  // the new file is on disk at once
    }

    /// A name typed in the file list (Ctrl-N, Ctrl-R): a shared path
    /// (`WorkspacePath.validate`) none of whose names begins or ends with a
    /// space — a space typed by mistake would make a second file that looks
    /// like the first, and a name of spaces alone shows as nothing. (Files
    /// already on a host's disk with such names are still shared.)
    public static func typed(_ path: String) throws -> String {
        let p = try WorkspacePath.validate(path)
        for name in p.split(separator: "/") where name.first == " " || name.last == " " {
            throw WorkspaceFailure.badName(p, name.allSatisfy { $0 == " " } ? "it is only spaces" : "a name begins or ends with a space")
        }
        return p
    }

    public func rename(_ from: String, to: String) throws {
        guard let d = folder.state.document(at: from) else { throw WorkspaceFailure.noSuchFile(from) }
        let p = try WorkspaceSession.typed(to)
        guard folder.state.document(at: p) == nil else { throw WorkspaceFailure.taken(p) }
        let previous = folder.state
        submitManifest(folder.append(try folder.state.rename(d, to: p, author: hub.replica)))
        try settle(previous: previous)
    }

    public func delete(_ path: String) throws {
        guard let d = folder.state.document(at: path) else { throw WorkspaceFailure.noSuchFile(path) }
        let previous = folder.state
        submitManifest(folder.append(try folder.state.delete(d, author: hub.replica)))
        try settle(previous: previous)
    }

    private func submitManifest(_ ops: [Operation]) {
        guard !ops.isEmpty else { return }
        _ = try? folder.manifest.flush()
        hub.submit(ops)
    }

    /// After the folder's state changed: files moved or removed on disk, new
    /// files shared, the editor moved off a deleted file.
    private func settle(previous: FolderState) throws {
        // Histories are flushed before their files move.
        // Each with the document it belongs to (an editor holds it): a history
        // removed meanwhile is written again in full rather than failing.
        if let note = try session.store?.flush(current: session.editor.doc.rga) { folder.messages.append(note) }
        let held = Set(buffers.keys).union(current.map { [$0] } ?? [])
        for (d, s) in folder.stores where !held.contains(d) { if let note = try s.flush() { folder.messages.append(note) } }
        for b in buffers.values { if let note = try b.store?.flush(current: b.editor.doc.rga) { folder.messages.append(note) } }
        let changes = folder.settle(previous: previous)
        for (d, from, to) in changes {
            switch (from, to) {
            case (nil, .some):
                try WorkspaceSession.share(d, of: folder, with: hub)
            case (.some, .some(let to)):
                let store = try folder.store(d)
                if d == current {
                    store.doc = RGA(replica: store.doc.localReplica)
                    session.replaceStore(store, path: folder.absolute(to))
                    session.updateEditor { $0.notify("Now \(to)") }
                } else if var b = buffers[d] {
                    store.doc = RGA(replica: store.doc.localReplica)
                    b.store = store
                    b.path = folder.absolute(to)
                    b.editor.fileName = EditorSession.baseName(to)
                    buffers[d] = b
                }
            case (.some(let from), nil):
                buffers[d] = nil
                if d == current {
                    if let next = folder.state.files.first {
                        try open(next.document)
                        buffers[d] = nil
                    } else {
                        session.replaceStore(nil, path: from)
                        current = nil
                        session.saveRefusal = WorkspaceSession.noFileReason
                    }
                    session.updateEditor { $0.notify("\(from) was deleted (its history stays: weave show \(from))") }
                }
            default:
                break
            }
        }
        // Every file that is there now holds what the hub holds of it: edits
        // that came while it was deleted here, or before it moved, are not lost.
        for (d, _, to) in changes where to != nil { try catchUp(d) }
        updateFileList()
    }

    private func flushMessages() {
        guard !folder.messages.isEmpty else { return }
        let text = folder.messages.joined(separator: "; ")
        folder.messages = []
        session.updateEditor { $0.notify(text) }
    }
}
