/// The key list the help screen shows (F1 or Ctrl-G), one line per key.
public enum Help {
    /// (keys, what they do), in the order shown.
    public static let bindings: [(keys: String, action: String)] = [
        ("Arrows", "move by character / visual row"),
        ("Ctrl-Left  Ctrl-Right", "move by word"),
        ("Home  Ctrl-A", "start of line"),
        ("End  Ctrl-E", "end of line"),
        ("PgUp  PgDn", "move by a screen"),
        ("Ctrl-Home  Ctrl-End", "start / end of file"),
        ("Mouse click", "move the cursor there"),
        ("Backspace  Ctrl-H", "delete before the cursor"),
        ("Delete  Ctrl-D", "delete at the cursor"),
        ("Enter  Tab", "new line / tab"),
        ("Ctrl-K", "cut the line (repeat to cut more)"),
        ("Ctrl-U", "paste the cut lines"),
        ("Ctrl-Z", "undo your last edit"),
        ("Ctrl-Y", "redo"),
        ("Ctrl-F  Ctrl-W", "find"),
        ("F3  F4", "find next / previous"),
        ("Ctrl-T", "soft wrap on/off"),
        ("Ctrl-N", "line numbers on/off"),
        ("Ctrl-L", "redraw the screen"),
        ("Ctrl-S", "save"),
        ("Ctrl-Q", "quit (asks if unsaved)"),
        ("F1  Ctrl-G", "this help"),
        ("Esc", "cancel a prompt / close help"),
    ]

    /// The help screen's lines.
    public static var lines: [String] {
        var out = ["Weave help", ""]
        for b in bindings {
            out.append("  " + b.keys + String(repeating: " ", count: max(1, 24 - b.keys.count)) + b.action)
        }
        out += ["", "Press any key to return to the text."]
        return out
    }
}
