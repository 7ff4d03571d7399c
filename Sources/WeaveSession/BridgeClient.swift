#if canImport(Glibc)
import Glibc
#endif
import WeaveBridge
import WeaveCore
import WeaveEditor
import WeaveTerminal

/// `weave connect`: a session (joined or hosted through `SessionStart`, so
/// TLS, invitations, history beside FILE, the offline queue and reconnects
/// are those of `weave join`) shown in another editor, which talks the editor
/// protocol (docs/EDITORS.md) on stdin and stdout instead of a terminal.
///
/// One thread: the session's event loop polls stdin and the hub's inbox;
/// each round applies the editor's messages, then the peers' events, then
/// sends the editor what changed (peers' edits as `BridgeDocument` computes
/// them, cursors, peers, the link's status). Ends when the editor closes
/// stdin; the history is flushed as on quitting Weave's own editor.
public final class BridgeClient {
    let live: LiveSession
    var session: EditorSession { live.session }
    /// The documents the editor shows, by `uri`: for one file, whatever uri
    /// the editor gave (the session's one document); for a shared folder, the
    /// file's path inside it.
    private var shown: [String: Shown] = [:]
    private var framer = BridgeFramer()
    private let input: Int32
    private let output: Int32
    private var lastPeers: [ClientMessage.PeerEntry]?
    private var lastStatus: String?
    private var lastFiles: [ClientMessage.FileEntry]?
    /// Set when the editor's pipe broke (nothing more can be said).
    private var gone = false

    /// One document shown in the editor.
    struct Shown {
        /// The folder's document; nil for the session's one document.
        var id: DocumentID?
        var bridge: BridgeDocument
        var lastCursors: [ClientMessage.PeerCursor]?
    }

    public init(_ live: LiveSession, input: Int32 = 0, output: Int32 = 1) {
        (self.live, self.input, self.output) = (live, input, output)
    }

