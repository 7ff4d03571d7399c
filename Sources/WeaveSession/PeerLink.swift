// Over 500 lines: the wiring of one hub to one editor session — hub events, key routing, the
// status line and the peer list's rows from the hub's stats — which share the link's state. The quit
// flow (QuitFlow) and the peer list's keys (PeerListNavigation) are pure values in WeaveEditor;
// the rows and columns (makeList, PeerList.lines) are the next to move out (issue 31).
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
    public private(set) var connected: [Int: PeerInfo] = [:]
    /// Latest presence of every other replica heard of.
    public private(set) var presences: [ReplicaID: Presence] = [:]
    public private(set) var online = true
    /// Local edits made while no peer was connected (sent on reconnection).
    public private(set) var queuedEdits = 0
    /// Whether this side dials out (a joiner): "connecting…" when not connected.
    public var dialsOut = false
    /// Set when the outbound link stopped for good (refused: revoked, not let in…): no more "connecting…".
    public private(set) var linkStopped: String?
    /// (A joiner cut off from the host) when the link dials again (monotonic
    /// ns): the status line counts down to it; nil while dialing or connected.
    public private(set) var redialAt: UInt64?
    /// Whether a peer was ever connected in this session (then a joiner without one is cut off, not starting).
    private var wasConnected = false
    /// The relay said goodbye because it is restarting: said on the status line until a peer is back.
    private var relayRestarting = false
    /// The command that joins this host (with its invitation), shown under the peer list.
    public var joinCommand: String?
    /// The invitation in `joinCommand`: once the host's book says it no longer
    /// admits (`weave revoke` in another shell), the list says so instead of the command.
    public var joinInvitation: Invitation?
    private var joinInvitationRefused = false
    private var lastCursor: ElementID?? = .none
    private var lastSelection: Presence.SelectionEnd?
    /// The peer list's keys, selected row and following (`PeerListNavigation`).
    private var peerNav = PeerListNavigation()
    private var listShown: Bool { peerNav.shown }
    /// Whose cursor the view tracks (`f` in the peer list) until the next key.
    public var following: ReplicaID? { peerNav.following }
    /// Where the followed peer was last gone to: its file and cursor (a move
    /// to another file at the same cursor, both at the start, is a move too).
    private var followedAt: FollowedPlace? = nil
    struct FollowedPlace: Equatable { var document: DocumentID; var cursor: ElementID? }
    private var noticeAfterKey: String?
    private var statsDeadline: UInt64?
    /// Milliseconds between peer-list refreshes.
    public var statsInterval: UInt64 = 1000
    /// Newcomers waiting to be let in (`weave host --approve`), oldest first:
    /// the first is asked on the message line, y lets it in, n or Esc refuses.
    public private(set) var waiting: [Newcomer] = []
    /// (A session without a file: `weave join` without FILE) the edits seen
    /// during this run, so that F2 still time-travels; nil with a file (the
    /// session's own history serves).
    public private(set) var memoryHistory: History?
    private var memoryTimelineStale = false
    /// Ctrl-Q while some of this replica's edits are acknowledged by no peer
    /// (`PeerHub.delivery`): first a bounded wait for them to leave, then
    /// (a session without a file) a question — they would be lost. The flow
    /// is `QuitFlow`'s; this link feeds it and performs its actions.
    public typealias Quitting = QuitFlow.State
    public var quitting: Quitting { quit.state }
    private var quit = QuitFlow()
    /// How long Ctrl-Q waits for unacknowledged edits before asking, in seconds ("w" waits three times as long).
    public var quitWait: Double = 3
    /// Said on the terminal after the session ends (where a copy was saved).
    public private(set) var exitNote: String?
    private var passQuit = false
    /// Set when this link ended the session (a session without a file whose edits were all acknowledged, or the user said so).
    public private(set) var endedSession = false

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

    /// Applies one hub event (on the main thread).
    public func handle(_ event: PeerEvent) {
        apply(event)
        switch event {
        case .documentOperations, .remoteOperations:
            // Others' edits move this cursor without a key when they land right
            // at it: the editor keeps its cursor before the character after it,
            // peers place it after the character before it, so text put back
            // there (typed, pasted, undone) goes before the cursor here and
            // after it on their screens. Sent again when that character changed
            // (issue 28, defect 7).
            sendCursor()
        default:
            break
        }
    }

    private func apply(_ event: PeerEvent) {
        switch event {
        case .documentOperations, .documentHistory, .documentCaughtUp:
            workspace?.handle(event)
        case .history where workspace != nil, .remoteOperations where workspace != nil:
            // A shared folder's main document is its file list, not the text shown.
            workspace?.handle(event)
        case .history(let note):
            session.learn(note)
            for a in note.authors { memoryHistory?.authors[a.replica] = Author(a) }
        case .remoteOperations(let ops, _):
            do {
                try session.receive(ops)
                remember(ops, remote: true)
            } catch {
                session.updateEditor { $0.notify("Could not apply a peer's edit: \(error)") }
            }
        case .presence(let p):
            guard p.replica != hub.replica else { break }
            presences[p.replica] = p.departed ? nil : p
            workspace?.handle(event)
            if !p.departed { memoryHistory?.authors[p.replica] = Author(replica: p.replica, name: p.name, colour: Int(p.colour)) }
        case .peerJoined(let info):
            workspace?.handle(event)
            connected[info.connection] = info
            if info.outbound, info.readOnly { becomeReadOnly() }
            queuedEdits = 0
            redialAt = nil
            wasConnected = true
            relayRestarting = false
            session.updateEditor { $0.notify("\(Self.display(info.name)) joined (\(info.address))") }
            lastCursor = .none  // resend so the newcomer has it
            sendCursor()
        case .caughtUp:
            break
        case .peerLeft(let info, let reason):
            connected[info.connection] = nil
            if !connected.values.contains(where: { $0.replica == info.replica }) { presences[info.replica] = nil }
            workspace?.handle(event)  // after: its file list shows these presences
            let why: String
            switch reason {
            case .closedLocally: why = ""
            case .peerLeft(let r):
                why = r.isEmpty ? "" : " (\(r))"
                if r == PeerHub.restartingReason, info.outbound { relayRestarting = true }
            default: why = " (\(reason))"
            }
            session.updateEditor { $0.notify("\(Self.display(info.name)) left\(why)") }
        case .connecting:
            redialAt = nil
        case .retrying(_, let delay, let reason):
            // The status line counts down to the next dial and counts the
            // queued edits; the reason is said when nothing else is on the
            // message line (a leave announcement stays).
            redialAt = EditorSession.now() + UInt64(max(0, delay.nanoseconds))
            if online, session.editor.message == nil {
                session.updateEditor { $0.notify("Link down: \(reason)") }
            }
        case .linkFailed(_, let reason):
            workspace?.handle(event)
            linkStopped = "\(reason)"
            session.updateEditor { $0.notify("Link stopped: \(reason)") }
        case .connectionError(_, .unauthorized(.notApproved)):
            break  // this side refused it ("Refused NAME" is on the message line)
        case .connectionError(_, .closedLocally):
            // Someone dialled in while this side is offline (F6) and was turned away.
            session.updateEditor { $0.notify("Offline: a peer that tried to connect was turned away (F6 goes back online)") }
        case .connectionError(let address, let reason):
            session.updateEditor { $0.notify("A connection from \(address) failed: \(reason)") }
        case .onlineChanged(let on):
            online = on
            session.updateEditor { $0.notify(on ? "Back online" : "Offline (F6 goes back online)") }
        case .approvalRequested(let n):
            waiting.append(n)
            askNext()
        case .approvalWithdrawn(let request):
            if let n = waiting.first(where: { $0.request == request }) {
                waiting.removeAll { $0.request == request }
                session.updateEditor { $0.notify("\(Self.display(n.name)) stopped waiting to join") }
                askNext()
            }
        case .awaitingApproval:
            session.updateEditor { $0.notify("Waiting for the host to let you in…") }
        case .acknowledged:
            if case .sending = quitting { checkQuit() }
        case .editsDeclined(let info, let units, let reason):
            becomeReadOnly()
            session.updateEditor {
                $0.notify("Read-only: \(Self.display(info.name)) did not take \(units) edit\(units == 1 ? "" : "s") (\(reason)); the link stays open")
            }
        }
    }

    /// Why a read-only joiner's editor refuses edits.
    public static let readOnlyReason = "read-only invitation"

    /// The joiner's invitation is read-only (its token says so, or the host's
    /// answer): the editor refuses every edit with the reason, and the link
    /// keeps bringing the others' edits.
    public func becomeReadOnly() {
        isReadOnly = true
        guard session.editor.readOnly == nil else { return }
        session.updateEditor { $0.readOnly = Self.readOnlyReason }
    }

    /// The host admitted this side read-only (every file of a folder stays so).
    public private(set) var isReadOnly = false

    /// The document shown changed (a shared folder): the cursor is sent anew,
    /// and only the cursors in that file are drawn.
    public func documentChanged() {
        lastCursor = .none
        sendCursor()
        refresh()
    }

    /// The document the editor shows: `.main` for one file; nil in a shared folder showing no file.
    var shownDocument: DocumentID? { workspace.map { $0.current } ?? .main }

    /// Puts the first waiting newcomer's question on the message line (or clears it).
    func askNext() {
        let q = waiting.first.map { n in
            "\(Self.display(n.name)) (\(n.address), key \(n.shortKey)\(n.readOnly ? ", read-only" : "")) wants to join. Let in? y/n"
                + (waiting.count > 1 ? "  (+\(waiting.count - 1) waiting)" : "")
        }
        session.updateEditor { $0.question = q }
    }

    /// Answers the first waiting newcomer.
    public func answerFirst(allow: Bool) {
        guard let n = waiting.first else { return }
        waiting.removeFirst()
        hub.answer(n.request, allow: allow)
        session.updateEditor { $0.notify(allow ? "Let \(Self.display(n.name)) in" : "Refused \(Self.display(n.name))") }
        askNext()
    }

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
    private func remember(_ ops: [Operation], remote: Bool = false) {
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

    /// F6, F4 and Ctrl-P in the editor's plain edit mode; any key closes the list.
    public func filter(_ key: Key) -> Bool {
        if passQuit { return false }
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
            guard let action = peerNav.key(key, rows: rows, hasCursor: { presences[$0] != nil }) else { return false }
            switch action {
            case .select(let row):
                session.updateEditor { $0.peerList?.selected = row }
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

    // MARK: Quitting with edits not yet acknowledged

    /// What `QuitFlow` is told with each input: the delivery (blocks briefly on the hub's loop) and the link's state.
    private func quitFacts() -> QuitFlow.Facts {
        QuitFlow.Facts(pending: (try? hub.currentDelivery().pending) ?? 0, now: EditorSession.now(),
                       canSend: online && !connected.isEmpty, peerConnected: !connected.isEmpty,
                       hasFile: session.store != nil, joiner: dialsOut, wait: quitWait)
    }

    /// Ctrl-Q: false (the editor quits as usual) when every edit made here is
    /// held by a peer, or when a file's history keeps the rest for the next
    /// run and no peer is there to wait for; otherwise waits for them (at most
    /// `quitWait` seconds), or asks at once when no peer can take them now.
    func startQuit() -> Bool { perform(quit.step(.quit, quitFacts())) }

    /// Every edit acknowledged: quit; time is up: ask (in memory) or quit (the history keeps them).
    func checkQuit() { perform(quit.step(.tick, quitFacts())) }

    private func quitKey(_ key: Key) { perform(quit.step(.key(key), quitFacts())) }

    /// Performs `QuitFlow`'s actions in order; false when one hands Ctrl-Q to the editor.
    @discardableResult
    private func perform(_ actions: [QuitFlow.Action]) -> Bool {
        var consumed = true
        for action in actions {
            switch action {
            case .passToEditor: consumed = false
            case .notify(let text): session.updateEditor { $0.notify(text) }
            case .question(let q): session.updateEditor { $0.question = q }
            case .exitNote(let note): exitNote = note
            case .saveCopy:
                let next: QuitFlow.Input
                do { next = .copySaved(path: try saveCopy()) } catch { next = .copyFailed("\(error)") }
                perform(quit.step(next, quitFacts()))
            case .finish: finishQuit()
            }
        }
        return consumed
    }

    /// Where the quit flow's "save a copy" writes (the working directory by
    /// default; a test sets its own instead of changing the process's, which
    /// every suite running in parallel shares).
    public var copyFolder = "."

    /// Writes the whole text to a new file in `copyFolder` (`weave-copy-STAMP.txt`,
    /// local time) and returns its path. Throws when it cannot be written.
    private func saveCopy() throws -> String {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
        let name = (copyFolder == "." ? "" : copyFolder + "/") + "weave-copy-\(stamp).txt"
        try AtomicFile.write(name, Array(session.editor.text.utf8))
        return name
    }

    /// Ends the session (a session without a file), or runs the editor's own
    /// Ctrl-Q (it may still ask about an unsaved FILE).
    private func finishQuit() {
        if session.store == nil {
            endedSession = true
            session.loop.stop()
        } else {
            passQuit = true
            session.press(.ctrl("q"))
            passQuit = false
        }
    }

    static func edits(_ n: Int) -> String { QuitFlow.edits(n) }

    /// Quitting with a file while some edits reached no peer: where they are and when they go.
    static func unsentNote(_ n: Int, joiner: Bool) -> String { QuitFlow.unsentNote(n, joiner: joiner) }

    /// The link's state on the status line for a joiner with no peer: the
    /// countdown to the next dial (whole seconds, rounded up) or "reconnecting…"
    /// while dialing, and the edits queued meanwhile.
    func cutOffStatus(now: UInt64) -> String {
        var s: String
        if let at = redialAt, at > now {
            s = "reconnecting in \((at - now + 999_999_999) / 1_000_000_000) s"
        } else {
            s = wasConnected ? "reconnecting…" : "connecting…"
        }
        if relayRestarting { s = "relay restarting · " + s }
        if queuedEdits > 0 { s += " · \(Self.edits(queuedEdits)) queued" }
        return s
    }

    /// Moves this cursor to `replica`'s (where its element is known here).
    private func goTo(_ replica: ReplicaID) {
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

    /// The status line, remote cursors and (when shown) the peer list.
    func refresh() {
        if !joinInvitationRefused, let inv = joinInvitation, let why = hub.configuration.security?.invitations.refusal(of: inv) {
            // The start message shows the join command: say once that it stopped working.
            joinInvitationRefused = true
            session.updateEditor { $0.notify("The join command printed at start no longer works (\(why)); weave invite FILE prints one") }
        }
        let peers = Self.uniquePeers(connected.values)
        let shown = shownDocument
        let colours = peerColours()
        let cursors = presences.values.filter { $0.document == shown }.sorted { $0.name < $1.name }.map {
            RemoteCursor(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour)), after: $0.cursor, replica: $0.replica,
                         selection: $0.selection.map { $0.after })
        }
        if let f = following {
            if let p = presences[f] {
                let place = FollowedPlace(document: p.document, cursor: p.cursor)
                if followedAt != place {
                    followedAt = place
                    goTo(f)
                }
            } else {
                peerNav.stopFollowing()
                session.updateEditor { $0.notify("Stopped following: the peer left") }
            }
        }
        var status: String
        if !online {
            status = "offline — \(queuedEdits) edit\(queuedEdits == 1 ? "" : "s") queued"
        } else if peers.isEmpty {
            status = dialsOut ? (linkStopped != nil ? "link stopped" : cutOffStatus(now: EditorSession.now())) : "online, no peers"
        } else {
            status = "online"
        }
        if let arriving = workspace?.arrivalStatus { status = arriving + " · " + status }
        if let f = following, let p = presences[f] { status = "following \(Self.display(p.name)) · " + status }
        var list: PeerList?
        if listShown {
            let now = EditorSession.now()
            if statsDeadline == nil || now >= statsDeadline! {
                statsDeadline = now + statsInterval * 1_000_000
                list = makeList()
            } else {
                list = session.editor.peerList ?? makeList()
            }
            let selected = peerNav.clamp(rowCount: list?.rows.count ?? 0)
            list?.selected = selected
        }
        let relayed = relayedPresences()
        session.updateEditor { ed in
            ed.peerBadges = peers.map { PeerBadge(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour))) }
                + relayed.map { PeerBadge(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour))) }
            ed.peersStatus = status
            ed.remoteCursors = cursors
            ed.peerList = list
        }
    }

    /// The peer list from the hub's current stats (blocks briefly on the hub's loop).
    func makeList() -> PeerList {
        let stats = try? hub.currentStats()
        let colours = peerColours()
        let rows = (stats?.peers ?? []).map { s -> PeerList.Row in
            let name = s.peer.map { Self.display($0.name) } ?? "(\(s.address))"
            let colour = s.peer.flatMap { colours[$0.replica] } ?? Grid.Colour.author(Int(s.peer?.colour ?? 0))
            return PeerList.Row(
                name: name, colour: colour, state: s.state.rawValue, address: s.address,
                rttMilliseconds: s.rtt.map { Double($0.nanoseconds) / 1e6 },
                lastHeardSeconds: s.sinceLastHeard.map { Double($0.nanoseconds) / 1e9 },
                opsSent: s.opsSent, opsReceived: s.opsReceived, opsQueued: s.unitsQueued, replica: s.peer?.replica,
                file: s.peer.flatMap { workspace?.path(of: presences[$0.replica]?.document) },
                unacknowledged: s.unitsUnacknowledged, behind: s.unitsBehind)
        }
        // Everyone in the session, however many hops away: those heard of
        // through a relay have no link here, so no link figures (issue 28, defect 4).
        let through = Self.uniquePeers(connected.values).map { Self.display($0.name) }.joined(separator: ", ")
        let relayedRows = relayedPresences().map { p in
            PeerList.Row(name: Self.display(p.name), colour: colours[p.replica] ?? Grid.Colour.author(Int(p.colour)), state: "relayed",
                         address: through.isEmpty ? "" : "via \(through)", rttMilliseconds: nil, lastHeardSeconds: nil,
                         opsSent: 0, opsReceived: 0, opsQueued: 0, replica: p.replica, file: workspace?.path(of: p.document))
        }
        let me = "\(Self.display(hub.configuration.name)) (\(!online ? "offline — \(Self.edits(queuedEdits)) queued" : connected.isEmpty && dialsOut && linkStopped == nil ? cutOffStatus(now: EditorSession.now()) : "online"))"
        var footer = joinCommand.map { ["Others join with (Ctrl-C copies it; weave invite FILE prints it on one line):", $0] } ?? []
        if let inv = joinInvitation, let why = hub.configuration.security?.invitations.refusal(of: inv) {
            footer = ["The join command printed at start no longer works (\(why)):",
                      "weave invite FILE prints one that does."]
        }
        return PeerList(title: me, rows: rows + relayedRows, footer: footer)
    }

    /// Peers present in the session with no link to this side (their
    /// presence came through a relay), by name. O(peers).
    func relayedPresences() -> [Presence] {
        let direct = Set(connected.values.map(\.replica))
        return presences.values.filter { !direct.contains($0.replica) && $0.replica != hub.replica }
            .sorted { ($0.name, $0.replica) < ($1.name, $1.replica) }
    }

    /// A peer's name as drawn: "?" when empty, control and format characters
    /// (escape sequences a stranger could send) as "?".
    static func display(_ name: String) -> String {
        name.isEmpty ? "?" : Newcomer.printable(name)
    }

    /// The colour each peer is drawn in on this screen: `distinctColours` of
    /// the colours the connected and present peers chose.
    func peerColours() -> [ReplicaID: Grid.Colour] {
        var wanted: [ReplicaID: UInt8] = [:]
        for p in connected.values { wanted[p.replica] = p.colour }
        for p in presences.values where wanted[p.replica] == nil { wanted[p.replica] = p.colour }
        return Self.distinctColours(wanted)
    }

    /// One colour per peer (each joiner picks its own at random, so two may
    /// pick the same): by replica, each keeps the palette colour it chose
    /// unless a peer before it has it, then takes the next free one; peers
    /// look alike only when there are more of them than colours (6), which
    /// 8-colour terminals show as well as any.
    static func distinctColours(_ wanted: [ReplicaID: UInt8]) -> [ReplicaID: Grid.Colour] {
        let n = Grid.Colour.authorPalette.count
        var taken = Set<Int>()
        var out: [ReplicaID: Grid.Colour] = [:]
        for (replica, colour) in wanted.sorted(by: { $0.key < $1.key }) {
            let first = Int(colour) % n
            let i = (0 ..< n).map { (first + $0) % n }.first { !taken.contains($0) } ?? first
            taken.insert(i)
            out[replica] = Grid.Colour.author(i)
        }
        return out
    }

    /// One entry per replica (a peer connected twice shows once), by name.
    static func uniquePeers<S: Sequence>(_ infos: S) -> [PeerInfo] where S.Element == PeerInfo {
        var seen = Set<ReplicaID>()
        return infos.sorted { ($0.name, $0.connection) < ($1.name, $1.connection) }.filter { seen.insert($0.replica).inserted }
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
