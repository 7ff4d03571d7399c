import WeaveCore
import WeaveHistory

/// The whole state of one editing session, without any terminal or file:
/// `handle(_:)` turns a key into a new state plus effects, and `render` (see
/// Render.swift) turns a state into a `Grid`.
///
/// The cursor is an index into the visible text, re-derived after remote edits
/// from `anchor`, an element ID, so text others insert or delete elsewhere never
/// moves it off its character.
public struct Editor: Sendable {
    /// What the keys currently drive.
    public enum Mode: Sendable, Equatable {
        case edit
        case help
        /// A one-line question on the message line (find, go to line, replace).
        case prompt(Prompt)
        /// A replace asks about the highlighted match: y, n, a or Esc
        /// (Editor+Replace.swift).
        case replacing
    }

    public struct Prompt: Sendable, Equatable {
        /// What Enter does with the answer.
        public enum Purpose: Sendable, Equatable {
            case find, goToLine
            /// Replace's first question (the text to find), then its second
            /// (the replacement for this text).
            case replaceFind, replaceWith([Unicode.Scalar])
        }
        public var label: String
        public var input: [Unicode.Scalar]
        public var purpose: Purpose = .find
        /// Said after the input until the next key: a bad pattern, a switch
        /// just toggled.
        public var note: String?
        /// Whether Alt-R and Alt-C (regex, case) apply to this prompt.
        var searches: Bool {
            switch purpose {
            case .find, .replaceFind: return true
            case .goToLine, .replaceWith: return false
            }
        }
    }

    /// Where the cursor is held: before an element, after one (the cursor at the
    /// end of a non-empty document) or at the start of an empty one.
    enum Anchor: Sendable, Equatable {
        case before(ElementID), after(ElementID), start
    }

    /// Top-left of the view: a line and a visual row within it (soft wrap).
    public struct ViewTop: Sendable, Equatable, Comparable {
        public var line: Int
        public var row: Int
        public static func < (a: ViewTop, b: ViewTop) -> Bool { (a.line, a.row) < (b.line, b.row) }
    }

