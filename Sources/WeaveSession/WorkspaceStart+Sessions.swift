import WeaveCore
import WeavePeer
import WeaveStore

/// A shared folder's session, wired and not yet attached: the caller sets
/// what only it knows (the join command shown in F4), then calls
/// `link.attach(replaying: early)` and runs `session`.
public struct WorkspaceParts {
    public let folder: WorkspaceFolder
    public let session: EditorSession
    public let link: PeerLink
    public let workspace: WorkspaceSession
    public let inbox: PeerInbox
    /// Events taken while joining (empty for a host): replay them with `attach`.
    public let early: [PeerEvent]
    public var hub: PeerHub { link.hub }
}

/// One start-up path for `weave host DIR` and `weave join … DIR/`, used by
/// the command line, the tests and `weave-bench workspace` alike, so what is
/// tested and measured is what runs.
extension WorkspaceStart {
    /// `path` without trailing slashes ("/" stays).
    public static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// The hub of `folder`'s session: its file list as the main document, with
    /// its history, sharing this folder; events go to the returned inbox.
    static func makeHub(for folder: WorkspaceFolder, configuration: PeerHub.Configuration) throws -> (PeerInbox, PeerHub) {
        let inbox = try PeerInbox()
        var config = configuration
        config.share = .folder(folder.workspaceID)
        let hub = PeerLink.makeHub(document: folder.manifest.doc, configuration: config, inbox: inbox)
        hub.addHistory(folder.manifest.history)
        return (inbox, hub)
    }

    /// (Host) Opens or starts the shared folder at `root`, shares what is on
    /// disk (one sync for every new history), makes the hub (`configuration`
    /// with this folder's share) and the session showing `open` (else the
    /// first file). Nothing listens yet. Throws `StoreError`,
    /// `WorkspaceFailure` or `WriterLockError` with a sentence for the user;
    /// a hub made before the failure is shut down.
    public static func host(_ root: String, name: String, configuration: PeerHub.Configuration,
                            workspaceID: UInt64 = UInt64.random(in: 1 ... .max), open: String?) throws -> WorkspaceParts {
        let root = trimmed(root)
        let folder = try WorkspaceFolder(root: root, replica: .random(), author: name, colour: Int(configuration.colour),
                                         workspaceID: workspaceID)
        folder.deferSyncs()  // a first share writes a history per file: one sync for all
        _ = try folder.scan()
        try folder.manifest.flush()
        let (inbox, hub) = try makeHub(for: folder, configuration: configuration)
        do {
            try WorkspaceSession.share(folder, with: hub)
            try folder.commit()
            let first = try firstDocument(folder, open: open)
            let session = try makeSession(folder, first: first)
            let (link, workspace) = wire(folder, session: session, hub: hub, inbox: inbox, first: first)
            return WorkspaceParts(folder: folder, session: session, link: link, workspace: workspace, inbox: inbox, early: [])
        } catch {
            _ = try? hub.shutdown()
            throw error
        }
    }

    /// (Joiner) Mirrors the folder shared at `host:port` into `root`: refuses
    /// a target that is a file or holds unrelated files, dials, waits (at most
    /// `seconds`) for the file list and the first file to show, and wires the
    /// session, its files counted as arriving. Offline, opens what an earlier
    /// join kept. Throws `JoinError`, `WorkspaceFailure`, `StoreError` or
    /// `WriterLockError`; a hub made before the failure is shut down.
    public static func join(_ root: String, host: String, port: Int, name: String, configuration: PeerHub.Configuration,
                            invitation: Invitation?, open: String?, offline: Bool = false, seconds: Double,
                            waiting: () -> Void = {}) throws -> WorkspaceParts {
        let root = trimmed(root)
        try checkJoinTarget(root)
        let folder = try WorkspaceFolder(root: root, replica: .random(), author: name, colour: Int(configuration.colour), workspaceID: nil)
        let (inbox, hub) = try makeHub(for: folder, configuration: configuration)
        do {
            try WorkspaceSession.share(folder, with: hub)
            if offline { hub.setOnline(false) }
            hub.connect(host: host, port: port, invitation: invitation)
            var first: DocumentID?
            var early: [PeerEvent] = []
            if offline {
                first = try firstDocument(folder, open: open)
            } else {
                (first, early) = try receiveFolder(folder, hub: hub, inbox: inbox, open: open, seconds: seconds, waiting: waiting)
            }
            let session = try makeSession(folder, first: first)
            let (link, workspace) = wire(folder, session: session, hub: hub, inbox: inbox, first: first)
            link.dialsOut = true
            if invitation?.readOnly == true { link.becomeReadOnly() }
            if !offline { workspace.awaitArrivals(Set(folder.state.files.map(\.document))) }
            return WorkspaceParts(folder: folder, session: session, link: link, workspace: workspace, inbox: inbox, early: early)
        } catch {
            _ = try? hub.shutdown()
            throw error
        }
    }
}
