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
    ]

    static let findKeys = "Ctrl-F  F3  Shift-F3"

    /// In a session with peers (`weave host`/`join`), F6 and F4 drive the link
    /// (F3 stays find next there too).
    public static let peerBinding = (keys: "F6  F4  Ctrl-P", action: "offline / online; peers (Enter go to, f follow)")

    /// In a workspace (`weave host DIR`), F5 or Ctrl-B open the file list; in
    /// it, Ctrl-N, Ctrl-R and Ctrl-D create, rename and delete.
    public static let fileListBinding = (keys: "F5  Ctrl-B; ^N ^R ^D", action: "file list: filter, open; new / rename / delete")

    /// The help screen's lines (22 at most: they fit an 80x24 terminal's text
    /// area).
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
