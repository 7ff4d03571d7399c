@preconcurrency import CNcurses
import WeaveEditor

/// Turns ncurses key codes and characters into `Key`s, including the escape
/// sequences terminfo does not name (Ctrl-arrows, Ctrl-Home/End) and bracketed
/// paste (`ESC [200~ … ESC [201~`), which `defineExtraKeys` teaches ncurses to
/// report as codes of our own. Pure apart from that registration, so it can be
/// fed by tests.
public struct KeyDecoder {
    /// Our key codes, above ncurses' KEY_MAX (0777).
    enum Code: Int32, CaseIterable {
        case ctrlLeft = 0x1001, ctrlRight, ctrlHome, ctrlEnd, pasteStart, pasteEnd, home, end, ctrlUp, ctrlDown
        case shiftLeft, shiftRight, shiftUp, shiftDown, shiftHome, shiftEnd, shiftPageUp, shiftPageDown
        case shiftCtrlLeft, shiftCtrlRight, shiftCtrlHome, shiftCtrlEnd
    }

    /// The sequences for each code (xterm and rxvt forms).
    static let sequences: [(String, Code)] = [
        ("\u{1B}[1;5D", .ctrlLeft), ("\u{1B}[1;5C", .ctrlRight), ("\u{1B}Od", .ctrlLeft), ("\u{1B}Oc", .ctrlRight),
        ("\u{1B}[1;5H", .ctrlHome), ("\u{1B}[1;5F", .ctrlEnd), ("\u{1B}[7^", .ctrlHome), ("\u{1B}[8^", .ctrlEnd),
        ("\u{1B}[1;5A", .ctrlUp), ("\u{1B}[1;5B", .ctrlDown),
        ("\u{1B}[200~", .pasteStart), ("\u{1B}[201~", .pasteEnd),
        ("\u{1B}[H", .home), ("\u{1B}[F", .end), ("\u{1B}OH", .home), ("\u{1B}OF", .end),
        ("\u{1B}[1~", .home), ("\u{1B}[4~", .end), ("\u{1B}[7~", .home), ("\u{1B}[8~", .end),
        // xterm's modifier forms (2 = Shift, 6 = Shift+Ctrl), which tmux and
        // TERM=screen pass on though their terminfo does not name them.
        ("\u{1B}[1;2D", .shiftLeft), ("\u{1B}[1;2C", .shiftRight), ("\u{1B}[1;2A", .shiftUp), ("\u{1B}[1;2B", .shiftDown),
        ("\u{1B}[1;2H", .shiftHome), ("\u{1B}[1;2F", .shiftEnd), ("\u{1B}[5;2~", .shiftPageUp), ("\u{1B}[6;2~", .shiftPageDown),
        ("\u{1B}[1;6D", .shiftCtrlLeft), ("\u{1B}[1;6C", .shiftCtrlRight), ("\u{1B}[1;6H", .shiftCtrlHome),
        ("\u{1B}[1;6F", .shiftCtrlEnd),
    ]

    /// Registers `sequences` with ncurses (after initscr, with keypad on).
    static func defineExtraKeys() {
        for (seq, code) in sequences { _ = define_key(seq, code.rawValue) }
    }

    /// The paste being collected, when inside `ESC [200~ … ESC [201~`.
    var paste: String.UnicodeScalarView?
    /// An Esc just read: with a printable character right after it (in the same
    /// read) it is Alt plus that character; otherwise Esc (`finish`).
    var pendingEscape = false

    /// The bytes of a UTF-8 sequence begun but not yet complete (it may end in
    /// a later read), and how many it needs in all.
    var pendingBytes: [UInt8] = []
    var neededBytes = 0

    public init() {}

    /// Feeds one byte the terminal sent (`wgetch` returned 0...255): Weave
    /// decodes UTF-8 itself, whatever the locale, so no typed character is
    /// lost. A byte that cannot be UTF-8 is kept as the Latin-1 character of
    /// that value (U+FFFD for 0x80...0x9F, which are controls there).
    public mutating func feedByte(_ b: UInt8, into keys: inout [Key]) {
        if !pendingBytes.isEmpty {
            if b & 0xC0 == 0x80 {
                pendingBytes.append(b)
                if pendingBytes.count == neededBytes { completeSequence(into: &keys) }
                return
            }
            flushPendingBytes(into: &keys)
        }
        switch b {
        case 0 ..< 0x80: feedChar(UInt32(b), into: &keys)
        case 0xC2 ... 0xDF: pendingBytes = [b]; neededBytes = 2
        case 0xE0 ... 0xEF: pendingBytes = [b]; neededBytes = 3
        case 0xF0 ... 0xF4: pendingBytes = [b]; neededBytes = 4
        default: feedStrayByte(b, into: &keys)
        }
    }

    /// A complete sequence: its scalar, or its bytes one by one when it is an
    /// overlong form, a surrogate or above U+10FFFF.
    private mutating func completeSequence(into keys: inout [Key]) {
        let bytes = pendingBytes
        pendingBytes = []
        var value = UInt32(bytes[0]) & (bytes.count == 2 ? 0x1F : bytes.count == 3 ? 0x0F : 0x07)
        for b in bytes.dropFirst() { value = value << 6 | UInt32(b & 0x3F) }
        let least: UInt32 = bytes.count == 2 ? 0x80 : bytes.count == 3 ? 0x800 : 0x10000
        if value >= least, value <= 0x10FFFF, Unicode.Scalar(value) != nil {
            feedChar(value, into: &keys)
        } else {
            for b in bytes { feedStrayByte(b, into: &keys) }
        }
    }

