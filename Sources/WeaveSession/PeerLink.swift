// The wiring of one hub to one editor session: its state and the session's hooks. Each concern
// is a file of its own: the hub's events (PeerLink+Events), the keys it takes (PeerLink+Keys),
// the status line (PeerLink+Status), the peer list's figures (PeerLink+PeerList) and the quit
// flow (PeerLink+Quit). The quit flow's steps (QuitFlow), the peer list's keys, mouse and
// columns (PeerListNavigation, PeerList) are pure values in WeaveEditor.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveStore

/// Wires an `EditorSession` to a `PeerHub` (`weave host`, `weave join`), all on
/// the session's main thread:
///
/// - the inbox's wake-up fd is a source of the session's `EventLoop`; its
///   events are applied there (remote operations through
///   `EditorSession.receive`, so they are recorded in the history);
/// - each local edit (`broadcast`, as the session's `SessionCompanion`) is submitted to the hub; the cursor's
///   element is sent after each round of keys when it moved;
/// - presence becomes remote cursors and coloured names on the status line;
///   joins and leaves go to the message line;
/// - F6 takes the link offline and back, F4 or Ctrl-P shows the peer list
///   (refreshed every second while shown).
public final class PeerLink: SessionCompanion {
    public let hub: PeerHub
    public let inbox: PeerInbox
    /// The session this link is the companion of (it keeps the link alive).
    public unowned let session: EditorSession
    /// Connected peers by connection.
    public internal(set) var connected: [Int: PeerInfo] = [:]
    /// Latest presence of every other replica heard of.
    public internal(set) var presences: [ReplicaID: Presence] = [:]
    public internal(set) var online = true
    /// Local edits made while no peer was connected (sent on reconnection).
    public internal(set) var queuedEdits = 0
    /// Whether this side dials out (a joiner): "connecting…" when not connected.
    public var dialsOut = false
    /// Set when the outbound link stopped for good (refused: revoked, not let in…): no more "connecting…".
    public internal(set) var linkStopped: String?
    /// (A joiner cut off from the host) when the link dials again (monotonic
    /// ns): the status line counts down to it; nil while dialing or connected.
    public internal(set) var redialAt: UInt64?
    /// Whether a peer was ever connected in this session (then a joiner without one is cut off, not starting).
    var wasConnected = false
    /// The relay said goodbye because it is restarting: said on the status line until a peer is back.
    var relayRestarting = false
    /// The command that joins this host (with its invitation), shown under the peer list.
    public var joinCommand: String?
    /// The invitation in `joinCommand`: once the host's book says it no longer
    /// admits (`weave revoke` in another shell), the list says so instead of the command.
    public var joinInvitation: Invitation?
    var joinInvitationRefused = false
    var lastCursor: ElementID?? = .none
    var lastSelection: Presence.SelectionEnd?
    /// The peer list's keys, selected row and following (`PeerListNavigation`).
    var peerNav = PeerListNavigation()
    var listShown: Bool { peerNav.shown }
    /// Whose cursor the view tracks (`f` in the peer list) until the next key.
    public var following: ReplicaID? { peerNav.following }
    /// Where the followed peer was last gone to: its file and cursor (a move
    /// to another file at the same cursor, both at the start, is a move too).
    var followedAt: FollowedPlace? = nil
    struct FollowedPlace: Equatable { var document: DocumentID; var cursor: ElementID? }
    var noticeAfterKey: String?
    var statsDeadline: UInt64?
    /// Milliseconds between peer-list refreshes.
    public var statsInterval: UInt64 = 1000
    /// Newcomers waiting to be let in (`weave host --approve`), oldest first:
    /// the first is asked on the message line, y lets it in, n or Esc refuses.
    public internal(set) var waiting: [Newcomer] = []
    /// (A session without a file: `weave join` without FILE) the edits seen
    /// during this run, so that F2 still time-travels; nil with a file (the
    /// session's own history serves).
    public internal(set) var memoryHistory: History?
    var memoryTimelineStale = false
    /// Ctrl-Q while some of this replica's edits are acknowledged by no peer
    /// (`PeerHub.delivery`): first a bounded wait for them to leave, then
    /// (a session without a file) a question — they would be lost. The flow
    /// is `QuitFlow`'s; this link feeds it and performs its actions.
    public typealias Quitting = QuitFlow.State
    public var quitting: Quitting { quit.state }
    var quit = QuitFlow()
    /// How long Ctrl-Q waits for unacknowledged edits before asking, in seconds ("w" waits three times as long).
    public var quitWait: Double = 3
    /// Said on the terminal after the session ends (where a copy was saved).
    public internal(set) var exitNote: String?
    var passQuit = false
    /// Set when this link ended the session (a session without a file whose edits were all acknowledged, or the user said so).
    public internal(set) var endedSession = false

