import WeaveCore
import WeaveEditor
import WeaveHistory
import WeaveStore
import WeaveTerminal
#if canImport(Glibc)
import Glibc
#endif

/// One `weave edit FILE` session: the editor model, the terminal and the file
/// with its history (`StoredDocument`), driven by an `EventLoop`.
///
/// Every change — each local key's operations and each batch received from
/// peers — is recorded in the history and made durable by a group commit
/// `flushDelay` after the first unflushed record (the loop's poll timeout; no
/// polling). The status line says "history saved" only after the fsync
/// returned. Effects the model asks for are carried out here: saving the plain
/// text (Ctrl-S), quitting, redrawing, opening the time-travel pane. Broadcast
/// effects are handed to `onBroadcast` (networking).
public final class EditorSession {
    public private(set) var editor: Editor
    /// The file shown (in a shared folder, the current one: `swap(to:)`).
    public private(set) var path: String
    public let terminal = Terminal()
    public let loop: EventLoop
    /// The file and its history; nil for `weave replay` (read-only).
    public private(set) var store: StoredDocument?
    /// Carries out the file-list effects (open, create, rename, delete a file
    /// of a shared folder); nil outside one.
    public var onFileEffect: ((Effect) -> Void)?
    /// What the peer layer adds (`PeerLink`), or nil for a session alone. The
    /// session keeps it for as long as the session lives.
    public var companion: SessionCompanion?
    /// Why Ctrl-S cannot save, for a session without a file (nil: it can).
    public var saveRefusal: String?
    /// Seconds from the first unflushed record to the group commit
    /// (`$WEAVE_GROUP_COMMIT_MS` overrides it: tests that must catch edits not yet flushed).
    public var flushDelay: Double = {
        if let v = getenv("WEAVE_GROUP_COMMIT_MS"), let ms = Double(String(cString: v)), ms >= 0 { return ms / 1000 }
        return 0.05
    }()
    private var flushDeadline: UInt64?
    /// Why the last group commit failed, while it keeps failing: the status line
    /// keeps saying "history NOT saved" (typing does not turn it into
    /// "saving…") and the message line shows it whenever nothing else is said.
    public private(set) var historyFailure: String?
    /// Every peer's edit boundaries learnt so far (`learn`): remote operations
    /// are recorded as the edits they belong to.
    public private(set) var marks = MarkTable()
    /// Whether the history changed since the pane's timeline was built.
    private var timelineStale = false
    private var playDeadline: UInt64?

    /// Opens `path` for editing with its history (created beside it, with the
    /// file, when missing). Throws `StoreError` for binary or non-UTF-8 files,
    /// a damaged or newer sidecar, a sidecar without its file, or an unwritable
    /// directory.
    public convenience init(path: String, author: String = EditorSession.defaultAuthor, replica: ReplicaID = .random()) throws {
        let store = try StoredDocument(file: path, replica: replica, author: author,
                                       colour: Int(UInt32.random(in: 0 ..< UInt32(Grid.Colour.authorPalette.count))))
        self.init(path: path, store: store)
    }

    /// Edits `store`'s file (opened by the caller), shown as `path`.
    public init(path: String, store: StoredDocument) {
        self.path = path
        self.store = store
        editor = Editor(fileName: Self.baseName(path), document: store.doc)
        // The editor holds the document from here on; drop the store's copy so
        // the first edit does not copy it.
        store.doc = RGA(replica: store.doc.localReplica)
        editor.historyStatus = "history saved"
        editor.setModified(store.isModified(scalars: editor.buffer.scalars))
        loop = EventLoop()
        editor.notify(store.messages.isEmpty ? "F1 or Ctrl-G: help  F2: time travel" : store.messages.joined(separator: "; "))
    }

    /// Opens `path`'s history read-only in the time-travel pane (`weave
    /// replay`): nothing is written.
    public init(replay path: String, timeline: Timeline, document: RGA) throws {
        self.path = path
        store = nil
        editor = Editor(fileName: Self.baseName(path), document: document)
        editor.openTimeTravel(timeline, readOnly: true)
        loop = EventLoop()
    }

    /// Edits `document` in memory (`weave join` without FILE): no history, and
    /// Ctrl-S answers `saveRefusal`.
    public init(memory name: String, document: RGA, saveRefusal: String) throws {
        path = name
        store = nil
        self.saveRefusal = saveRefusal
        editor = Editor(fileName: name, document: document)
        editor.historyStatus = "in memory"
        loop = EventLoop()
    }