    /// An incomplete sequence cut short by another byte or a key: its bytes one by one.
    private mutating func flushPendingBytes(into keys: inout [Key]) {
        let bytes = pendingBytes
        pendingBytes = []
        for b in bytes { feedStrayByte(b, into: &keys) }
    }

    private mutating func feedStrayByte(_ b: UInt8, into keys: inout [Key]) {
        feedChar(b >= 0xA0 ? UInt32(b) : 0xFFFD, into: &keys)
    }

    /// Feeds a decoded key (mouse, resize). Inside a paste, it is dropped.
    mutating func feedKey(_ key: Key, into keys: inout [Key]) {
        flushPendingBytes(into: &keys)
        finish(into: &keys)
        if paste == nil { keys.append(key) }
    }

    /// Ends a read: an Esc with nothing after it is Esc.
    public mutating func finish(into keys: inout [Key]) {
        if pendingEscape { keys.append(.escape) }
        pendingEscape = false
    }

    /// Feeds a function-key code (`get_wch` returned KEY_CODE_YES).
    public mutating func feedCode(_ code: Int32, into keys: inout [Key]) {
        flushPendingBytes(into: &keys)
        finish(into: &keys)
        if let c = Code(rawValue: code) {
            switch c {
            case .pasteStart: paste = String.UnicodeScalarView(); return
            case .pasteEnd:
                if let p = paste { keys.append(.paste(String(p))) }
                paste = nil
                return
            default: break
            }
        }
        if paste != nil {
            // Keys inside a paste: only Enter/Tab-like codes mean text.
            if code == KEY_ENTER { paste!.append("\n") }
            return
        }
        let key: Key?
        switch code {
        case KEY_UP: key = .up
        case KEY_DOWN: key = .down
        case KEY_LEFT: key = .left
        case KEY_RIGHT: key = .right
        case KEY_HOME: key = .home
        case KEY_END: key = .end
        case KEY_PPAGE: key = .pageUp
        case KEY_NPAGE: key = .pageDown
        case KEY_BACKSPACE: key = .backspace
        case KEY_DC: key = .delete
        case KEY_ENTER: key = .enter
        case KEY_BTAB: key = .shift(.tab)
        case KEY_F0 + 1 ... KEY_F0 + 24: key = .function(Int(code - KEY_F0))  // 13-24: Shift+F1-F12
        // terminfo's own shifted keys, where the terminal description has them
        case KEY_SLEFT: key = .shift(.left)
        case KEY_SRIGHT: key = .shift(.right)
        case KEY_SR: key = .shift(.up)
        case KEY_SF: key = .shift(.down)
        case KEY_SHOME: key = .shift(.home)
        case KEY_SEND: key = .shift(.end)
        case KEY_SPREVIOUS: key = .shift(.pageUp)
        case KEY_SNEXT: key = .shift(.pageDown)
        default:
            switch Code(rawValue: code) {
            case .ctrlLeft: key = .ctrlLeft
            case .ctrlRight: key = .ctrlRight
            case .ctrlHome: key = .ctrlHome
            case .ctrlEnd: key = .ctrlEnd
            case .ctrlUp: key = .up
            case .ctrlDown: key = .down
            case .home: key = .home
            case .end: key = .end
            case .shiftLeft: key = .shift(.left)
            case .shiftRight: key = .shift(.right)
            case .shiftUp: key = .shift(.up)
            case .shiftDown: key = .shift(.down)
            case .shiftHome: key = .shift(.home)
            case .shiftEnd: key = .shift(.end)
            case .shiftPageUp: key = .shift(.pageUp)
            case .shiftPageDown: key = .shift(.pageDown)
            case .shiftCtrlLeft: key = .shift(.ctrlLeft)
            case .shiftCtrlRight: key = .shift(.ctrlRight)
            case .shiftCtrlHome: key = .shift(.ctrlHome)
            case .shiftCtrlEnd: key = .shift(.ctrlEnd)
            default: key = nil
            }
        }
        if let key { keys.append(key) }
    }

    /// Feeds a character (`get_wch` returned OK).
    public mutating func feedChar(_ value: UInt32, into keys: inout [Key]) {
        guard let u = Unicode.Scalar(value) else { return }
        if paste != nil { paste!.append(u); return }
        if pendingEscape {
            pendingEscape = false
            if value >= 32 && value != 127 { keys.append(.alt(u)); return }
            keys.append(.escape)
        }
        switch value {
        case 13, 10: keys.append(.enter)
        case 9: keys.append(.tab)
        case 8, 127: keys.append(.backspace)
        case 27: pendingEscape = true
        case 1 ... 26: keys.append(.ctrl(Character(Unicode.Scalar(value + 96)!)))
        case 28: keys.append(.ctrl("\\"))
        case 31: keys.append(.ctrl("_"))
        case 0 ..< 32: break
        default: keys.append(.char(u))
        }
    }
}
