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
    private var document: BridgeDocument?
    private var uri = ""
    private var framer = BridgeFramer()
    private let input: Int32
    private let output: Int32
    private var lastCursors: [ClientMessage.PeerCursor]?
    private var lastPeers: [ClientMessage.PeerEntry]?
    private var lastStatus: String?
    /// Set when the editor's pipe broke (nothing more can be said).
    private var gone = false

    public init(_ live: LiveSession, input: Int32 = 0, output: Int32 = 1) {
        (self.live, self.input, self.output) = (live, input, output)
    }

    /// Serves the editor until it closes stdin; then flushes the history and
    /// says goodbye to the peers. Throws when the history cannot be saved.
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
        if let store = session.store {
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

    /// Applies one message from the editor.
    func handle(_ body: [UInt8]) {
        let message: EditorMessage
        do { message = try EditorMessage.parse(body) } catch {
            send(.error("\(error)"))
            return
        }
        switch message {
        case .open(let uri, _):
            self.uri = uri
            let rga = session.editor.doc.rga
            document = BridgeDocument(showing: rga)
            lastCursors = nil
            send(.document(uri: uri, text: rga.text, revision: 0, readOnly: session.editor.readOnly != nil))
        case .edit(let uri, let revision, let changes):
            guard var doc = document, uri == self.uri else { send(.error("edit of \(uri), which is not open")); return }
            if let why = session.editor.readOnly {
                // Nothing applies: the editor is told, and shown the document again.
                send(.error("this session is read-only (\(why)): the change is undone"))
                document = BridgeDocument(showing: session.editor.doc.rga)
                send(.document(uri: uri, text: session.editor.doc.rga.text, revision: 0, readOnly: true))
                return
            }
            var result: Result<[Operation], BridgeDocument.Failure> = .success([])
            session.updateEditor { ed in
                result = ed.editExternally { d in Result { () throws(BridgeDocument.Failure) in try doc.take(changes, revision: revision, into: &d) } }
            }
            switch result {
            case .success(let ops):
                document = doc
                if !ops.isEmpty { session.perform([.broadcast(ops)]) }
            case .failure(let failure):
                // The editor and the client no longer agree: it is shown the document again.
                send(.error("an edit could not be applied (\(failure)): the buffer is reloaded"))
                document = BridgeDocument(showing: session.editor.doc.rga)
                send(.document(uri: uri, text: session.editor.doc.rga.text, revision: 0, readOnly: false))
            }
        case .cursor(let uri, let revision, let head, let anchor):
            let rga = session.editor.doc.rga
            guard let doc = document, uri == self.uri, let index = doc.documentIndex(of: head, revision: revision, in: rga) else { return }
            let from = anchor.flatMap { doc.documentIndex(of: $0, revision: revision, in: rga) }
            session.updateEditor { $0.placeCursor(index, selectingFrom: from) }
            live.link.sendCursor()
        case .save(let uri):
            guard uri == self.uri else { send(.saved(uri: uri, error: "\(uri) is not open")); return }
            session.perform([.saveAnyway(text: session.editor.text)])
            let said = session.editor.message ?? ""
            // "Saved FILE (N lines)" when written whole; anything else says what went wrong.
            let whole = said.hasPrefix("Saved ") && !said.contains("NOT saved")
            send(.saved(uri: uri, error: whole ? nil : (said.isEmpty ? "not saved" : said)))
        case .close(let uri):
            if uri == self.uri { document = nil }
        case .online(let on):
            live.link.setOnline(on)
        }
    }

    /// Sends what changed since the last round: peers' edits, cursors, peers, status.
    func push() {
        let rga = session.editor.doc.rga
        if var doc = document {
            if let c = doc.catchUp(rga) {
                send(.edit(uri: uri, revision: c.revision, editorRevision: c.editorRevision, changes: c.changes))
            }
            document = doc
            let cursors = session.editor.remoteCursors.map { c -> ClientMessage.PeerCursor in
                let head = doc.position(ofIndex: rga.cursorIndex(after: c.after) ?? 0)
                let anchor = c.hasSelection ? doc.position(ofIndex: rga.cursorIndex(after: c.selectionEnd) ?? 0) : nil
                return ClientMessage.PeerCursor(name: c.name, colour: Self.hex(c.colour), head: head, anchor: anchor)
            }
            if cursors != lastCursors {
                lastCursors = cursors
                send(.cursors(uri: uri, cursors))
            }
        }
        let peers = session.editor.peerBadges.map { ClientMessage.PeerEntry(name: $0.name, colour: Self.hex($0.colour)) }
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

    /// A peer colour as the editor draws it (the terminal's hue, as #rrggbb).
    static func hex(_ c: Grid.Colour) -> String {
        switch c {
        case .standard: return "#c0c0c0"
        case .red: return "#d75f5f"
        case .green: return "#5faf5f"
        case .yellow: return "#d7af00"
        case .blue: return "#5f87d7"
        case .magenta: return "#af5fd7"
        case .cyan: return "#00afaf"
        case .white: return "#e4e4e4"
        }
    }
}
