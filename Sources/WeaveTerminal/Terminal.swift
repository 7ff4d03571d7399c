@preconcurrency import CNcurses
import WeaveEditor
#if canImport(Glibc)
import Glibc
#endif

/// The terminal, through ncursesw: set up and restored, keys in, Grids out.
///
/// Only one may be active. Only the main thread may call it. The terminal is
/// restored by `stop()`, and also when the process dies of SIGINT, SIGTERM,
/// SIGHUP, SIGQUIT or a crash signal (a Swift trap is SIGILL/SIGTRAP): the
/// handlers restore the screen, then re-raise the signal with its default
/// action so the exit status is unchanged. (SIGTERM and SIGHUP first go to the
/// session's loop when one listens: `reportTermination(to:)`.)
public final class Terminal {
    /// Whether `start` has run without `stop`.
    public private(set) var active = false
    var decoder = KeyDecoder()
    /// Whether the terminal shows colours (else cells are drawn without, and
    /// what colour told apart is told by bold: `cellAttributes`).
    var colours = false
    /// How syntax colours are drawn (`SyntaxStyle`).
    var syntaxStyle = SyntaxStyle.monochrome
    /// Whether characters are handled as UTF-8 (`TextLocale.adopt`); when not,
    /// non-ASCII characters are drawn as `?` (input is decoded as UTF-8 anyway).
    var utf8 = true
    /// What the user should be told once on the status line when the terminal
    /// starts (no UTF-8 locale on this machine), else nil.
    public private(set) var notice: String?

    public init() {}

    /// Whether the terminal can be used, checked without opening or writing
    /// anything: stdin and stdout are terminals, and TERM names a terminal
    /// ncurses can drive. The reason when not.
    public static func refusal() -> TerminalError? {
        guard isatty(0) == 1, isatty(1) == 1 else { return .notATerminal }
        return termRefusal(ProcessInfoLite.environment("TERM"))
    }

    /// Why TERM (nil: unset) names a terminal Weave cannot drive, or nil when it can.
    public static func termRefusal(_ term: String?) -> TerminalError? {
        guard let term, !term.isEmpty else { return .termUnset }
        switch weave_check_term(term) {
        case 0: return nil
        case 2: return .noTerminfo(term)
        case 3: return .cannotAddressCursor(term)
        default: return .unknownTerm(term)
        }
    }

    /// Puts the terminal in raw, full-screen mode with keypad, mouse clicks and
    /// bracketed paste, with UTF-8 character handling whatever the locale.
    /// Throws when stdin/stdout is not a terminal, TERM cannot be driven or
    /// ncurses cannot start (then nothing is changed).
    public func start() throws(TerminalError) {
        if let refusal = Self.refusal() { throw refusal }
        utf8 = TextLocale.adopt()
        notice = utf8 ? nil : TextLocale.noUTF8Notice
        installSignalHandlers()
        guard weave_newterm() == 1 else { throw .cannotStart }
        active = true
        colours = weave_start_colours() == 1
        syntaxStyle = monochrome ? .monochrome
            : Self.syntaxStyle(colours: colours, noColor: ProcessInfoLite.environment("NO_COLOR"))
        if syntaxStyle == .palette {
            let fg = Grid.Syntax.allCases.map { SyntaxStyle.paletteColour($0) }
            if weave_start_palette(Int32(Grid.Syntax.keyword.rawValue), fg, Int32(fg.count)) != 1 { syntaxStyle = .basic }
        }
        raw()
        noecho()
        nonl()
        keypad(weave_stdscr(), true)
        nodelay(weave_stdscr(), true)
        set_escdelay(25)
        mouseinterval(0)
        setMouse(mouseWanted)
        KeyDecoder.defineExtraKeys()
        writeRaw("\u{1B}[?2004h")  // bracketed paste on
    }

    /// Code in bold and dim only, whatever the colours (the `monochrome`
    /// theme of the settings file); set before `start`.
    public var monochrome = false
    /// Whether to ask the terminal for mouse events: true unless the user
    /// turned the mouse off (`WEAVE_MOUSE=0`, or `setMouse(false)` from a
    /// setting), so that the terminal's own selection works.
    public var mouseWanted = ProcessInfoLite.environment("WEAVE_MOUSE") != "0"
    /// Turns clicks into double and triple clicks.
    var mouse = MouseClicks()

    /// Asks the terminal for button presses, releases, drags (xterm's button
    /// event mode, 1002, which ncurses does not set by itself) and the wheel,
    /// or for none.
    public func setMouse(_ on: Bool) {
        mouseWanted = on
        guard active else { return }
        if on {
            _ = mousemask(mmask_t(weave_mouse_all()), nil)
            writeRaw("\u{1B}[?1002h")
        } else {
            _ = mousemask(0, nil)
            writeRaw("\u{1B}[?1002l\u{1B}[?1000l")
        }
    }

    /// Restores the terminal. Idempotent.
    public func stop() {
        guard active else { return }
        active = false
        weave_restore_terminal()
    }

    deinit { stop() }

