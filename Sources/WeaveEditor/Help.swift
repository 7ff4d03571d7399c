/// The key list the help screen shows (F1 or Ctrl-G), one line per key.
public enum Help {
    /// (keys, what they do), in the order shown.
    public static let bindings: [(keys: String, action: String)] = [
        ("Arrows  Ctrl-Left/Right", "move by character or row / by word"),
        ("Home  End  Ctrl-A  Ctrl-E", "start / end of line"),
        ("PgUp  PgDn", "move by a screen"),
        ("Ctrl-Home  Ctrl-End", "start / end of file"),
        ("Mouse  Shift+click", "place, drag selects; 2 clicks word, 3 line; wheel"),
        ("Shift+move  Alt-A", "select (Alt-A sets a mark; Esc cancels)"),
        ("Ctrl-C  Ctrl-X  Ctrl-V", "copy / cut / paste (the line if none)"),
        ("Backspace  Delete", "delete before / at the cursor"),
        ("Enter  Tab  Shift-Tab", "new line keeping indent / indent / outdent"),
        ("Ctrl-K  Ctrl-U", "cut the line (again: more) / paste"),
        ("Ctrl-Z  Ctrl-Y", "undo / redo your own edits"),
        (findKeys, "find, find next / previous (Alt-R .* Alt-C Aa)"),
        ("Alt-R  Ctrl-\\", "replace ($1 groups): y, n, a all, Esc stop"),
        ("Alt-G  Ctrl-_", "go to line[:column]"),
        ("Ctrl-O  Ctrl-N  Ctrl-L", "soft wrap / line numbers / redraw"),
        ("F2  Ctrl-T", "time travel: the whole history (Esc closes)"),
        ("Ctrl-S  Ctrl-Q", "save / quit (asks if unsaved)"),
        ("F1  Ctrl-G  Esc", "this help / cancel a prompt, close help"),
        ("Ctrl-W  Alt-W  Alt-Q", "find too; find next / previous too"),
        ("Ctrl-D  Ctrl-H", "delete at the cursor / before it, too"),
    ]

    static let findKeys = "Ctrl-F  F3  Shift-F3"

    /// In a session with peers (`weave host`/`join`), F6 and F4 drive the link
    /// (F3 stays find next there too).
    public static let peerBinding = (keys: "F6  F4  Ctrl-P", action: "offline/online; peers (click/Enter go, f follow)")

    /// In a workspace (`weave host DIR`), F5 or Ctrl-B open the file list; in
    /// it, Ctrl-N, Ctrl-R and Ctrl-D create, rename and delete.
    public static let fileListBinding = (keys: "F5  Ctrl-B; ^N ^R ^D", action: "file list: filter, open; new / rename / delete")

    /// The help screen's lines (more than an 80x24 terminal shows: the screen
    /// scrolls, see `Editor.handleHelp`).
    public static var lines: [String] { lines(peers: false) }

    /// The help screen's lines; with `peers`, the link's keys follow find's;
    /// with `workspace`, the file list's keys follow them.
    public static func lines(peers: Bool, workspace: Bool = false) -> [String] {
        var out = ["Weave help: keys", ""]
        func line(_ keys: String, _ action: String) -> String {
            "  " + keys + String(repeating: " ", count: max(1, 28 - keys.count)) + action
        }
        for b in bindings {
            out.append(line(b.keys, b.action))
            if peers && b.keys == findKeys { out.append(line(peerBinding.keys, peerBinding.action)) }
            if workspace && b.keys == findKeys { out.append(line(fileListBinding.keys, fileListBinding.action)) }
        }
        return out
    }
}

