#if canImport(Glibc)
import Glibc
#endif
import WeaveCore
import WeavePeer
import WeaveSession
import WeaveStore

/// Whether `path` is an existing folder.
func isFolder(_ path: String) -> Bool { WorkspaceStart.isFolder(path) }

/// `weave host DIR` and `weave join … DIR/`: a shared folder (docs/WORKSPACES.md).
enum FolderCommands {
    /// `weave host DIR`: shares every text file under DIR.
    static func host(_ root: String, name: String, port: Int, bind: String, log: String?, offline: Bool, readOnly: Bool,
                     approve: Bool, expires: String?, open: String?, verbose: Bool,
                     configuration: (String, UInt8, String?) throws -> PeerHub.Configuration,
                     run: (EditorSession, PeerHub) throws -> Void) throws {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        let folder: WorkspaceFolder
        do {
            folder = try WorkspaceFolder(root: root, replica: .random(), author: name, colour: 0,
                                         workspaceID: UInt64.random(in: 1 ... .max))
            folder.deferSyncs()  // a first share writes a history per file: one sync for all
            _ = try folder.scan()
            try folder.manifest.flush()
        } catch {
            throw ValidationFailure("cannot share \(root): \(error)")
        }
        if verbose {
            for s in folder.skipped { print("not shared: \(s.path) (\(s.reason))") }
        } else if !folder.skipped.isEmpty {
            print("\(folder.skipped.count) file(s) not shared (--verbose lists them)")
        }
        let inbox = try PeerInbox()
        var config = try configuration(name, 0, log)
        config.share = .folder(folder.workspaceID)
        let invitations = try HostInvitations(document: root)
        config.security = PeerSecurity(identity: invitations.identity, invitations: try invitations.book(), requireApproval: approve)
        let hub = PeerLink.makeHub(document: folder.manifest.doc, configuration: config, inbox: inbox)
        hub.addHistory(folder.manifest.history)
        let session: EditorSession
        let first: DocumentID?
        do {
            try WorkspaceSession.share(folder, with: hub)
            try folder.commit()
            first = try WorkspaceStart.firstDocument(folder, open: open)
            session = try WorkspaceStart.makeSession(folder, first: first)
        } catch {
            _ = try? hub.shutdown()
            throw ValidationFailure("cannot share \(root): \(error)")
        }
        let (bound, address, invitation) = try listenAndInvite(hub, bind: bind, port: port, invitations: invitations,
                                                               readOnly: readOnly, expires: expires, config: &config)
        let base = root.split(separator: "/").last.map(String.init) ?? "shared"
        let command = HostInvitations.joinCommand(address: address, invitation) + " \(base)/"
        print("hosting the folder \(root) (\(folder.state.files.count) files) on \(bind):\(bound) (TLS 1.3, invited peers only\(approve ? ", each newcomer asked" : ""))")
        print("join with: \(command)")
        fflush(nil)
        let (link, _) = WorkspaceStart.wire(folder, session: session, hub: hub, inbox: inbox, first: first)
        link.joinCommand = command
        link.joinInvitation = invitation
        link.attach()
        if offline { link.setOnline(false) }
        session.updateEditor { $0.notify("Ctrl-B: files  F4: peers + join command  join with: \(command)") }
        try run(session, hub)
        print("join with: \(command)")
    }

    /// `weave join ADDRESS --invite TOKEN DIR/`: mirrors the host's folder into DIR.
    static func join(_ root: String, host: String, port: Int, name: String, colour: UInt8, offline: Bool,
                     timeout: Double, invitation: Invitation?, open: String?, config baseConfig: PeerHub.Configuration,
                     run: (EditorSession, PeerHub) throws -> Void) throws -> String? {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        let folder: WorkspaceFolder
        do {
            try WorkspaceStart.checkJoinTarget(root)
            folder = try WorkspaceFolder(root: root, replica: .random(), author: name, colour: Int(colour), workspaceID: nil)
        } catch {
            throw ValidationFailure("\(error)")
        }
        let inbox = try PeerInbox()
        var config = baseConfig
        config.share = .folder(folder.workspaceID)
        let hub = PeerLink.makeHub(document: folder.manifest.doc, configuration: config, inbox: inbox)
        hub.addHistory(folder.manifest.history)
        let session: EditorSession
        var first: DocumentID?
        var early: [PeerEvent] = []
        do {
            try WorkspaceSession.share(folder, with: hub)
            if offline { hub.setOnline(false) }
            hub.connect(host: host, port: port, invitation: invitation)
            if offline {
                first = try WorkspaceStart.firstDocument(folder, open: open)
            } else {
                print("joining \(host):\(port)…")
                fflush(nil)
                (first, early) = try WorkspaceStart.receiveFolder(folder, hub: hub, inbox: inbox, open: open, seconds: timeout) {
                    print("waiting for the host to let you in…")
                    fflush(nil)
                }
            }
            session = try WorkspaceStart.makeSession(folder, first: first)
        } catch {
            _ = try? hub.shutdown()
            throw ValidationFailure("\(error)")
        }
        let (link, workspace) = WorkspaceStart.wire(folder, session: session, hub: hub, inbox: inbox, first: first)
        if !offline { workspace.awaitArrivals(Set(folder.state.files.map(\.document))) }
        link.dialsOut = true
        if invitation?.readOnly == true { link.becomeReadOnly() }
        link.attach(replaying: early)
        if offline { link.setOnline(false) }
        session.updateEditor {
            $0.notify(offline ? "Offline (F6 joins \(host):\(port))" : "Joined \(host):\(port): \(folder.state.files.count) files   Ctrl-B files  F4 peers")
        }
        try run(session, hub)
        return link.exitNote
    }
}