    /// Shows FILE read-only (`weave edit --read-only`, or when FILE's folder
    /// cannot hold its history): no history is written, every editing key is
    /// refused with `reason`, and nothing is saved. Throws `StoreError` when
    /// FILE is missing or not text.
    public init(readOnlyView path: String, reason: String) throws {
        self.path = path
        store = nil
        saveRefusal = reason
        guard let raw = try StoredDocument.readText(path) else {
            throw StoreError.io(path: path, action: "open", reason: "No such file or directory")
        }
        editor = Editor(fileName: Self.baseName(path), text: LineEnding.detect(raw).documentText(fromFile: raw))
        editor.readOnly = reason
        editor.historyStatus = "no history"
        loop = EventLoop()
        editor.notify("Read-only: \(reason)")
    }

    /// Lets the host change the model (presence, status) outside a key.
    public func updateEditor(_ body: (inout Editor) -> Void) { body(&editor) }

    /// One file of a shared folder while another is shown: its editor (cursor,
    /// undo, time travel), its history and the edit marks its peers sent.
    public struct Buffer {
        public var path: String
        public var editor: Editor
        public var store: StoredDocument?
        public var marks: MarkTable
        public init(path: String, editor: Editor, store: StoredDocument?, marks: MarkTable = MarkTable()) {
            self.path = path
            self.editor = editor
            self.store = store
            self.marks = marks
        }
    }

    /// Shows `next` instead of the current file, which is returned (its
    /// history flushed first: a failure is thrown and nothing changes). The
    /// terminal size and the peer status carry over.
    public func swap(to next: Buffer) throws -> Buffer {
        try store?.flush(current: editor.doc.rga)
        flushDeadline = nil
        var incoming = next.editor
        var settings = SettingsFile.current.settings
        settings.lineNumbers = editor.lineNumbers  // as toggled in this session
        settings.softWrap = editor.softWrap
        incoming.apply(settings)
        incoming.peersStatus = editor.peersStatus
        incoming.peerBadges = editor.peerBadges
        incoming.workspaceFiles = editor.workspaceFiles
        let size = editor.size
        let previous = Buffer(path: path, editor: editor, store: store, marks: marks)
        editor = incoming
        _ = editor.handle(.resize(width: size.width, height: size.height))
        path = next.path
        store = next.store
        marks = next.marks
        timelineStale = true
        terminal.invalidate()
        return previous
    }

    /// The current file's buffer moved to another path (a rename): only the
    /// name shown and the store change.
    public func replaceStore(_ store: StoredDocument?, path: String) {
        self.store = store
        self.path = path
        editor.fileName = Self.baseName(path)
    }

