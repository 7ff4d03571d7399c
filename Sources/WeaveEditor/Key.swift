import WeaveCore

/// A key press or terminal event, as the terminal layer decodes it.
///
/// The editor never sees raw bytes: `WeaveTerminal` turns escape sequences,
/// ncurses key codes, mouse reports and bracketed pastes into these values, and
/// tests write them directly.
public enum Key: Hashable, Sendable {
    /// A printable character (not a control character).
    case char(Unicode.Scalar)
    /// Ctrl plus a letter, lowercase: `.ctrl("s")` is Ctrl-S. Also `.ctrl("_")`
    /// (Ctrl-_ or Ctrl-/) and `.ctrl("\\")` (Ctrl-\\).
    case ctrl(Character)
    /// Alt (Meta) plus a character, as terminals send it: Esc, then the
    /// character. `.alt("g")` is Alt-G.
    case alt(Unicode.Scalar)
    /// Shift plus a movement key (`.shift(.left)`, `.shift(.ctrlRight)`): moves
    /// and extends the selection.
    indirect case shift(Key)
    case up, down, left, right
    case home, end, pageUp, pageDown
    case ctrlHome, ctrlEnd, ctrlLeft, ctrlRight
    case backspace, delete, enter, tab, escape
    /// F1 … F12.
    case function(Int)
    /// A mouse click at screen column `x`, row `y` (0-based): the button went
    /// down. `.shift(.click(…))` is Shift+click (extends the selection).
    case click(x: Int, y: Int)
    /// The button held down moved to (x, y): selects from the click.
    case drag(x: Int, y: Int)
    /// The second and third click at one place in quick succession (instead
    /// of their `.click`): select a word, a line.
    case doubleClick(x: Int, y: Int)
    case tripleClick(x: Int, y: Int)
    /// The wheel: this many rows, negative up.
    case wheel(Int)
    /// A block of pasted text (bracketed paste): inserted as one edit.
    case paste(String)
    /// The terminal now has this many columns and rows.
    case resize(width: Int, height: Int)
}

/// What the editor asks its host to do after a key. The host performs it and
/// reports back (`Editor.didSave(error:)`).
public enum Effect: Hashable, Sendable {
    /// Write `text` to the file (atomically); then call `didSave`.
    case save(text: String)
    /// Write `text` although the host warned before (a read-only file: the
    /// user pressed Ctrl-S again after `askToSaveAnyway`); then `didSave`.
    case saveAnyway(text: String)
    /// Leave the editor.
    case quit
    /// Repaint the whole screen (Ctrl-L).
    case redraw
    /// Send these local operations to peers (nothing listens yet; the network
    /// layer will).
    case broadcast([Operation])
    /// Ring the bell (a key with nothing to do).
    case bell
    /// Open the time-travel pane (F2, Ctrl-T): the host answers with
    /// `Editor.openTimeTravel(_:)`, handing over the document's timeline.
    case openTimeTravel
    /// The clipboard now holds `text` (a copy or a cut): a host that may reach
    /// the system clipboard (OSC 52, when enabled) puts it there too.
    case clipboard(String)
    /// Switch to this file of the workspace (Enter in the file list; also for
    /// the file already shown). The list has closed.
    case openFile(String)
    /// Create this file in the workspace and switch to it (the path passed
    /// `FileList.problem(with:)` and is not listed; the session checks again
    /// and reports with `notify`). The list has closed.
    case createFile(String)
    /// Rename a workspace file (Ctrl-R in the file list). The list stays open;
    /// when the session's next `workspaceFiles` holds `to`, it is selected.
    case renameFile(from: String, to: String)
    /// Delete a workspace file (Ctrl-D or Delete, then y). The list stays open.
    case deleteFile(String)
}

extension Key {
    /// Whether this is a mouse event (the `mouse` setting turns them all off).
    public var isMouse: Bool {
        switch self {
        case .click, .drag, .doubleClick, .tripleClick, .wheel: return true
        case .shift(let k): return k.isMouse
        default: return false
        }
    }
}