    /// The screen size now.
    public var size: Editor.Size {
        Editor.Size(width: Int(getmaxx(weave_stdscr())), height: Int(getmaxy(weave_stdscr())))
    }

    /// Reads every key available without blocking (nodelay), decoding escape
    /// sequences, mouse clicks and bracketed pastes. A paste split across reads
    /// is returned whole by a later call.
    public func readKeys() -> [Key] {
        var keys: [Key] = []
        // Bytes, not get_wch's characters: decoding UTF-8 here keeps every
        // typed character whatever the locale's codeset.
        while true {
            let r = wgetch(weave_stdscr())
            if r == ERR { break }
            if r < 0x100 {
                decoder.feedByte(UInt8(truncatingIfNeeded: r), into: &keys)
            } else if r == KEY_MOUSE {
                var ev = MEVENT()
                if getmouse(&ev) == OK, let key = mouse.key(kind: weave_mouse_kind(UInt(ev.bstate)),
                                                            shift: weave_mouse_shift(UInt(ev.bstate)) != 0,
                                                            x: Int(ev.x), y: Int(ev.y), now: ContinuousClock.now) {
                    decoder.feedKey(key, into: &keys)
                }
            } else if r == KEY_RESIZE {
                decoder.feedKey(.resize(width: size.width, height: size.height), into: &keys)
            } else {
                decoder.feedCode(r, into: &keys)
            }
        }
        decoder.finish(into: &keys)
        return keys
    }

    /// Draws `grid` and places the cursor; each row is clipped to the screen.
    /// Cells are written at their own columns, so a width disagreement with the
    /// C library's wcwidth cannot shift the rest of a row.
    public func draw(_ grid: Grid) {
        let h = min(grid.height, Int(getmaxy(weave_stdscr())))
        let w = min(grid.width, Int(getmaxx(weave_stdscr())))
        var lastAttr = -1
        var buf: [wchar_t] = []
        for y in 0 ..< h {
            for x in 0 ..< w {
                let cell = grid.rows[y][x]
                if cell.isContinuation { continue }
                let a = Self.cellAttributes(cell, colours: colours, syntax: syntaxStyle)
                if a != lastAttr { weave_attrset(Int32(a)); lastAttr = a }
                if cell.width == 2 {
                    if x + 1 >= w { continue }
                    _ = mvaddnwstr(Int32(y), Int32(x + 1), [wchar_t(32), 0], 1)
                }
                buf.removeAll(keepingCapacity: true)
                if utf8 || cell.text.unicodeScalars.allSatisfy(\.isASCII) {
                    for u in cell.text.unicodeScalars { buf.append(wchar_t(bitPattern: u.value)) }
                } else {
                    // Without a UTF-8 locale ncurses cannot write it: a ? per column.
                    for _ in 0 ..< max(1, cell.width) { buf.append(63) }
                }
                if buf.isEmpty { buf.append(32) }
                buf.append(0)
                _ = mvaddnwstr(Int32(y), Int32(x), buf, Int32(buf.count - 1))
            }
        }
        weave_attrset(weave_a_normal())
        if let c = grid.cursor, c.y < h, c.x < w {
            curs_set(1)
            move(Int32(c.y), Int32(c.x))
        } else {
            curs_set(0)
        }
        refresh()
    }

    /// Forces a full repaint on the next draw (Ctrl-L).
    public func invalidate() { clearok(weave_stdscr(), true) }

    /// The ncurses attributes of `cell`: its own, and its colour as a colour
    /// pair when the terminal has colours (8 are enough: pairs 1-7). Without
    /// colours a coloured cell is bold, so that peers' cursors (reverse),
    /// selections (underline), names and the current match still stand out
    /// from the text and from this user's own selection (reverse alone).
    ///
    /// Syntax colours (`Grid.Syntax`, 16 and up) follow `syntax`.
    static func cellAttributes(_ cell: Grid.Cell, colours: Bool, syntax: SyntaxStyle = .monochrome) -> Int {
        var a = attr(cell.attributes)
        if cell.colour > 0, cell.colour < 8 {
            a |= colours ? Int(weave_colour_pair(Int32(cell.colour))) : Int(weave_a_bold())
        } else if let kind = Grid.Syntax(rawValue: cell.colour) {
            a |= syntax.attributes(kind)
        }
        return a
    }

    /// The syntax style for a terminal with or without colours and the
    /// `NO_COLOR` variable's value (set and not empty: no colour, as
    /// no-color.org asks; peers' colours stay, since they tell people apart).
    /// `.palette` may still fall back to `.basic` when the terminal has fewer
    /// than 256 colours.
    static func syntaxStyle(colours: Bool, noColor: String?) -> SyntaxStyle {
        if let noColor, !noColor.isEmpty { return .monochrome }
        return colours ? .palette : .monochrome
    }

    static func attr(_ a: Grid.Attributes) -> Int {
        var v = Int(weave_a_normal())
        if a.contains(.reverse) { v |= Int(weave_a_reverse()) }
        if a.contains(.bold) { v |= Int(weave_a_bold()) }
        if a.contains(.dim) { v |= Int(weave_a_dim()) }
        if a.contains(.underline) { v |= Int(weave_a_underline()) }
        return v
    }