    /// The shared folder's documents and file list, for `weave host DIR` /
    /// `weave join … DIR` (nil: one file).
    public var workspace: WorkspaceCompanion?

    public init(session: EditorSession, hub: PeerHub, inbox: PeerInbox) {
        self.session = session
        self.hub = hub
        self.inbox = inbox
    }

    /// Becomes the session's companion and listens to the hub's inbox. Call
    /// once, before `session.run()`.
    ///
    /// `early`: events already taken from the inbox (`weave join` drains it
    /// while it waits for the document: the peer's join is among them). They
    /// are applied first, and the status line is refreshed after them: the
    /// session's first frame is drawn before any event wakes its loop, and
    /// when every event came before the session started (a host that is
    /// quiet after the catch-up), nothing else would make it right — the
    /// joiner showed "connecting…" while connected.
    public func attach(replaying early: [PeerEvent] = []) {
        session.companion = self
        if session.store == nil {
            var h = History()
            h.authors[hub.replica] = Author(replica: hub.replica, name: hub.configuration.name, colour: Int(hub.configuration.colour))
            // The document that came before the session: its authors' edits where
            // the host sent their marks (see `JoinMerge.openSession`).
            let start = session.editor.doc.rga.operations(since: VersionVector())
            for e in early { if case .history(let note) = e { session.learn(note); for a in note.authors { h.authors[a.replica] = a } } }
            h.append(start, splitBy: session.marks, fallbackTime: StoredDocument.nowMillis())
            memoryHistory = h
        }
        session.loop.addSource(fd: inbox.fileDescriptor) { [unowned self] in
            for event in inbox.drain() { handle(event) }
        }
        for event in early { handle(event) }
        workspace?.commitWrites()
        // A shared folder's peers learn at once which file this side shows
        // (a joiner opens the host's file first).
        if workspace != nil { documentChanged() } else { refresh() }
    }

    /// Goes offline or back online (F6; `--offline` at start).
    public func setOnline(_ on: Bool) {
        online = on
        hub.setOnline(on)
        session.updateEditor { $0.notify(on ? "Going back online…" : "Offline (F6 goes back online): edits are kept and sent on reconnection") }
        refresh()
    }

    /// The host admitted this side read-only (every file of a folder stays so).
    public internal(set) var isReadOnly = false

    /// The document shown changed (a shared folder): the cursor is sent anew,
    /// and only the cursors in that file are drawn.
    public func documentChanged() {
        lastCursor = .none
        sendCursor()
        refresh()
    }

    /// The document the editor shows: `.main` for one file; nil in a shared folder showing no file.
    var shownDocument: DocumentID? { workspace.map { $0.current } ?? .main }

    // MARK: SessionCompanion

    /// Submits a local edit to the hub (counted as queued while no peer is connected).
    public func broadcast(_ ops: [Operation]) {
        remember(ops)
        if let w = workspace {
            guard let d = w.current else { return }
            hub.submit(ops, document: d)
        } else {
            hub.submit(ops)
        }
        if !online || connected.isEmpty { queuedEdits += 1 }
    }