    /// Serves the editor until it closes stdin; then flushes the history (for
    /// a folder, every file's) and says goodbye to the peers. Throws when a
    /// history cannot be saved.
    public func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let loop = session.loop
        defer { _ = try? live.hub.shutdown() }
        if input != 0 {
            _ = loop.addSource(fd: input) { [unowned self] in readInput(loop) }
        } else {
            loop.onInput = { [unowned self] in readInput(loop) }
        }
        loop.afterEvents = { [unowned self] in
            session.serviceTimers()
            live.link.beforeDraw()
            push()
        }
        loop.timeout = { 100 }
        if let command = live.joinCommand { send(.hosting(joinCommand: command)) }
        push()
        loop.run()
        if let workspace = live.workspace {
            try workspace.flushAll()
        } else if let store = session.store {
            try store.flush(current: session.editor.doc.rga)
            try store.compactIfLong(session.editor.doc.rga)
        }
    }

    private func readInput(_ loop: EventLoop) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(input, &buffer, buffer.count)
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        guard n > 0 else { loop.stop(); return }  // the editor closed the pipe: done
        framer.append(buffer[..<n])
        do {
            while let body = try framer.next() { handle(body) }
        } catch {
            send(.error("the editor's input cannot be read: \(error)"))
            loop.stop()
        }
    }

    /// A message about `uri` that cannot be followed, in a sentence.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Makes the document `uri` names the one the session shows and returns
    /// it (nil: the session's one document). For a folder, a shown uri keeps
    /// its document; a new one is the file at that path, created (on every
    /// peer) when `creating` and there is none. Throws `Refusal`.
    private func select(_ uri: String, creating: Bool = false) throws(Refusal) -> DocumentID? {
        guard let workspace = live.workspace else { return nil }
        do {
            if let d = shown[uri]?.id {
                if workspace.current != d { try workspace.open(d) }
                return d
            }
            let path = try WorkspaceSession.typed(uri)
            if let d = workspace.folder.state.document(at: path) {
                if workspace.current != d { try workspace.open(d) }
                return d
            }
            guard creating else { throw Refusal("\(uri) is not a file of the shared folder") }
            try workspace.create(path)
            guard let d = workspace.current, workspace.path(of: d) == path else { throw Refusal("\(uri) could not be created") }
            return d
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal("\(uri): \(error)")
        }
    }

    /// The document's CRDT as it is now: the session's, or (folder) the file's editor's.
    private func replica(_ id: DocumentID?) -> RGA? {
        guard let id, let workspace = live.workspace else { return session.editor.doc.rga }
        return workspace.replica(of: id)
    }

    /// Shows `uri` afresh: the buffer becomes the document, counters restart.
    private func reload(_ uri: String, id: DocumentID?) {
        guard let rga = replica(id) else { return }
        shown[uri] = Shown(id: id, bridge: BridgeDocument(showing: rga))
        send(.document(uri: uri, text: rga.text, revision: 0, readOnly: session.editor.readOnly != nil))
    }

    /// Applies one message from the editor.
    func handle(_ body: [UInt8]) {
        let message: EditorMessage
        do { message = try EditorMessage.parse(body) } catch {
            send(.error("\(error)"))
            return
        }
        do {
            try apply(message)
        } catch {
            send(.error(error.description))
        }
    }

    private func apply(_ message: EditorMessage) throws(Refusal) {
        switch message {
        case .open(let uri, _):
            if live.workspace == nil, let other = shown.keys.first(where: { $0 != uri }) {
                shown[other] = nil  // one file: the newest buffer shows it
            }
            let id = try select(uri, creating: true)
            reload(uri, id: id)
        case .edit(let uri, let revision, let changes):
            guard shown[uri] != nil else { throw Refusal("edit of \(uri), which is not open") }
            let id = try select(uri)
            guard var doc = shown[uri]?.bridge else { return }
            if let why = session.editor.readOnly {
                // Nothing applies: the editor is told, and shown the document again.
                send(.error("this session is read-only (\(why)): the change is undone"))
                reload(uri, id: id)
                return
            }
            var result: Result<[Operation], BridgeDocument.Failure> = .success([])
            session.updateEditor { ed in
                result = ed.editExternally { d in Result { () throws(BridgeDocument.Failure) in try doc.take(changes, revision: revision, into: &d) } }
            }
            switch result {
            case .success(let ops):
                shown[uri]?.bridge = doc
                if !ops.isEmpty { session.perform([.broadcast(ops)]) }
            case .failure(let failure):
                // The editor and the client no longer agree: it is shown the document again.
                send(.error("an edit could not be applied (\(failure)): the buffer is reloaded"))
                reload(uri, id: id)
            }
        case .cursor(let uri, let revision, let head, let anchor):
            guard shown[uri] != nil else { return }
            _ = try select(uri)
            let rga = session.editor.doc.rga
            guard let doc = shown[uri]?.bridge, let index = doc.documentIndex(of: head, revision: revision, in: rga) else { return }
            let from = anchor.flatMap { doc.documentIndex(of: $0, revision: revision, in: rga) }
            session.updateEditor { $0.placeCursor(index, selectingFrom: from) }
            live.link.sendCursor()
        case .save(let uri):
            guard shown[uri] != nil else { send(.saved(uri: uri, error: "\(uri) is not open")); return }
            do { _ = try select(uri) } catch { send(.saved(uri: uri, error: error.description)); return }
            session.perform([.saveAnyway(text: session.editor.text)])
            send(.saved(uri: uri, error: session.lastSaveProblem))
        case .close(let uri):
            shown[uri] = nil
        case .online(let on):
            live.link.setOnline(on)
        }
    }

    /// Sends what changed since the last round: (folder) renamed and deleted
    /// documents and the file list; then for each document shown, peers'
    /// edits and cursors; then peers and the link's status.
    func push() {
        if let workspace = live.workspace {
            for uri in shown.keys.sorted() {
                guard let s = shown[uri], let id = s.id else { continue }
                if let path = workspace.path(of: id) {
                    if path != uri {
                        shown[uri] = nil
                        shown[path] = s
                        send(.renamed(uri: uri, to: path))
                    }
                } else {
                    shown[uri] = nil
                    send(.closed(uri: uri, reason: "\(uri) was deleted by a peer (its history stays: weave show)"))
                }
            }
            let files = (session.editor.workspaceFiles ?? []).map { ClientMessage.FileEntry(path: $0.path, peers: $0.peers.map(\.name)) }
            if files != lastFiles {
                lastFiles = files
                send(.folder(root: Self.absolute(workspace.folder.root), files: files))
            }
        }
        for uri in shown.keys.sorted() {
            guard var s = shown[uri], let rga = replica(s.id) else { continue }
            if let c = s.bridge.catchUp(rga) {
                send(.edit(uri: uri, revision: c.revision, editorRevision: c.editorRevision, changes: c.changes))
            }
            // Peers' cursors are known in the document the session shows.
            let showsIt = s.id == nil || s.id == live.workspace?.current
            let cursors = !showsIt ? [] : session.editor.remoteCursors.map { c -> ClientMessage.PeerCursor in
                let head = s.bridge.position(ofIndex: rga.cursorIndex(after: c.after) ?? 0)
                let anchor = c.hasSelection ? s.bridge.position(ofIndex: rga.cursorIndex(after: c.selectionEnd) ?? 0) : nil
                return ClientMessage.PeerCursor(name: c.name, colour: c.colour.hex, head: head, anchor: anchor)
            }
            if cursors != s.lastCursors {
                s.lastCursors = cursors
                send(.cursors(uri: uri, cursors))
            }
            shown[uri] = s
        }
        let peers = session.editor.peerBadges.map { ClientMessage.PeerEntry(name: $0.name, colour: $0.colour.hex) }
        if peers != lastPeers {
            lastPeers = peers
            send(.peers(peers))
        }
        let status = session.editor.peersStatus
        if status != lastStatus {
            lastStatus = status
            send(.status(text: status, online: status.hasPrefix("online")))
        }
    }

    /// Writes one framed message (blocking; a broken pipe ends the session).
    func send(_ message: ClientMessage) {
        guard !gone else { return }
        let bytes = BridgeFramer.frame(message.body)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { gone = true; session.loop.stop(); return }
            done += n
        }
    }

    /// `path` from the root of the file system (the editor may run in
    /// another directory than weave was given it relative to): the real
    /// path when it exists, else joined to the working directory.
    static func absolute(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        if path.hasPrefix("/") { return path }
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        guard buffer.withUnsafeMutableBufferPointer({ p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { getcwd($0, p.count) } }) != nil
        else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        return (cwd == "/" ? "" : cwd) + "/" + path
    }
}
