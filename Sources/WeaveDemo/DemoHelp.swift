import WeaveEditor

/// The demo's help screen (F1 or Ctrl-G, in a pane or not): the keys the demo
/// answers, which are not the editor's. Any key closes it. Pure.
public enum DemoHelp {
    /// The help's lines, each at most 78 columns (an 80-column terminal).
    public static let lines: [String] = [
        "Weave demo: keys",
        "",
        "  Space          pause or resume the script",
        "  n  →           while paused: one step of the script (one keystroke)",
        "  Tab            take over a pane and type in it (pauses the script)",
        "  Tab  Esc       in a pane: the next pane / give it back",
        "  ←  →  Home End while the history replays: step, first / last edit",
        "  q  Ctrl-Q      quit (Ctrl-Q inside a pane)",
        "  F1  Ctrl-G     this help; any key closes it",
        "",
        "Each pane is a real editor with its own replica, linked to the others",
        "over loopback TCP (TLS). Typed in a pane, the editor's keys apply there.",
    ]

    /// Draws the help over `grid` below its banner row: the lines that fit,
    /// then a hint on the last row. O(width × height).
    public static func render(into grid: inout Grid) {
        for y in 1 ..< grid.height { grid.rows[y] = Array(repeating: .blank, count: grid.width) }
        for (i, line) in lines.prefix(max(0, grid.height - 2)).enumerated() {
            grid.write(line, x: 0, y: 1 + i, attributes: i == 0 ? .bold : [])
        }
        if grid.height > 2 { grid.write("Press any key to return", x: 0, y: grid.height - 1, attributes: .dim) }
        grid.cursor = nil
    }
}
