/// The user's settings (settings.toml, read by the session; parsed by
/// WeaveSettings): a plain value with every default, and how it applies to an
/// editor. Environment variables the session honours (`WEAVE_MOUSE`,
/// `WEAVE_OSC52`, `NO_COLOR`, `WEAVE_NAME`) are applied by the session, not here.
public struct Settings: Sendable, Equatable {
    /// How code is coloured.
    public enum Theme: String, Sendable, CaseIterable {
        /// As the terminal can: 256 colours, else 8, else bold and dim.
        case `default`
        /// Bold and dim only (as with `NO_COLOR`); peers keep their colours.
        case monochrome
        /// No syntax colour at all.
        case none
    }

    /// The name edits are signed with when `--name` and `$WEAVE_NAME` are not
    /// given; nil: the account's (`$USER`).
    public var name: String?
    public var theme = Theme.default
    /// Columns a tab advances to (1…16).
    public var tabWidth = 8
    /// Whether Tab and indenting put spaces (`indentWidth` of them) rather
    /// than tabs, for files with no clear style of their own (a file that has
    /// one keeps it).
    public var spaces = false
    /// Spaces per indent when indenting with spaces (1…16).
    public var indentWidth = 4
    public var lineNumbers = false
    public var softWrap = true
    /// Whether the editor takes the mouse (off: the terminal's own selection).
    public var mouse = true
    /// Whether copies also go to the terminal's clipboard (OSC 52).
    public var osc52 = false
    /// Whether the find and replace prompts start in regular-expression mode.
    public var regex = false
    /// The user's keys for the editor's commands.
    public var keys = KeyBindings()

    /// The defaults.
    public init() {}
}

extension Editor {
    /// Applies `settings` (all but `name`, `osc52` and the theme's terminal
    /// side, which the session applies). The indent style found in the file
    /// (`IndentStyle.detect`) wins over `spaces` and `indentWidth`. O(n) for
    /// the indent detection.
    public mutating func apply(_ settings: Settings) {
        tabWidth = settings.tabWidth
        if IndentStyle.detect(doc.buffer.scalars) == nil {
            indentTabs = !settings.spaces
            indentWidth = settings.indentWidth
        }
        lineNumbers = settings.lineNumbers
        softWrap = settings.softWrap
        mouse = settings.mouse
        searchRegex = settings.regex
        keyBindings = settings.keys
        if syntaxColour != (settings.theme != .none) { setSyntaxColour(settings.theme != .none) }
        followCursor()
    }
}
