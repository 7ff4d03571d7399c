#if canImport(Glibc)
import Glibc
#endif
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveWorkspace

/// The steps of `weave host DIR` and `weave join … DIR/` between the command
/// line and the running session (so tests take the same steps).
public enum WorkspaceStart {
    /// The document to show first: `open` (a path in the folder), else the
    /// first file; nil when the folder has none. Throws when `open` names no file.
    public static func firstDocument(_ folder: WorkspaceFolder, open: String?) throws -> DocumentID? {
        if let open {
            let p = open.hasPrefix("./") ? String(open.dropFirst(2)) : open
            guard let d = folder.state.document(at: p) else {
                let some = folder.state.files.prefix(3).map(\.path).joined(separator: ", ")
                throw WorkspaceFailure.openNothing(open, folder.state.files.isEmpty ? "it has no files yet" : "it has \(folder.state.files.count): \(some)…")
            }
            return d
        }
        return folder.state.files.first?.document
    }

    /// The session showing `first` (a read-only placeholder when nil).
    public static func makeSession(_ folder: WorkspaceFolder, first: DocumentID?) throws -> EditorSession {
        if let d = first, let e = folder.state.entry(d) {
            return EditorSession(path: folder.absolute(e.path), store: try folder.store(d))
        }
        let s = try EditorSession(memory: "(no file)", document: RGA(replica: folder.replica), saveRefusal: WorkspaceSession.noFileReason)
        s.updateEditor { $0.historyStatus = "" }
        return s
    }

    /// (Joiner) Waits for the host's file list, mirrors every file (its units
    /// follow), and waits for the first file to show: `open`, else the file
    /// the host is in, else the first. Returns it and every event taken
    /// meanwhile (to replay into the session). Throws `JoinError` or `WorkspaceFailure`.
    public static func receiveFolder(_ folder: WorkspaceFolder, hub: PeerHub, inbox: PeerInbox, open: String?, seconds: Double,
                                     waiting: () -> Void = {}) throws -> (first: DocumentID?, early: [PeerEvent]) {
        var early: [PeerEvent] = []
        var list = RGA(replica: folder.replica)
        // Mirroring writes many small files: one sync for all of them (`PeerLink.attach` commits).
        folder.deferSyncs()
        try JoinMerge.receiveDocument(inbox: inbox, into: &list, early: &early, seconds: seconds, waiting: waiting)
        _ = try folder.receiveManifest(list.operations(since: VersionVector()), marks: MarkTable())
        try folder.manifest.flush()
        for e in early { if case .peerJoined(let info) = e, case .folder(let id) = info.share { try folder.adopt(workspaceID: id) } }
        let hostFile = early.lazy.compactMap { e -> DocumentID? in
            if case .presence(let p) = e, p.document != .main, !p.departed, folder.state.isLive(p.document) { return p.document }
            return nil
        }.first
        for e in folder.state.files where folder.stores[e.document] == nil {
            try WorkspaceSession.share(e.document, of: folder, with: hub)
        }
        let first = open != nil ? try firstDocument(folder, open: open) : (hostFile ?? folder.state.files.first?.document)
        // The first file's text is waited for a little (it is drawn at once when
        // it comes quickly); past that the session starts anyway and shows the
        // file as "[arriving]" until its text is here — a file the host does not
        // hold (yet) must not fail the whole join.
        if let first { _ = try waitForDocument(first, inbox: inbox, early: &early, seconds: min(seconds, firstFileWait), failing: false) }
        return (first, early)
    }

    /// Waits until document `d`'s catch-up is complete (bounded), keeping the
    /// events: every event drained is kept, those after `d`'s catch-up too (a
    /// drain empties the inbox; returning in the middle of one lost the other
    /// files' operations, and most files of a joined folder stayed empty).
    /// How long a join waits for the first file's text before starting without it.
    public static let firstFileWait = 3.0

    /// Returns whether `d` caught up; past `seconds` throws `WorkspaceFailure.slow`
    /// when `failing`, else returns false. A link that fails throws.
    @discardableResult
    public static func waitForDocument(_ d: DocumentID, inbox: PeerInbox, early: inout [PeerEvent], seconds: Double,
                                       failing: Bool = true) throws -> Bool {
        let deadline = EditorSession.now() + UInt64(seconds * 1e9)
        while EditorSession.now() < deadline {
            var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            let batch = inbox.drain()
            early += batch
            for e in batch {
                if case .linkFailed(_, let reason) = e { throw JoinError.refused("\(reason)") }
            }
            if batch.contains(where: { if case .documentCaughtUp(let id) = $0 { return id == d }; return false }) { return true }
        }
        if !failing { return false }
        throw WorkspaceFailure.slow("the host did not send the first file within \(Int(seconds)) s")
    }

    /// Wires a session to its folder and hub: the peer link and the folder's
    /// companion. Call `link.attach(replaying:)` next.
    public static func wire(_ folder: WorkspaceFolder, session: EditorSession, hub: PeerHub, inbox: PeerInbox,
                            first: DocumentID?) -> (PeerLink, WorkspaceSession) {
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        let workspace = WorkspaceSession(folder: folder, session: session, hub: hub, current: first)
        workspace.link = link
        link.workspace = workspace
        return (link, workspace)
    }

    /// Whether `path` is an existing folder.
    public static func isFolder(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether the folder at `path` has no entries (but those named in `except`).
    public static func isEmptyFolder(_ path: String, except: Set<String> = []) -> Bool {
        guard let d = opendir(path) else { return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." && !except.contains(name) { return false }
        }
        return true
    }

    /// (Joiner) Refuses a DIR that is a file, or a non-empty folder that mirrors
    /// no shared folder. A folder holding only the `.weave` of a first join
    /// that never received the host's folder (the host died, the link failed,
    /// the user quit) is a join to finish, not somebody's files: it is taken.
    public static func checkJoinTarget(_ root: String) throws {
        if Disk.fs.exists(root) && !isFolder(root) { throw WorkspaceFailure.notAFolder(root) }
        if isFolder(root) && !WorkspaceFolder.isWorkspace(root) && !isEmptyFolder(root, except: [".weave"]) {
            throw WorkspaceFailure.notEmpty(root)
        }
    }
}
