/// Key rebinding: the editor's commands by name, key names as a settings file
/// writes them, and the map from a user's keys to commands.
///
/// A binding adds a key to a command: the key then does the command, whatever
/// it did before. The command's built-in keys keep working unless a binding
/// gives them to another command. Bindings apply in edit mode only (prompts,
/// the help screen, the file list and the time-travel pane keep their keys),
/// and the keys a shared session's host takes first (F4, F6, Ctrl-P) never
/// reach the editor.

/// A command of the editor's key map that a settings file can bind.
public enum EditorCommand: String, CaseIterable, Sendable {
    case save, quit, find
    case findNext = "find_next", findPrevious = "find_previous"
    case replace
    case goToLine = "go_to_line"
    case undo, redo
    case cutLine = "cut_line"
    case copy, cut, paste, mark
    case softWrap = "soft_wrap", lineNumbers = "line_numbers"
    case redraw, help
    case timeTravel = "time_travel", fileList = "file_list"
    case lineStart = "line_start", lineEnd = "line_end"
    case fileStart = "file_start", fileEnd = "file_end"
    case wordLeft = "word_left", wordRight = "word_right"
    case pageUp = "page_up", pageDown = "page_down"

    /// The name a settings file uses (`[keys] save = "ctrl-w"`).
    public var name: String { rawValue }

    /// The built-in key the editor's key map handles for this command: a bound
    /// key is handed to the key map as this one.
    public var builtInKey: Key {
        switch self {
        case .save: return .ctrl("s")
        case .quit: return .ctrl("q")
        case .find: return .ctrl("f")
        case .findNext: return .function(3)
        case .findPrevious: return .alt("q")
        case .replace: return .alt("r")
        case .goToLine: return .alt("g")
        case .undo: return .ctrl("z")
        case .redo: return .ctrl("y")
        case .cutLine: return .ctrl("k")
        case .copy: return .ctrl("c")
        case .cut: return .ctrl("x")
        case .paste: return .ctrl("v")
        case .mark: return .alt("a")
        case .softWrap: return .ctrl("o")
        case .lineNumbers: return .ctrl("n")
        case .redraw: return .ctrl("l")
        case .help: return .function(1)
        case .timeTravel: return .function(2)
        case .fileList: return .function(5)
        case .lineStart: return .home
        case .lineEnd: return .end
        case .fileStart: return .ctrlHome
        case .fileEnd: return .ctrlEnd
        case .wordLeft: return .ctrlLeft
        case .wordRight: return .ctrlRight
        case .pageUp: return .pageUp
        case .pageDown: return .pageDown
        }
    }
}

/// Key names as a settings file writes them: `ctrl-w`, `alt-n`, `f5`,
/// `home`, `end`, `page-up`, `page-down`, `ctrl-home`, `ctrl-end`,
/// `ctrl-left`, `ctrl-right` (any case; `+` may stand for `-`).
public enum KeyName {
    private static let named: [(String, Key)] = [
        ("home", .home), ("end", .end), ("page-up", .pageUp), ("page-down", .pageDown),
        ("pgup", .pageUp), ("pgdn", .pageDown),
        ("ctrl-home", .ctrlHome), ("ctrl-end", .ctrlEnd), ("ctrl-left", .ctrlLeft), ("ctrl-right", .ctrlRight),
    ]

    /// The key `name` stands for, or a sentence saying why it stands for none
    /// a command can have. O(length of name).
    public static func parse(_ name: String) -> Result<Key, KeyNameError> {
        let n = String(name.lowercased().map { $0 == "+" ? "-" : $0 })
        if let k = named.first(where: { $0.0 == n })?.1 { return .success(k) }
        if n.hasPrefix("ctrl-"), n.count == 6 {
            let c = n.last!
            switch c {
            case "i": return .failure(KeyNameError("\(name) is Tab in a terminal"))
            case "m", "j": return .failure(KeyNameError("\(name) is Enter in a terminal"))
            case "[": return .failure(KeyNameError("\(name) is Esc in a terminal"))
            case "a" ... "z", "_", "\\": return .success(.ctrl(c))
            default: break
            }
        }
        if n.hasPrefix("alt-"), n.unicodeScalars.count == 5, let u = n.unicodeScalars.last,
           u.value > 32, u.value != 127 {
            return .success(.alt(u))
        }
        if n.hasPrefix("f"), let i = Int(n.dropFirst()), (1 ... 12).contains(i), !n.hasPrefix("f0") {
            return .success(.function(i))
        }
        if n.unicodeScalars.count == 1 {
            return .failure(KeyNameError("\"\(name)\" is a character that types itself: a command's key needs Ctrl or Alt, or is a function or movement key"))
        }
        return .failure(KeyNameError("\"\(name)\" is not a key name (ctrl-w, alt-n, f5, home, page-down, ctrl-left…)"))
    }

    /// How a key is written for people: `Ctrl-W`, `Alt-N`, `F5`, `Home`.
    public static func display(_ key: Key) -> String {
        switch key {
        case .ctrl(let c): return "Ctrl-" + String(c).uppercased()
        case .alt(let u): return "Alt-" + String(u).uppercased()
        case .function(let i): return "F\(i)"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .ctrlHome: return "Ctrl-Home"
        case .ctrlEnd: return "Ctrl-End"
        case .ctrlLeft: return "Ctrl-Left"
        case .ctrlRight: return "Ctrl-Right"
        default: return "\(key)"
        }
    }
}

/// Why a key name names no key a command can have, as a sentence.
public struct KeyNameError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The user's keys: which command each bound key does.
///
/// Laws: `translate` of a key not bound is the key itself; of a bound key, the
/// built-in key of its command. Alt with a letter is bound in either case
/// (terminals send Alt-Shift-N as `alt("N")`).
public struct KeyBindings: Sendable, Equatable {
    /// Bound key → command; at most one command per key.
    public private(set) var commands: [Key: EditorCommand] = [:]

    public init() {}

    /// Binds `key` to `command`. Returns the command that already had this
    /// key (then nothing changes: the first binding wins), or nil. O(1).
    @discardableResult
    public mutating func bind(_ key: Key, to command: EditorCommand) -> EditorCommand? {
        let k = Self.normal(key)
        if let other = commands[k], other != command { return other }
        commands[k] = command
        return nil
    }

    /// The keys bound to `command`, in a stable order.
    public func keys(for command: EditorCommand) -> [Key] {
        commands.filter { $0.value == command }.map(\.key).sorted { KeyName.display($0) < KeyName.display($1) }
    }

    /// The key the editor's key map should handle for `key`. O(1).
    public func translate(_ key: Key) -> Key {
        guard !commands.isEmpty, let c = commands[Self.normal(key)] else { return key }
        return c.builtInKey
    }

    public var isEmpty: Bool { commands.isEmpty }

    static func normal(_ key: Key) -> Key {
        if case .alt(let u) = key, u.properties.isUppercase, let l = String(u).lowercased().unicodeScalars.first {
            return .alt(l)
        }
        return key
    }
}