    /// Terminal size in cells.
    public struct Size: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) { self.width = width; self.height = height }
    }

    // MARK: Document

    /// The document, its text view and the cursor index.
    public internal(set) var doc: DocumentEditing
    var anchor: Anchor = .start
    /// The column Up/Down aim for, kept across short lines.
    var goalX: Int?
    public internal(set) var undo = UndoHistory()

    // MARK: File and status

    public var fileName: String
    /// Whether there are changes (local or remote) since the last save.
    public internal(set) var modified = false
    /// The message line's text until the next key.
    public internal(set) var message: String?
    /// Free text for the status line: peer names and link state (set by the host).
    public var peersStatus = ""
    /// Peer names drawn in their colours on the status line, before `peersStatus`.
    public var peerBadges: [PeerBadge] = []
    /// Other peers' cursors (see Editor+Peers.swift).
    public var remoteCursors: [RemoteCursor] = []
    /// The peer list, when shown (over the text rows).
    public var peerList: PeerList?
    /// A question the host asks the user (a newcomer waiting to be let in):
    /// drawn on the message line, above any message, until it is cleared.
    /// The host reads the answer (its key filter); the editor only shows it.
    public var question: String?
    /// The message line's key hint when there is nothing else to say; nil: the
    /// editor's own ("F1 help  ^S save …"). A host whose keys differ (the
    /// demo's panes) sets its own, or "" for none.
    public var keyHint: String?
    /// Free text for the status line: whether the history is durable ("history
    /// saved", "saving…"; set by the host).
    public var historyStatus = ""
    /// Why the document cannot be changed here, or nil when it can: set by the
    /// host for a file whose folder cannot hold its history, or a watcher's
    /// read-only invitation. Every key that would edit (or save, or restore)
    /// is refused with this reason on the message line; moving, finding and
    /// time travel work. The status line says "[read-only]".
    public var readOnly: String?
    /// Set by a joiner's session while this file's text is still arriving
    /// from the host: the status line says "[arriving]", never "[saved]".
    public var arriving = false
    /// The time-travel pane, when open (see Editor+TimeTravel.swift).
    public internal(set) var pane: TimeTravelPane?
    /// The files of the shared folder, set by the session of a workspace
    /// (`weave host DIR`) whenever they or the peers in them change, also
    /// while the file list is open (it follows: see `FileList.update`); nil
    /// in a single-file session, where Ctrl-B / F5 only say what the list is
    /// for. Setting nil closes the list.
    public var workspaceFiles: [FileListEntry]? {
        didSet { workspaceFilesChanged() }
    }
    /// The file list, while open (Ctrl-B or F5; see Editor+FileList.swift).
    public internal(set) var fileList: FileList?

    // MARK: View

    public internal(set) var size: Size
    /// The help screen's first line shown (Help.swift).
    var helpTop = 0
    public internal(set) var top = ViewTop(line: 0, row: 0)
    /// First column shown when not wrapping.
    public internal(set) var leftColumn = 0
    public internal(set) var softWrap = true
    public internal(set) var lineNumbers = false
    public var tabWidth = 8
    /// Whether Tab and indenting put tabs (else `indentWidth` spaces); detected
    /// from the file when it has a clear style (Editor+Indent.swift).
    public var indentTabs = true
    /// Spaces per indent when `indentTabs` is off.
    public var indentWidth = 4
    /// Whether code is coloured (Editor+Syntax.swift); a setting.
    public internal(set) var syntaxColour = true
    /// The file name the syntax language was detected for.
    var syntaxDetectedFor: String?
    public internal(set) var mode: Mode = .edit

    // MARK: Commands

    var cutBuffer: [Unicode.Scalar] = [] { didSet { clipboardChanged = true } }
    /// The clipboard changed during this key (`Effect.clipboard`).
    var clipboardChanged = false
    var lastKeyWasCut = false
    var lastSearch: [Unicode.Scalar] = []
    /// Whether find and replace take the query as a regular expression (Alt-R
    /// in their prompt; a setting gives the default).
    public var searchRegex = false
    /// How find and replace compare case (Alt-C in their prompt).
    public var searchCase = SearchQuery.CaseRule.smart
    /// The highlighted match's length (it starts at the cursor): set by find
    /// until the next key, and by replace while it asks. See `currentMatch`.
    var matchLength: Int?
    /// The replace in progress (mode `.replacing`).
    var replaceRun: ReplaceRun?
    var quitArmed = false
    /// Where the mouse button went down in the text (a drag selects from it).
    var dragOrigin: Anchor?
    /// Whether mouse events are handled (a setting: off leaves the mouse to
    /// the terminal's own selection).
    public var mouse = true
    /// The user's keys for commands (a setting; KeyBindings.swift).
    public var keyBindings = KeyBindings()
    /// The selection's other end (the cursor is one end), anchored to an
    /// element like the cursor so that others' edits do not move it; nil: no
    /// selection. See Editor+Selection.swift.
    var mark: Anchor?
    /// Whether the mark was set with Alt-A (plain movement then extends the
    /// selection) rather than by Shift+movement (plain movement ends it).
    var markSticky = false
    /// Set by `askToSaveAnyway`: the next key, if Ctrl-S, saves despite the warning.
    var saveArmed = false
    /// Operations made by the current key, sent as one `.broadcast` effect.
    var outgoing: [Operation] = []

    /// An editor on `text`, imported as the document's first edit (not undoable,
    /// not counted as a modification). O(n).
    public init(fileName: String, text: String = "", replica: ReplicaID = .random(),
                size: Size = Size(width: 80, height: 24)) {
        var rga = RGA(replica: replica)
        let scalars = Array(text.unicodeScalars)
        if !scalars.isEmpty { rga.insert(scalars, at: 0) }
        self.init(fileName: fileName, document: rga, size: size)
    }

    /// An editor on an existing document (for instance one received from peers).
    /// O(n).
    public init(fileName: String, document: RGA, size: Size = Size(width: 80, height: 24)) {
        self.fileName = fileName
        self.size = size
        doc = DocumentEditing(rga: document, buffer: TextBuffer(document.visibleScalars), cursor: 0)
        reanchor()
        refreshSyntax()
        if let style = IndentStyle.detect(doc.buffer.scalars) {
            indentTabs = style.tabs
            indentWidth = style.width
        }
    }

    /// The text.
    public var text: String { doc.buffer.text }
    /// The cursor: an index into the visible scalars.
    public var cursor: Int { doc.cursor }
    public var buffer: TextBuffer { doc.buffer }

    /// Cursor line and column, 0-based (column in scalars). O(log lines).
    public var lineAndColumn: (line: Int, column: Int) {
        let line = doc.buffer.line(of: doc.cursor)
        return (line, doc.cursor - doc.buffer.lineStarts[line])
    }

    // MARK: Cursor anchoring

    /// Moves the cursor to `index` (clamped) and re-anchors it. O(log s).
    mutating func setCursor(_ index: Int, keepGoal: Bool = false) {
        doc.cursor = max(0, min(index, doc.buffer.count))
        if !keepGoal { goalX = nil }
        reanchor()
    }

    /// Pins the cursor to the element at it (or after the last one). O(log s).
    mutating func reanchor() { anchor = anchorAt(doc.cursor) }

    /// The anchor for index `c`: the element at it, or after the last one. O(log s).
    func anchorAt(_ c: Int) -> Anchor {
        let n = doc.rga.count
        if c < n { return .before(doc.rga.id(at: c)) }
        if n > 0 { return .after(doc.rga.id(at: n - 1)) }
        return .start
    }

    /// The cursor index the anchor stands for now. O(log s).
    func resolveAnchor() -> Int { resolve(anchor) }

    /// The index an anchor stands for now. O(log s).
    func resolve(_ anchor: Anchor) -> Int {
        switch anchor {
        case .start: return 0
        case .before(let id):
            return doc.rga.index(of: id)?.index ?? min(doc.cursor, doc.rga.count)
        case .after(let id):
            guard let (i, visible) = doc.rga.index(of: id) else { return min(doc.cursor, doc.rga.count) }
            return visible ? i + 1 : i
        }
    }

    // MARK: Remote edits

    /// Applies an operation from a peer: updates the text view from the RGA's
    /// text edits, keeps the cursor and the mark on their elements and the view
    /// on the cursor. Both are pinned again to the visible element now at them,
    /// so that a mark whose character was deleted moves with later edits as the
    /// cursor does (not by where the deleted element happens to lie among new
    /// ones). Throws the RGA's `OperationError` (nothing changes then).
    /// O(edit + log s).
    public mutating func receive(_ op: Operation) throws {
        let edits = try doc.rga.receive(op)
        guard !edits.isEmpty else { return }
        for e in edits { doc.buffer.apply(e) }
        modified = true
        doc.cursor = resolveAnchor()
        reanchor()
        if let m = mark { mark = anchorAt(resolve(m)) }
        followCursor()
        refreshSyntax()
    }

    /// Receives several operations; see `receive(_:)`.
    public mutating func receive(_ ops: [Operation]) throws {
        for op in ops { try receive(op) }
    }

    // MARK: Host callbacks

    /// Reports how the `.save` effect went: nil when written, else why not.
    public mutating func didSave(error: String?) {
        if let error {
            message = "Not saved: \(error)"
        } else {
            modified = false
            message = "Saved \(fileName) (\(counted(savedLineCount, "line")))"
        }
    }

    /// The host refuses a save until the user confirms (`warning`, e.g. "notes.txt
    /// is read-only (mode 444)"): Ctrl-S as the very next key answers
    /// `.saveAnyway`; any other key cancels.
    public mutating func askToSaveAnyway(_ warning: String) {
        message = "\(warning): not saved. Ctrl-S again writes it anyway"
        saveArmed = true
    }

    /// Lines as a user counts them: a final line break ends the last line
    /// rather than starting an empty one ("a\nb\n" is 2 lines; "" is 0).
    var savedLineCount: Int {
        let b = doc.buffer
        guard b.count > 0 else { return 0 }
        return b.lineCount - (b.scalars.last == "\n" ? 1 : 0)
    }

    /// Sets whether the text differs from the saved file (the host knows at
    /// open: a history with edits never written to the file).
    public mutating func setModified(_ value: Bool) { modified = value }

    /// Shows `text` on the message line until the next key.
    public mutating func notify(_ text: String) { message = text }

    /// Checks the text view against the RGA and the line index. O(n).
    public func checkInvariants() throws {
        try doc.buffer.checkInvariants()
        if doc.buffer.scalars != doc.rga.scalars {
            throw EditorInvariantViolation(description: "view \(doc.buffer.text.debugDescription) != document \(doc.rga.text.debugDescription)")
        }
        if doc.cursor < 0 || doc.cursor > doc.buffer.count {
            throw EditorInvariantViolation(description: "cursor \(doc.cursor) outside 0...\(doc.buffer.count)")
        }
        if resolveAnchor() != doc.cursor {
            throw EditorInvariantViolation(description: "anchor resolves to \(resolveAnchor()), cursor is \(doc.cursor)")
        }
    }
}
