// Which keys the link takes before the editor: F6, F4/Ctrl-P, F2 without a file, Ctrl-Q,
// the newcomer question's y/n, and every key and mouse event while the peer list is shown.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveStore

extension PeerLink {
    /// F6, F4 and Ctrl-P in the editor's plain edit mode; any key closes the
    /// list, the mouse scrolls it, selects and goes to a peer.
    public func filter(_ key: Key) -> Bool {
        if passQuit { return false }
        // The double click that a click closing the list goes on to make: not for the text under it.
        if peerNav.swallows(key) { return true }
        if let w = workspace, w.current == nil, session.editor.fileList == nil, session.editor.mode == .edit,
           Editor.edits(key) || key == .ctrl("v") {
            // An empty shared folder shows no file: there is nothing to type into yet.
            session.updateEditor { $0.notify("No file open: Ctrl-B, type a name, Ctrl-N creates it") }
            return true
        }
        if quitting != .idle { quitKey(key); return true }
        if !waiting.isEmpty, session.editor.mode == .edit {
            // The question holds the keyboard until it is answered (typing
            // must not let someone in by accident).
            switch key {
            case .char("y"), .char("Y"): answerFirst(allow: true)
            case .char("n"), .char("N"), .escape, .ctrl("c"): answerFirst(allow: false)
            case .resize, .ctrl("q"): return false
            default: break
            }
            return true
        }
        if let f = peerNav.keyEndsFollowing(key) {
            // Any key ends following, and does what it does from there.
            let name = presences[f].map { Self.display($0.name) } ?? "the peer"
            noticeAfterKey = "Stopped following \(name)"  // shown once the key has acted
            refresh()
        }
        if listShown {
            let rows = session.editor.peerList?.rows ?? []
            let hasCursor = { (r: ReplicaID) in self.presences[r] != nil }
            let taken: PeerListNavigation.Action?
            if key.isMouse {
                // With the mouse setting off every mouse event is dropped, as in the text.
                guard session.editor.mouse, let screen = session.editor.peerListScreen else { return true }
                taken = peerNav.mouse(key, on: screen, rows: rows, hasCursor: hasCursor)
            } else {
                taken = peerNav.key(key, rows: rows, hasCursor: hasCursor)
            }
            guard let action = taken else { return false }
            switch action {
            case .select(let row):
                let top = peerNav.top
                session.updateEditor { $0.peerList?.selected = row; $0.peerList?.top = top }
                listScrolled()
            case .copyJoinCommand:
                // The join command, whole, into the clipboard (and the system's with OSC 52).
                guard let command = joinCommand else { return true }
                let system = session.copyToSystemClipboard(command)
                session.updateEditor {
                    $0.copyToClipboard(command)
                    $0.notify(system ? "Join command copied (also to the terminal's clipboard)"
                                     : "Join command copied (Ctrl-V pastes it; WEAVE_OSC52=1 copies to the terminal's clipboard)")
                }
            case .noCursor:
                session.updateEditor { $0.notify("That peer has no cursor to go to") }
            case .follow(let r):
                session.updateEditor { $0.peerList = nil }
                followedAt = nil
                session.updateEditor { $0.notify("Following \(Self.display(self.presences[r]?.name ?? "?")): any key stops") }
                refresh()
            case .goTo(let r):
                session.updateEditor { $0.peerList = nil }
                goTo(r)
                refresh()
            case .close:
                session.updateEditor { $0.peerList = nil }
            }
            return true
        }
        guard session.editor.mode == .edit, session.editor.pane == nil else { return false }
        switch key {
        case .function(6):
            setOnline(!online)
            return true
        case .ctrl("q") where session.editor.readOnly != nil && session.store == nil:
            // A watcher's in-memory copy holds nothing of its own: nothing to lose, nothing to ask.
            session.loop.stop()
            return true
        case .ctrl("q"):
            return startQuit()
        case .function(2), .ctrl("t"):
            // A session with a file time-travels through its own history.
            guard let h = memoryHistory else { return false }
            memoryTimelineStale = false
            session.updateEditor { $0.openTimeTravel(Timeline(doc: $0.doc.rga, history: h)) }
            return true
        case .function(4), .ctrl("p"):
            peerNav.open()
            statsDeadline = nil
            refresh()
            return true
        default:
            return false
        }
    }
}
