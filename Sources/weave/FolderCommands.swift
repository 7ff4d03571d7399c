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
        let root = WorkspaceStart.trimmed(root)
        var config = try configuration(name, 0, log)
        let invitations = try HostInvitations(document: root)
        config.security = PeerSecurity(identity: invitations.identity, invitations: try invitations.book(), requireApproval: approve)
        let parts: WorkspaceParts
        do {
            parts = try WorkspaceStart.host(root, name: name, configuration: config, open: open)
        } catch {
            throw ValidationFailure("cannot share \(root): \(error)")
        }
        let (folder, session, link, hub) = (parts.folder, parts.session, parts.link, parts.hub)
        if verbose {
            for s in folder.skipped { print("not shared: \(s.path) (\(s.reason))") }
        } else if !folder.skipped.isEmpty {
            print("\(folder.skipped.count) file(s) not shared (--verbose lists them)")
        }
        let (bound, address, invitation) = try listenAndInvite(hub, bind: bind, port: port, invitations: invitations,
                                                               readOnly: readOnly, expires: expires, config: &config)
        let base = root.split(separator: "/").last.map(String.init) ?? "shared"
        let command = HostInvitations.joinCommand(address: address, invitation) + " \(base)/"
        print("hosting the folder \(root) (\(folder.state.files.count) files) on \(bind):\(bound) (TLS 1.3, invited peers only\(approve ? ", each newcomer asked" : ""))")
        print("join with: \(command)")
        fflush(nil)
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
        if !offline {
            print("joining \(host):\(port)…")
            fflush(nil)
        }
        let parts: WorkspaceParts
        do {
            parts = try WorkspaceStart.join(root, host: host, port: port, name: name, configuration: baseConfig, invitation: invitation,
                                            open: open, offline: offline, seconds: timeout) {
                print("waiting for the host to let you in…")
                fflush(nil)
            }
        } catch {
            throw ValidationFailure("\(error)")
        }
        let (folder, session, link) = (parts.folder, parts.session, parts.link)
        link.attach(replaying: parts.early)
        if offline { link.setOnline(false) }
        session.updateEditor {
            $0.notify(offline ? "Offline (F6 joins \(host):\(port))" : "Joined \(host):\(port): \(folder.state.files.count) files   Ctrl-B files  F4 peers")
        }
        try run(session, parts.hub)
        return link.exitNote
    }
}