    /// The user's name: `$WEAVE_NAME`, `$USER`, `$LOGNAME`, the account's, the host's (`AuthorName`).
    /// The settings file's `name` comes after `$WEAVE_NAME`, before `$USER`.
    public static var defaultAuthor: String { SettingsFile.current.settings.name ?? AuthorName.current }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Runs until the user quits. The terminal is restored on return, on throw,
    /// and on fatal signals (see `Terminal`). On quit the history is flushed
    /// (a failure is thrown) and compacted when long.
    public func run() throws {
        let settings = SettingsFile.current
        terminal.mouseWanted = settings.settings.mouse
        terminal.monochrome = settings.settings.theme == .monochrome
        try terminal.start()
        defer { terminal.stop() }
        editor.apply(settings.settings)
        if let problem = settings.problemMessage { editor.notify(problem) }  // said once, at start
        if let notice = terminal.notice { editor.notify(notice) }  // no UTF-8 locale here: said once
        _ = editor.handle(.resize(width: terminal.size.width, height: terminal.size.height))
        loop.onInput = { [unowned self] in
            for key in terminal.readKeys() {
                if let companion, companion.filter(key) { continue }
                perform(editor.handle(key))
            }
            companion?.afterKeys()
        }
        loop.afterEvents = { [unowned self] in
            serviceTimers()
            companion?.beforeDraw()
            terminal.draw(editor.render())
        }
        loop.timeout = { [unowned self] in nextTimeout() }
        // SIGTERM/SIGHUP (kill, a closed terminal window): end the loop, make the
        // last edits durable (the group commit's ≤ 50 ms), then die of the signal.
        var signalFDs: [Int32] = [-1, -1]
        var dyingOf: Int32?
        if let fds = EventLoop.nonBlockingPipe() {
            signalFDs = fds
            loop.addSource(fd: signalFDs[0]) { [unowned self] in
                var b: UInt8 = 0
                if read(signalFDs[0], &b, 1) == 1 { dyingOf = Int32(b) }
                loop.stop()
            }
            Terminal.reportTermination(to: signalFDs[1])
        }
        defer {
            Terminal.reportTermination(to: -1)
            if signalFDs[0] >= 0 { close(signalFDs[0]); close(signalFDs[1]) }
        }
        companion?.beforeDraw()  // the first frame tells the truth too (peer status, cursors)
        terminal.draw(editor.render())
        loop.run()
        terminal.stop()
        if let sig = dyingOf {
            var failure: Error?
            do { try store?.flush(current: editor.doc.rga) } catch { failure = error }
            companion?.beforeSignalExit()
            if let failure {
                let text = "weave: history not saved on \(sig == SIGHUP ? "SIGHUP" : "SIGTERM"): \(failure)\n"
                _ = Array(text.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }
            Terminal.exit(dyingOf: sig)
        }
        if let store {
            try store.flush(current: editor.doc.rga)
            try store.compactIfLong(editor.doc.rga)
        }
    }

    /// Applies remote operations (for the network layer, on the main thread)
    /// and records the applied ones as one edit of the history. On a throw the
    /// operations before the failing one stay applied and recorded.
    public func receive(_ ops: [Operation]) throws {
        // Recorded: what applied (an operation the causal buffer holds back
        // is recorded when it applies), even when a later one throws.
        let before = editor.doc.rga.version
        defer { recordRemote(editor.doc.rga.operations(since: before)) }
        for op in ops { try editor.receive(op) }
    }

    /// Hands one key to the editor (tests drive the session without a terminal).
    func handleForTests(_ key: Key) -> [Effect] { editor.handle(key) }

    /// Hands one key to the session as the terminal would: the key filter, the
    /// editor, its effects, then `afterKeys` (tests drive peer sessions so).
    public func press(_ key: Key) {
        if let companion, companion.filter(key) { companion.afterKeys(); return }
        perform(editor.handle(key))
        companion?.afterKeys()
    }

    func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .save(let text):
                save(text, anyway: false)
            case .saveAnyway(let text):
                save(text, anyway: true)
            case .quit:
                loop.stop()
            case .redraw:
                terminal.invalidate()
            case .broadcast(let ops):
                record(ops)
                companion?.broadcast(ops)
            case .openTimeTravel:
                openTimeTravel()
            case .bell:
                break
            case .clipboard(let text):
                copyToSystemClipboard(text)
            case .openFile, .createFile, .renameFile, .deleteFile:
                onFileEffect?(effect)
            }
        }
    }

    /// Ctrl-S: writes FILE, unless another program changed it since Weave last
    /// read or wrote it (its change is then merged as an edit by "disk", shown,
    /// and sent to peers; nothing is written until the next Ctrl-S), or it is
    /// read-only and `anyway` is false (the user is asked to press Ctrl-S again).
    func save(_ text: String, anyway: Bool) {
        guard let store else {
            lastSaveProblem = saveRefusal ?? "read-only replay"
            editor.didSave(error: lastSaveProblem)
            return
        }
        do {
            if let change = try store.takeDiskChange(current: editor.doc.rga) {
                try receive(change.ops)
                companion?.broadcast(change.ops)
                store.acceptDiskText(change)
                editor.setModified(store.isModified(text: editor.text))
                lastSaveProblem = "\(Self.baseName(path)) was changed on disk: its change is merged as an edit by \"disk\". "
                    + "Not saved yet: save again to write the merged text"
                editor.notify("\(Self.baseName(path)) was changed on disk: its change is merged as an edit by \"disk\". "
                    + "Not saved yet: Ctrl-S writes the merged text")
                return
            }
        } catch {
            lastSaveProblem = "\(error)"
            editor.didSave(error: "\(error)")
            return
        }
        if !anyway, let warning = store.saveWarning() {
            lastSaveProblem = warning
            editor.askToSaveAnyway(warning)
            return
        }
        do {
            try store.writePlainText(text)
        } catch {
            lastSaveProblem = "\(error)"
            editor.didSave(error: "\(error)")
            return
        }
        // The file is written: say so, whatever happens to the history next.
        lastSaveProblem = nil
        editor.didSave(error: nil)
        do {
            let note = try store.noteSaved(text, current: editor.doc.rga)
            flushDeadline = nil
            historyFailure = nil
            editor.historyStatus = "history saved"
            if let note { editor.notify(note) }
        } catch {
            // Retried by the group commit, which says when it succeeds.
            if flushDeadline == nil { flushDeadline = Self.now() + 1_000_000_000 }
            historyFailure = "History not saved: \(error)"
            editor.historyStatus = "history NOT saved"
            editor.notify("Saved \(editor.fileName), but its history is NOT saved: \(error)")
        }
    }

    /// How the last save ended: nil when FILE was written whole (its
    /// history may still be failing: see `historyFailure`), else why not,
    /// in a sentence. Set by every save; for `weave connect`'s `saved` reply.
    public private(set) var lastSaveProblem: String?

    /// Hands the editor the timeline of the whole history (F2).
    func openTimeTravel() {
        guard let store else { return }
        editor.openTimeTravel(Timeline(doc: editor.doc.rga, history: store.history))
        timelineStale = false
    }

    /// Copies `text` to the system clipboard with OSC 52 when the user enabled
    /// it (`WEAVE_OSC52=1`); otherwise the editor's own clipboard is all there is.
    /// Returns whether it was sent.
    @discardableResult
    public func copyToSystemClipboard(_ text: String) -> Bool {
        guard SettingsFile.current.settings.osc52 else { return false }  // WEAVE_OSC52 or the file
        terminal.copyToSystemClipboard(text)
        return true
    }

    /// Authors and edit boundaries a peer sent: the authors go into the history
    /// (by name from now on), the marks split the operations that follow.
    public func learn(authors: [Author], marks new: [EditMark]) {
        for m in new { marks.insert(m) }
        for a in authors { store?.registerAuthor(a) }
    }

    /// Records a peer's batch as the edits their authors made (the marks that
    /// came with them), else as one edit now; a large catch-up at once.
    private func recordRemote(_ ops: [Operation]) {
        guard let store, !ops.isEmpty else { return }
        let pieces = marks.split(ops, fallbackTime: StoredDocument.nowMillis())
        guard pieces.count >= StoredDocument.bulkEdits else {
            for piece in pieces { record(piece.ops, time: piece.time) }
            return
        }
        do {
            try store.record(pieces, current: editor.doc.rga)
            historyFailure = nil
            editor.historyStatus = "history saved"
            timelineStale = true
        } catch {
            // No snapshot: the store keeps them as records; the group commit makes them durable.
            if flushDeadline == nil { flushDeadline = Self.now() + UInt64(flushDelay * 1e9) }
            if historyFailure == nil { editor.historyStatus = "saving…" }
            timelineStale = true
        }
    }

    /// Records one edit and schedules the group commit.
    private func record(_ ops: [Operation], time: Int64 = StoredDocument.nowMillis()) {
        guard let store, !ops.isEmpty else { return }
        store.record(ops, time: time)
        if flushDeadline == nil { flushDeadline = Self.now() + UInt64(flushDelay * 1e9) }
        if historyFailure == nil { editor.historyStatus = "saving…" }
        timelineStale = true
    }

    /// Due timers: the group commit, the pane's timeline, a playback step.
    func serviceTimers() {
        let now = Self.now()
        if let d = flushDeadline, now >= d, let store {
            do {
                let note = try store.flush(current: editor.doc.rga)
                flushDeadline = nil
                if historyFailure != nil {
                    editor.notify("History saved again: everything typed while it failed is in it")
                }
                historyFailure = nil
                editor.historyStatus = "history saved"
                if let note { editor.notify(note) }
            } catch {
                flushDeadline = now + 1_000_000_000  // try again in a second
                let first = historyFailure == nil
                historyFailure = "History not saved: \(error)"
                editor.historyStatus = "history NOT saved"
                // Said when it starts; a retry that fails again leaves other messages (a refused Ctrl-S) alone.
                if first { editor.notify(historyFailure!) }
            }
        }
        // While the history cannot be written, say so whenever nothing else is said.
        if let historyFailure, editor.message == nil, editor.question == nil { editor.notify(historyFailure) }
        if editor.pane != nil, timelineStale, let store {
            editor.updateTimeline(Timeline(doc: editor.doc.rga, history: store.history))
            timelineStale = false
        }
        if let delay = editor.playDelay {
            if let d = playDeadline, now >= d {
                editor.playStep()
                playDeadline = editor.playDelay.map { now + UInt64($0 * 1e9) }
            } else if playDeadline == nil {
                playDeadline = now + UInt64(delay * 1e9)
            }
        } else {
            playDeadline = nil
        }
    }

    /// Milliseconds until the next timer, or -1.
    private func nextTimeout() -> Int32 {
        let next = [flushDeadline, playDeadline, companion?.deadline].compactMap { $0 }.min()
        guard let next else { return -1 }
        let now = Self.now()
        return next <= now ? 0 : Int32(min((next - now + 999_999) / 1_000_000, 60_000))
    }

    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