/// The time-travel pane's keys, for its help screen (F1 in the pane).
extension Help {
    /// Every key the pane answers; `restore`: whether `r` restores there,
    /// `save`: whether Ctrl-S saves, `readOnlyReplay`: Esc quits.
    public static func paneLines(restore: Bool, save: Bool, readOnlyReplay: Bool) -> [String] {
        var rows: [(String, String)] = [
            ("←  →", "one edit back / forward"),
            ("PgUp  PgDn", "1% of the history back / forward"),
            ("Home  End", "the empty start / the latest edit"),
            ("[  ]", "previous / next burst (an author's run of edits)"),
            ("0-9 then Enter", "go to the edit with that number"),
            ("Space", "play / pause"),
            ("+  -", "play faster / slower"),
            ("p", "play at the recorded pace, or at a set speed"),
            ("b", "blame: every character in its author's colour"),
            ("m", "mark this edit; the text then shows the diff from it"),
        ]
        if restore { rows.append(("r  Enter", "restore this version as a new edit (asks y/n)")) }
        rows += [
            ("Ctrl-F  F3  Shift-F3", "find in the text shown; next / previous"),
            ("Alt-R  Alt-C", "in the find prompt: regex .* / case rule"),
        ]
        if save { rows.append(("Ctrl-S", "save the live document")) }
        rows += [
            ("Ctrl-L", "redraw the screen"),
            ("F1  Ctrl-G", "this help"),
            ("Esc  F2  Ctrl-T  Ctrl-Q", readOnlyReplay ? "quit the replay" : "close the time-travel pane"),
        ]
        var out = ["Time travel: keys", ""]
        for (keys, action) in rows {
            out.append("  " + keys + String(repeating: " ", count: max(1, 26 - keys.count)) + action)
        }
        return out
    }
}

/// The help screen as a scrolling view: arrows, PgUp/PgDn, Home/End and the
/// wheel move it; a click leaves it open; any other key closes it.
extension Editor {
    /// The lines the help screen shows now: the pane's keys while the
    /// time-travel pane is open, else the editor's.
    var helpLines: [String] {
        if let pane {
            return Help.paneLines(restore: canRestore, save: !pane.readOnly && readOnly == nil, readOnlyReplay: pane.readOnly)
        }
        return Help.lines(peers: !peersStatus.isEmpty, workspace: workspaceFiles != nil)
    }

    /// Rows the help screen has: the text area, or every row but the message
    /// line while the pane is open (the help covers the pane).
    var helpHeight: Int { max(1, pane == nil ? textHeight : size.height - 1) }

    /// The largest first line: the last line at the bottom row.
    var helpMaxTop: Int { max(0, helpLines.count - helpHeight) }

    /// A key while the help is shown. O(1).
    mutating func handleHelp(_ key: Key) {
        let page = max(1, helpHeight - 1)
        switch key {
        case .up: helpTop -= 1
        case .down: helpTop += 1
        case .pageUp: helpTop -= page
        case .pageDown, .char(" "): helpTop += page
        case .home, .ctrlHome: helpTop = 0
        case .end, .ctrlEnd: helpTop = helpMaxTop
        case .wheel(let rows): helpTop += rows
        default:
            if key.isMouse { return }  // a click or a drag leaves the help open
            mode = .edit
            helpTop = 0
            return
        }
        helpTop = min(max(0, helpTop), helpMaxTop)
    }

    /// Draws the help's visible lines from `helpTop`. O(width × rows).
    func drawHelp(_ grid: inout Grid) {
        let lines = helpLines, height = helpHeight
        let first = min(helpTop, max(0, lines.count - height))
        for y in 0 ..< min(height, grid.height) {
            grid.rows[y] = Array(repeating: .blank, count: grid.width)
            guard first + y < lines.count else { continue }
            grid.write(lines[first + y], x: 0, y: y, attributes: first + y == 0 ? .bold : [])
        }
        grid.cursor = nil
    }

    /// The message line under the help: how to scroll (when it does not all
    /// fit) and how to return.
    var helpHint: String {
        let lines = helpLines.count, height = helpHeight
        guard lines > height else { return "Press any key to return" }
        let first = min(helpTop, max(0, lines - height))
        return "↑↓ PgUp PgDn scroll (lines \(first + 1)-\(min(lines, first + height)) of \(lines))  other keys return"
    }
}