    public func afterKeys() {
        if let n = noticeAfterKey {
            noticeAfterKey = nil
            session.updateEditor { $0.notify(n) }
        }
        sendCursor()
    }

    public func beforeDraw() {
        workspace?.commitWrites()
        if case .sending(let until) = quitting, EditorSession.now() >= until { checkQuit() }
        refresh()
        if memoryTimelineStale, session.editor.pane != nil, let h = memoryHistory {
            memoryTimelineStale = false
            session.updateEditor { $0.updateTimeline(Timeline(doc: $0.doc.rga, history: h)) }
        }
    }

    /// Adds an applied batch to the in-memory history: a local edit as one
    /// edit, a remote batch as the edits its marks say.
    func remember(_ ops: [Operation], remote: Bool = false) {
        guard memoryHistory != nil, ops.contains(where: { $0.length > 0 }) else { return }
        if remote {
            memoryHistory!.append(ops, splitBy: session.marks, fallbackTime: StoredDocument.nowMillis())
        } else {
            memoryHistory!.edits.append(Edit(time: StoredDocument.nowMillis(), ops: ops))
        }
        memoryTimelineStale = true
    }

    /// The peer list's next refresh while it is shown, or the end of the wait on quit.
    public var deadline: UInt64? {
        var next = listShown ? statsDeadline : nil
        if let at = redialAt, online, connected.isEmpty {
            // The countdown ticks: redraw when its whole second changes.
            let now = EditorSession.now()
            let tick = at > now ? now + (at - now) % 1_000_000_000 + 1_000_000 : now + 250_000_000
            next = min(next ?? tick, tick)
        }
        if case .sending(let until) = quitting { next = min(next ?? until, until) }
        return next
    }

    /// Says goodbye to every peer.
    public func beforeSignalExit() { _ = try? hub.shutdown() }

    /// Where the quit flow's "save a copy" writes (the working directory by
    /// default; a test sets its own instead of changing the process's, which
    /// every suite running in parallel shares).
    public var copyFolder = "."

    /// Moves this cursor to `replica`'s (where its element is known here).
    func goTo(_ replica: ReplicaID) {
        guard let p = presences[replica] else { return }
        if let w = workspace, p.document != w.current {
            // Jumping to (or following) a peer in another file opens that file.
            do { try w.open(p.document) } catch {
                session.updateEditor { $0.notify("Cannot open the peer's file: \(error)") }
                return
            }
        }
        session.updateEditor { ed in
            if let i = ed.doc.rga.cursorIndex(after: p.cursor) { ed.moveCursor(to: i) }
        }
        sendCursor()
    }

    /// Sends the cursor's element when it changed.
    func sendCursor() {
        let e = session.editor
        let element = e.doc.rga.cursorElement(at: e.cursor)
        // The selection's other end (peers draw the selection in this replica's colour).
        let end = e.selection.map { Presence.SelectionEnd(after: e.doc.rga.cursorElement(at: $0.lowerBound == e.cursor ? $0.upperBound : $0.lowerBound)) }
        if case .some(let last) = lastCursor, last == element, lastSelection == end { return }
        lastCursor = .some(element)
        lastSelection = end
        // In a folder showing no file the cursor is in no file of it (`.main` names none).
        hub.setCursor(element, selection: end, document: shownDocument ?? .main)
    }

}

extension PeerLink {
    /// A hub whose event-loop thread blocks the terminal's signals (SIGWINCH,
    /// SIGINT, SIGTERM, SIGHUP, SIGQUIT), so they reach the main thread, which
    /// polls and owns the terminal.
    public static func makeHub(document: RGA, configuration: PeerHub.Configuration, inbox: PeerInbox) -> PeerHub {
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        for s in [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, &old)
        let hub = PeerHub(document: document, configuration: configuration, onEvent: inbox.post)
        // Start the loop's thread now, while the mask is inherited.
        _ = try? hub.eventLoop.submit {}.wait()
        pthread_sigmask(SIG_SETMASK, &old, nil)
        return hub
    }
}