    /// Puts `text` on the system clipboard with OSC 52 (`ESC ] 52 ; c ;
    /// base64 BEL`), which xterm, kitty, iTerm2, WezTerm and tmux (with
    /// `set-clipboard on`) honour: a terminal editor's only way to reach it,
    /// also over ssh. Off unless the user enabled it (`WEAVE_OSC52=1` or `osc52 = true` in
    /// settings.toml; the session decides): a
    /// terminal may refuse, or ask. At most 100,000 bytes are sent.
    public func copyToSystemClipboard(_ text: String) {
        let bytes = Array(text.utf8.prefix(100_000))
        writeRaw("\u{1B}]52;c;" + Terminal.base64(bytes) + "\u{07}")
    }

    /// Standard base64 with padding. O(n).
    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        if i < bytes.count {
            let rest = bytes.count - i
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)]]
            out += rest == 2 ? [table[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func writeRaw(_ s: String) {
        let bytes = Array(s.utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }

    /// Restores the terminal, then hands the signal to the handler that was
    /// there before (the Swift backtracer for crashes, the default action for
    /// the others), re-raised so the exit status is the signal's.
    private func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                // SIGTERM or SIGHUP with a session listening: tell its loop (one
                // async-signal-safe write) and let it make the history durable
                // and end the same way; a second signal ends at once.
                if sig == SIGTERM || sig == SIGHUP, terminationFD >= 0, terminationRequested == 0 {
                    terminationRequested = 1
                    var b = UInt8(truncatingIfNeeded: sig)
                    _ = write(terminationFD, &b, 1)
                    return
                }
                weave_restore_terminal()
                if sig >= 0 && sig < 64, var old = previousSignalActions[Int(sig)] {
                    sigaction(sig, &old, nil)
                } else {
                    signal(sig, SIG_DFL)
                }
                raise(sig)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            var old = sigaction()
            sigaction(sig, &action, &old)
            previousSignalActions[Int(sig)] = old
        }
        // A parent may have left signals blocked (the mask survives exec): the
        // handlers and SIGWINCH (resize) must get through.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// The handlers replaced by `Terminal`, by signal number; written before the
/// handlers are installed, only read by them.
nonisolated(unsafe) private var previousSignalActions: [sigaction?] = Array(repeating: nil, count: 64)
/// Where the handlers report SIGTERM/SIGHUP (`Terminal.reportTermination(to:)`); -1: nowhere.
nonisolated(unsafe) private var terminationFD: Int32 = -1
nonisolated(unsafe) private var terminationRequested: sig_atomic_t = 0

extension Terminal {
    /// From now on SIGTERM and SIGHUP write their number to `fd` (non-blocking)
    /// instead of killing the process at once, so that the main loop can make
    /// the history durable first (then `exit(dyingOf:)`). A second signal, or
    /// one arriving while the loop is not running, kills as before. -1 turns it off.
    public static func reportTermination(to fd: Int32) {
        terminationRequested = 0
        terminationFD = fd
    }

    /// Restores the terminal, then dies of `signal` with its default action (so the exit status says so).
    public static func exit(dyingOf sig: Int32) -> Never {
        weave_restore_terminal()
        signal(sig, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(sig)
        Glibc.exit(128 + sig)
    }
}

/// Why the terminal could not start.
public enum TerminalError: Error, CustomStringConvertible, Equatable {
    case notATerminal
    case cannotStart
    /// TERM is not set (or empty).
    case termUnset
    /// No terminfo entry for this TERM.
    case unknownTerm(String)
    /// No terminfo database at all.
    case noTerminfo(String)
    /// The terminal cannot move its cursor (dumb, hard-copy, generic).
    case cannotAddressCursor(String)

    /// What to set instead, said the same way in every refusal.
    static let suggestion = "set TERM to your terminal's type, such as TERM=xterm-256color (most terminal windows), "
        + "TERM=linux (the Linux console) or TERM=vt100 (any other), and run weave again"

    public var description: String {
        switch self {
        case .notATerminal: return "weave edit needs a terminal (stdin and stdout must be a tty)"
        case .cannotStart: return "could not start the terminal with TERM=\(ProcessInfoLite.environment("TERM") ?? "") (\(Self.suggestion))"
        case .termUnset:
            return "TERM is not set, so weave cannot tell what terminal this is: \(Self.suggestion)"
        case .unknownTerm(let t):
            return "TERM=\(t) is not a terminal type this machine knows (no terminfo entry for it): \(Self.suggestion)"
        case .noTerminfo(let t):
            return "TERM=\(t) cannot be looked up: this machine has no terminfo database (install ncurses-base), "
                + "or \(Self.suggestion)"
        case .cannotAddressCursor(let t):
            return "TERM=\(t) is a terminal that cannot move its cursor, and weave needs a full-screen one: "
                + "run weave in a terminal window and \(Self.suggestion)"
        }
    }
}

/// getenv as a Swift string (Foundation is not linked into this module).
enum ProcessInfoLite {
    static func environment(_ name: String) -> String? {
        getenv(name).flatMap { String(validatingCString: $0) }
    }
}
